// Share-link tokens at rest: sealed with the share-link key, so that the
// project's owner can read the active link again (docs/security.md).

package ddbstore

import (
	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/secretbox"
)

// WithShareLinkKey sets the box that seals share-link tokens (from
// SHARE_LINK_KEY). Without one, enabling a share link fails: a link is
// never stored without its sealed token.
func WithShareLinkKey(b *secretbox.Box) Option { return func(s *Store) { s.shareLinks = b } }

// sealLinkToken seals a share link's token, bound to the invitation's id
// (a sealed token copied onto another invitation does not open).
func (s *Store) sealLinkToken(inv collab.Invitation) (string, error) {
	if s.shareLinks == nil {
		return "", collab.Errorf(collab.CodeUnavailable, "share links are not configured here: SHARE_LINK_KEY is not set")
	}
	if inv.LinkToken == "" {
		return "", collab.Errorf(collab.CodeInternal, "share link %s has no token to keep", inv.ID)
	}
	return s.shareLinks.Seal([]byte(inv.LinkToken), []byte(inv.ID))
}

// openLinkToken unseals a share link's token; empty when there is none or
// it does not open (a link made before tokens were kept, or under another
// key): the link still works, it just cannot be read again.
func (s *Store) openLinkToken(r invitationRow) string {
	if s.shareLinks == nil || r.SealedToken == "" {
		return ""
	}
	b, err := s.shareLinks.Open(r.SealedToken, []byte(r.ID))
	if err != nil {
		return ""
	}
	return string(b)
}
