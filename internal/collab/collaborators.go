package collab

import (
	"context"
	"slices"
	"time"
)

// AuditEntry records one change: who, for which org, what, before, after.
type AuditEntry struct {
	Scope  string // "WS#{id}" or "PROJ#{id}"
	At     time.Time
	ID     string
	Actor  string
	OrgID  string
	What   string
	Before any
	After  any
}

// WorkspaceScope names a workspace's audit log.
func WorkspaceScope(wsID string) string { return "WS#" + wsID }

// ProjectScope names a project's audit log.
func ProjectScope(projectID string) string { return "PROJ#" + projectID }

func (s *Service) audit(ctx context.Context, scope, actor, org, what string, before, after any) error {
	return s.store.AppendAudit(ctx, AuditEntry{Scope: scope, At: s.clock.Now(), ID: s.ids.New("aud"), Actor: actor, OrgID: org,
		What: what, Before: before, After: after})
}

// workspaceAccess loads and resolves the caller's standing in a workspace,
// reading the named collaborator org too (targetOrg, may be empty). A
// caller without standing gets not found: the workspace is not revealed.
func (s *Service) workspaceAccess(ctx context.Context, c Caller, wsID, targetOrg string) (WorkspaceAccess, error) {
	st, err := s.store.LoadWorkspaceStanding(ctx, wsID, c.UserID, targetOrg)
	if err != nil {
		return WorkspaceAccess{}, err
	}
	a := st.Resolve(targetOrg)
	if a.None() {
		return WorkspaceAccess{}, Errorf(CodeNotFound, "workspace %q not found", wsID)
	}
	return a, nil
}

func validTypes(types []CollabType, v *Validation) {
	if len(types) == 0 {
		v.Add("types", "name at least one collaboration type")
	}
	for _, t := range types {
		if _, ok := CollabTypeRoles[t]; !ok || t == CollabOwner {
			v.Add("types", "%q is not an assignable collaboration type", t)
		}
	}
}

// hasWorkforce reports whether the caller is owner or admin of org.
func (s *Service) hasWorkforce(ctx context.Context, c Caller, orgID string) (bool, error) {
	m, err := s.store.GetOrgMembership(ctx, orgID, c.UserID)
	if IsCode(err, CodeNotFound) {
		return false, nil
	}
	return err == nil && m.Role.HasWorkforceAccess(), err
}

// entry builds an audit entry of a change made by the caller.
func (s *Service) entry(scope string, c Caller, org, what string, before, after any) AuditEntry {
	return AuditEntry{Scope: scope, At: s.clock.Now(), ID: s.ids.New("aud"), Actor: c.UserID, OrgID: org, What: what, Before: before, After: after}
}

// ListCollaborators lists a workspace's collaborators, as far as the
// caller's grant reaches: all of them to a workspace admin, the orgs they
// administer to the owning org's developers and project managers, its own
// row to a collaborator org.
func (s *Service) ListCollaborators(ctx context.Context, c Caller, wsID string) ([]Collaborator, error) {
	a, err := s.workspaceAccess(ctx, c, wsID, "")
	if err != nil {
		return nil, err
	}
	g := a.Can(WsCollaboratorsView)
	if g == Deny {
		return nil, a.Permit(WsCollaboratorsView, "", nil)
	}
	all, err := s.store.ListCollaborators(ctx, wsID)
	if err != nil || g == Allow {
		return all, err
	}
	var out []Collaborator
	for _, col := range all {
		ok := g == OwnOrg && col.OrgID == a.OrgID
		if g == WorkforceOrgs {
			if ok, err = s.hasWorkforce(ctx, c, col.OrgID); err != nil {
				return nil, err
			}
		}
		if ok {
			out = append(out, col)
		}
	}
	return out, nil
}

