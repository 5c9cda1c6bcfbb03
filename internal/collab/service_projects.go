package collab

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
)

// Access is a caller's resolved standing on a project.
type Access struct {
	Project  Project
	Standing Standing
	Effective
}

// access loads and resolves the caller's rights on a project. A caller
// without any role there gets not found: the project is not revealed.
func (s *Service) access(ctx context.Context, c Caller, projectID string) (Access, error) {
	p, st, err := s.store.LoadStanding(ctx, projectID, c.UserID)
	if err != nil {
		return Access{}, err
	}
	e := st.Resolve()
	if e.None() {
		return Access{}, Errorf(CodeNotFound, "project %q not found", projectID)
	}
	return Access{Project: p, Standing: st, Effective: e}, nil
}

// require fails with forbidden unless the grant for a allows in some scope.
func (a Access) require(act Action) (Grant, error) {
	g := a.Can(act)
	if !g.Allowed() {
		return g, Errorf(CodeForbidden, "role %s may not %s", a.Role, act)
	}
	return g, nil
}

// CreateProject creates a project in a workspace; the creator becomes its
// owner. Only the owning org's people create projects (SPEC §11.3): its
// owners and admins, and its workspace admins, developers and project
// managers.
func (s *Service) CreateProject(ctx context.Context, c Caller, wsID, name string) (Project, error) {
	var v Validation
	name = CleanName("name", name, &v)
	if err := v.Err(); err != nil {
		return Project{}, err
	}
	a, err := s.workspaceAccess(ctx, c, wsID, "")
	if err != nil {
		return Project{}, err
	}
	if err := a.Permit(WsProjectsCreate, "", nil); err != nil {
		return Project{}, err
	}
	w := a.Workspace
	now := s.clock.Now()
	p := Project{ID: s.ids.New("prj"), WorkspaceID: w.ID, HostOrgID: w.OrgID, Name: name, CreatedBy: c.UserID, CreatedAt: now, Version: 1}
	owner := ProjectMember{ProjectID: p.ID, UserID: c.UserID, Email: NormalizeEmail(c.Email), Name: c.Name, Role: RoleOwner,
		OrgID: w.OrgID, Side: SideHost, AddedBy: c.UserID, AddedAt: now, Version: 1}
	return p, s.store.CreateProject(ctx, p, owner)
}

// GetProject returns a project with the caller's access.
func (s *Service) GetProject(ctx context.Context, c Caller, projectID string) (Access, error) {
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return Access{}, err
	}
	_, err = a.require(ActProjectView)
	return a, err
}

// RenameProject renames a project (project.rename).
func (s *Service) RenameProject(ctx context.Context, c Caller, projectID, name string) (Project, error) {
	var v Validation
	name = CleanName("name", name, &v)
	if err := v.Err(); err != nil {
		return Project{}, err
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return Project{}, err
	}
	if _, err := a.require(ActProjectRename); err != nil {
		return Project{}, err
	}
	return s.store.RenameProject(ctx, a.Project, name)
}

// DeleteProject deletes a project and everything stored under it
// (project.delete).
func (s *Service) DeleteProject(ctx context.Context, c Caller, projectID string) (int, error) {
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return 0, err
	}
	if _, err := a.require(ActProjectDelete); err != nil {
		return 0, err
	}
	return s.store.DeleteProject(ctx, a.Project)
}

// PermissionsView answers what the caller may do on a project.
type PermissionsView struct {
	Effective
	ProjectID string
	Actions   []Action
	Limits    map[Action]Grant
}

// Permissions lists the caller's actions on a project and their limits.
func (s *Service) Permissions(ctx context.Context, c Caller, projectID string) (PermissionsView, error) {
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return PermissionsView{}, err
	}
	return permissionsOf(projectID, a.Effective), nil
}

func permissionsOf(projectID string, e Effective) PermissionsView {
	v := PermissionsView{Effective: e, ProjectID: projectID, Actions: []Action{}, Limits: map[Action]Grant{}}
	for _, row := range Permissions {
		g := e.Can(row.Action)
		if g.Allowed() {
			v.Actions = append(v.Actions, row.Action)
		}
		if g.Limited() {
			v.Limits[row.Action] = g
		}
	}
	return v
}

// Decision answers an authorize question.
type Decision struct {
	UserID  string
	Action  Action
	Allowed bool
	Effective
	Limit Grant
}

// Authorize answers "may user U do action A on this project". A caller may
// ask about themselves; asking about another user needs members.view over
// that user (own_org: only users of the caller's org).
func (s *Service) Authorize(ctx context.Context, c Caller, projectID, userID string, act Action) (Decision, error) {
	if !KnownAction(act) {
		return Decision{}, invalid("action", "is not an action of the permission matrix")
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return Decision{}, err
	}
	target := a.Effective
	if userID != "" && userID != c.UserID {
		g, err := a.require(ActMembersView)
		if err != nil {
			return Decision{}, err
		}
		_, st, err := s.store.LoadStanding(ctx, projectID, userID)
		if err != nil {
			return Decision{}, err
		}
		target = st.Resolve()
		if g == OwnOrg && (target.None() || target.OrgID != a.OrgID) {
			return Decision{}, Errorf(CodeNotFound, "user %q is not a member of your org on this project", userID)
		}
	} else {
		userID = c.UserID
	}
	grant := target.Can(act)
	d := Decision{UserID: userID, Action: act, Allowed: grant.Allowed(), Effective: target}
	if grant.Limited() {
		d.Limit = grant
	}
	return d, nil
}

