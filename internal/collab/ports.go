package collab

import (
	"context"
	"time"
)

// Store is the persistence port. Every method that changes several records
// does so atomically; read-modify-write methods check the version they read.
type Store interface {
	// PutUser creates the user or refreshes its email and name.
	PutUser(ctx context.Context, u User) error
	// CreateOrg writes the org, its owner membership and its default
	// workspace in one transaction.
	CreateOrg(ctx context.Context, n NewOrg) error
	GetOrg(ctx context.Context, orgID string) (Org, error)
	GetOrgMembership(ctx context.Context, orgID, userID string) (OrgMembership, error)
	ListUserOrgs(ctx context.Context, userID string, p Page) ([]OrgMembership, string, error)
	ListOrgMembers(ctx context.Context, orgID string, p Page) ([]OrgMembership, string, error)
	GetOrgMemberships(ctx context.Context, orgID string, userIDs []string) (map[string]OrgMembership, error)
	AddOrgMember(ctx context.Context, m OrgMembership) error
	SetOrgMemberRole(ctx context.Context, m OrgMembership, role OrgRole, audit ...AuditEntry) error
	// RemoveOrgMember deletes the membership and the footprint given, in
	// one transaction.
	RemoveOrgMember(ctx context.Context, m OrgMembership, fp Footprint, audit ...AuditEntry) error
	// Footprint lists a user's project and workspace rows and their
	// memberships of the org's groups.
	Footprint(ctx context.Context, orgID, userID string) (Footprint, error)
	FindUserByEmail(ctx context.Context, email string) (User, error)

	CreateWorkspace(ctx context.Context, w Workspace) error
	GetWorkspace(ctx context.Context, wsID string) (Workspace, error)
	ListOrgWorkspaces(ctx context.Context, orgID string, p Page) ([]Workspace, string, error)
	LoadWorkspaceStanding(ctx context.Context, wsID, userID, targetOrg string) (WorkspaceStanding, error)

	CreateProject(ctx context.Context, p Project, owner ProjectMember) error
	LoadStanding(ctx context.Context, projectID, userID string) (Project, Standing, error)
	// LoadItemStanding reads the standing and one item in the same batch.
	LoadItemStanding(ctx context.Context, projectID, itemID, userID string) (Project, Standing, Item, error)
	RenameProject(ctx context.Context, p Project, name string) (Project, error)
	DeleteProject(ctx context.Context, p Project) (int, error)
	ListOrgProjects(ctx context.Context, orgID string, p Page) ([]OrgProject, string, error)
	ListUserProjects(ctx context.Context, userID string) ([]ProjectMember, error)

	GetProjectMember(ctx context.Context, projectID, userID string) (ProjectMember, error)
	GetProjectMembers(ctx context.Context, projectID string, userIDs []string) (map[string]ProjectMember, error)
	ListProjectMembers(ctx context.Context, projectID string, f MemberFilter, p Page) ([]ProjectMember, string, error)
	AddProjectMembers(ctx context.Context, projectID string, ms []ProjectMember, audit ...AuditEntry) error
	// SetProjectMemberRole and RemoveProjectMember also check that guard,
	// the row the caller's right rests on, is unchanged.
	SetProjectMemberRole(ctx context.Context, m ProjectMember, role Role, guard Basis, audit ...AuditEntry) (ProjectMember, error)
	RemoveProjectMember(ctx context.Context, m ProjectMember, guard Basis, audit ...AuditEntry) error

	GetPartner(ctx context.Context, projectID, orgID string) (Partner, error)
	ListPartners(ctx context.Context, projectID string) ([]Partner, error)
	AddPartner(ctx context.Context, project Project, p Partner, manager *ProjectMember) error

	CreateGroup(ctx context.Context, g Group) error
	GetGroup(ctx context.Context, orgID, groupID string) (Group, error)
	ListGroupMembers(ctx context.Context, groupID string) ([]GroupMember, error)
	ListGroupLinks(ctx context.Context, groupID string) ([]GroupLink, error)
	AddGroupMember(ctx context.Context, gm GroupMember, projects []ProjectMember, audit ...AuditEntry) error
	LinkGroup(ctx context.Context, l GroupLink, members []ProjectMember, audit ...AuditEntry) error

	GetUser(ctx context.Context, userID string) (User, error)
	// CreateInvitation stores an invitation and its token pointer; for a
	// share link it also points the project at it and revokes the previous
	// link, in the same transaction.
	CreateInvitation(ctx context.Context, inv Invitation, previous *Invitation, audit ...AuditEntry) error
	GetInvitation(ctx context.Context, id string) (Invitation, error)
	FindInvitationByToken(ctx context.Context, tokenHash string) (Invitation, error)
	GetShareLink(ctx context.Context, projectID string) (Invitation, error)
	ListInvitations(ctx context.Context, scope InvitationScope, p Page) ([]Invitation, string, error)
	// SetInvitationStatus moves a pending invitation (version-checked) to
	// revoked or declined and voids its token.
	SetInvitationStatus(ctx context.Context, inv Invitation, status InvitationStatus, audit ...AuditEntry) error
	// ReissueInvitation gives a pending invitation a new token (voiding the
	// old one), a new expiry and its resend log (version-checked).
	ReissueInvitation(ctx context.Context, old Invitation, newHash string, expires time.Time, resends []time.Time, audit ...AuditEntry) error
	AcceptInvitation(ctx context.Context, a Acceptance) error

	AppendAudit(ctx context.Context, e AuditEntry) error
	// ListAudit lists a scope's entries; with orgID only those about that org.
	ListAudit(ctx context.Context, scope, orgID string, p Page) ([]AuditEntry, string, error)

	ListCollaborators(ctx context.Context, wsID string) ([]Collaborator, error)
	// ListOrgCollaborations lists the workspaces an org collaborates in.
	ListOrgCollaborations(ctx context.Context, orgID string) ([]Collaborator, error)
	GetCollaborator(ctx context.Context, wsID, orgID string) (Collaborator, error)
	// PutCollaborator creates a collaborator (which must not exist).
	PutCollaborator(ctx context.Context, c Collaborator, audit ...AuditEntry) error
	// UpdateCollaborator saves a collaborator (version-checked) and deletes
	// the workspace memberships its new types no longer allow, in one
	// transaction.
	UpdateCollaborator(ctx context.Context, c Collaborator, version int, remove []WorkspaceMember, audit ...AuditEntry) error
	// MarkCollaboratorRemoving flags the collaborator and writes its removal job.
	MarkCollaboratorRemoving(ctx context.Context, c Collaborator, j Job, audit ...AuditEntry) error
	// PutWorkspaceMember sets one role; through (a collaborator) is
	// version-checked and bumped in the same transaction.
	PutWorkspaceMember(ctx context.Context, m WorkspaceMember, through *Collaborator, audit ...AuditEntry) error
	DeleteWorkspaceMember(ctx context.Context, m WorkspaceMember, audit ...AuditEntry) error
	DeleteCollaborator(ctx context.Context, wsID, orgID string) error

	GetWorkspaceMembers(ctx context.Context, wsID string, userIDs []string) (map[string]WorkspaceMember, error)
	ListWorkspaceMembers(ctx context.Context, wsID, orgID string) ([]WorkspaceMember, error)
	ListWorkspaceMembersPage(ctx context.Context, wsID, orgID string, p Page) ([]WorkspaceMember, string, error)
	PutWorkspaceMembers(ctx context.Context, ms []WorkspaceMember) error
	DeleteWorkspaceMembers(ctx context.Context, ms []WorkspaceMember) error
	ListWorkspaceProjects(ctx context.Context, wsID string, p Page) ([]Project, string, error)

	DeletePartner(ctx context.Context, p Partner, audit ...AuditEntry) error
	// RemoveOrgFromProject deletes every project membership of an org's
	// people on a project, and its partner item; it returns how many items
	// went.
	RemoveOrgFromProject(ctx context.Context, projectID, orgID string) (int, error)

	CreateItem(ctx context.Context, it Item) error
	GetItem(ctx context.Context, projectID, itemID string) (Item, error)
	// ListItems lists a project's items in one status, all of them or one
	// org's (the walled-off view), optionally only one assignee's.
	ListItems(ctx context.Context, projectID string, status ItemStatus, orgID, assigneeID string, p Page) ([]Item, string, error)
	// ListOrgItems lists one org's items in every non-final status.
	ListOrgItems(ctx context.Context, projectID, orgID string) ([]Item, error)
	ApplyItemChange(ctx context.Context, ch ItemChange) error
	ListHistory(ctx context.Context, itemID string, p Page) ([]ItemEvent, string, error)
	AddComment(ctx context.Context, c Comment) error
	ListComments(ctx context.Context, itemID string, p Page) ([]Comment, string, error)
	ReadAnalytics(ctx context.Context, projectID, userID, fromDay, toDay string) (Analytics, error)
	ListOutbox(ctx context.Context, olderThan time.Time, limit int) ([]OutboxMessage, error)
	DeleteOutbox(ctx context.Context, m OutboxMessage) error
	SetProjectSettings(ctx context.Context, p Project, audit ...AuditEntry) (Project, error)

	CreateJob(ctx context.Context, j Job, audit ...AuditEntry) error
	GetJob(ctx context.Context, id string) (Job, error)
	// SaveJob writes a job's progress if its version is still j.Version.
	SaveJob(ctx context.Context, j Job) error
}

// Mailer puts an email on its way (the mail queue).
type Mailer interface {
	Send(ctx context.Context, e Email) error
}

// Config is what the use cases need to know of their deployment.
type Config struct {
	PublicBaseURL string // invitation links: PublicBaseURL + "/invitations/" + token
}

// Clock tells the time.
type Clock interface{ Now() time.Time }

// IDs makes new opaque identifiers with a readable prefix.
type IDs interface{ New(prefix string) string }

// SystemClock is the real clock, in UTC.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC() }
