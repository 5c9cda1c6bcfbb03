package collab

import (
	"context"
	"testing"
	"time"
)

// fakeProject stands in for the two narrow ports the member use cases
// read: the authorization core's reads (RightsStore) and MemberStore. It
// holds one project's facts in maps; a method the use cases are not
// expected to call panics through the nil embedded interface.
type fakeProject struct {
	RightsStore
	MemberStore
	project  Project
	members  map[string]ProjectMember            // user -> row
	orgs     map[string]map[string]OrgMembership // org -> user -> row
	partners map[string]Partner                  // org -> partnership
	changed  []roleChange
	removed  []string
}

type roleChange struct {
	user  string
	role  Role
	guard Basis
}

func (f *fakeProject) LoadStanding(_ context.Context, projectID, userID string) (Project, Standing, error) {
	if projectID != f.project.ID {
		return Project{}, Standing{}, Errorf(CodeNotFound, "project %q not found", projectID)
	}
	st := Standing{ProjectID: projectID, HostOrgID: f.project.HostOrgID, UserID: userID}
	if m, ok := f.orgs[f.project.HostOrgID][userID]; ok {
		st.HostOrg = &m
	}
	if m, ok := f.members[userID]; ok {
		st.Member = &m
		if m.Side == SideExternal {
			if pa, ok := f.partners[m.OrgID]; ok {
				st.Partner = &pa
			}
			if om, ok := f.orgs[m.OrgID][userID]; ok {
				st.MemberOrg = &om
			}
		}
	}
	return f.project, st, nil
}

func (f *fakeProject) GetOrgMembership(_ context.Context, orgID, userID string) (OrgMembership, error) {
	if m, ok := f.orgs[orgID][userID]; ok {
		return m, nil
	}
	return OrgMembership{}, Errorf(CodeNotFound, "not a member")
}

func (f *fakeProject) GetProjectMember(_ context.Context, projectID, userID string) (ProjectMember, error) {
	if m, ok := f.members[userID]; ok {
		return m, nil
	}
	return ProjectMember{}, Errorf(CodeNotFound, "user %q is not a member of this project", userID)
}

func (f *fakeProject) GetPartner(_ context.Context, _, orgID string) (Partner, error) {
	if pa, ok := f.partners[orgID]; ok {
		return pa, nil
	}
	return Partner{}, Errorf(CodeNotFound, "no partner")
}

func (f *fakeProject) GetPartnerRecord(ctx context.Context, projectID, orgID string) (Partner, error) {
	return f.GetPartner(ctx, projectID, orgID)
}

func (f *fakeProject) SetProjectMemberRole(_ context.Context, m ProjectMember, role Role, guard Basis, _ ...AuditEntry) (ProjectMember, error) {
	f.changed = append(f.changed, roleChange{m.UserID, role, guard})
	m.Role = role
	return m, nil
}

func (f *fakeProject) RemoveProjectMember(_ context.Context, m ProjectMember, _ Basis, _ ...AuditEntry) error {
	f.removed = append(f.removed, m.UserID)
	return nil
}

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }

type seqIDs struct{ n int }

func (s *seqIDs) New(prefix string) string { s.n++; return prefix + "_" + string(rune('a'+s.n%26)) }

// newMembersWorld: project p of host org h with partners x and y. Host:
// owner o, project manager pm, annotator ha. Partner x: annotation manager
// xm, annotator xa. Partner y: annotator ya.
func newMembersWorld() (*Members, *fakeProject) {
	f := &fakeProject{
		project:  Project{ID: "p", WorkspaceID: "w", HostOrgID: "h", Name: "P"},
		members:  map[string]ProjectMember{},
		orgs:     map[string]map[string]OrgMembership{"h": {}, "x": {}, "y": {}},
		partners: map[string]Partner{"x": {ProjectID: "p", OrgID: "x"}, "y": {ProjectID: "p", OrgID: "y"}},
	}
	add := func(user, org string, side Side, role Role) {
		f.members[user] = ProjectMember{ProjectID: "p", UserID: user, Role: role, OrgID: org, Side: side, Version: 3}
		f.orgs[org][user] = OrgMembership{OrgID: org, UserID: user, Role: OrgMember, Version: 1}
	}
	add("o", "h", SideHost, RoleOwner)
	add("pm", "h", SideHost, RoleProjectManager)
	add("ha", "h", SideHost, RoleAnnotator)
	add("xm", "x", SideExternal, RoleAnnotationManager)
	add("xa", "x", SideExternal, RoleAnnotator)
	add("ya", "y", SideExternal, RoleAnnotator)
	m := &Members{base: base{rights: f, clock: fixedClock{}, ids: &seqIDs{}}, store: f}
	return m, f
}

