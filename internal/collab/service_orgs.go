package collab

import (
	"context"
	"fmt"
)

// orgPermit returns the caller's membership of an org once the org table
// allows them act there. A non-member gets not found.
func (s *Service) orgPermit(ctx context.Context, c Caller, orgID string, act OrgAction) (OrgMembership, error) {
	m, err := s.membership(ctx, c, orgID)
	if err != nil {
		return OrgMembership{}, err
	}
	return m, m.Permit(act)
}

func invalid(field, format string, args ...any) error {
	var v Validation
	v.Add(field, format, args...)
	return v.Err()
}

// OrgScope names an org's audit log.
func OrgScope(orgID string) string { return "ORG#" + orgID }

// ChangeOrgMemberRole sets a member's org role. Owners and admins manage
// members; only an owner grants owner or changes an owner; the org keeps an
// owner.
func (s *Service) ChangeOrgMemberRole(ctx context.Context, c Caller, orgID, userID string, role OrgRole) (OrgMembership, error) {
	if !role.Valid() {
		return OrgMembership{}, invalid("role", "must be one of owner, admin, member")
	}
	actor, err := s.orgPermit(ctx, c, orgID, OrgMembersManage)
	if err != nil {
		return OrgMembership{}, err
	}
	target, err := s.store.GetOrgMembership(ctx, orgID, userID)
	if err != nil {
		return OrgMembership{}, err
	}
	if (role == OrgOwner || target.Role == OrgOwner) && actor.Role != OrgOwner {
		return OrgMembership{}, Errorf(CodeForbidden, "only an owner grants or changes the owner role")
	}
	if target.Role == role {
		return target, nil
	}
	before := target
	if err := s.store.SetOrgMemberRole(ctx, target, role, s.entry(OrgScope(orgID), c, orgID, "org_member.role_changed",
		map[string]any{"userId": userID, "role": before.Role}, map[string]any{"userId": userID, "role": role})); err != nil {
		return OrgMembership{}, err
	}
	target.Role, target.Version = role, target.Version+1
	return target, nil
}

// RemoveOrgMember removes a user from an org (a member may leave on their
// own), together with everything they held through it: their project
// memberships for that org, their workspace roles for it and their
// memberships of its groups (SPEC §11.1). Only an owner removes an owner;
// the org and each project keep an owner.
func (s *Service) RemoveOrgMember(ctx context.Context, c Caller, orgID, userID string) error {
	actor, err := s.membership(ctx, c, orgID)
	if err != nil {
		return err
	}
	target := actor
	if userID != c.UserID {
		if err := actor.Permit(OrgMembersManage); err != nil {
			return err
		}
		if target, err = s.store.GetOrgMembership(ctx, orgID, userID); err != nil {
			return err
		}
		if target.Role == OrgOwner && actor.Role != OrgOwner {
			return Errorf(CodeForbidden, "only an owner removes an owner")
		}
	}
	all, err := s.store.Footprint(ctx, orgID, userID)
	if err != nil {
		return fmt.Errorf("remove org member: %w", err)
	}
	fp := Footprint{Groups: all.Groups}
	for _, pm := range all.Projects {
		if pm.OrgID == orgID {
			fp.Projects = append(fp.Projects, pm)
		}
	}
	for _, wm := range all.Workspaces {
		if wm.OrgID == orgID {
			fp.Workspaces = append(fp.Workspaces, wm)
		}
	}
	return s.store.RemoveOrgMember(ctx, target, fp, s.entry(OrgScope(orgID), c, orgID, "org_member.removed",
		map[string]any{"userId": userID, "role": target.Role}, map[string]any{"projects": len(fp.Projects), "workspaces": len(fp.Workspaces), "groups": len(fp.Groups)}))
}

// CreateGroup creates a group of an org's users.
func (s *Service) CreateGroup(ctx context.Context, c Caller, orgID, name string) (Group, error) {
	var v Validation
	name = CleanName("name", name, &v)
	if err := v.Err(); err != nil {
		return Group{}, err
	}
	if _, err := s.orgPermit(ctx, c, orgID, OrgGroupsManage); err != nil {
		return Group{}, err
	}
	g := Group{ID: s.ids.New("grp"), OrgID: orgID, Name: name, CreatedAt: s.clock.Now(), Version: 1}
	return g, s.store.CreateGroup(ctx, g)
}

// AddGroupMember puts an org member in a group; the projects the group is
// attached to gain the user at once, in the same transaction.
func (s *Service) AddGroupMember(ctx context.Context, c Caller, orgID, groupID, userID string) (int, error) {
	if _, err := s.orgPermit(ctx, c, orgID, OrgGroupsManage); err != nil {
		return 0, err
	}
	g, err := s.store.GetGroup(ctx, orgID, groupID)
	if err != nil {
		return 0, err
	}
	m, err := s.store.GetOrgMembership(ctx, orgID, userID)
	if IsCode(err, CodeNotFound) {
		return 0, Errorf(CodeUnprocessable, "user %q is not a member of this org", userID)
	}
	if err != nil {
		return 0, err
	}
	links, err := s.store.ListGroupLinks(ctx, g.ID)
	if err != nil {
		return 0, err
	}
	now := s.clock.Now()
	var add []ProjectMember
	for _, l := range links {
		if l.Side == SideExternal {
			// Only projects the org still partners (a stopped
			// partnership's links are gone; this guards a half-done stop).
			if _, err := s.store.GetPartner(ctx, l.ProjectID, l.OrgID); IsCode(err, CodeNotFound) {
				continue
			} else if err != nil {
				return 0, err
			}
		}
		if _, err := s.store.GetProjectMember(ctx, l.ProjectID, userID); err == nil {
			continue
		} else if !IsCode(err, CodeNotFound) {
			return 0, err
		}
		add = append(add, ProjectMember{ProjectID: l.ProjectID, UserID: userID, Email: m.Email, Name: m.Name,
			Role: l.Role, OrgID: l.OrgID, Side: l.Side, AddedBy: c.UserID, AddedAt: now, GroupIDs: []string{g.ID}, Version: 1})
	}
	gm := GroupMember{GroupID: g.ID, UserID: userID, Email: m.Email, Name: m.Name}
	if err := s.store.AddGroupMember(ctx, gm, add, s.entry(OrgScope(orgID), c, orgID, "group.member_added", nil,
		map[string]any{"groupId": g.ID, "userId": userID, "projects": len(add)})); err != nil {
		return 0, err
	}
	return len(add), nil
}

// CreateWorkspace creates a workspace of an org.
func (s *Service) CreateWorkspace(ctx context.Context, c Caller, orgID, name string) (Workspace, error) {
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
func (s *Service) ListWorkspaces(ctx context.Context, c Caller, orgID string, p Page) ([]Workspace, string, error) {
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
func (s *Service) ListOrgProjects(ctx context.Context, c Caller, orgID string, p Page) ([]OrgProject, string, error) {
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
