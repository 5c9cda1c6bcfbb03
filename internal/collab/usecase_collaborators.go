package collab

import (
	"context"
	"slices"
	"time"
)

// Collaborators attaches orgs to workspaces, changes their types and access, and starts their jobs.
type Collaborators struct {
	base
	store  CollaboratorStore
	jobs   *Jobs
	mailer Mailer
}

// CollaboratorStore is what the workspace-collaborator use cases need.
type CollaboratorStore interface {
	ListCollaborators(ctx context.Context, wsID string) ([]Collaborator, error)
	GetCollaborator(ctx context.Context, wsID, orgID string) (Collaborator, error)
	// PutCollaborator creates a collaborator (which must not exist).
	PutCollaborator(ctx context.Context, c Collaborator, audit ...AuditEntry) error
	// UpdateCollaborator saves a collaborator (version-checked) and deletes
	// the workspace memberships its new types no longer allow, in one
	// transaction.
	UpdateCollaborator(ctx context.Context, c Collaborator, version int, remove []WorkspaceMember, audit ...AuditEntry) error
	// MarkCollaboratorRemoving flags the collaborator and writes its removal job.
	MarkCollaboratorRemoving(ctx context.Context, c Collaborator, j Job, audit ...AuditEntry) error
	ListWorkspaceMembers(ctx context.Context, wsID, orgID string) ([]WorkspaceMember, error)
	GetOrg(ctx context.Context, orgID string) (Org, error)
	// ListAudit lists a scope's entries; with orgID only those about that org.
	ListAudit(ctx context.Context, scope, orgID string, p Page) ([]AuditEntry, string, error)
	// SetCollaboratorEnd sets (zero: clears) a collaboration's end,
	// version-checked; MarkCollaboratorEndWarned notes both sides were
	// told; ListCollaboratorEnds lists (workspace, org) of those ending at
	// or before t, soonest first.
	SetCollaboratorEnd(ctx context.Context, c Collaborator, endsAt time.Time, setBy string, audit ...AuditEntry) error
	MarkCollaboratorEndWarned(ctx context.Context, c Collaborator) error
	ListCollaboratorEnds(ctx context.Context, t time.Time, limit int) ([][2]string, error)
	ListOrgMembers(ctx context.Context, orgID string, p Page) ([]OrgMembership, string, error)
	// Inbound approval: an org's collaborations, a workspace, and the
	// approval (version-checked) of a waiting collaboration.
	ListOrgCollaborations(ctx context.Context, orgID string) ([]Collaborator, error)
	GetWorkspace(ctx context.Context, wsID string) (Workspace, error)
	ApproveCollaborator(ctx context.Context, c Collaborator, audit ...AuditEntry) error
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

// ListCollaborators lists a workspace's collaborators, as far as the
// caller's grant reaches: all of them to a workspace admin, the orgs they
// administer to the owning org's developers and project managers, its own
// row to a collaborator org. The owning org comes first, for everyone who
// may list: type owner (implicit, never assigned), full access.
func (s *Collaborators) ListCollaborators(ctx context.Context, c Caller, wsID string) ([]Collaborator, error) {
	a, err := s.workspaceAccess(ctx, c, wsID, "")
	if err != nil {
		return nil, err
	}
	g := a.Can(WsCollaboratorsView)
	if g == Deny {
		return nil, a.Permit(WsCollaboratorsView, "", nil)
	}
	owner, err := s.store.GetOrg(ctx, a.Workspace.OrgID)
	if err != nil {
		return nil, err
	}
	out := []Collaborator{{WorkspaceID: wsID, OrgID: owner.ID, OrgName: owner.Name, Types: []CollabType{CollabOwner},
		Access: ProjectAccess{Mode: "full"}, AddedAt: a.Workspace.CreatedAt}}
	all, err := s.store.ListCollaborators(ctx, wsID)
	if err != nil {
		return nil, err
	}
	if g == Allow {
		return append(out, all...), nil
	}
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
func (s *base) checkAccess(ctx context.Context, a WorkspaceAccess, c Caller, access ProjectAccess, field string) (ProjectAccess, error) {
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
		p, st, err := s.rights.LoadStanding(ctx, pid, c.UserID)
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
func (s *Collaborators) collaboratorIn(ctx context.Context, c Caller, wsID, orgID string, act WorkspaceAction) (WorkspaceAccess, Collaborator, error) {
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
func (s *Collaborators) AddCollaboratorOrg(ctx context.Context, c Caller, wsID, orgID string, types []CollabType, access ProjectAccess) (Collaborator, error) {
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
// org's people edit a collaborator (docs/security.md, invariant 3): a collaborator never
// widens its own types or access.
func (s *Collaborators) UpdateCollaborator(ctx context.Context, c Caller, wsID, orgID string, p CollaboratorPatch) (Collaborator, []RemovedRole, error) {
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
func (s *Collaborators) StartAddAllUsers(ctx context.Context, c Caller, wsID, orgID string, role WorkspaceRole) (Job, error) {
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
	return s.jobs.start(ctx, j, s.entry(WorkspaceScope(wsID), c, orgID, "collaborator.add_all_users", nil,
		map[string]any{"jobId": j.ID, "role": role}))
}

// StartRemoveCollaborator ends an org's collaboration in a workspace: its
// access stops at once (the collaborator is marked removing), and a job
// removes every workspace and project membership of the org's people there.
// The owning org's admins end any; a collaborator org's owners and admins
// end their own.
func (s *Collaborators) StartRemoveCollaborator(ctx context.Context, c Caller, wsID, orgID string) (Job, error) {
	_, col, err := s.collaboratorIn(ctx, c, wsID, orgID, WsCollaboratorsRemove)
	if err != nil {
		return Job{}, err
	}
	return s.beginRemoval(ctx, c, col, "collaborator.removed", nil)
}

// beginRemoval marks the collaborator removing and queues its removal job,
// recorded as `what` by c. still, when given, must hold of the
// collaborator as read each time (the mark is version-checked against that
// read); otherwise nothing is removed and the answer is errNotNow.
func (s *Collaborators) beginRemoval(ctx context.Context, c Caller, col Collaborator, what string, still func(Collaborator) bool) (Job, error) {
	for attempt := 1; ; attempt++ {
		if still != nil && !still(col) {
			return Job{}, errNotNow
		}
		now := s.clock.Now()
		j := Job{ID: s.ids.New("job"), Kind: JobRemoveCollaborator, Status: JobQueued, WorkspaceID: col.WorkspaceID, OrgID: col.OrgID,
			CreatedBy: c.UserID, CreatedAt: now, UpdatedAt: now, Version: 1}
		err := s.store.MarkCollaboratorRemoving(ctx, col, j, s.entry(WorkspaceScope(col.WorkspaceID), c, col.OrgID, what, col,
			map[string]any{"jobId": j.ID}))
		if err == nil {
			return s.jobs.enqueue(ctx, j)
		}
		if still == nil || !IsCode(err, CodeConflict) || attempt == stopAttempts {
			return Job{}, err
		}
		// Changed meanwhile: read it again, and check again.
		if col, err = s.store.GetCollaborator(ctx, col.WorkspaceID, col.OrgID); IsCode(err, CodeNotFound) {
			return Job{}, errNotNow // removed meanwhile
		} else if err != nil {
			return Job{}, err
		}
		if col.RemovingJob != "" {
			return Job{}, errNotNow
		}
	}
}

// WorkspaceAudit lists a workspace's audit entries: all of them to the
// owning org's admins and developers, a collaborator org's own entries to
// its people.
func (s *Collaborators) WorkspaceAudit(ctx context.Context, c Caller, wsID string, p Page) ([]AuditEntry, string, error) {
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