// checkAccess validates a project access and applies the delegation rule:
// a user grants access only to projects their own org can access.
func (s *Service) checkAccess(ctx context.Context, a WorkspaceAccess, c Caller, access ProjectAccess, field string) (ProjectAccess, error) {
	switch access.Mode {
	case "", "full":
		return ProjectAccess{Mode: "full"}, nil
	case "limited":
	default:
		return access, invalid(field+".mode", "must be full or limited")
	}
	if len(access.ProjectIDs) == 0 {
		return access, invalid(field+".projectIds", "name the projects of a limited access")
	}
	access.ProjectIDs = slices.Compact(slices.Sorted(slices.Values(access.ProjectIDs)))
	for _, pid := range access.ProjectIDs {
		p, st, err := s.store.LoadStanding(ctx, pid, c.UserID)
		if IsCode(err, CodeNotFound) || (err == nil && p.WorkspaceID != a.Workspace.ID) {
			return access, invalid(field+".projectIds", "%q is not a project of this workspace", pid)
		}
		if err != nil {
			return access, err
		}
		if e := st.Resolve(); a.Role != WSAdmin && (e.None() || e.Side != SideHost) {
			return access, Errorf(CodeForbidden, "you may grant access only to projects your org can access")
		}
	}
	return access, nil
}

// collaboratorIn reads the caller's workspace access (with the named
// collaborator org) and that collaborator; one the caller may not see is
// not found.
func (s *Service) collaboratorIn(ctx context.Context, c Caller, wsID, orgID string, act WorkspaceAction) (WorkspaceAccess, Collaborator, error) {
	a, err := s.workspaceAccess(ctx, c, wsID, orgID)
	if err != nil {
		return WorkspaceAccess{}, Collaborator{}, err
	}
	if err := a.Permit(act, orgID, nil); err != nil {
		return WorkspaceAccess{}, Collaborator{}, err
	}
	col, err := s.store.GetCollaborator(ctx, wsID, orgID)
	return a, col, err
}

// AddCollaboratorOrg attaches, at once, an org the caller has workforce
// access to (collaborators.invite: the owning org's people).
func (s *Service) AddCollaboratorOrg(ctx context.Context, c Caller, wsID, orgID string, types []CollabType, access ProjectAccess) (Collaborator, error) {
	var v Validation
	validTypes(types, &v)
	if err := v.Err(); err != nil {
		return Collaborator{}, err
	}
	a, err := s.workspaceAccess(ctx, c, wsID, orgID)
	if err != nil {
		return Collaborator{}, err
	}
	if err := a.Permit(WsCollaboratorsInvite, "", types); err != nil {
		return Collaborator{}, err
	}
	if orgID == a.Workspace.OrgID {
		return Collaborator{}, invalid("orgId", "the owning org is not a collaborator of its own workspace")
	}
	if !a.Workforce(orgID) {
		return Collaborator{}, Errorf(CodeForbidden, "you may add at once only an org you own or administer; invite others by email")
	}
	if access, err = s.checkAccess(ctx, a, c, access, "projectAccess"); err != nil {
		return Collaborator{}, err
	}
	org, err := s.store.GetOrg(ctx, orgID)
	if err != nil {
		return Collaborator{}, err
	}
	col := Collaborator{WorkspaceID: wsID, OrgID: orgID, OrgName: org.Name, Types: types, Access: access, AddedAt: s.clock.Now(), Version: 1}
	return col, s.store.PutCollaborator(ctx, col, s.entry(WorkspaceScope(wsID), c, orgID, "collaborator.added", nil, col))
}

// CollaboratorPatch changes a collaborator; nil fields stay.
type CollaboratorPatch struct {
	Types          []CollabType
	Access         *ProjectAccess
	AutoInvite     *bool
	AutoInviteRole *WorkspaceRole
	DryRun         bool
}

// RemovedRole is a workspace role a type change takes away.
type RemovedRole struct {
	UserID string
	Email  string
	Role   WorkspaceRole
}

