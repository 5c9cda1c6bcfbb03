package collab

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"time"
)

// InvitationKind is one of the five kinds of docs/architecture.md, Invitations.
type InvitationKind string

// Invitation kinds.
const (
	KindShareLink       InvitationKind = "share_link"
	KindLabelingCompany InvitationKind = "labeling_company"
	KindCollaborator    InvitationKind = "collaborator"
	KindProjectMember   InvitationKind = "project_member"
	KindOrgMember       InvitationKind = "org_member"
)

// AttachesOrg reports whether accepting attaches the accepter's org (which
// the accepter then has to choose when they are in several).
func (k InvitationKind) AttachesOrg() bool {
	return k == KindShareLink || k == KindLabelingCompany || k == KindCollaborator
}

// SingleUse reports whether one acceptance uses the invitation up.
func (k InvitationKind) SingleUse() bool { return k != KindShareLink }

// InvitationStatus is where an invitation stands.
type InvitationStatus string

// Invitation statuses. Expired is derived from ExpiresAt on every read.
const (
	InvPending  InvitationStatus = "pending"
	InvAccepted InvitationStatus = "accepted"
	InvDeclined InvitationStatus = "declined"
	InvRevoked  InvitationStatus = "revoked"
	InvExpired  InvitationStatus = "expired"
)

// Invitation lifetimes and limits.
const (
	EmailInvitationTTL = 7 * 24 * time.Hour
	MaxResendsPerHour  = 5
	TokenBytes         = 32 // 256 bits
)

// Invitation is an offer to join a project, workspace or org.
type Invitation struct {
	ID        string
	TokenHash string
	Kind      InvitationKind
	Status    InvitationStatus

	// Scope: the project (share_link, labeling_company, project_member),
	// workspace (collaborator) or org (org_member); names for the preview.
	ProjectID     string
	ProjectName   string
	WorkspaceID   string
	WorkspaceName string
	OrgID         string // org_member: the org joined; others: the inviting (host) org
	OrgName       string

	InvitedBy     string
	InvitedByName string
	// InvitedForOrg is the org the inviter acted for (a company's own
	// manager inviting for that company).
	InvitedForOrg string

	Email        string // bound address; empty for a share link
	Role         string // project, org or workspace role offered
	CompanyName  string // labeling_company: the name the host gave
	CompanyOrgID string // project_member: the partner org the invitee joins for
	Types        []CollabType
	Access       ProjectAccess

	CreatedAt   time.Time
	ExpiresAt   time.Time // zero: never (share links without expiry)
	AcceptedBy  string
	AcceptedAt  time.Time
	AcceptCount int
	Resends     []time.Time
	Version     int

	// LinkToken is a share link's raw token, set when the link is made and
	// filled again by the store's GetShareLink (which keeps it sealed with
	// the share-link key, never in clear) so that the project's owner can
	// read the link again. Empty for every other kind and every other read;
	// never shown but as the owner's link.
	LinkToken string
}

// OrgPick names the org an acceptance attaches (share link, labeling
// company, collaborator): one of the caller's orgs (OrgID), a new org the
// caller founds and owns, created in the acceptance's own transaction
// (NewOrgName), or neither (the caller's only org).
type OrgPick struct {
	OrgID      string
	NewOrgName string
}

// ProjectAccess is a collaborator's access to a workspace's projects.
type ProjectAccess struct {
	Mode       string   // "full" or "limited"
	ProjectIDs []string // for limited
}

// StatusAt is the invitation's status at time now (pending past its expiry
// is expired).
func (inv Invitation) StatusAt(now time.Time) InvitationStatus {
	if inv.Status == InvPending && !inv.ExpiresAt.IsZero() && !now.Before(inv.ExpiresAt) {
		return InvExpired
	}
	return inv.Status
}

// NewToken returns a fresh URL-safe token of 256 random bits and its hash;
// only the hash is ever stored.
func NewToken() (token, hash string) {
	b := make([]byte, TokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// WellFormedToken reports whether s could be a token (so junk is refused
// without a read).
func WellFormedToken(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(TokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// Email is an outgoing message.
type Email struct {
	ID      string // deduplicates redeliveries
	To      string
	Subject string
	Text    string
}

// Acceptance is everything one acceptance writes, in one transaction.
type Acceptance struct {
	Invitation Invitation // as read; its version is checked for single-use kinds
	AcceptedBy string
	At         time.Time
	Project    *Project // for partner items
	Partner    *Partner
	Members    []ProjectMember
	OrgMember  *OrgMembership
	WSMembers  []WorkspaceMember
	Collab     *Collaborator
	// NewManager replaces the manager of an existing partnership whose
	// manager left (version-checked).
	NewManager *Partner
	// NewOrg is the org the accepter founds to accept for (its owner
	// membership and default workspace with it), written in the same
	// transaction, each conditioned on not existing yet.
	NewOrg *NewOrg
	Audit  []AuditEntry
}

// WorkspaceMember is a user's role in a workspace.
type WorkspaceMember struct {
	WorkspaceID string
	UserID      string
	Email       string
	Name        string
	Role        WorkspaceRole
	OrgID       string
	External    bool
	Version     int
}

// Collaborator is an org attached to a workspace.
type Collaborator struct {
	WorkspaceID    string
	OrgID          string
	OrgName        string
	Types          []CollabType
	Access         ProjectAccess
	AutoInvite     bool
	AutoInviteRole WorkspaceRole
	AddedAt        time.Time
	// RemovingJob is set once removal has begun: the collaborator grants
	// nothing from then on.
	RemovingJob string
	// EndsAt time-boxes the collaboration (zero: open-ended), as
	// Partner.EndsAt: its removal begins by itself then.
	EndsAt    time.Time
	EndWarned bool
	EndSetBy  string // EndSetByHost (the owning org) or EndSetByPartner (the collaborator org)
	// PendingApproval: the collaborator org requires approving what it
	// accepts (Org.InboundApproval), and none of its owners or admins has
	// yet: the collaboration grants nothing and takes no work.
	PendingApproval bool
	AcceptedBy      string // who accepted the invitation for the org
	Version         int
}

// Live reports whether the collaboration grants what it says: not being
// removed, not waiting for its org's approval.
func (c Collaborator) Live() bool { return c.RemovingJob == "" && !c.PendingApproval }

// InvitationScope names one listing of invitations.
type InvitationScope struct {
	Kind string // "project", "workspace" or "org"
	ID   string
}

// Covers reports whether the access includes a project.
func (a ProjectAccess) Covers(projectID string) bool {
	return a.Mode == "full" || slices.Contains(a.ProjectIDs, projectID)
}