// ListProjectMembers lists a project's members (members.view). Callers whose
// grant is own_org see only their own org's members, read from the per-org
// index, never filtered out of everyone.
func (s *Service) ListProjectMembers(ctx context.Context, c Caller, projectID string, f MemberFilter, p Page) ([]ProjectMember, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	if f.Role != "" && !f.Role.Valid() {
		return nil, "", invalid("role", "is not a project role")
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return nil, "", err
	}
	g, err := a.require(ActMembersView)
	if err != nil {
		return nil, "", err
	}
	if g == OwnOrg {
		f.OrgID = a.OrgID
	}
	f.Query = strings.TrimSpace(f.Query)
	return s.store.ListProjectMembers(ctx, projectID, f, p)
}

// placement is where a new member lands: the org they act for and the side.
type placement struct {
	orgID string
	side  Side
	types []CollabType
}

// allowedRoles returns the roles a member placed so may hold.
func (pl placement) allowedRoles() []Role {
	if pl.side == SideExternal {
		return ExternalRoles(pl.types)
	}
	return Roles
}

// checkGrant applies the grant rules to giving role to someone placed at pl.
func (a Access) checkGrant(g Grant, role Role, pl placement) error {
	if g == OwnOrg && pl.orgID != a.OrgID {
		return Errorf(CodeForbidden, "you manage only the members of your own org")
	}
	if !MayGrant(a.Role, role) {
		return Errorf(CodeForbidden, "a %s may not grant %s", a.Role, role)
	}
	if !slices.Contains(pl.allowedRoles(), role) {
		return invalid("role", "an external member may hold only %s", joinRolesPlain(pl.allowedRoles()))
	}
	return nil
}

func joinRolesPlain(rs []Role) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return strings.Join(out, ", ")
}

// place decides for which org a user joins the project when someone acting
// as a adds them (SPEC §11.4, §11.5): an external manager adds only for
// their own org; the host adds for the host org. A named company other
// than the caller's own org is refused with one answer, whatever the org
// and the user. It does not say whether the user belongs to that org.
func (s *Service) place(a Access, companyOrgID string) (placement, error) {
	if a.Side == SideExternal {
		if companyOrgID != "" && companyOrgID != a.OrgID {
			return placement{}, notYourOrg()
		}
		pa := a.Standing.Partner
		if pa == nil || pa.OrgID != a.OrgID {
			return placement{}, invalid("email", "your org takes part in this project through its workspace; give workspace roles instead")
		}
		return placement{orgID: a.OrgID, side: SideExternal, types: pa.Types}, nil
	}
	if companyOrgID != "" && companyOrgID != a.Project.HostOrgID {
		return placement{}, notYourOrg()
	}
	return placement{orgID: a.Project.HostOrgID, side: SideHost}, nil
}

func notYourOrg() error {
	return &Error{Code: CodeForbidden, Message: "people are added for an organization only by that organization's own managers",
		Fields: []FieldError{{Field: "companyOrgId", Message: "is not the org you act for on this project"}}}
}

// ValidEmail reports whether s is a bare email address.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && len(s) <= 254
}

// AddProjectMember adds a user to a project with a role (members.manage and
// the grant rules), for the org the caller acts for. A user who is a member
// of that org is added at once (201); anyone else, with or without an
// account, gets an email invitation (202): the answer never says which.
func (s *Service) AddProjectMember(ctx context.Context, c Caller, projectID, email string, role Role, companyOrgID string) (*ProjectMember, *Issued, error) {
	email = NormalizeEmail(email)
	var v Validation
	if !ValidEmail(email) {
		v.Add("email", "must be an email address")
	}
	if !role.Valid() {
		v.Add("role", "must be one of %s", joinRolesPlain(Roles))
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return nil, nil, err
	}
	g, err := a.require(ActMembersManage)
	if err != nil {
		return nil, nil, err
	}
	pl, err := s.place(a, companyOrgID)
	if err != nil {
		return nil, nil, err
	}
	if err := a.checkGrant(g, role, pl); err != nil {
		return nil, nil, err
	}
	u, err := s.store.FindUserByEmail(ctx, email)
	if err != nil && !IsCode(err, CodeNotFound) {
		return nil, nil, err
	}
	if err == nil {
		in, err := s.store.GetOrgMemberships(ctx, pl.orgID, []string{u.ID})
		if err != nil {
			return nil, nil, err
		}
		if _, ok := in[u.ID]; ok {
			m := ProjectMember{ProjectID: projectID, UserID: u.ID, Email: u.Email, Name: u.Name, Role: role, OrgID: pl.orgID,
				Side: pl.side, AddedBy: c.UserID, AddedAt: s.clock.Now(), Version: 1}
			if err := s.store.AddProjectMembers(ctx, projectID, []ProjectMember{m}, s.memberEntry(c, m, "member.added", nil)); err != nil {
				return nil, nil, err
			}
			s.notifyAdded(ctx, a.Project, m, c)
			return &m, nil, nil
		}
	}
	iss, err := s.inviteProjectMember(ctx, c, a, email, role, pl)
	if err != nil {
		return nil, nil, err
	}
	return nil, &iss, nil
}

