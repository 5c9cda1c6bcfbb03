package collab

import "context"

// Workspaces creates workspaces and lists what an org reaches.
type Workspaces struct {
	base
	store WorkspaceStore
}

// WorkspaceStore is what the workspace use cases need.
type WorkspaceStore interface {
	CreateWorkspace(ctx context.Context, w Workspace) error
	ListOrgWorkspaces(ctx context.Context, orgID string, p Page) ([]Workspace, string, error)
	ListOrgProjects(ctx context.Context, orgID string, p Page) ([]OrgProject, string, error)
	// ListOrgCollaborations lists the workspaces an org collaborates in.
	ListOrgCollaborations(ctx context.Context, orgID string) ([]Collaborator, error)
	ListWorkspaceProjects(ctx context.Context, wsID string, p Page) ([]Project, string, error)
}

// CreateWorkspace creates a workspace of an org.
func (s *Workspaces) CreateWorkspace(ctx context.Context, c Caller, orgID, name string) (Workspace, error) {
	var v Validation
	name = CleanName("name", name, &v)
	if err := v.Err(); err != nil {
		return Workspace{}, err
	}
	if _, err := s.orgPermit(ctx, c, orgID, OrgWorkspacesCreate); err != nil {
		return Workspace{}, err
	}
	w := Workspace{ID: s.ids.New("ws"), OrgID: orgID, Name: name, CreatedAt: s.clock.Now(), Version: 1}
	return w, s.store.CreateWorkspace(ctx, w)
}

// ListWorkspaces lists an org's workspaces to its members.
func (s *Workspaces) ListWorkspaces(ctx context.Context, c Caller, orgID string, p Page) ([]Workspace, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	if _, err := s.membership(ctx, c, orgID); err != nil {
		return nil, "", err
	}
	return s.store.ListOrgWorkspaces(ctx, orgID, p)
}

// ListOrgProjects lists the org's own projects and those shared with it.
func (s *Workspaces) ListOrgProjects(ctx context.Context, c Caller, orgID string, p Page) ([]OrgProject, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	if _, err := s.membership(ctx, c, orgID); err != nil {
		return nil, "", err
	}
	out, next, err := s.store.ListOrgProjects(ctx, orgID, p)
	if err != nil || next != "" {
		return out, next, err
	}
	// The last page also carries the projects the org reaches as a
	// workspace collaborator (full access: every project of the workspace,
	// limited: the listed ones), flagged shared.
	listed := map[string]bool{}
	for _, op := range out {
		listed[op.ID] = true
	}
	cols, err := s.store.ListOrgCollaborations(ctx, orgID)
	if err != nil {
		return nil, "", err
	}
	for _, col := range cols {
		if col.RemovingJob != "" {
			continue
		}
		for cursor := ""; ; {
			ps, nxt, err := s.store.ListWorkspaceProjects(ctx, col.WorkspaceID, Page{Limit: MaxPageLimit, Cursor: cursor})
			if err != nil {
				return nil, "", err
			}
			for _, pr := range ps {
				if !listed[pr.ID] && col.Access.Covers(pr.ID) {
					listed[pr.ID] = true
					out = append(out, OrgProject{ID: pr.ID, Name: pr.Name, WorkspaceID: pr.WorkspaceID, HostOrgID: pr.HostOrgID, Shared: true})
				}
			}
			if nxt == "" {
				break
			}
			cursor = nxt
		}
	}
	return out, "", nil
}
