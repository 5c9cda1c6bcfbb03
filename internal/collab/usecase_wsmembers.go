package collab

import (
	"context"
	"slices"
)

// WorkspaceMembers reads and sets people's workspace roles.
type WorkspaceMembers struct {
	base
	store WorkspaceMemberStore
}

// WorkspaceMemberStore is what the workspace-member use cases need.
type WorkspaceMemberStore interface {
	GetWorkspaceMembers(ctx context.Context, wsID string, userIDs []string) (map[string]WorkspaceMember, error)
	ListCollaborators(ctx context.Context, wsID string) ([]Collaborator, error)
	// PutWorkspaceMember sets one role; through (a collaborator) is
	// version-checked and bumped in the same transaction.
	PutWorkspaceMember(ctx context.Context, m WorkspaceMember, through *Collaborator, audit ...AuditEntry) error
	DeleteWorkspaceMember(ctx context.Context, m WorkspaceMember, audit ...AuditEntry) error
	// ListAllWorkspaceMembers lists one page of a workspace's members.
	ListAllWorkspaceMembers(ctx context.Context, wsID string, p Page) ([]WorkspaceMember, string, error)
	// ListWorkspaceMembersPage lists one page of one org's members of a
	// workspace (from the per-org index: other orgs' rows are never read).
	ListWorkspaceMembersPage(ctx context.Context, wsID, orgID string, p Page) ([]WorkspaceMember, string, error)
}

// ListWorkspaceMembers lists a workspace's members (workspace.members.view):
// every row to the owning org's workspace admins, a collaborator org's own
// rows to its people. Others in the owning org are refused (403); anyone
// without standing in the workspace does not see it (404).
func (s *WorkspaceMembers) ListWorkspaceMembers(ctx context.Context, c Caller, wsID string, p Page) ([]WorkspaceMember, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	a, err := s.workspaceAccess(ctx, c, wsID, "")
	if err != nil {
		return nil, "", err
	}
	switch a.Can(WsMembersView) {
	case Allow:
		return s.store.ListAllWorkspaceMembers(ctx, wsID, p)
	case OwnOrg:
		return s.store.ListWorkspaceMembersPage(ctx, wsID, a.OrgID, p)
	}
	return nil, "", a.Permit(WsMembersView, "", nil)
}

// GetWorkspaceMember reads one workspace member (the owning org's
// workspace admins, and the member themselves).
func (s *WorkspaceMembers) GetWorkspaceMember(ctx context.Context, c Caller, wsID, userID string) (WorkspaceMember, error) {
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
func (s *WorkspaceMembers) PutWorkspaceMember(ctx context.Context, c Caller, wsID, userID string, role WorkspaceRole) (WorkspaceMember, error) {
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
	if om, err := s.rights.GetOrgMembership(ctx, a.Workspace.OrgID, userID); err == nil {
		m.OrgID, m.Email, m.Name = om.OrgID, om.Email, om.Name
	} else if !IsCode(err, CodeNotFound) {
		return WorkspaceMember{}, err
	} else {
		cols, err := s.store.ListCollaborators(ctx, wsID)
		if err != nil {
			return WorkspaceMember{}, err
		}
		for _, col := range cols {
			if !col.Live() {
				continue
			}
			if om, err := s.rights.GetOrgMembership(ctx, col.OrgID, userID); err == nil {
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
func (s *WorkspaceMembers) DeleteWorkspaceMember(ctx context.Context, c Caller, wsID, userID string) error {
	m, err := s.GetWorkspaceMember(ctx, c, wsID, userID)
	if err != nil {
		return err
	}
	return s.store.DeleteWorkspaceMember(ctx, m, s.entry(WorkspaceScope(wsID), c, m.OrgID, "workspace_member.removed", m, nil))
}