// memberEntry is the audit entry of a change of a project membership.
func (s *Service) memberEntry(c Caller, m ProjectMember, what string, before any) AuditEntry {
	return s.entry(ProjectScope(m.ProjectID), c, m.OrgID, what, before, map[string]any{"userId": m.UserID, "role": m.Role, "side": m.Side})
}

// notifyAdded tells a user they were added to a project. A failure to queue
// the note is logged by the mailer, not fatal: the membership stands.
func (s *Service) notifyAdded(ctx context.Context, p Project, m ProjectMember, by Caller) {
	text := fmt.Sprintf("Hello,\n\n%s added you to the project %q as %s.\n\n%s/projects/%s\n",
		displayName(by), p.Name, m.Role, s.cfg.PublicBaseURL, p.ID)
	_ = s.mailer.Send(ctx, Email{ID: "added-" + p.ID + "-" + m.UserID + "-" + fmt.Sprint(m.AddedAt.UnixNano()), To: m.Email,
		Subject: fmt.Sprintf("You were added to %q", p.Name), Text: text})
}

// target reads a member the caller manages: own_org managers see only their
// own org's members (others are not found).
func (s *Service) target(ctx context.Context, a Access, g Grant, userID string) (ProjectMember, placement, error) {
	m, err := s.store.GetProjectMember(ctx, a.Project.ID, userID)
	if err != nil {
		return ProjectMember{}, placement{}, err
	}
	if g == OwnOrg && m.OrgID != a.OrgID {
		return ProjectMember{}, placement{}, Errorf(CodeNotFound, "user %q is not a member of this project", userID)
	}
	pl := placement{orgID: m.OrgID, side: m.Side}
	if m.Side == SideExternal {
		pa, err := s.store.GetPartner(ctx, a.Project.ID, m.OrgID)
		if err != nil && !IsCode(err, CodeNotFound) {
			return ProjectMember{}, placement{}, err
		}
		pl.types = pa.Types
	}
	return m, pl, nil
}

// ChangeProjectMemberRole changes a member's role (members.manage; nobody
// changes someone above them or grants above their own role; the project
// keeps an owner). The write checks that the caller's own right is
// unchanged, so two owners demoting each other cannot both succeed.
func (s *Service) ChangeProjectMemberRole(ctx context.Context, c Caller, projectID, userID string, role Role) (ProjectMember, error) {
	if !role.Valid() {
		return ProjectMember{}, invalid("role", "must be one of %s", joinRolesPlain(Roles))
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return ProjectMember{}, err
	}
	g, err := a.require(ActMembersManage)
	if err != nil {
		return ProjectMember{}, err
	}
	m, pl, err := s.target(ctx, a, g, userID)
	if err != nil {
		return ProjectMember{}, err
	}
	if !MayGrant(a.Role, m.Role) {
		return ProjectMember{}, Errorf(CodeForbidden, "a %s may not change a %s", a.Role, m.Role)
	}
	if err := a.checkGrant(g, role, pl); err != nil {
		return ProjectMember{}, err
	}
	if m.Role == role {
		return m, nil
	}
	next := m
	next.Role = role
	return s.store.SetProjectMemberRole(ctx, m, role, a.Basis, s.memberEntry(c, next, "member.role_changed", map[string]any{"role": m.Role}))
}

// RemoveProjectMember removes a member (members.manage, or a member leaving
// on their own); the project keeps an owner.
func (s *Service) RemoveProjectMember(ctx context.Context, c Caller, projectID, userID string) error {
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return err
	}
	if userID == c.UserID && a.Standing.Member != nil {
		m := *a.Standing.Member
		return s.store.RemoveProjectMember(ctx, m, Basis{}, s.memberEntry(c, m, "member.left", nil))
	}
	g, err := a.require(ActMembersManage)
	if err != nil {
		return err
	}
	m, _, err := s.target(ctx, a, g, userID)
	if err != nil {
		return err
	}
	if !MayGrant(a.Role, m.Role) {
		return Errorf(CodeForbidden, "a %s may not remove a %s", a.Role, m.Role)
	}
	return s.store.RemoveProjectMember(ctx, m, a.Basis, s.memberEntry(c, m, "member.removed", nil))
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
func (s *Service) AddGroupToProject(ctx context.Context, c Caller, projectID, groupID string, role Role) (GroupAdded, error) {
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
	// Only people still in the group's org join (SPEC §11.1).
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
