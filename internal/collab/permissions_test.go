package collab

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// specMatrix is docs/permissions.md's table as written there; the code's table must say
// the same.
const specMatrix = `
| project.view | Y | Y | Y | Y | Y |
| project.rename | Y | Y | - | - | - |
| project.delete | Y | - | - | - | - |
| project.settings | Y | - | - | - | - |
| partners.manage | Y | - | - | - | - |
| labels.edit | Y | Y | - | - | - |
| datasets.view | Y | Y | Y | Y | - |
| datasets.manage | Y | Y | - | - | - |
| pipelines.view | Y | Y | Y | Y | - |
| data.download | Y | Y | - | - | - |
| members.view | Y | Y | Y | own | own |
| members.manage | Y | Y | Y | own | - |
| tasks.create | Y | Y | Y | own | - |
| tasks.assign | Y | Y | Y | own | - |
| tasks.rename | Y | Y | - | - | - |
| tasks.delete | Y | Y | Y | tasks they created | - |
| annotations.edit | Y | Y | Y | Y | items assigned to them |
| items.review | Y | Y | Y | Y | - |
| issues.open | Y | Y | Y | Y | on items in review they are assigned to |
| issues.resolve | Y | Y | Y | Y | - |
| comments.create | Y | Y | Y | Y | Y |
| audit.view | Y | Y | - | - | - |
`

var specWords = map[string]Grant{
	"Y": Allow, "-": Deny, "own": OwnOrg, "tasks they created": OwnTasks,
	"items assigned to them": AssignedItems, "on items in review they are assigned to": ReviewAssignments,
}

func TestMatrixIsTheSpecs(t *testing.T) {
	var rows int
	for _, line := range strings.Split(strings.TrimSpace(specMatrix), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), "|")
		act := Action(strings.TrimSpace(cells[0]))
		if !KnownAction(act) {
			t.Errorf("spec action %s missing from the matrix", act)
			continue
		}
		rows++
		for i, r := range Roles {
			want, ok := specWords[strings.TrimSpace(cells[i+1])]
			if !ok {
				t.Fatalf("unknown spec cell %q", cells[i+1])
			}
			if got := GrantOf(r, act); got != want {
				t.Errorf("%s × %s = %s, spec says %s", act, r, got, want)
			}
		}
	}
	if rows != len(Permissions) {
		t.Errorf("matrix has %d actions, spec %d", len(Permissions), rows)
	}
}

// external builds the live standing of a member of org x acting for it on
// project p through a partnership of the given types.
func external(m *ProjectMember, types []CollabType) Standing {
	m.OrgID, m.Side, m.ProjectID, m.UserID = "x", SideExternal, "p", "u"
	return Standing{ProjectID: "p", HostOrgID: "h", UserID: "u", Member: m,
		Partner: &Partner{ProjectID: "p", OrgID: "x", Types: types}, MemberOrg: &OrgMembership{OrgID: "x", UserID: "u", Role: OrgMember}}
}

func hostMember(m *ProjectMember) Standing {
	m.OrgID, m.Side, m.ProjectID, m.UserID = "h", SideHost, "p", "u"
	return Standing{ProjectID: "p", HostOrgID: "h", UserID: "u", Member: m, HostOrg: &OrgMembership{OrgID: "h", UserID: "u", Role: OrgMember}}
}

// Every action × role × side, from the same table: a member with that role
// on that side gets exactly the table's grant, narrowed for an external
// member by the action's external ceiling; an external member's role is
// capped first (an external owner acts as annotation_manager unless the
// org's types allow more).
func TestEveryActionRoleSide(t *testing.T) {
	for _, row := range Permissions {
		for i, role := range Roles {
			for _, side := range Sides {
				for _, types := range [][]CollabType{nil, {CollabProducerPartner}, {CollabDataPartner, CollabProducerPartner}} {
					if side == SideHost && types != nil {
						continue
					}
					st := hostMember(&ProjectMember{Role: role})
					if side == SideExternal {
						st = external(&ProjectMember{Role: role}, types)
					}
					e := st.Resolve()
					wantRole := role
					if side == SideExternal {
						wantRole = capRole(role, ExternalRoles(types))
					}
					if e.Role != wantRole || e.Side != side {
						t.Fatalf("%s/%s/%v resolves to %s/%s, want %s/%s", role, side, types, e.Role, e.Side, wantRole, side)
					}
					want := row.Grants[len(Roles)-wantRole.Rank()]
					if side == SideHost && wantRole == role {
						want = row.Grants[i]
					}
					if side == SideExternal {
						switch {
						case row.External == Deny:
							want = Deny
						case row.External == OwnOrg && want == Allow:
							want = OwnOrg
						}
					}
					if got := e.Can(row.Action); got != want {
						t.Errorf("%s as %s (%s, types %v): %s, want %s", row.Action, role, side, types, got, want)
					}
				}
			}
		}
	}
	if (Effective{}).Can(ActProjectView) != Deny {
		t.Fatal("no role may view")
	}
}

