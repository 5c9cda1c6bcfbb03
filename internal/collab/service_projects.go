package collab

import (
	"context"
	"errors"
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
// owner. Owners and admins of the workspace's org, and workspace admins,
// developers and project managers, may create projects.
func (s *Service) CreateProject(ctx context.Context, c Caller, wsID, name string) (Project, error) {
	var v Validation
	name = CleanName("name", name, &v)
	if err := v.Err(); err != nil {
		return Project{}, err
	}
	w, err := s.store.GetWorkspace(ctx, wsID)
	if err != nil {
		return Project{}, err
	}
	orgRole, wsRole, err := s.store.WorkspaceStanding(ctx, w, c.UserID)
	if err != nil {
		return Project{}, err
	}
	if orgRole == "" && wsRole == "" {
		return Project{}, Errorf(CodeNotFound, "workspace %q not found", wsID)
	}
	if !orgRole.HasWorkforceAccess() && !slices.Contains([]WorkspaceRole{WSAdmin, WSDeveloper, WSProjectManager}, wsRole) {
		return Project{}, Errorf(CodeForbidden, "creating projects needs workspace admin, developer or project_manager")
	}
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

// place decides where an existing user joins the project: a named company
// (partner) org, the actor's own org for own_org managers, the host org, or
// the one partner org the user belongs to.
func (s *Service) place(ctx context.Context, a Access, g Grant, userID, companyOrgID string) (placement, error) {
	orgIs := func(orgID string) (bool, error) {
		ms, err := s.store.GetOrgMemberships(ctx, orgID, []string{userID})
		return len(ms) == 1, err
	}
	partnerPlacement := func(orgID, field string) (placement, error) {
		pa, err := s.store.GetPartner(ctx, a.Project.ID, orgID)
		if IsCode(err, CodeNotFound) {
			return placement{}, invalid(field, "org %q does not take part in this project", orgID)
		}
		if err != nil {
			return placement{}, err
		}
		return placement{orgID: orgID, side: SideExternal, types: pa.Types}, nil
	}
	var pl placement
	var err error
	switch {
	case companyOrgID != "":
		if pl, err = partnerPlacement(companyOrgID, "companyOrgId"); err != nil {
			return placement{}, err
		}
	case g == OwnOrg && a.Side == SideExternal:
		if pl, err = partnerPlacement(a.OrgID, "companyOrgId"); err != nil {
			return placement{}, err
		}
	default:
		in, err := orgIs(a.Project.HostOrgID)
		if err != nil {
			return placement{}, err
		}
		if in {
			return placement{orgID: a.Project.HostOrgID, side: SideHost}, nil
		}
		if g == OwnOrg {
			return placement{}, Errorf(CodeUnprocessable, "the user is not a member of your org")
		}
		partners, err := s.store.ListPartners(ctx, a.Project.ID)
		if err != nil {
			return placement{}, err
		}
		var matches []placement
		var options []map[string]string
		for _, pa := range partners {
			in, err := orgIs(pa.OrgID)
			if err != nil {
				return placement{}, err
			}
			if in {
				matches = append(matches, placement{orgID: pa.OrgID, side: SideExternal, types: pa.Types})
				options = append(options, map[string]string{"id": pa.OrgID, "name": pa.OrgName})
			}
		}
		switch len(matches) {
		case 0:
			return placement{}, &Error{Code: CodeUnprocessable, Message: "the user is not a member of any org taking part in this project; invite them instead",
				Fields: []FieldError{{Field: "email", Message: "belongs to no org taking part in this project"}}}
		case 1:
			return matches[0], nil
		default:
			return placement{}, &Error{Code: CodeUnprocessable, Message: "the user belongs to several partner orgs; name one as companyOrgId",
				Fields: []FieldError{{Field: "companyOrgId", Message: "is required: the user is in several partner orgs"}},
				Extra:  map[string]any{"orgs": options}}
		}
	}
	in, err := orgIs(pl.orgID)
	if err != nil {
		return placement{}, err
	}
	if !in {
		return placement{}, &Error{Code: CodeUnprocessable, Message: "the user is not a member of that org",
			Fields: []FieldError{{Field: "email", Message: "is not a member of org " + pl.orgID}}}
	}
	return pl, nil
}

// ValidEmail reports whether s is a bare email address.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && len(s) <= 254
}

// AddProjectMember adds a user to a project with a role (members.manage and
// the grant rules). A user with an account in an org taking part in the
// project is added at once; anyone else gets an email invitation.
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
	u, err := s.store.FindUserByEmail(ctx, email)
	switch {
	case IsCode(err, CodeNotFound):
		return s.inviteInstead(ctx, c, a, g, email, role, companyOrgID)
	case err != nil:
		return nil, nil, err
	}
	pl, err := s.place(ctx, a, g, u.ID, companyOrgID)
	if err != nil {
		var de *Error
		if errorAs(err, &de) && de.Code == CodeUnprocessable && len(de.Fields) == 1 && de.Fields[0].Field == "email" && g != OwnOrg {
			return s.inviteInstead(ctx, c, a, g, email, role, companyOrgID)
		}
		return nil, nil, err
	}
	if err := a.checkGrant(g, role, pl); err != nil {
		return nil, nil, err
	}
	m := ProjectMember{ProjectID: projectID, UserID: u.ID, Email: u.Email, Name: u.Name, Role: role, OrgID: pl.orgID,
		Side: pl.side, AddedBy: c.UserID, AddedAt: s.clock.Now(), Version: 1}
	if err := s.store.AddProjectMembers(ctx, projectID, []ProjectMember{m}); err != nil {
		return nil, nil, err
	}
	s.notifyAdded(ctx, a.Project, m, c)
	return &m, nil, nil
}

