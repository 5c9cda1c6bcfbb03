package collab

import (
	"context"
	"slices"
)

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
	ListCollaborators(ctx context.Context, wsID string) ([]Collaborator, error)
	// HostedPartners lists, for each of a host's projects named, the orgs
	// partnering it (one index query over the projects' range).
	HostedPartners(ctx context.Context, hostOrgID string, projectIDs []string) (map[string][]string, error)
	// GetOrgs reads orgs by id (one batch); missing ones are left out.
	GetOrgs(ctx context.Context, orgIDs []string) (map[string]Org, error)
	// RenameWorkspace renames a workspace (version-checked) with its audit
	// entries.
	RenameWorkspace(ctx context.Context, w Workspace, name string, audit ...AuditEntry) (Workspace, error)
	// WorkspaceContents reads what a workspace holds.
	WorkspaceContents(ctx context.Context, wsID string) (WorkspaceContents, error)
	// DeleteWorkspace deletes the workspace (version-checked, and only while
	// no project is in it), its members and its pending invitations: the
	// workspace row and the audit entries last, so a repeat completes a
	// cut-off delete.
	DeleteWorkspace(ctx context.Context, held WorkspaceContents, audit ...AuditEntry) error
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

// RenameWorkspace renames a workspace (workspace.rename: the owning org's
// workspace admins, its owners and admins among them).
func (s *Workspaces) RenameWorkspace(ctx context.Context, c Caller, wsID, name string) (Workspace, error) {
	var v Validation
	name = CleanName("name", name, &v)
	if err := v.Err(); err != nil {
		return Workspace{}, err
	}
	a, err := s.workspaceAccess(ctx, c, wsID, "")
	if err != nil {
		return Workspace{}, err
	}
	if err := a.Permit(WsRename, "", nil); err != nil {
		return Workspace{}, err
	}
	w := a.Workspace
	if w.Name == name {
		return w, nil
	}
	return s.store.RenameWorkspace(ctx, w, name, s.entry(WorkspaceScope(wsID), c, w.OrgID, "workspace.renamed",
		map[string]any{"name": w.Name}, map[string]any{"name": name}))
}

// DeleteWorkspace deletes a workspace (workspace.delete) with its
// workspace roles and pending collaborator invitations. The default
// workspace goes only with its org; a workspace holding projects or
// collaborators is refused (409, saying why). The audit entry goes to the
// org's log: the workspace's own is no longer readable once it is gone.
func (s *Workspaces) DeleteWorkspace(ctx context.Context, c Caller, wsID string) error {
	a, err := s.workspaceAccess(ctx, c, wsID, "")
	if err != nil {
		return err
	}
	if err := a.Permit(WsDelete, "", nil); err != nil {
		return err
	}
	held, err := s.store.WorkspaceContents(ctx, wsID)
	if err != nil {
		return err
	}
	if err := held.refusal(); err != nil {
		return err
	}
	w := held.Workspace
	return s.store.DeleteWorkspace(ctx, held, s.entry(OrgScope(w.OrgID), c, w.OrgID, "workspace.deleted",
		map[string]any{"workspaceId": w.ID, "name": w.Name}, map[string]any{"members": len(held.Members), "invitations": len(held.Invitations)}))
}

// ListOrgProjects lists the org's own projects and those shared with it.
// Both sides are named: the org's own projects that others take part in
// (partners, or workspace collaborators whose access covers them) are
// shared, with their partnerCount; a project shared with the org carries
// its host's name. That costs one index query for the page's partners,
// one read of collaborators per workspace on the page and one batch read
// of host orgs, never a scan.
func (s *Workspaces) ListOrgProjects(ctx context.Context, c Caller, orgID string, p Page) ([]OrgProject, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	if _, err := s.membership(ctx, c, orgID); err != nil {
		return nil, "", err
	}
	out, next, err := s.store.ListOrgProjects(ctx, orgID, p)
	if err != nil {
		return nil, "", err
	}
	if next == "" {
		if out, err = s.appendCollaborations(ctx, orgID, out); err != nil {
			return nil, "", err
		}
	}
	if err := s.nameBothSides(ctx, orgID, out); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// nameBothSides fills the page's partner counts (the org's own projects)
// and host names (the projects shared with it).
func (s *Workspaces) nameBothSides(ctx context.Context, orgID string, out []OrgProject) error {
	var own, hosts []string
	spaces := map[string][]Collaborator{}
	for _, op := range out {
		if op.HostOrgID == orgID && !op.Shared {
			own = append(own, op.ID)
			spaces[op.WorkspaceID] = nil
		} else if !slices.Contains(hosts, op.HostOrgID) {
			hosts = append(hosts, op.HostOrgID)
		}
	}
	if len(own) > 0 {
		partners, err := s.store.HostedPartners(ctx, orgID, own)
		if err != nil {
			return err
		}
		for ws := range spaces {
			if spaces[ws], err = s.store.ListCollaborators(ctx, ws); err != nil {
				return err
			}
		}
		for i, op := range out {
			if op.HostOrgID != orgID || op.Shared {
				continue
			}
			orgs := slices.Clone(partners[op.ID])
			for _, col := range spaces[op.WorkspaceID] {
				if col.Live() && col.Access.Covers(op.ID) && !slices.Contains(orgs, col.OrgID) {
					orgs = append(orgs, col.OrgID)
				}
			}
			out[i].PartnerCount, out[i].Shared = len(orgs), len(orgs) > 0
		}
	}
	if len(hosts) > 0 {
		names, err := s.store.GetOrgs(ctx, hosts)
		if err != nil {
			return err
		}
		for i, op := range out {
			if op.HostOrgID != orgID {
				out[i].HostOrgName = names[op.HostOrgID].Name
			}
		}
	}
	return nil
}

// appendCollaborations adds, on the listing's last page, the projects the
// org reaches as a workspace collaborator.
func (s *Workspaces) appendCollaborations(ctx context.Context, orgID string, out []OrgProject) ([]OrgProject, error) {
	// The last page also carries the projects the org reaches as a
	// workspace collaborator (full access: every project of the workspace,
	// limited: the listed ones), flagged shared.
	listed := map[string]bool{}
	for _, op := range out {
		listed[op.ID] = true
	}
	cols, err := s.store.ListOrgCollaborations(ctx, orgID)
	if err != nil {
		return nil, err
	}
	for _, col := range cols {
		if !col.Live() {
			continue
		}
		for cursor := ""; ; {
			ps, nxt, err := s.store.ListWorkspaceProjects(ctx, col.WorkspaceID, Page{Limit: MaxPageLimit, Cursor: cursor})
			if err != nil {
				return nil, err
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
	return out, nil
}
