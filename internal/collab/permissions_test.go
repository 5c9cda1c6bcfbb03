package collab

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// specMatrix is SPEC §3's table as written there; the code's table must say
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

// Every action × role × side, from the same table: a member with that role
// on that side gets exactly the table's grant; an external member's role is
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
					st := Standing{ProjectID: "p", HostOrgID: "host", UserID: "u", ExternalTypes: types,
						Member: &ProjectMember{Role: role, Side: side, OrgID: map[Side]string{SideHost: "host", SideExternal: "ext"}[side]}}
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

func TestResolve(t *testing.T) {
	ext := &ProjectMember{Role: RoleAnnotator, Side: SideExternal, OrgID: "x"}
	cases := []struct {
		name string
		st   Standing
		want Effective
	}{
		{"nobody", Standing{HostOrgID: "h"}, Effective{}},
		{"host org owner acts as owner", Standing{HostOrgID: "h", HostOrgRole: OrgOwner}, Effective{RoleOwner, SideHost, "h"}},
		{"host org admin acts as owner", Standing{HostOrgID: "h", HostOrgRole: OrgAdmin}, Effective{RoleOwner, SideHost, "h"}},
		{"plain org member has nothing", Standing{HostOrgID: "h", HostOrgRole: OrgMember}, Effective{}},
		{"workspace role beats lower project role", Standing{HostOrgID: "h", WorkspaceRole: WSDeveloper,
			Member: &ProjectMember{Role: RoleAnnotator, Side: SideHost, OrgID: "h"}}, Effective{RoleDeveloper, SideHost, "h"}},
		{"project role beats lower workspace role", Standing{HostOrgID: "h", WorkspaceRole: WSAnnotationManager,
			Member: &ProjectMember{Role: RoleProjectManager, Side: SideHost, OrgID: "h"}}, Effective{RoleProjectManager, SideHost, "h"}},
		{"external owner capped", Standing{HostOrgID: "h", Member: &ProjectMember{Role: RoleOwner, Side: SideExternal, OrgID: "x"}},
			Effective{RoleAnnotationManager, SideExternal, "x"}},
		{"external producer partner may manage projects", Standing{HostOrgID: "h", ExternalTypes: []CollabType{CollabProducerPartner},
			Member: &ProjectMember{Role: RoleOwner, Side: SideExternal, OrgID: "x"}}, Effective{RoleProjectManager, SideExternal, "x"}},
		{"external workspace role through collaborator", Standing{HostOrgID: "h", WorkspaceRole: WSDeveloper, WorkspaceRoleExternal: true,
			ExternalTypes: []CollabType{CollabDataPartner}, Member: ext}, Effective{RoleDeveloper, SideExternal, "x"}},
		{"external workspace role without a membership gives nothing", Standing{HostOrgID: "h", WorkspaceRole: WSDeveloper,
			WorkspaceRoleExternal: true}, Effective{}},
		{"host standing wins over external", Standing{HostOrgID: "h", HostOrgRole: OrgAdmin, Member: ext}, Effective{RoleOwner, SideHost, "h"}},
	}
	for _, c := range cases {
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
