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
	ListGroups(ctx context.Context, orgID string, p Page) ([]Group, string, error)
	// ListGroupMembers reads every member (Tasks reads groups through
	// this port too: TaskGroupReader).
	ListGroupMembers(ctx context.Context, groupID string) ([]GroupMember, error)
	ListGroupMembersPage(ctx context.Context, groupID string, p Page) ([]GroupMember, string, error)
	// GroupReach reads which of the users are in the group, its links and,
	// on each linked project, the users' memberships and the other linked
	// groups that hold them.
	GroupReach(ctx context.Context, groupID string, userIDs []string) (GroupReach, error)
	// AddGroupMember and LinkGroup also bump the group's version (and
	// refuse a group being deleted), so a removal that read the group
	// before cannot miss what they add.
	AddGroupMember(ctx context.Context, gm GroupMember, projects []ProjectMember, audit ...AuditEntry) error
	LinkGroup(ctx context.Context, l GroupLink, members []ProjectMember, audit ...AuditEntry) error
	RenameGroup(ctx context.Context, g Group, name string, audit ...AuditEntry) (Group, error)
	// RemoveFromGroup applies a removal: in one transaction when it fits;
	// otherwise the project memberships first, in batches, and the group's
	// own rows last (a deleted group is marked deleting first), so a repeat
	// completes a cut-off one.
	RemoveFromGroup(ctx context.Context, r GroupRemoval, audit ...AuditEntry) error
	GetOrgMemberships(ctx context.Context, orgID string, userIDs []string) (map[string]OrgMembership, error)
	ListPartners(ctx context.Context, projectID string) ([]Partner, error)
	GetProjectMembers(ctx context.Context, projectID string, userIDs []string) (map[string]ProjectMember, error)
}

// partnerOf finds an org among a project's partners.
func partnerOf(partners []Partner, orgID string) (Partner, bool) {
	i := slices.IndexFunc(partners, func(p Partner) bool { return p.OrgID == orgID })
	if i < 0 {
		return Partner{}, false
	}
	return partners[i], true
}