// Delegation: who may change whose role to what, and that the write is
// guarded by the caller's own row. These run against the narrow ports
// alone, without a table.
func TestChangeProjectMemberRoleDelegation(t *testing.T) {
	cases := []struct {
		name, caller, target string
		role                 Role
		want                 Code // "" = allowed
	}{
		{"partner manager promotes own annotator", "xm", "xa", RoleAnnotationManager, ""},
		{"partner manager may not grant above the partner's roles", "xm", "xa", RoleProjectManager, CodeForbidden},
		{"partner manager does not see another partner's member", "xm", "ya", RoleAnnotationManager, CodeNotFound},
		{"partner manager does not see host members", "xm", "ha", RoleAnnotationManager, CodeNotFound},
		{"annotator manages nobody", "xa", "xa", RoleAnnotationManager, CodeForbidden},
		{"project manager may not change the owner", "pm", "o", RoleAnnotator, CodeForbidden},
		{"project manager may not grant owner", "pm", "ha", RoleOwner, CodeForbidden},
		{"project manager promotes a host annotator", "pm", "ha", RoleAnnotationManager, ""},
		{"owner may not make a partner's annotator a developer", "o", "xa", RoleDeveloper, CodeInvalid},
		{"owner sets a partner's annotator to the partner's manager role", "o", "xa", RoleAnnotationManager, ""},
		{"a stranger sees no project", "nobody", "xa", RoleAnnotator, CodeNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, f := newMembersWorld()
			_, err := m.ChangeProjectMemberRole(context.Background(), Caller{UserID: tc.caller}, "p", tc.target, tc.role)
			if got := ErrorCode(err); err != nil && got != tc.want || err == nil && tc.want != "" {
				t.Fatalf("err = %v (code %q), want code %q", err, got, tc.want)
			}
			if tc.want != "" {
				if len(f.changed) != 0 {
					t.Fatalf("a refused change was written: %+v", f.changed)
				}
				return
			}
			if len(f.changed) != 1 || f.changed[0].user != tc.target || f.changed[0].role != tc.role {
				t.Fatalf("writes = %+v", f.changed)
			}
			// The write is guarded by the caller's own membership row.
			if g := f.changed[0].guard; g.Kind != BasisProjectMember || g.UserID != tc.caller || g.Version != 3 {
				t.Fatalf("guard = %+v, want the caller's project row at version 3", g)
			}
		})
	}
}

// A member who left the partner org keeps a project row but no rights: the
// core reads live standing, so the row alone manages nobody.
func TestLeftMemberManagesNobody(t *testing.T) {
	m, f := newMembersWorld()
	delete(f.orgs["x"], "xm")
	_, err := m.ChangeProjectMemberRole(context.Background(), Caller{UserID: "xm"}, "p", "xa", RoleAnnotationManager)
	if ErrorCode(err) != CodeNotFound || len(f.changed) != 0 {
		t.Fatalf("err = %v, writes %+v; want not found and no write", err, f.changed)
	}
}

func TestRemoveProjectMemberDelegation(t *testing.T) {
	cases := []struct {
		caller, target string
		want           Code
	}{
		{"xa", "xa", ""},             // anyone may leave
		{"xm", "xa", ""},             // own org's annotator
		{"xm", "ya", CodeNotFound},   // another partner's member is not seen
		{"pm", "o", CodeForbidden},   // nobody removes someone above them
		{"ha", "xa", CodeForbidden},  // an annotator removes nobody
		{"o", "ya", ""},              // the host's owner removes anyone below
		{"ya", "ha", CodeForbidden},  // nor does another partner's annotator
		{"gone", "ha", CodeNotFound}, // no standing, no project
	}
	for _, tc := range cases {
		m, f := newMembersWorld()
		err := m.RemoveProjectMember(context.Background(), Caller{UserID: tc.caller}, "p", tc.target)
		if got := ErrorCode(err); err != nil && got != tc.want || err == nil && tc.want != "" {
			t.Errorf("%s removes %s: err = %v, want code %q", tc.caller, tc.target, err, tc.want)
			continue
		}
		if wrote := len(f.removed) == 1 && f.removed[0] == tc.target; wrote != (tc.want == "") {
			t.Errorf("%s removes %s: removed = %v", tc.caller, tc.target, f.removed)
		}
	}
}