// UpdateCollaborator edits types (removing every workspace role the new
// types no longer allow, reported in the answer; a dry run reports the same
// and changes nothing), project access and auto invite. Only the owning
// org's people edit a collaborator (SPEC §11.3): a collaborator never
// widens its own types or access.
func (s *Service) UpdateCollaborator(ctx context.Context, c Caller, wsID, orgID string, p CollaboratorPatch) (Collaborator, []RemovedRole, error) {
	var v Validation
	if p.Types != nil {
		validTypes(p.Types, &v)
	}
	if err := v.Err(); err != nil {
		return Collaborator{}, nil, err
	}
	a, col, err := s.collaboratorIn(ctx, c, wsID, orgID, WsCollaboratorsEdit)
	if err != nil {
		return Collaborator{}, nil, err
	}
	if err := a.Permit(WsCollaboratorsInvite, "", col.Types); err != nil {
		return Collaborator{}, nil, err
	}
	before := col
	next := col
	if p.Types != nil {
		if err := a.Permit(WsCollaboratorsInvite, "", p.Types); err != nil {
			return Collaborator{}, nil, err
		}
		next.Types = p.Types
	}
	if p.Access != nil {
		if next.Access, err = s.checkAccess(ctx, a, c, *p.Access, "projectAccess"); err != nil {
			return Collaborator{}, nil, err
		}
	}
	if p.AutoInvite != nil {
		next.AutoInvite = *p.AutoInvite
	}
	if p.AutoInviteRole != nil {
		next.AutoInviteRole = *p.AutoInviteRole
	}
	allowed := AllowedWorkspaceRoles(next.Types)
	if next.AutoInvite {
		if next.AutoInviteRole == "" {
			next.AutoInviteRole = allowed[len(allowed)-1]
		}
		if !slices.Contains(allowed, next.AutoInviteRole) {
			return Collaborator{}, nil, invalid("autoInviteRole", "must be one of the roles the types allow")
		}
	} else if p.AutoInviteRole != nil && !slices.Contains(allowed, *p.AutoInviteRole) {
		return Collaborator{}, nil, invalid("autoInviteRole", "must be one of the roles the types allow")
	}
	members, err := s.store.ListWorkspaceMembers(ctx, wsID, orgID)
	if err != nil {
		return Collaborator{}, nil, err
	}
	var removed []RemovedRole
	var gone []WorkspaceMember
	for _, m := range members {
		if !slices.Contains(allowed, m.Role) {
			removed = append(removed, RemovedRole{UserID: m.UserID, Email: m.Email, Role: m.Role})
			gone = append(gone, m)
		}
	}
	if p.DryRun {
		return next, removed, nil
	}
	if err := s.store.UpdateCollaborator(ctx, next, col.Version, gone, s.entry(WorkspaceScope(wsID), c, orgID, "collaborator.updated", before,
		map[string]any{"collaborator": next, "removedRoles": removed})); err != nil {
		return Collaborator{}, nil, err
	}
	next.Version++
	return next, removed, nil
}