// errGroupDeleting: the group takes nothing new while it is being deleted.
func errGroupDeleting(groupID string) error {
	return Errorf(CodeConflict, "group %q is being deleted; repeat the delete to finish it", groupID)
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
	partners, err := s.store.ListPartners(ctx, projectID)
	if err != nil {
		return GroupAdded{}, err
	}
	candidates := []string{a.OrgID}
	if g != OwnOrg {
		candidates = append(candidates, a.Project.HostOrgID)
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
	if grp.Deleting {
		return GroupAdded{}, errGroupDeleting(grp.ID)
	}
	pl := placement{orgID: grp.OrgID, side: SideHost}
	if grp.OrgID != a.Project.HostOrgID {
		pa, ok := partnerOf(partners, grp.OrgID)
		if !ok {
			return GroupAdded{}, NotPartner(grp.OrgID)
		}
		if pa.Ending() {
			return GroupAdded{}, errEnding(pa.OrgName)
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
	if g.Deleting {
		return 0, errGroupDeleting(g.ID)
	}
	m, err := s.rights.GetOrgMembership(ctx, orgID, userID)
	if IsCode(err, CodeNotFound) {
		return 0, Errorf(CodeUnprocessable, "user %q is not a member of this org", userID)
	}
	if err != nil {
		return 0, err
	}
	reach, err := s.store.GroupReach(ctx, g.ID, []string{userID})
	if err != nil {
		return 0, err
	}
	now := s.clock.Now()
	var add []ProjectMember
	for _, l := range reach.Links {
		if l.Side == SideExternal {
			// Only projects the org still partners (a stopped
			// partnership's links are gone; this guards a half-done stop).
			partners, err := s.store.ListPartners(ctx, l.ProjectID)
			if err != nil {
				return 0, err
			}
			if pa, ok := partnerOf(partners, l.OrgID); !ok || pa.Ending() {
				continue // an ending partnership takes no one new
			}
		}
		if _, ok := reach.Members[l.ProjectID][userID]; ok {
			continue
		}
		add = append(add, ProjectMember{ProjectID: l.ProjectID, UserID: userID, Email: m.Email, Name: m.Name,
			Role: l.Role, OrgID: l.OrgID, Side: l.Side, AddedBy: c.UserID, AddedAt: now, GroupIDs: []string{g.ID}, Version: 1})
	}
	gm := GroupMember{GroupID: g.ID, UserID: userID, Email: m.Email, Name: m.Name, OrgID: orgID}
	if err := s.store.AddGroupMember(ctx, gm, add, s.entry(OrgScope(orgID), c, orgID, "group.member_added", nil,
		map[string]any{"groupId": g.ID, "userId": userID, "projects": len(add)})); err != nil {
		return 0, err
	}
	return len(add), nil
}

// ListGroups lists an org's groups to its members.
func (s *Groups) ListGroups(ctx context.Context, c Caller, orgID string, p Page) ([]Group, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	if _, err := s.orgPermit(ctx, c, orgID, OrgView); err != nil {
		return nil, "", err
	}
	return s.store.ListGroups(ctx, orgID, p)
}

// ListGroupMembers lists a group's members to the org's members.
func (s *Groups) ListGroupMembers(ctx context.Context, c Caller, orgID, groupID string, p Page) ([]GroupMember, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	if _, err := s.orgPermit(ctx, c, orgID, OrgView); err != nil {
		return nil, "", err
	}
	if _, err := s.store.GetGroup(ctx, orgID, groupID); err != nil {
		return nil, "", err
	}
	return s.store.ListGroupMembersPage(ctx, groupID, p)
}

// RenameGroup renames a group (org.groups.manage).
func (s *Groups) RenameGroup(ctx context.Context, c Caller, orgID, groupID, name string) (Group, error) {
	var v Validation
	name = CleanName("name", name, &v)
	if err := v.Err(); err != nil {
		return Group{}, err
	}
	if _, err := s.orgPermit(ctx, c, orgID, OrgGroupsManage); err != nil {
		return Group{}, err
	}
	g, err := s.store.GetGroup(ctx, orgID, groupID)
	if err != nil {
		return Group{}, err
	}
	if g.Deleting {
		return Group{}, errGroupDeleting(g.ID)
	}
	if g.Name == name {
		return g, nil
	}
	return s.store.RenameGroup(ctx, g, name, s.entry(OrgScope(orgID), c, orgID, "group.renamed",
		map[string]any{"groupId": g.ID, "name": g.Name}, map[string]any{"groupId": g.ID, "name": name}))
}

// RemoveGroupMember takes a user out of a group (org.groups.manage), and
// out of the projects the group feeds where the group alone brought them:
// a project membership added directly, or also owed to another group
// linked to the project, stays (planGroupRemoval).
func (s *Groups) RemoveGroupMember(ctx context.Context, c Caller, orgID, groupID, userID string) error {
	if _, err := s.orgPermit(ctx, c, orgID, OrgGroupsManage); err != nil {
		return err
	}
	g, err := s.store.GetGroup(ctx, orgID, groupID)
	if err != nil {
		return err
	}
	reach, err := s.store.GroupReach(ctx, g.ID, []string{userID})
	if err != nil {
		return err
	}
	gm, ok := reach.InGroup[userID]
	if !ok {
		return NotMember(userID, RecordGroup, "")
	}
	gm.OrgID = orgID
	r := GroupRemoval{Group: g, Members: []GroupMember{gm}, Projects: planGroupRemoval(g.ID, reach, []string{userID})}
	dropped := s.auditProjects(c, g, r.Projects, "group.member_removed")
	return s.store.RemoveFromGroup(ctx, r, s.entry(OrgScope(orgID), c, orgID, "group.member_removed",
		map[string]any{"groupId": g.ID, "userId": userID}, map[string]any{"projectsLeft": dropped}))
}

// DeleteGroup deletes a group (org.groups.manage) with its memberships and
// its links to projects. Deleting a group removes its members from the
// projects it fed where it alone brought them, as removing each of them
// would; people added directly, or also owed to another linked group,
// stay. A delete too large for one transaction marks the group deleting
// first (it then takes no new members or links); repeating it finishes it.
func (s *Groups) DeleteGroup(ctx context.Context, c Caller, orgID, groupID string) error {
	if _, err := s.orgPermit(ctx, c, orgID, OrgGroupsManage); err != nil {
		return err
	}
	g, err := s.store.GetGroup(ctx, orgID, groupID)
	if err != nil {
		return err
	}
	members, err := s.store.ListGroupMembers(ctx, g.ID)
	if err != nil {
		return err
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.UserID
		members[i].OrgID = orgID
	}
	reach, err := s.store.GroupReach(ctx, g.ID, ids)
	if err != nil {
		return err
	}
	r := GroupRemoval{Group: g, Delete: true, Members: members, Links: reach.Links, Projects: planGroupRemoval(g.ID, reach, ids)}
	dropped := s.auditProjects(c, g, r.Projects, "group.deleted")
	var audit []AuditEntry
	if !g.Deleting { // a repeat finishing a cut-off delete was audited by the first
		audit = append(audit, s.entry(OrgScope(orgID), c, orgID, "group.deleted", map[string]any{"groupId": g.ID, "name": g.Name},
			map[string]any{"members": len(members), "links": len(reach.Links), "projectMembershipsRemoved": dropped}))
	}
	return s.store.RemoveFromGroup(ctx, r, audit...)
}

// auditProjects gives each project a removal changes its own audit entry
// (the host reads it in the project's log, the group's org as a partner
// too), and counts the memberships that go.
func (s *Groups) auditProjects(c Caller, g Group, prs []ProjectRemoval, what string) int {
	n := 0
	for i, pr := range prs {
		gone := make([]string, len(pr.Drop))
		for k, m := range pr.Drop {
			gone[k] = m.UserID
		}
		kept := make([]string, len(pr.Regroup))
		for k, m := range pr.Regroup {
			kept[k] = m.UserID
		}
		prs[i].Audit = s.entry(ProjectScope(pr.ProjectID), c, g.OrgID, what, map[string]any{"groupId": g.ID},
			map[string]any{"groupId": g.ID, "removed": gone, "keptThroughOtherGroups": kept})
		n += len(pr.Drop)
	}
	return n
}
