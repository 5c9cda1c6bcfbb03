package collab

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// OrgRole is a member's role in an organization.
type OrgRole string

// Organization roles, highest first.
const (
	OrgOwner  OrgRole = "owner"
	OrgAdmin  OrgRole = "admin"
	OrgMember OrgRole = "member"
)

var orgRoleRank = map[OrgRole]int{OrgOwner: 3, OrgAdmin: 2, OrgMember: 1}

// Valid reports whether r is a known org role.
func (r OrgRole) Valid() bool { return orgRoleRank[r] > 0 }

// HasWorkforceAccess reports whether the role gives workforce access to the
// org (docs/permissions.md: owner or admin).
func (r OrgRole) HasWorkforceAccess() bool { return r == OrgOwner || r == OrgAdmin }

// User is a person known by the identity provider's subject.
type User struct {
	ID        string
	Email     string
	Name      string
	CreatedAt time.Time
}

// Caller is the verified identity behind a request. It comes only from
// verified token claims.
type Caller struct {
	UserID string
	Email  string
	Name   string
}

// Org is a tenant.
type Org struct {
	ID        string
	Name      string
	CreatedBy string
	CreatedAt time.Time
	// Deleting is set once a deletion too large for one transaction has
	// begun; repeating the delete finishes it.
	Deleting bool
	// InboundApproval says whether partnerships the org's admins accept
	// (a share link, a labeling-company invitation) wait for an owner's or
	// admin's approval before they grant anything; TrustedHostOrgIDs are
	// hosts whose partnerships never wait.
	InboundApproval   InboundApproval
	TrustedHostOrgIDs []string
	Version           int
}

// InboundApproval is an org's policy on partnerships it accepts.
type InboundApproval string

// The inbound approval policies.
const (
	InboundAuto     InboundApproval = "auto"     // accepted partnerships take effect at once (the default)
	InboundRequired InboundApproval = "required" // they wait for an owner's or admin's approval
)

// waitsForApproval reports whether a partnership with hostOrgID that the
// org accepts waits for its approval.
func (o Org) waitsForApproval(hostOrgID string) bool {
	return o.InboundApproval == InboundRequired && !slices.Contains(o.TrustedHostOrgIDs, hostOrgID)
}

// OrgMembership is a user's membership in an org. OrgName is carried so that
// a user's org list is one query.
type OrgMembership struct {
	OrgID    string
	OrgName  string
	UserID   string
	Email    string
	Name     string
	Role     OrgRole
	JoinedAt time.Time
	Version  int
}

// Workspace belongs to one org and holds projects.
type Workspace struct {
	ID        string
	OrgID     string
	Name      string
	Default   bool
	CreatedAt time.Time
	Version   int
}

// NewOrg is what creating an org writes, all in one transaction.
type NewOrg struct {
	Org       Org
	Owner     OrgMembership
	Workspace Workspace
}

// Page asks for one page of a list.
type Page struct {
	Limit  int
	Cursor string
}

// Page limits of docs/architecture.md, HTTP conventions.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
)

// Normalize applies the default and checks the bounds.
func (p Page) Normalize() (Page, error) {
	if p.Limit == 0 {
		p.Limit = DefaultPageLimit
	}
	if p.Limit < 1 || p.Limit > MaxPageLimit {
		var v Validation
		v.Add("limit", "must be between 1 and %d", MaxPageLimit)
		return p, v.Err()
	}
	return p, nil
}

// MaxNameLength bounds display names of orgs, workspaces and projects.
const MaxNameLength = 120

// CleanName trims a display name and validates it for the named field: it
// must be valid UTF-8, at most MaxNameLength characters, free of control
// characters (C0, DEL and C1) and of bidirectional formatting characters
// (which make a name display as something it is not), and must show at least
// one visible character.
func CleanName(field, name string, v *Validation) string {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		v.Add(field, "is required")
	case !utf8.ValidString(name):
		v.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(name) > MaxNameLength:
		v.Add(field, "must be at most %d characters", MaxNameLength)
	case strings.ContainsFunc(name, unicode.IsControl):
		v.Add(field, "must not contain control characters")
	case strings.ContainsFunc(name, isBidiControl):
		v.Add(field, "must not contain bidirectional formatting characters")
	case !strings.ContainsFunc(name, func(r rune) bool { return !isInvisible(r) }):
		v.Add(field, "must contain visible characters")
	}
	return name
}

// isBidiControl reports whether r is a bidirectional formatting character:
// the embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069, and
// the marks U+200E, U+200F and U+061C.
func isBidiControl(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return r == 0x200E || r == 0x200F || r == 0x061C
}

// isInvisible reports whether r shows nothing on its own: white space and
// the zero-width and filler characters.
func isInvisible(r rune) bool {
	if unicode.IsSpace(r) {
		return true
	}
	switch r {
	case 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, // zero-width space, non-joiner, joiner, word joiner, BOM
		0x00AD, 0x034F, 0x180E, 0x2061, 0x2062, 0x2063, 0x2064, // soft hyphen, grapheme joiner, Mongolian vowel separator, invisible operators
		0x115F, 0x1160, 0x3164, 0xFFA0: // Hangul fillers
		return true
	}
	return false
}

// NormalizeEmail lower-cases and trims an email address, the form used for
// every comparison and lookup.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
