package collab

import (
	"context"
	"slices"
)

// Groups manages groups of an org's people and links them to projects.
type Groups struct {
	base
	store GroupStore
}

// GroupStore is what the group use cases need.
type GroupStore interface {
	CreateGroup(ctx context.Context, g Group) error
	GetGroup(ctx context.Context, orgID, groupID string) (Group, error)
	ListGroupLinks(ctx context.Context, groupID string) ([]GroupLink, error)
	ListGroupMembers(ctx context.Context, groupID string) ([]GroupMember, error)
	AddGroupMember(ctx context.Context, gm GroupMember, projects []ProjectMember, audit ...AuditEntry) error
	LinkGroup(ctx context.Context, l GroupLink, members []ProjectMember, audit ...AuditEntry) error
	GetOrgMemberships(ctx context.Context, orgID string, userIDs []string) (map[string]OrgMembership, error)
	GetPartner(ctx context.Context, projectID, orgID string) (Partner, error)
	ListPartners(ctx context.Context, projectID string) ([]Partner, error)
	GetProjectMember(ctx context.Context, projectID, userID string) (ProjectMember, error)
	GetProjectMembers(ctx context.Context, projectID string, userIDs []string) (map[string]ProjectMember, error)
}

// GroupAdded reports a group attached to a project.
type GroupAdded struct {
	GroupID        string
	Role           Role
	Added          int
	AlreadyMembers int
}

// AddGroupToProject attaches a group of the host org or of a partner org to
// a project: its users join with the role, and later members of the group
// join too.
func (s *Groups) AddGroupToProject(ctx context.Context, c Caller, projectID, groupID string, role Role) (GroupAdded, error) {
	if role == "" {
		role = RoleAnnotator
	}
	if !role.Valid() {
		return GroupAdded{}, invalid("role", "must be one of %s", joinRolesPlain(Roles))
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return GroupAdded{}, err
	}
	g, err := a.require(ActMembersManage)
	if err != nil {
		return GroupAdded{}, err
	}
	candidates := []string{a.OrgID}
	if g != OwnOrg {
		candidates = append(candidates, a.Project.HostOrgID)
		partners, err := s.store.ListPartners(ctx, projectID)
		if err != nil {
			return GroupAdded{}, err
		}
		for _, pa := range partners {
			candidates = append(candidates, pa.OrgID)
		}
	}
	var grp Group
	for _, org := range slices.Compact(candidates) {
		if grp, err = s.store.GetGroup(ctx, org, groupID); err == nil {
			break
		} else if !IsCode(err, CodeNotFound) {
			return GroupAdded{}, err
		}
	}
	if grp.ID == "" {
		return GroupAdded{}, Errorf(CodeNotFound, "group %q not found in an org taking part in this project", groupID)
	}
	pl := placement{orgID: grp.OrgID, side: SideHost}
	if grp.OrgID != a.Project.HostOrgID {
		pa, err := s.store.GetPartner(ctx, projectID, grp.OrgID)
		if err != nil {
			return GroupAdded{}, err
		}
		pl = placement{orgID: grp.OrgID, side: SideExternal, types: pa.Types}
	}
	if err := a.checkGrant(g, role, pl); err != nil {
		return GroupAdded{}, err
	}
	members, err := s.store.ListGroupMembers(ctx, grp.ID)
	if err != nil {
		return GroupAdded{}, err
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.UserID
	}
	// Only people still in the group's org join (docs/security.md, invariant 1).
	current, err := s.store.GetOrgMemberships(ctx, grp.OrgID, ids)
	if err != nil {
		return GroupAdded{}, err
	}
	members = slices.DeleteFunc(members, func(m GroupMember) bool { _, ok := current[m.UserID]; return !ok })
	existing, err := s.store.GetProjectMembers(ctx, projectID, ids)
	if err != nil {
		return GroupAdded{}, err
	}
	now := s.clock.Now()
	var add []ProjectMember
	for _, m := range members {
		if _, ok := existing[m.UserID]; ok {
			continue
		}
		add = append(add, ProjectMember{ProjectID: projectID, UserID: m.UserID, Email: m.Email, Name: m.Name, Role: role,
			OrgID: pl.orgID, Side: pl.side, AddedBy: c.UserID, AddedAt: now, GroupIDs: []string{grp.ID}, Version: 1})
	}
	link := GroupLink{GroupID: grp.ID, ProjectID: projectID, Role: role, OrgID: pl.orgID, Side: pl.side}
	if err := s.store.LinkGroup(ctx, link, add, s.entry(ProjectScope(projectID), c, pl.orgID, "group.linked", nil,
		map[string]any{"groupId": grp.ID, "role": role, "added": len(add)})); err != nil {
		return GroupAdded{}, err
	}
	return GroupAdded{GroupID: grp.ID, Role: role, Added: len(add), AlreadyMembers: len(existing)}, nil
}

// CreateGroup creates a group of an org's users.
func (s *Groups) CreateGroup(ctx context.Context, c Caller, orgID, name string) (Group, error) {
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
// attached to gain the user at once (the store writes the membership and
// the first projects in one transaction, the rest in batches right after).
func (s *Groups) AddGroupMember(ctx context.Context, c Caller, orgID, groupID, userID string) (int, error) {
	if _, err := s.orgPermit(ctx, c, orgID, OrgGroupsManage); err != nil {
		return 0, err
	}
	g, err := s.store.GetGroup(ctx, orgID, groupID)
	if err != nil {
		return 0, err
	}
	m, err := s.rights.GetOrgMembership(ctx, orgID, userID)
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
