package collab

import (
	"fmt"
	"slices"
	"strings"
)

// The authorization core (docs/security.md). Every use case asks it; nothing else
// interprets a stored row or a limited grant:
//
//   - Project actions: Standing (the live facts about a user and a
//     project, read in one batch) resolves to an Effective role, side and
//     org, and Effective.Can answers an action from the permission matrix
//     narrowed by the action's external ceiling.
//   - Workspace actions: WorkspaceStanding resolves to a WorkspaceAccess,
//     and WorkspaceAccess.Permit answers from WorkspacePermissions.
//   - Org actions: OrgMembership.Permit answers from OrgPermissions.
//
// Standing is derived from live facts only: a row of someone who left the
// org, or of an org whose partnership ended, resolves to nothing, so a
// clean-up job cut off half way grants nothing either.

// Standing is everything that decides a user's rights on one project, as
// read now. Rows are nil when absent.
type Standing struct {
	ProjectID string
	HostOrgID string
	UserID    string
	// HostOrg is the user's membership of the host org.
	HostOrg *OrgMembership
	// WorkspaceRow is the user's role row in the project's workspace.
	WorkspaceRow *WorkspaceMember
	// Member is the user's project membership row.
	Member *ProjectMember
	// Partner is the partnership of the org an external Member acts for,
	// and MemberOrg the user's membership of that org.
	Partner   *Partner
	MemberOrg *OrgMembership
	// MemberCollab is the collaborator row of an external Member's org,
	// when that org takes part through the workspace (a collaborator's
	// annotators are project members of their own org).
	MemberCollab *Collaborator
	// Collab is the collaborator an external WorkspaceRow acts through, and
	// CollabOrg the user's membership of that org.
	Collab    *Collaborator
	CollabOrg *OrgMembership
}

// BasisKind names the kind of stored row a decision rests on.
type BasisKind string

// Basis kinds.
const (
	BasisOrgMember       BasisKind = "org_member"
	BasisWorkspaceMember BasisKind = "workspace_member"
	BasisProjectMember   BasisKind = "project_member"
)

// Basis names the row whose current version backs a decision (an org,
// workspace or project membership). A write that a decision allowed checks,
// in its own transaction, that the row is unchanged: two owners demoting
// each other at once cannot both succeed.
type Basis struct {
	Kind    BasisKind
	ScopeID string // the org, workspace or project
	UserID  string
	Version int
}

// Effective is a user's resolved role on a project.
type Effective struct {
	Role  Role
	Side  Side
	OrgID string // the org the user acts for on this project
	Basis Basis  // the row the role comes from
}

// None reports whether the user has no access at all.
func (e Effective) None() bool { return e.Role == "" }

func orgBasis(m *OrgMembership) Basis {
	return Basis{Kind: BasisOrgMember, ScopeID: m.OrgID, UserID: m.UserID, Version: m.Version}
}

func workspaceBasis(m *WorkspaceMember) Basis {
	return Basis{Kind: BasisWorkspaceMember, ScopeID: m.WorkspaceID, UserID: m.UserID, Version: m.Version}
}

func projectBasis(m *ProjectMember) Basis {
	return Basis{Kind: BasisProjectMember, ScopeID: m.ProjectID, UserID: m.UserID, Version: m.Version}
}

// collabLive reports whether the external workspace row still reaches this
// project: its collaborator exists, is not being removed, its access
// covers the project, and the user still belongs to it.
func (s Standing) collabLive() bool {
	w, c := s.WorkspaceRow, s.Collab
	return w != nil && w.External && c != nil && c.OrgID == w.OrgID && c.Live() &&
		c.Access.Covers(s.ProjectID) && s.CollabOrg != nil && s.CollabOrg.OrgID == c.OrgID
}

// partnerLive reports whether an external project row still counts: its
// org still partners the project (no stop under way, not waiting for the
// org's approval) and the user still belongs to that org.
func (s Standing) partnerLive() bool {
	m := s.Member
	return m != nil && m.Side == SideExternal && s.Partner != nil && s.Partner.OrgID == m.OrgID && s.Partner.StoppingJob == "" &&
		!s.Partner.PendingApproval && s.MemberOrg != nil && s.MemberOrg.OrgID == m.OrgID
}