// inviteInstead invites by email someone who cannot be added at once: for
// the host side (a freelancer), for the named company, or, from a company's
// own manager, for that company.
func (s *Service) inviteInstead(ctx context.Context, c Caller, a Access, g Grant, email string, role Role, companyOrgID string) (*ProjectMember, *Issued, error) {
	pl := placement{orgID: a.Project.HostOrgID, side: SideHost}
	switch {
	case companyOrgID != "":
		pa, err := s.store.GetPartner(ctx, a.Project.ID, companyOrgID)
		if IsCode(err, CodeNotFound) {
			return nil, nil, invalid("companyOrgId", "org %q does not take part in this project", companyOrgID)
		}
		if err != nil {
			return nil, nil, err
		}
		pl = placement{orgID: pa.OrgID, side: SideExternal, types: pa.Types}
	case g == OwnOrg && a.Side == SideExternal:
		pa, err := s.store.GetPartner(ctx, a.Project.ID, a.OrgID)
		if err != nil {
			return nil, nil, err
		}
		pl = placement{orgID: pa.OrgID, side: SideExternal, types: pa.Types}
	}
	if err := a.checkGrant(g, role, pl); err != nil {
		return nil, nil, err
	}
	iss, err := s.inviteProjectMember(ctx, c, a, email, role, pl)
	if err != nil {
		return nil, nil, err
	}
	return nil, &iss, nil
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
// keeps an owner).
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
	return s.store.SetProjectMemberRole(ctx, m, role)
}

// RemoveProjectMember removes a member (members.manage, or a member leaving
// on their own); the project keeps an owner.
func (s *Service) RemoveProjectMember(ctx context.Context, c Caller, projectID, userID string) error {
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return err
	}
	if userID == c.UserID && a.Standing.Member != nil {
		return s.store.RemoveProjectMember(ctx, *a.Standing.Member)
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
	return s.store.RemoveProjectMember(ctx, m)
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
	if err := s.store.LinkGroup(ctx, link, add); err != nil {
		return GroupAdded{}, err
	}
	return GroupAdded{GroupID: grp.ID, Role: role, Added: len(add), AlreadyMembers: len(existing)}, nil
}

func errorAs(err error, target **Error) bool { return errors.As(err, target) }
