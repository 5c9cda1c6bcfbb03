package collab

import (
	"slices"
	"strings"
	"testing"
)

// Taking people out of a group removes only what the group alone brought.
func TestPlanGroupRemoval(t *testing.T) {
	pm := func(p, u string, groups ...string) ProjectMember {
		return ProjectMember{ProjectID: p, UserID: u, Role: RoleAnnotator, GroupIDs: groups, Version: 3}
	}
	reach := GroupReach{
		Links: []GroupLink{{GroupID: "g", ProjectID: "p1"}, {GroupID: "g", ProjectID: "p2"}, {GroupID: "g", ProjectID: "p3"}},
		Members: map[string]map[string]ProjectMember{
			"p1": {
				"only":   pm("p1", "only", "g"),        // brought by g alone
				"direct": pm("p1", "direct"),           // added directly
				"other":  pm("p1", "other", "h"),       // brought by another group
				"both":   pm("p1", "both", "g"),        // brought by g, h holds them too
				"stale":  pm("p1", "stale", "h", "g"),  // owed to h and g, h no longer feeds
				"shared": pm("p1", "shared", "g", "k"), // owed to g and k, k still feeds
			},
			"p2": {"only": pm("p2", "only", "g")},
		},
		Feeds: map[string]map[string][]string{
			"p1": {"both": {"h"}, "other": {"h"}, "shared": {"k", "g"}},
		},
	}
	users := []string{"only", "direct", "other", "both", "stale", "shared", "absent"}
	got := planGroupRemoval("g", reach, users)
	if len(got) != 2 || got[0].ProjectID != "p1" || got[1].ProjectID != "p2" {
		t.Fatalf("projects %+v", got)
	}
	ids := func(ms []ProjectMember) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.UserID)
		}
		return out
	}
	if d := ids(got[0].Drop); !slices.Equal(d, []string{"only", "stale"}) {
		t.Errorf("p1 drops %v, want only and stale (direct and other-group members stay)", d)
	}
	if r := ids(got[0].Regroup); !slices.Equal(r, []string{"both", "shared"}) {
		t.Errorf("p1 regroups %v", r)
	}
	for _, m := range got[0].Regroup {
		want := map[string][]string{"both": {"h"}, "shared": {"k"}}[m.UserID]
		if !slices.Equal(m.GroupIDs, want) || m.Version != 3 {
			t.Errorf("%s regrouped to %v (v%d), want %v at the version read", m.UserID, m.GroupIDs, m.Version, want)
		}
	}
	if reach.Members["p1"]["both"].GroupIDs[0] != "g" {
		t.Error("the plan changed the memberships it read")
	}
	if d := ids(got[1].Drop); !slices.Equal(d, []string{"only"}) || len(got[1].Regroup) != 0 {
		t.Errorf("p2 %+v", got[1])
	}
	if len(planGroupRemoval("g", reach, []string{"direct", "other"})) != 0 {
		t.Error("members the group did not bring were touched")
	}
}

func TestGroupRemovalWrites(t *testing.T) {
	r := GroupRemoval{Members: make([]GroupMember, 3), Links: make([]GroupLink, 2),
		Projects: []ProjectRemoval{{Drop: make([]ProjectMember, 4), Regroup: make([]ProjectMember, 1)}}}
	// group row + 3 memberships + 2 links + (4+1 changes, a counter, an audit entry)
	if got := r.Writes(); got != 1+3+2+7 {
		t.Fatalf("writes %d", got)
	}
}

// Deletes are refused, with the reason, while others rely on what is held.
func TestRefusals(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want []string
	}{
		{"empty org", OrgContents{Members: make([]OrgMembership, 3), Workspaces: []WorkspaceContents{{}}}.refusal(), nil},
		{"org with projects", OrgContents{Projects: 2}.refusal(), []string{"the org still has 2 projects; delete or move them first"}},
		{"org partnering", OrgContents{Partnerships: 1}.refusal(), []string{"partners 1 project of other orgs"}},
		{"org collaborating", OrgContents{Collaborations: make([]Collaborator, 2)}.refusal(), []string{"collaborates in 2 workspaces"}},
		{"org with collaborators", OrgContents{Workspaces: []WorkspaceContents{{Collaborators: make([]Collaborator, 1)}, {}}}.refusal(),
			[]string{"the org's workspaces still have 1 collaborator"}},
		{"org with everything", OrgContents{Projects: 1, Partnerships: 3}.refusal(), []string{"1 project;", "3 projects of other orgs", "; also, "}},
		{"empty workspace", WorkspaceContents{Members: make([]WorkspaceMember, 4)}.refusal(), nil},
		{"default workspace", WorkspaceContents{Workspace: Workspace{Default: true}}.refusal(), []string{"default workspace goes only with its org"}},
		{"workspace with projects", WorkspaceContents{Projects: 1}.refusal(), []string{"the workspace still has 1 project; delete or move them first"}},
		{"workspace with collaborators", WorkspaceContents{Collaborators: make([]Collaborator, 2)}.refusal(), []string{"2 collaborators; remove them first"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.want == nil {
				if c.err != nil {
					t.Fatalf("refused: %v", c.err)
				}
				return
			}
			if !IsCode(c.err, CodeConflict) {
				t.Fatalf("%v, want a conflict", c.err)
			}
			for _, w := range c.want {
				if !strings.Contains(c.err.Error(), w) {
					t.Errorf("%q lacks %q", c.err, w)
				}
			}
		})
	}
}

// The new rows of the org and workspace tables answer as documented.
func TestManagementRights(t *testing.T) {
	for role, want := range map[OrgRole][2]bool{OrgOwner: {true, true}, OrgAdmin: {true, false}, OrgMember: {false, false}} {
		m := OrgMembership{Role: role}
		if got := [2]bool{m.Permit(OrgRename) == nil, m.Permit(OrgDelete) == nil}; got != want {
			t.Errorf("%s: rename, delete %v, want %v", role, got, want)
		}
		if got := m.Permit(OrgView) == nil; !got {
			t.Errorf("%s may not view (groups are read by every member)", role)
		}
	}
	host := func(r WorkspaceRole) WorkspaceAccess {
		return WorkspaceAccess{Side: SideHost, Role: r, OrgID: "o"}
	}
	for _, c := range []struct {
		a    WorkspaceAccess
		act  WorkspaceAction
		want Grant
	}{
		{host(WSAdmin), WsMembersView, Allow},
		{host(WSDeveloper), WsMembersView, Deny},
		{host(""), WsMembersView, Deny},
		{WorkspaceAccess{Side: SideExternal, Role: WSDeveloper, OrgID: "c"}, WsMembersView, OwnOrg},
		{host(WSAdmin), WsRename, Allow},
		{host(WSProjectManager), WsRename, Deny},
		{host(WSAdmin), WsDelete, Allow},
		{host(WSDeveloper), WsDelete, Deny},
		{WorkspaceAccess{Side: SideExternal, Role: WSProjectManager, OrgID: "c", OrgRole: OrgOwner}, WsDelete, Deny},
	} {
		if got := c.a.Can(c.act); got != c.want {
			t.Errorf("%s as %s/%s: %s, want %s", c.act, c.a.Side, c.a.Role, got, c.want)
		}
	}
	if err := host(WSDeveloper).Permit(WsDelete, "", nil); !IsCode(err, CodeForbidden) {
		t.Errorf("a developer deleting: %v, want forbidden", err)
	}
}