// memberCollabLive reports whether an external project row counts through
// its org's workspace collaboration: live, covering the project, and the
// user still in that org.
func (s Standing) memberCollabLive() bool {
	m, c := s.Member, s.MemberCollab
	return m != nil && m.Side == SideExternal && c != nil && c.OrgID == m.OrgID && c.Live() &&
		c.Access.Covers(s.ProjectID) && s.MemberOrg != nil && s.MemberOrg.OrgID == m.OrgID
}

// Resolve computes the effective role from live facts: the highest of the
// project role and the workspace role, with host standing winning over
// external. Host standing needs a live membership of the host org (an
// individual invited to the project by email excepted); external standing
// needs a live partnership or collaborator access of an org the user
// belongs to now, and is capped to what that org's types allow.
func (s Standing) Resolve() Effective {
	var host, ext Effective
	raise := func(e *Effective, r Role, side Side, org string, b Basis) {
		if r.Rank() > e.Role.Rank() {
			*e = Effective{Role: r, Side: side, OrgID: org, Basis: b}
		}
	}
	if m := s.HostOrg; m != nil && m.Role.HasWorkforceAccess() {
		raise(&host, WSAdmin.ProjectRole(), SideHost, s.HostOrgID, orgBasis(m))
	}
	if w := s.WorkspaceRow; w != nil {
		switch {
		case !w.External && s.HostOrg != nil:
			raise(&host, w.Role.ProjectRole(), SideHost, s.HostOrgID, workspaceBasis(w))
		case s.collabLive():
			raise(&ext, capRole(w.Role.ProjectRole(), ExternalRoles(s.Collab.Types)), SideExternal, w.OrgID, workspaceBasis(w))
		}
	}
	if m := s.Member; m != nil {
		switch {
		case m.Side == SideHost && (s.HostOrg != nil || m.Individual):
			raise(&host, m.Role, SideHost, s.HostOrgID, projectBasis(m))
		case s.partnerLive():
			raise(&ext, capRole(m.Role, ExternalRoles(s.Partner.Types)), SideExternal, m.OrgID, projectBasis(m))
		case s.memberCollabLive():
			raise(&ext, capRole(m.Role, ExternalRoles(s.MemberCollab.Types)), SideExternal, m.OrgID, projectBasis(m))
		}
	}
	if !host.None() {
		return host
	}
	return ext
}

// --- workspace rights ---------------------------------------------------------

// WorkspaceAction is something done at the level of a workspace.
type WorkspaceAction string

// Workspace actions.
const (
	WsProjectsCreate      WorkspaceAction = "workspace.projects.create"
	WsCollaboratorsView   WorkspaceAction = "collaborators.view"
	WsCollaboratorsInvite WorkspaceAction = "collaborators.invite"
	WsCollaboratorsEdit   WorkspaceAction = "collaborators.edit"
	WsCollaboratorsUsers  WorkspaceAction = "collaborators.add_users"
	WsCollaboratorsRemove WorkspaceAction = "collaborators.remove"
	WsMembersManage       WorkspaceAction = "workspace.members.manage"
	WsAuditView           WorkspaceAction = "workspace.audit.view"
	WsJobsView            WorkspaceAction = "jobs.view"
	WsMembersView         WorkspaceAction = "workspace.members.view"
	WsRename              WorkspaceAction = "workspace.rename"
	WsDelete              WorkspaceAction = "workspace.delete"
)

// Workspace grant limits.
const (
	// WorkforceOrgs: only collaborator orgs the caller has workforce
	// access to (owner or admin of).
	WorkforceOrgs Grant = "workforce_orgs"
	// AnnotationPartners: only collaborators of type annotation_partner.
	AnnotationPartners Grant = "annotation_partners"
)

// WorkspacePermissionRow is one workspace action with its grant per
// workspace role of the owning org and for a collaborator org's people.
type WorkspacePermissionRow struct {
	Action      WorkspaceAction
	Description string
	// Grants for the owning org's admin, developer, project_manager and
	// annotation_manager, then for a collaborator org's people (whatever
	// their workspace role; own_org there also needs workforce access to
	// their own org for changes).
	Grants [5]Grant
}