// StartAddAllUsers queues a job giving every member of a collaborator org a
// workspace role (needs workforce access to that org).
func (s *Service) StartAddAllUsers(ctx context.Context, c Caller, wsID, orgID string, role WorkspaceRole) (Job, error) {
	a, col, err := s.collaboratorIn(ctx, c, wsID, orgID, WsCollaboratorsUsers)
	if err != nil {
		return Job{}, err
	}
	if !a.Workforce(orgID) {
		return Job{}, Errorf(CodeForbidden, "adding all users needs workforce access to the collaborator org")
	}
	if col.RemovingJob != "" {
		return Job{}, Errorf(CodeConflict, "the collaborator is being removed")
	}
	allowed := AllowedWorkspaceRoles(col.Types)
	if role == "" {
		role = allowed[len(allowed)-1]
	}
	if !slices.Contains(allowed, role) {
		return Job{}, invalid("role", "must be one of the roles the collaborator's types allow")
	}
	now := s.clock.Now()
	j := Job{ID: s.ids.New("job"), Kind: JobAddAllUsers, Status: JobQueued, WorkspaceID: wsID, OrgID: orgID, Role: role,
		CreatedBy: c.UserID, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.store.CreateJob(ctx, j, s.entry(WorkspaceScope(wsID), c, orgID, "collaborator.add_all_users", nil,
		map[string]any{"jobId": j.ID, "role": role})); err != nil {
		return Job{}, err
	}
	return s.enqueueJob(ctx, j)
}

// StartRemoveCollaborator ends an org's collaboration in a workspace: its
// access stops at once (the collaborator is marked removing), and a job
// removes every workspace and project membership of the org's people there.
// The owning org's admins end any; a collaborator org's owners and admins
// end their own.
func (s *Service) StartRemoveCollaborator(ctx context.Context, c Caller, wsID, orgID string) (Job, error) {
	_, col, err := s.collaboratorIn(ctx, c, wsID, orgID, WsCollaboratorsRemove)
	if err != nil {
		return Job{}, err
	}
	now := s.clock.Now()
	j := Job{ID: s.ids.New("job"), Kind: JobRemoveCollaborator, Status: JobQueued, WorkspaceID: wsID, OrgID: orgID,
		CreatedBy: c.UserID, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.store.MarkCollaboratorRemoving(ctx, col, j, s.entry(WorkspaceScope(wsID), c, orgID, "collaborator.removed", col,
		map[string]any{"jobId": j.ID})); err != nil {
		return Job{}, err
	}
	return s.enqueueJob(ctx, j)
}

// addAllChunk adds one page of the org's members to the workspace.
func (s *Service) addAllChunk(ctx context.Context, j *Job) (bool, error) {
	page, next, err := s.store.ListOrgMembers(ctx, j.OrgID, Page{Limit: JobChunk, Cursor: j.Cursor})
	if err != nil {
		return false, err
	}
	ids := make([]string, len(page))
	for i, m := range page {
		ids[i] = m.UserID
	}
	existing, err := s.store.GetWorkspaceMembers(ctx, j.WorkspaceID, ids)
	if err != nil {
		return false, err
	}
	var add []WorkspaceMember
	for _, m := range page {
		if _, ok := existing[m.UserID]; ok {
			continue
		}
		add = append(add, WorkspaceMember{WorkspaceID: j.WorkspaceID, UserID: m.UserID, Email: m.Email, Name: m.Name,
			Role: j.Role, OrgID: j.OrgID, External: true, Version: 1})
	}
	if err := s.store.PutWorkspaceMembers(ctx, add); err != nil {
		return false, err
	}
	j.Done += len(page)
	j.Total = max(j.Total, j.Done)
	j.Written += len(add)
	j.Cursor = next
	return next == "", nil
}

// removeCollabChunk removes one page: first the org's workspace members,
// then, project by project, the org's project members and partner item,
// and last the collaborator itself.
func (s *Service) removeCollabChunk(ctx context.Context, j *Job) (bool, error) {
	switch j.Phase {
	case jobPhaseFirst:
		page, next, err := s.store.ListWorkspaceMembersPage(ctx, j.WorkspaceID, j.OrgID, Page{Limit: JobChunk, Cursor: j.Cursor})
		if err != nil {
			return false, err
		}
		if err := s.store.DeleteWorkspaceMembers(ctx, page); err != nil {
			return false, err
		}
		j.Done += len(page)
		j.Total = max(j.Total, j.Done)
		j.Written += len(page)
		j.Cursor = next
		if next == "" {
			j.Phase, j.Cursor = "projects", ""
		}
		return false, nil
	case "projects":
		projects, next, err := s.store.ListWorkspaceProjects(ctx, j.WorkspaceID, Page{Limit: 10, Cursor: j.Cursor})
		if err != nil {
			return false, err
		}
		for _, p := range projects {
			n, err := s.store.RemoveOrgFromProject(ctx, p.ID, j.OrgID)
			if err != nil {
				return false, err
			}
			j.Done += n
			j.Total = max(j.Total, j.Done)
			j.Written += n
			if err := s.returnItemsToHost(ctx, p.ID, j.OrgID); err != nil {
				return false, err
			}
		}
		j.Cursor = next
		if next == "" {
			j.Phase, j.Cursor = "collaborator", ""
		}
		return false, nil
	default:
		if err := s.store.DeleteCollaborator(ctx, j.WorkspaceID, j.OrgID); err != nil {
			return false, err
		}
		j.Written++
		return true, nil
	}
}

// returnItemsToHost hands a leaving org's in-flight items back to the
// host: each goes back to new, unassigned, owned by the host org; a pending
// handoff is dropped (its message then finds the item moved on).
func (s *Service) returnItemsToHost(ctx context.Context, projectID, orgID string) error {
	items, err := s.store.ListOrgItems(ctx, projectID, orgID)
	if err != nil || len(items) == 0 {
		return err
	}
	p, _, err := s.store.LoadStanding(ctx, projectID, "")
	if err != nil {
		return err
	}
	now := s.clock.Now()
	for _, it := range items {
		after := it
		after.Status, after.AssigneeID, after.OrgID, after.PendingHandoff, after.StatusSince = StNew, "", p.HostOrgID, "", now
		ch := ItemChange{Before: it, After: after, Event: &ItemEvent{ItemID: it.ID, ID: s.ids.New("ev"), From: it.Status, To: StNew,
			OrgID: orgID, At: now, Comment: "returned to the host: the partner stopped collaborating"}}
		if err := s.store.ApplyItemChange(ctx, ch); err != nil && !IsCode(err, CodeConflict) {
			return err
		}
	}
	return nil
}

// GetWorkspaceMember reads one workspace member (the owning org's
// workspace admins, and the member themselves).
func (s *Service) GetWorkspaceMember(ctx context.Context, c Caller, wsID, userID string) (WorkspaceMember, error) {
	a, err := s.workspaceAccess(ctx, c, wsID, "")
	if err != nil {
		return WorkspaceMember{}, err
	}
	if userID != c.UserID {
		if err := a.Permit(WsMembersManage, "", nil); err != nil {
			return WorkspaceMember{}, err
		}
	}
	ms, err := s.store.GetWorkspaceMembers(ctx, wsID, []string{userID})
	if err != nil {
		return WorkspaceMember{}, err
	}
	m, ok := ms[userID]
	if !ok {
		return WorkspaceMember{}, Errorf(CodeNotFound, "user %q has no role in this workspace", userID)
	}
	return m, nil
}

// PutWorkspaceMember gives a user a workspace role (the owning org's
// workspace admins). The user acts for the owner org when they are in it,
// else for the one collaborator org they belong to; the role must be
// allowed by that org's types, checked against the collaborator's version
// in the same transaction.
func (s *Service) PutWorkspaceMember(ctx context.Context, c Caller, wsID, userID string, role WorkspaceRole) (WorkspaceMember, error) {
	if role.ProjectRole() == "" {
		return WorkspaceMember{}, invalid("role", "must be one of admin, developer, project_manager, annotation_manager")
	}
	a, err := s.workspaceAccess(ctx, c, wsID, "")
	if err != nil {
		return WorkspaceMember{}, err
	}
	if err := a.Permit(WsMembersManage, "", nil); err != nil {
		return WorkspaceMember{}, err
	}
	m := WorkspaceMember{WorkspaceID: wsID, UserID: userID, Role: role, Version: 1}
	var through *Collaborator
	if om, err := s.store.GetOrgMembership(ctx, a.Workspace.OrgID, userID); err == nil {
		m.OrgID, m.Email, m.Name = om.OrgID, om.Email, om.Name
	} else if !IsCode(err, CodeNotFound) {
		return WorkspaceMember{}, err
	} else {
		cols, err := s.store.ListCollaborators(ctx, wsID)
		if err != nil {
			return WorkspaceMember{}, err
		}
		for _, col := range cols {
			if col.RemovingJob != "" {
				continue
			}
			if om, err := s.store.GetOrgMembership(ctx, col.OrgID, userID); err == nil {
				if !slices.Contains(AllowedWorkspaceRoles(col.Types), role) {
					return WorkspaceMember{}, invalid("role", "%s is not allowed by %s's collaboration types", role, col.OrgName)
				}
				m.OrgID, m.Email, m.Name, m.External = col.OrgID, om.Email, om.Name, true
				through = &col
				break
			}
		}
		if m.OrgID == "" {
			return WorkspaceMember{}, &Error{Code: CodeUnprocessable, Message: "the user belongs to no org of this workspace",
				Fields: []FieldError{{Field: "userId", Message: "is in neither the owner org nor a collaborator org"}}}
		}
	}
	old, err := s.store.GetWorkspaceMembers(ctx, wsID, []string{userID})
	if err != nil {
		return WorkspaceMember{}, err
	}
	var before any
	if o, ok := old[userID]; ok {
		before = o
		m.Version = o.Version + 1
	}
	return m, s.store.PutWorkspaceMember(ctx, m, through, s.entry(WorkspaceScope(wsID), c, m.OrgID, "workspace_member.set", before, m))
}

// DeleteWorkspaceMember removes a workspace role (workspace admins, or the
// member leaving).
func (s *Service) DeleteWorkspaceMember(ctx context.Context, c Caller, wsID, userID string) error {
	m, err := s.GetWorkspaceMember(ctx, c, wsID, userID)
	if err != nil {
		return err
	}
	return s.store.DeleteWorkspaceMember(ctx, m, s.entry(WorkspaceScope(wsID), c, m.OrgID, "workspace_member.removed", m, nil))
}

// WorkspaceAudit lists a workspace's audit entries: all of them to the
// owning org's admins and developers, a collaborator org's own entries to
// its people.
func (s *Service) WorkspaceAudit(ctx context.Context, c Caller, wsID string, p Page) ([]AuditEntry, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	a, err := s.workspaceAccess(ctx, c, wsID, "")
	if err != nil {
		return nil, "", err
	}
	org := ""
	switch a.Can(WsAuditView) {
	case Allow:
	case OwnOrg:
		org = a.OrgID
	default:
		return nil, "", a.Permit(WsAuditView, "", nil)
	}
	return s.store.ListAudit(ctx, WorkspaceScope(wsID), org, p)
}

// ListProjectPartners lists every partner of a project: orgs attached by
// share link or as labeling companies, and workspace collaborators whose
// project access covers it. The host sees all; a partner sees itself.
func (s *Service) ListProjectPartners(ctx context.Context, c Caller, projectID string) ([]Partner, error) {
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return nil, err
	}
	partners, err := s.store.ListPartners(ctx, projectID)
	if err != nil {
		return nil, err
	}
	cols, err := s.store.ListCollaborators(ctx, a.Project.WorkspaceID)
	if err != nil {
		return nil, err
	}
	for _, col := range cols {
		if col.Access.Covers(projectID) && !slices.ContainsFunc(partners, func(p Partner) bool { return p.OrgID == col.OrgID }) {
			partners = append(partners, Partner{ProjectID: projectID, OrgID: col.OrgID, OrgName: col.OrgName, Kind: PartnerCollaborator,
				Types: col.Types, HostOrgID: a.Project.HostOrgID, AddedAt: col.AddedAt})
		}
	}
	if a.Side == SideExternal {
		partners = slices.DeleteFunc(partners, func(p Partner) bool { return p.OrgID != a.OrgID })
	}
	return partners, nil
}

// StopCollaboration ends a partner's work on a project, from either end:
// the host's owner (partners.manage), or the partner's side (its manager on
// the project, or an owner or admin of the partner org, who need no project
// standing of their own). The partner item goes first, with its audit
// entry, so access stops at once; then the partner's project memberships
// and group links; their in-flight items return to the host.
func (s *Service) StopCollaboration(ctx context.Context, c Caller, projectID, orgID string) error {
	p, st, err := s.store.LoadStanding(ctx, projectID, c.UserID)
	if err != nil {
		return err
	}
	e := st.Resolve()
	hostOwner := e.Can(ActPartnersManage) == Allow
	partnerSide := e.Side == SideExternal && e.OrgID == orgID && e.Role.Rank() >= RoleAnnotationManager.Rank()
	if !hostOwner && !partnerSide {
		ok, err := s.hasWorkforce(ctx, c, orgID)
		if err != nil {
			return err
		}
		partnerSide = ok && orgID != p.HostOrgID
	}
	if !hostOwner && !partnerSide {
		if e.None() || e.Side == SideExternal {
			return Errorf(CodeNotFound, "project %q not found", projectID)
		}
		return Errorf(CodeForbidden, "only the host's owner or the partner's manager stops a collaboration")
	}
	pa, err := s.store.GetPartner(ctx, projectID, orgID)
	if IsCode(err, CodeNotFound) {
		if col, cerr := s.store.GetCollaborator(ctx, p.WorkspaceID, orgID); cerr == nil && col.Access.Covers(projectID) && hostOwner {
			return Errorf(CodeConflict, "this org collaborates through the workspace: change its project access or remove the collaborator")
		}
		return Errorf(CodeNotFound, "org %q is not a partner of this project", orgID)
	}
	if err != nil {
		return err
	}
	if err := s.store.DeletePartner(ctx, pa, s.entry(ProjectScope(projectID), c, orgID, "partner.stopped", pa, nil)); err != nil {
		return err
	}
	if _, err := s.store.RemoveOrgFromProject(ctx, projectID, orgID); err != nil {
		return err
	}
	return s.returnItemsToHost(ctx, projectID, orgID)
}

// Covers reports whether the access includes a project.
func (a ProjectAccess) Covers(projectID string) bool {
	return a.Mode == "full" || slices.Contains(a.ProjectIDs, projectID)
}
