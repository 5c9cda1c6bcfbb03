package collab

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
)

// Members adds, changes and removes project members, one by one or by import.
type Members struct {
	base
	store       MemberStore
	mailer      Mailer
	invitations *Invitations // someone without an account is invited instead
}

// MemberStore is what the project-member use cases need.
type MemberStore interface {
	ListProjectMembers(ctx context.Context, projectID string, f MemberFilter, p Page) ([]ProjectMember, string, error)
	GetProjectMember(ctx context.Context, projectID, userID string) (ProjectMember, error)
	GetProjectMembers(ctx context.Context, projectID string, userIDs []string) (map[string]ProjectMember, error)
	AddProjectMembers(ctx context.Context, projectID string, ms []ProjectMember, audit ...AuditEntry) error
	// SetProjectMemberRole and RemoveProjectMember also check that guard,
	// the row the caller's right rests on, is unchanged.
	SetProjectMemberRole(ctx context.Context, m ProjectMember, role Role, guard Basis, audit ...AuditEntry) (ProjectMember, error)
	RemoveProjectMember(ctx context.Context, m ProjectMember, guard Basis, audit ...AuditEntry) error
	FindUserByEmail(ctx context.Context, email string) (User, error)
	GetOrgMemberships(ctx context.Context, orgID string, userIDs []string) (map[string]OrgMembership, error)
	GetPartner(ctx context.Context, projectID, orgID string) (Partner, error)
	// GetPartnerRecord reads a partner whatever its state (ending, too).
	GetPartnerRecord(ctx context.Context, projectID, orgID string) (Partner, error)
	ListPartners(ctx context.Context, projectID string) ([]Partner, error)
}

// ListProjectMembers lists a project's members (members.view). Callers whose
// grant is own_org see only their own org's members, read from the per-org
// index, never filtered out of everyone.
func (s *Members) ListProjectMembers(ctx context.Context, c Caller, projectID string, f MemberFilter, p Page) ([]ProjectMember, string, error) {
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
// as a adds them (docs/security.md, invariants 4 and 5): an external manager adds only for
// their own org; the host adds for the host org. A named company other
// than the caller's own org is refused with one answer, whatever the org
// and the user. It does not say whether the user belongs to that org.
func (s *Members) place(a Access, companyOrgID string) (placement, error) {
	if a.Side == SideExternal {
		if companyOrgID != "" && companyOrgID != a.OrgID {
			return placement{}, notYourOrg()
		}
		if pa := a.Standing.Partner; pa != nil && pa.OrgID == a.OrgID {
			if pa.Ending() {
				return placement{}, errEnding(pa.OrgName)
			}
			return placement{orgID: a.OrgID, side: SideExternal, types: pa.Types}, nil
		}
		// A workspace collaborator's managers put their own people on the
		// projects its access covers.
		for _, col := range []*Collaborator{a.Standing.Collab, a.Standing.MemberCollab} {
			if col != nil && col.OrgID == a.OrgID {
				return placement{orgID: a.OrgID, side: SideExternal, types: col.Types}, nil
			}
		}
		return placement{}, invalid("email", "your org does not take part in this project")
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
func (s *Members) AddProjectMember(ctx context.Context, c Caller, projectID, email string, role Role, companyOrgID string) (*ProjectMember, *Issued, error) {
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
	iss, err := s.invitations.inviteProjectMember(ctx, c, a, email, role, pl)
	if err != nil {
		return nil, nil, err
	}
	return nil, &iss, nil
}

// memberEntry is the audit entry of a change of a project membership.
func (s *Members) memberEntry(c Caller, m ProjectMember, what string, before any) AuditEntry {
	return s.entry(ProjectScope(m.ProjectID), c, m.OrgID, what, before, map[string]any{"userId": m.UserID, "role": m.Role, "side": m.Side})
}

// notifyAdded tells a user they were added to a project. A failure to queue
// the note is logged by the mailer, not fatal: the membership stands.
func (s *Members) notifyAdded(ctx context.Context, p Project, m ProjectMember, by Caller) {
	e, err := ComposeNotice(NoticeAdded, "added-"+p.ID+"-"+m.UserID+"-"+fmt.Sprint(m.AddedAt.UnixNano()), m.Email,
		AddedNotice{AddedBy: displayName(by), ProjectName: p.Name, Role: m.Role, Link: s.appLink("projects", p.ID)})
	if err == nil {
		_ = s.mailer.Send(ctx, e)
	}
}

// target reads a member the caller manages: own_org managers see only their
// own org's members (others are not found).
func (s *Members) target(ctx context.Context, a Access, g Grant, userID string) (ProjectMember, placement, error) {
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
func (s *Members) ChangeProjectMemberRole(ctx context.Context, c Caller, projectID, userID string, role Role) (ProjectMember, error) {
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
	if m.Side == SideExternal {
		// An ending partnership's people keep their roles to finish its
		// reviews; none changes (no new reviewer, no new annotator).
		if pa, err := s.store.GetPartnerRecord(ctx, a.Project.ID, m.OrgID); err == nil && pa.Ending() && pa.StoppingJob == "" {
			return ProjectMember{}, errEnding(pa.OrgName)
		}
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
func (s *Members) RemoveProjectMember(ctx context.Context, c Caller, projectID, userID string) error {
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