// WorkspaceColumns names the columns of WorkspacePermissions.
var WorkspaceColumns = [5]string{"admin", "developer", "project_manager", "annotation_manager", "collaborator org"}

// WorkspacePermissions is the one table of workspace-level rights: project
// creation, collaborator management, workspace roles, jobs and the audit
// log (docs/permissions.md; docs/security.md, invariants 3 and 8).
var WorkspacePermissions = []WorkspacePermissionRow{
	{WsProjectsCreate, "create projects in the workspace", [5]Grant{Allow, Allow, Allow, Deny, Deny}},
	{WsCollaboratorsView, "list collaborators", [5]Grant{Allow, WorkforceOrgs, WorkforceOrgs, Deny, OwnOrg}},
	{WsCollaboratorsInvite, "invite or add a collaborator org", [5]Grant{Allow, Allow, AnnotationPartners, Deny, Deny}},
	{WsCollaboratorsEdit, "change a collaborator's types, project access, auto invite", [5]Grant{Allow, WorkforceOrgs, WorkforceOrgs, Deny, Deny}},
	{WsCollaboratorsUsers, "give every user of a collaborator org a workspace role", [5]Grant{WorkforceOrgs, WorkforceOrgs, WorkforceOrgs, Deny, OwnOrg}},
	{WsCollaboratorsRemove, "end a collaboration", [5]Grant{Allow, WorkforceOrgs, WorkforceOrgs, Deny, OwnOrg}},
	{WsMembersManage, "read, set and remove others' workspace roles", [5]Grant{Allow, Deny, Deny, Deny, Deny}},
	{WsAuditView, "read the workspace audit log", [5]Grant{Allow, Allow, Deny, Deny, OwnOrg}},
	{WsJobsView, "read the workspace's background jobs (their starter always may)", [5]Grant{Allow, Deny, Deny, Deny, Deny}},
	{WsMembersView, "list the workspace's members (a collaborator org's people: their own org's)", [5]Grant{Allow, Deny, Deny, Deny, OwnOrg}},
	{WsRename, "rename the workspace", [5]Grant{Allow, Deny, Deny, Deny, Deny}},
	{WsDelete, "delete the workspace (not the default one; refused while it holds projects or collaborators)", [5]Grant{Allow, Deny, Deny, Deny, Deny}},
}

// WorkspaceStanding is the live facts about a user and a workspace. Rows
// are nil when absent.
type WorkspaceStanding struct {
	Workspace Workspace
	UserID    string
	// OwnerOrg is the user's membership of the owning org.
	OwnerOrg *OrgMembership
	// Row is the user's workspace role row.
	Row *WorkspaceMember
	// Collabs holds the collaborators read with the user's membership of
	// each (the org the request names, and the org of an external Row).
	Collabs map[string]CollabStanding
}

// CollabStanding is one collaborator and the user's membership of its org.
type CollabStanding struct {
	Collaborator *Collaborator
	Member       *OrgMembership
}

// live reports whether the collaborator exists, is live (not being
// removed, not waiting for its org's approval) and the user belongs to its
// org.
func (c CollabStanding) live() bool {
	return c.Collaborator != nil && c.Collaborator.Live() && c.Member != nil
}

// WorkspaceAccess is a user's resolved standing in a workspace.
type WorkspaceAccess struct {
	Workspace Workspace
	Side      Side
	// Role is the workspace role (owners and admins of the owning org act
	// as admin); empty for a collaborator org's owner or admin without one.
	Role WorkspaceRole
	// OrgID is the org the user acts for: the owning org, or their
	// collaborator org; OrgRole their role in it.
	OrgID   string
	OrgRole OrgRole
	Basis   Basis
	// workforce lists the orgs, among those read, the user has workforce
	// access to.
	workforce map[string]bool
}

// None reports whether the user has no standing in the workspace.
func (a WorkspaceAccess) None() bool { return a.OrgID == "" }

