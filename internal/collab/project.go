package collab

import "time"

// Project belongs to a workspace; its host org is the workspace's owner.
type Project struct {
	ID          string
	WorkspaceID string
	HostOrgID   string
	Name        string
	CreatedBy   string
	CreatedAt   time.Time
	// HostMayBypassCollaboratorReview lets host reviewers approve at the
	// collaborator stage (default off).
	HostMayBypassCollaboratorReview bool
	Version                         int
}

// ProjectMember is a user's membership of a project.
type ProjectMember struct {
	ProjectID string
	UserID    string
	Email     string
	Name      string
	Role      Role
	OrgID     string // the org the member acts for
	Side      Side
	AddedBy   string
	AddedAt   time.Time
	GroupIDs  []string // groups that brought the member in
	// Individual marks a host-side member invited to the project by email
	// who is not a member of the host org (a freelancer): the row counts
	// without a host-org membership.
	Individual bool
	Version    int
}

// PartnerKind says how an org came to partner a project.
type PartnerKind string

// Partner kinds.
const (
	PartnerShareLink       PartnerKind = "share_link"
	PartnerLabelingCompany PartnerKind = "labeling_company"
	PartnerCollaborator    PartnerKind = "collaborator"
)

// Partner is an org attached to a project from outside.
type Partner struct {
	ProjectID string
	OrgID     string
	OrgName   string
	Kind      PartnerKind
	Types     []CollabType
	ManagerID string // the first annotation_manager
	HostOrgID string
	AddedAt   time.Time
	// StoppingJob is set once the collaboration's stop has begun: the
	// partnership grants nothing more, and the job ends it.
	StoppingJob string
	// EndsAt time-boxes the partnership: at that time its stop begins by
	// itself (zero: open-ended). EndWarned says both sides were told it
	// draws near.
	EndsAt    time.Time
	EndWarned bool
	EndSetBy  string // EndSetByHost or EndSetByPartner
	// PendingApproval: the org requires approving the partnerships it
	// accepts (Org.InboundApproval), and none of its owners or admins has
	// yet: the partnership grants nothing and takes no work.
	PendingApproval bool
	// EndingSince is set once the partnership is ending
	// (DELETE …?inFlight=finish): it takes no new work or people, its items
	// already at the collaborator stage finish their review, and its stop
	// begins when none is left (docs/guarded-stop.md).
	EndingSince time.Time
	Version     int
}

// Ending reports whether the partnership is ending: still live for the
// review of its items already at the collaborator stage, taking nothing new.
func (p Partner) Ending() bool { return !p.EndingSince.IsZero() }

// OrgProject is a project in an org's list: its own, or shared with it.
type OrgProject struct {
	ID          string
	Name        string
	WorkspaceID string
	HostOrgID   string
	Shared      bool
	// PartnerCount (the host's own projects) counts the orgs taking part
	// from outside: partners and covering workspace collaborators.
	PartnerCount int
	// HostOrgName (projects shared with the org) names the host.
	HostOrgName string
}

// Group is a named set of an org's users.
type Group struct {
	ID        string
	OrgID     string
	Name      string
	CreatedAt time.Time
	// Deleting is set once a deletion too large for one transaction has
	// begun: the group takes no new members or links, and repeating the
	// delete finishes it.
	Deleting bool
	Version  int
}

// GroupLink attaches a group to a project with the role its users get.
type GroupLink struct {
	GroupID   string
	ProjectID string
	Role      Role
	OrgID     string
	Side      Side
}

// GroupMember is a user in a group.
type GroupMember struct {
	GroupID string
	UserID  string
	Email   string
	Name    string
	OrgID   string // the group's org, where known
}

// Footprint is what a user holds that may have come through one org: the
// rows removing them from that org deletes.
type Footprint struct {
	Projects   []ProjectMember
	Workspaces []WorkspaceMember
	Groups     []GroupMember
}

// MemberFilter narrows a project member listing.
type MemberFilter struct {
	Query string // matched against name and email, case-insensitive
	Role  Role
	OrgID string // only this org's members (the walled-off view)
}