// No external member, whatever role their org's types allow, holds any
// host-only action or anything over people outside their own org.
func TestExternalCeilingHoldsForEveryRole(t *testing.T) {
	allTypes := []CollabType{CollabDataPartner, CollabProducerPartner, CollabAnnotationPartner}
	for _, role := range Roles {
		e := external(&ProjectMember{Role: role}, allTypes).Resolve()
		for _, a := range []Action{ActProjectRename, ActProjectDelete, ActProjectSettings, ActPartnersManage} {
			if g := e.Can(a); g != Deny {
				t.Errorf("external %s holds %s: %s", role, a, g)
			}
		}
		for _, a := range []Action{ActMembersView, ActMembersManage, ActAuditView, ActTasksAssign} {
			if g := e.Can(a); g == Allow {
				t.Errorf("external %s holds %s without a wall", role, a)
			}
		}
	}
}

func TestResolve(t *testing.T) {
	h := &OrgMembership{OrgID: "h", UserID: "u", Role: OrgMember, Version: 3}
	admin := &OrgMembership{OrgID: "h", UserID: "u", Role: OrgAdmin, Version: 4}
	owner := &OrgMembership{OrgID: "h", UserID: "u", Role: OrgOwner, Version: 5}
	pm := func(r Role, side Side) *ProjectMember {
		org := map[Side]string{SideHost: "h", SideExternal: "x"}[side]
		return &ProjectMember{ProjectID: "p", UserID: "u", Role: r, Side: side, OrgID: org, Version: 7}
	}
	ws := func(r WorkspaceRole, ext bool) *WorkspaceMember {
		org := "h"
		if ext {
			org = "x"
		}
		return &WorkspaceMember{WorkspaceID: "w", UserID: "u", Role: r, OrgID: org, External: ext, Version: 9}
	}
	xMember := &OrgMembership{OrgID: "x", UserID: "u", Role: OrgMember}
	partner := &Partner{ProjectID: "p", OrgID: "x"}
	collab := func(access ProjectAccess, types ...CollabType) *Collaborator {
		return &Collaborator{WorkspaceID: "w", OrgID: "x", Types: types, Access: access}
	}
	full := ProjectAccess{Mode: "full"}
	pb := Basis{BasisProjectMember, "p", "u", 7}
	wb := Basis{BasisWorkspaceMember, "w", "u", 9}
	cases := []struct {
		name string
		st   Standing
		want Effective
	}{
		{"nobody", Standing{}, Effective{}},
		{"host org owner acts as owner", Standing{HostOrg: owner}, Effective{RoleOwner, SideHost, "h", Basis{BasisOrgMember, "h", "u", 5}}},
		{"host org admin acts as owner", Standing{HostOrg: admin}, Effective{RoleOwner, SideHost, "h", Basis{BasisOrgMember, "h", "u", 4}}},
		{"plain org member has nothing", Standing{HostOrg: h}, Effective{}},
		{"workspace role beats lower project role", Standing{HostOrg: h, WorkspaceRow: ws(WSDeveloper, false), Member: pm(RoleAnnotator, SideHost)},
			Effective{RoleDeveloper, SideHost, "h", wb}},
		{"project role beats lower workspace role", Standing{HostOrg: h, WorkspaceRow: ws(WSAnnotationManager, false), Member: pm(RoleProjectManager, SideHost)},
			Effective{RoleProjectManager, SideHost, "h", pb}},
		{"a former host member's rows grant nothing", Standing{WorkspaceRow: ws(WSAdmin, false), Member: pm(RoleOwner, SideHost)}, Effective{}},
		{"an individual invited to the project keeps their row", Standing{Member: &ProjectMember{ProjectID: "p", UserID: "u", Role: RoleAnnotator,
			Side: SideHost, OrgID: "h", Individual: true, Version: 7}}, Effective{RoleAnnotator, SideHost, "h", pb}},
		{"external owner capped", Standing{Member: pm(RoleOwner, SideExternal), Partner: partner, MemberOrg: xMember},
			Effective{RoleAnnotationManager, SideExternal, "x", pb}},
		{"external producer partner may manage projects", Standing{Member: pm(RoleOwner, SideExternal), MemberOrg: xMember,
			Partner: &Partner{ProjectID: "p", OrgID: "x", Types: []CollabType{CollabProducerPartner}}}, Effective{RoleProjectManager, SideExternal, "x", pb}},
		{"an ended partnership grants nothing", Standing{Member: pm(RoleAnnotationManager, SideExternal), MemberOrg: xMember}, Effective{}},
		{"someone who left the partner org has nothing", Standing{Member: pm(RoleAnnotationManager, SideExternal), Partner: partner}, Effective{}},
		{"external workspace role through a live collaborator", Standing{WorkspaceRow: ws(WSDeveloper, true), Collab: collab(full, CollabDataPartner),
			CollabOrg: xMember}, Effective{RoleDeveloper, SideExternal, "x", wb}},
		{"a collaborator's role is capped by its types", Standing{WorkspaceRow: ws(WSProjectManager, true), Collab: collab(full, CollabAnnotationPartner),
			CollabOrg: xMember}, Effective{RoleAnnotationManager, SideExternal, "x", wb}},
		{"a collaborator's access must cover the project", Standing{WorkspaceRow: ws(WSDeveloper, true),
			Collab: collab(ProjectAccess{Mode: "limited", ProjectIDs: []string{"other"}}, CollabDataPartner), CollabOrg: xMember}, Effective{}},
		{"a collaborator being removed grants nothing", Standing{WorkspaceRow: ws(WSDeveloper, true),
			Collab: &Collaborator{OrgID: "x", Types: []CollabType{CollabDataPartner}, Access: full, RemovingJob: "j"}, CollabOrg: xMember}, Effective{}},
		{"an external workspace row without the collaborator org's membership", Standing{WorkspaceRow: ws(WSDeveloper, true),
			Collab: collab(full, CollabDataPartner)}, Effective{}},
		{"a collaborator's annotator on the project through the collaboration", Standing{Member: pm(RoleAnnotator, SideExternal),
			MemberCollab: collab(full, CollabAnnotationPartner), MemberOrg: xMember}, Effective{RoleAnnotator, SideExternal, "x", pb}},
		{"a collaborator's project row is capped by its types", Standing{Member: pm(RoleOwner, SideExternal),
			MemberCollab: collab(full, CollabAnnotationPartner), MemberOrg: xMember}, Effective{RoleAnnotationManager, SideExternal, "x", pb}},
		{"a collaborator's project row needs access to the project", Standing{Member: pm(RoleAnnotator, SideExternal),
			MemberCollab: collab(ProjectAccess{Mode: "limited", ProjectIDs: []string{"other"}}, CollabAnnotationPartner), MemberOrg: xMember}, Effective{}},
		{"a removed collaborator's project rows grant nothing", Standing{Member: pm(RoleAnnotator, SideExternal),
			MemberCollab: &Collaborator{OrgID: "x", Types: []CollabType{CollabAnnotationPartner}, Access: full, RemovingJob: "j"}, MemberOrg: xMember}, Effective{}},
		{"a collaborator's project row without the org's membership", Standing{Member: pm(RoleAnnotator, SideExternal),
			MemberCollab: collab(full, CollabAnnotationPartner)}, Effective{}},
		{"host standing wins over external", Standing{HostOrg: admin, Member: pm(RoleAnnotator, SideExternal), Partner: partner, MemberOrg: xMember},
			Effective{RoleOwner, SideHost, "h", Basis{BasisOrgMember, "h", "u", 4}}},
	}
	for _, c := range cases {
		c.st.ProjectID, c.st.HostOrgID, c.st.UserID = "p", "h", "u"
		if got := c.st.Resolve(); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestMayGrant(t *testing.T) {
	for _, actor := range Roles {
		for _, target := range Roles {
			want := target.Rank() <= actor.Rank() && (target != RoleOwner || actor == RoleOwner)
			if got := MayGrant(actor, target); got != want {
				t.Errorf("MayGrant(%s, %s) = %v, want %v", actor, target, got, want)
			}
		}
	}
	if MayGrant(RoleOwner, "boss") || MayGrant("", RoleAnnotator) {
		t.Fatal("unknown roles granted")
	}
}

func TestCollaborationTypes(t *testing.T) {
	if got := AllowedWorkspaceRoles([]CollabType{CollabAnnotationPartner, CollabDataPartner}); !slices.Equal(got, []WorkspaceRole{WSDeveloper, WSAnnotationManager}) {
		t.Fatalf("allowed %v", got)
	}
	if got := ExternalRoles(nil); !slices.Equal(got, []Role{RoleAnnotationManager, RoleAnnotator}) {
		t.Fatalf("external %v", got)
	}
	if got := ExternalRoles([]CollabType{CollabDataPartner}); !slices.Equal(got, []Role{RoleDeveloper, RoleAnnotationManager, RoleAnnotator}) {
		t.Fatalf("external data partner %v", got)
	}
}

// docs/permissions.md is generated from the matrix; this fails when the two
// drift (run `go generate ./internal/collab`).
func TestPermissionsDocIsGenerated(t *testing.T) {
	got, err := os.ReadFile("../../docs/permissions.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != PermissionsMarkdown() {
		t.Fatal("docs/permissions.md is out of date: run go generate ./internal/collab")
	}
}

// docs/review.md is generated from the transition table.
func TestReviewDocIsGenerated(t *testing.T) {
	got, err := os.ReadFile("../../docs/review.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != ReviewMarkdown() {
		t.Fatal("docs/review.md is out of date: run go generate ./internal/collab")
	}
}