// Resolve computes the workspace access from live facts: the owning org's
// side needs a live membership of the owning org; a collaborator's side a
// live collaborator of an org the user belongs to (through their workspace
// row, or as that org's owner or admin when the request names it).
func (s WorkspaceStanding) Resolve(target string) WorkspaceAccess {
	wf := map[string]bool{}
	for org, cs := range s.Collabs {
		if cs.Member != nil && cs.Member.Role.HasWorkforceAccess() {
			wf[org] = true
		}
	}
	if m := s.OwnerOrg; m != nil {
		a := WorkspaceAccess{Workspace: s.Workspace, Side: SideHost, OrgID: m.OrgID, OrgRole: m.Role, workforce: wf}
		switch {
		case m.Role.HasWorkforceAccess():
			a.Role, a.Basis = WSAdmin, orgBasis(m)
			wf[m.OrgID] = true
		case s.Row != nil && !s.Row.External:
			a.Role, a.Basis = s.Row.Role, workspaceBasis(s.Row)
		default:
			// A plain member of the owning org: they know the workspace
			// (their org lists it) but hold no workspace right.
			a.Basis = orgBasis(m)
		}
		return a
	}
	if r := s.Row; r != nil && r.External {
		if cs := s.Collabs[r.OrgID]; cs.live() && slices.Contains(AllowedWorkspaceRoles(cs.Collaborator.Types), r.Role) {
			return WorkspaceAccess{Workspace: s.Workspace, Side: SideExternal, Role: r.Role, OrgID: r.OrgID,
				OrgRole: cs.Member.Role, Basis: workspaceBasis(r), workforce: wf}
		}
	}
	if cs := s.Collabs[target]; target != "" && cs.live() && cs.Member.Role.HasWorkforceAccess() {
		return WorkspaceAccess{Workspace: s.Workspace, Side: SideExternal, OrgID: target, OrgRole: cs.Member.Role,
			Basis: orgBasis(cs.Member), workforce: wf}
	}
	return WorkspaceAccess{}
}

var workspacePermissionIndex = func() map[WorkspaceAction]WorkspacePermissionRow {
	m := make(map[WorkspaceAction]WorkspacePermissionRow, len(WorkspacePermissions))
	for _, p := range WorkspacePermissions {
		m[p.Action] = p
	}
	return m
}()

// Can is the table's grant for the access.
func (a WorkspaceAccess) Can(act WorkspaceAction) Grant {
	row, ok := workspacePermissionIndex[act]
	if !ok || a.None() {
		return Deny
	}
	if a.Side == SideExternal {
		return row.Grants[4]
	}
	switch a.Role {
	case WSAdmin:
		return row.Grants[0]
	case WSDeveloper:
		return row.Grants[1]
	case WSProjectManager:
		return row.Grants[2]
	case WSAnnotationManager:
		return row.Grants[3]
	}
	return Deny
}

// Workforce reports whether the user has workforce access to org (among
// the orgs read for this request).
func (a WorkspaceAccess) Workforce(org string) bool { return a.workforce[org] }

// Permit answers a workspace action on one collaborator org (targetOrg,
// empty when the action names none) with the collaboration types in play
// (nil when none). A target outside the caller's limit is not found, so
// nothing is revealed about it.
func (a WorkspaceAccess) Permit(act WorkspaceAction, targetOrg string, types []CollabType) error {
	g := a.Can(act)
	switch g {
	case Allow:
		return nil
	case Deny:
		return Errorf(CodeForbidden, "your workspace role may not do this (%s)", act)
	case WorkforceOrgs:
		if targetOrg == "" || a.Workforce(targetOrg) {
			return nil
		}
	case AnnotationPartners:
		if len(types) > 0 && !slices.ContainsFunc(types, func(t CollabType) bool { return t != CollabAnnotationPartner }) {
			return nil
		}
		return Errorf(CodeForbidden, "a project manager manages only annotation partners")
	case OwnOrg:
		if targetOrg == a.OrgID && (act == WsCollaboratorsView || act == WsAuditView || a.OrgRole.HasWorkforceAccess()) {
			return nil
		}
		if targetOrg == a.OrgID {
			return Errorf(CodeForbidden, "only your org's owners and admins do this")
		}
	}
	return Errorf(CodeNotFound, "collaborator %q not found", targetOrg)
}

