package collab

import "context"

// collabJobs runs the collaborator jobs chunk by chunk.
type collabJobs struct {
	base
	store    CollabJobStore
	partners *Partners
}

// CollabJobStore is what the collaborator jobs write in chunks.
type CollabJobStore interface {
	ListOrgMembers(ctx context.Context, orgID string, p Page) ([]OrgMembership, string, error)
	GetWorkspaceMembers(ctx context.Context, wsID string, userIDs []string) (map[string]WorkspaceMember, error)
	PutWorkspaceMembers(ctx context.Context, ms []WorkspaceMember) error
	ListWorkspaceMembersPage(ctx context.Context, wsID, orgID string, p Page) ([]WorkspaceMember, string, error)
	DeleteWorkspaceMembers(ctx context.Context, ms []WorkspaceMember) error
	ListWorkspaceProjects(ctx context.Context, wsID string, p Page) ([]Project, string, error)
	// RemoveOrgFromProject deletes every project membership of an org's
	// people on a project, and its partner item; it returns how many items
	// went.
	RemoveOrgFromProject(ctx context.Context, projectID, orgID string) (int, error)
	DeleteCollaborator(ctx context.Context, wsID, orgID string) error
}

// addAllChunk adds one page of the org's members to the workspace.
func (s *collabJobs) addAllChunk(ctx context.Context, j *Job) (bool, error) {
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
func (s *collabJobs) removeCollabChunk(ctx context.Context, j *Job) (bool, error) {
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
			if err := s.partners.returnItemsToHost(ctx, p.ID, j.OrgID); err != nil {
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