// --- org rights -------------------------------------------------------------------

// OrgAction is something done in an organization.
type OrgAction string

// Org actions.
const (
	OrgView             OrgAction = "org.view"
	OrgMembersManage    OrgAction = "org.members.manage"
	OrgInvite           OrgAction = "org.members.invite"
	OrgGroupsManage     OrgAction = "org.groups.manage"
	OrgWorkspacesCreate OrgAction = "org.workspaces.create"
	OrgRename           OrgAction = "org.rename"
	OrgInboundManage    OrgAction = "org.inbound.manage"
	OrgWebhooksManage   OrgAction = "org.webhooks.manage"
	OrgDelete           OrgAction = "org.delete"
)

// OrgPermissionRow is one org action with its grant per org role.
type OrgPermissionRow struct {
	Action      OrgAction
	Description string
	Grants      [3]Grant // owner, admin, member
}

// OrgPermissions is the one table of org-level rights. Only an owner
// grants, changes or removes the owner role; the org keeps an owner.
var OrgPermissions = []OrgPermissionRow{
	{OrgView, "see the org, its members, workspaces and projects", [3]Grant{Allow, Allow, Allow}},
	{OrgMembersManage, "change roles, remove members", [3]Grant{Allow, Allow, Deny}},
	{OrgInvite, "invite people to join the org", [3]Grant{Allow, Allow, Deny}},
	{OrgGroupsManage, "create, rename and delete groups, add and remove their members", [3]Grant{Allow, Allow, Deny}},
	{OrgWorkspacesCreate, "create workspaces", [3]Grant{Allow, Allow, Deny}},
	{OrgRename, "rename the org", [3]Grant{Allow, Allow, Deny}},
	{OrgInboundManage, "set whether accepted partnerships wait for approval, approve or reject them", [3]Grant{Allow, Allow, Deny}},
	{OrgWebhooksManage, "register, list and delete the org's webhooks and read their deliveries", [3]Grant{Allow, Allow, Deny}},
	{OrgDelete, "delete the org (refused while it holds projects, partnerships or collaborations)", [3]Grant{Allow, Deny, Deny}},
}

// Permit answers an org action for a member.
func (m OrgMembership) Permit(act OrgAction) error {
	i := map[OrgRole]int{OrgOwner: 0, OrgAdmin: 1, OrgMember: 2}[m.Role]
	for _, row := range OrgPermissions {
		if row.Action == act {
			if m.Role.Valid() && row.Grants[i] == Allow {
				return nil
			}
			break
		}
	}
	return Errorf(CodeForbidden, "only the org's owners and admins may do this")
}

// AuthorizationMarkdown renders the workspace and org tables for
// docs/permissions.md.
func AuthorizationMarkdown() string {
	var b strings.Builder
	b.WriteString("\n## Workspace rights\n\n")
	b.WriteString("The owning org's people act by their workspace role (the org's owners and admins are `admin`); a collaborator org's people (and that org's owners and admins) by the last column. `workforce_orgs`: only collaborator orgs the caller owns or administers; `annotation_partners`: only collaborators of that type; `own_org`: only the caller's own collaborator org, and for changes only its owners and admins.\n\n")
	b.WriteString("| action | meaning |")
	for _, c := range WorkspaceColumns {
		fmt.Fprintf(&b, " %s |", c)
	}
	b.WriteString("\n| --- | --- |" + strings.Repeat(" --- |", len(WorkspaceColumns)) + "\n")
	for _, p := range WorkspacePermissions {
		fmt.Fprintf(&b, "| %s | %s |", p.Action, p.Description)
		for _, g := range p.Grants {
			fmt.Fprintf(&b, " %s |", g)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Org rights\n\n| action | meaning | owner | admin | member |\n| --- | --- | --- | --- | --- |\n")
	for _, p := range OrgPermissions {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", p.Action, p.Description, p.Grants[0], p.Grants[1], p.Grants[2])
	}
	return b.String()
}
