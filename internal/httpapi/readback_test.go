package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// Read-back and management (issue 12): what can be written can be read
// back, renamed and deleted, each change with its audit entry.

// allItems follows nextCursor through every page of a listing, limit items
// a page, and checks no page is longer.
func allItems(t testing.TB, path, token string, limit int) []map[string]any {
	t.Helper()
	var out []map[string]any
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	for cursor, pages := "", 0; ; pages++ {
		q := fmt.Sprintf("%s%slimit=%d", path, sep, limit)
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		r := call(t, "GET", q, token, nil).want(t, 200)
		items := r.items()
		if len(items) > limit {
			t.Fatalf("page of %d items, limit %d", len(items), limit)
		}
		out = append(out, items...)
		next, _ := r.body["nextCursor"].(string)
		if next == "" || pages > 1000 {
			return out
		}
		cursor = next
	}
}

func ids(items []map[string]any, key string) []string {
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprint(it[key]))
	}
	slices.Sort(out)
	return out
}

func sorted(xs ...string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return out
}

// projectMemberIDs lists a project's members as its owner sees them.
func projectMemberIDs(t testing.TB, project string, owner actor) []string {
	t.Helper()
	return ids(allItems(t, "/projects/"+project+"/members", owner.token, 200), "userId")
}

func countAudit(t testing.TB, scope, what string) int {
	t.Helper()
	n := 0
	for _, e := range auditOf(t, scope) {
		if e.What == what {
			n++
		}
	}
	return n
}

func TestWorkspaceMembersReadBack(t *testing.T) {
	sc := newCollabScene(t)
	W := "/workspaces/" + sc.workspace
	joinOrg(t, sc.xOrg, sc.owner, collab.OrgAdmin, "Producer X")
	call(t, "POST", W+"/collaborators", sc.owner.token, map[string]any{"orgId": sc.xOrg, "types": []string{"producer_partner"}}).want(t, 201)
	call(t, "PUT", W+"/members/"+sc.dev.id, sc.owner.token, map[string]string{"role": "developer"}).want(t, 200)
	call(t, "PUT", W+"/members/"+sc.pm.id, sc.owner.token, map[string]string{"role": "project_manager"}).want(t, 200)
	call(t, "PUT", W+"/members/"+sc.x1.id, sc.owner.token, map[string]string{"role": "project_manager"}).want(t, 200)
	call(t, "PUT", W+"/members/"+sc.x2.id, sc.owner.token, map[string]string{"role": "annotation_manager"}).want(t, 200)

	// The owning org's workspace admin reads every row, page by page.
	all := allItems(t, W+"/members", sc.owner.token, 1)
	if got, want := ids(all, "userId"), sorted(sc.dev.id, sc.pm.id, sc.x1.id, sc.x2.id); !slices.Equal(got, want) {
		t.Fatalf("admin reads %v, want %v", got, want)
	}
	for _, m := range all {
		if m["userId"] == sc.x1.id && (m["orgId"] != sc.xOrg || m["external"] != true || m["role"] != "project_manager") {
			t.Fatalf("x1's row %v", m)
		}
	}
	// A collaborator's people read only their own org's rows.
	for _, u := range []actor{sc.x1, sc.x2} {
		r := call(t, "GET", W+"/members", u.token, nil).want(t, 200)
		if got, want := ids(r.items(), "userId"), sorted(sc.x1.id, sc.x2.id); !slices.Equal(got, want) {
			t.Fatalf("collaborator reads %v, want %v", got, want)
		}
		noLeak(t, r, sc.dev.email, sc.pm.email, sc.dev.id, sc.owner.email)
	}
	// The owning org's non-admins are refused; everyone else does not see it.
	call(t, "GET", W+"/members", sc.dev.token, nil).problem(t, 403, "")
	call(t, "GET", W+"/members", sc.annHost.token, nil).problem(t, 403, "")
	for _, u := range []actor{sc.tenant, sc.nobody, sc.amExt, sc.x3} {
		r := call(t, "GET", W+"/members", u.token, nil)
		r.problem(t, 404, "")
		noLeak(t, r, sc.x1.email, sc.dev.email)
	}
	call(t, "GET", W+"/members?limit=0", sc.owner.token, nil).problem(t, 400, "limit")
}

func TestCollaboratorListStartsWithTheOwner(t *testing.T) {
	sc := newCollabScene(t)
	W := "/workspaces/" + sc.workspace
	joinOrg(t, sc.xOrg, sc.owner, collab.OrgAdmin, "Producer X")
	call(t, "POST", W+"/collaborators", sc.owner.token, map[string]any{"orgId": sc.xOrg, "types": []string{"annotation_partner"}}).want(t, 201)
	call(t, "PUT", W+"/members/"+sc.x1.id, sc.owner.token, map[string]string{"role": "annotation_manager"}).want(t, 200)
	for _, u := range []actor{sc.owner, sc.x1} {
		cols := call(t, "GET", W+"/collaborators", u.token, nil).want(t, 200).items()
		if len(cols) != 2 {
			t.Fatalf("%d rows: %v", len(cols), cols)
		}
		o := cols[0]
		if o["orgId"] != sc.hostOrg || o["orgName"] != "Host Org" || o["owner"] != true || fmt.Sprint(o["types"]) != "[owner]" {
			t.Fatalf("first row %v, want the owning org", o)
		}
		if cols[1]["orgId"] != sc.xOrg || cols[1]["owner"] != false {
			t.Fatalf("second row %v", cols[1])
		}
	}
	// The owner row is not a collaborator: it cannot be edited or removed.
	call(t, "PATCH", W+"/collaborators/"+sc.hostOrg, sc.owner.token, map[string]any{"autoInvite": false}).problem(t, 404, "")
	call(t, "GET", W+"/collaborators", sc.tenant.token, nil).problem(t, 404, "")
}

func TestGroupsReadBackRenameAndRemoval(t *testing.T) {
	tm := newTeam(t)
	H := "/orgs/" + tm.hostOrg
	P := "/projects/" + tm.project
	u1, u2, u3 := newActor(t, "u1"), newActor(t, "u2"), newActor(t, "u3")
	for _, u := range []actor{u1, u2, u3} {
		joinOrg(t, tm.hostOrg, u, collab.OrgMember, "Host Org")
	}
	g := call(t, "POST", H+"/groups", tm.owner.token, map[string]string{"name": "Night shift"}).want(t, 201).str("id")
	h := call(t, "POST", H+"/groups", tm.owner.token, map[string]string{"name": "Day shift"}).want(t, 201).str("id")
	G, HG := H+"/groups/"+g, H+"/groups/"+h

	// Listing and renaming: members read, owners and admins manage.
	groups := allItems(t, H+"/groups", tm.annHost.token, 1)
	if got := ids(groups, "id"); !slices.Equal(got, sorted(g, h)) {
		t.Fatalf("groups %v", groups)
	}
	call(t, "GET", H+"/groups", tm.tenant.token, nil).problem(t, 404, "")
	call(t, "GET", H+"/groups", tm.amExt.token, nil).problem(t, 404, "")
	call(t, "PATCH", G, tm.dev.token, map[string]string{"name": "Late shift"}).problem(t, 403, "")
	call(t, "PATCH", G, tm.tenant.token, map[string]string{"name": "Late shift"}).problem(t, 404, "")
	call(t, "PATCH", G, tm.owner.token, map[string]string{"name": " "}).problem(t, 400, "name")
	call(t, "PATCH", H+"/groups/grp_missing", tm.owner.token, map[string]string{"name": "x"}).problem(t, 404, "")
	if r := call(t, "PATCH", G, tm.owner.token, map[string]string{"name": "Late shift"}).want(t, 200); r.str("name") != "Late shift" || r.str("id") != g {
		t.Fatalf("renamed %s", r.raw)
	}
	if got := call(t, "GET", H+"/groups", tm.owner.token, nil).want(t, 200).items(); !slices.ContainsFunc(got, func(m map[string]any) bool { return m["name"] == "Late shift" }) {
		t.Fatalf("rename not read back: %v", got)
	}
	hasAudit(t, collab.OrgScope(tm.hostOrg), "group.renamed", tm.hostOrg)

	// G feeds the project: u1 and u3 come through G alone, u2 through G
	// and later H too; the host annotator was on the project already.
	for _, u := range []actor{u1, u2, u3, tm.annHost} {
		call(t, "PUT", G+"/members/"+u.id, tm.owner.token, nil).want(t, 200)
	}
	call(t, "PUT", HG+"/members/"+u2.id, tm.owner.token, nil).want(t, 200)
	if r := call(t, "POST", P+"/groups/"+g, tm.owner.token, map[string]string{"role": "annotator"}).want(t, 201); r.body["added"] != 3.0 {
		t.Fatalf("link %s", r.raw)
	}
	call(t, "POST", P+"/groups/"+h, tm.owner.token, map[string]string{"role": "annotator"}).want(t, 201)
	if got := allItems(t, G+"/members", tm.annHost.token, 2); !slices.Equal(ids(got, "userId"), sorted(u1.id, u2.id, u3.id, tm.annHost.id)) {
		t.Fatalf("group members %v", got)
	}
	call(t, "GET", G+"/members", tm.tenant.token, nil).problem(t, 404, "")

	// Removing a member reaches the project the group feeds: u1 leaves it.
	call(t, "DELETE", G+"/members/"+u1.id, tm.dev.token, nil).problem(t, 403, "")
	call(t, "DELETE", G+"/members/"+u1.id, tm.tenant.token, nil).problem(t, 404, "")
	call(t, "DELETE", G+"/members/"+u1.id, tm.owner.token, nil).want(t, 204)
	call(t, "DELETE", G+"/members/"+u1.id, tm.owner.token, nil).problem(t, 404, "")
	members := projectMemberIDs(t, tm.project, tm.owner)
	if slices.Contains(members, u1.id) || !slices.Contains(members, u2.id) {
		t.Fatalf("after removing u1: %v", members)
	}
	call(t, "GET", P, u1.token, nil).problem(t, 404, "")
	hasAudit(t, collab.OrgScope(tm.hostOrg), "group.member_removed", tm.hostOrg)
	hasAudit(t, collab.ProjectScope(tm.project), "group.member_removed", tm.hostOrg)
	// u2 is also in H, which feeds the project: they stay, now owed to H,
	// and go with H.
	call(t, "DELETE", G+"/members/"+u2.id, tm.owner.token, nil).want(t, 204)
	call(t, "GET", P, u2.token, nil).want(t, 200)
	call(t, "DELETE", HG+"/members/"+u2.id, tm.owner.token, nil).want(t, 204)
	call(t, "GET", P, u2.token, nil).problem(t, 404, "")
	// A member added directly stays whatever happens to the group.
	call(t, "DELETE", G+"/members/"+tm.annHost.id, tm.owner.token, nil).want(t, 204)
	call(t, "GET", P, tm.annHost.token, nil).want(t, 200)
	call(t, "PUT", G+"/members/"+tm.annHost.id, tm.owner.token, nil).want(t, 200)

	// Deleting the group: u3 (brought by it alone) leaves the project, the
	// annotator added directly stays; the group, its memberships and its
	// link are gone.
	call(t, "DELETE", G, tm.dev.token, nil).problem(t, 403, "")
	call(t, "DELETE", G, tm.amExt.token, nil).problem(t, 404, "")
	call(t, "DELETE", G, tm.owner.token, nil).want(t, 204)
	members = projectMemberIDs(t, tm.project, tm.owner)
	if slices.Contains(members, u3.id) || !slices.Contains(members, tm.annHost.id) {
		t.Fatalf("after deleting the group: %v", members)
	}
	call(t, "GET", G+"/members", tm.owner.token, nil).problem(t, 404, "")
	call(t, "DELETE", G, tm.owner.token, nil).problem(t, 404, "")
	call(t, "POST", P+"/groups/"+g, tm.owner.token, nil).problem(t, 404, "")
	if got := ids(call(t, "GET", H+"/groups", tm.owner.token, nil).want(t, 200).items(), "id"); !slices.Equal(got, []string{h}) {
		t.Fatalf("groups after delete %v", got)
	}
	if countAudit(t, collab.OrgScope(tm.hostOrg), "group.deleted") != 1 || countAudit(t, collab.ProjectScope(tm.project), "group.deleted") != 1 {
		t.Fatalf("audit %+v", auditOf(t, collab.OrgScope(tm.hostOrg)))
	}
	// Adding u3 to H afterwards brings them back through H only.
	call(t, "PUT", HG+"/members/"+u3.id, tm.owner.token, nil).want(t, 200)
	call(t, "GET", P, u3.token, nil).want(t, 200)
}

// A group whose removal outgrows one transaction is removed in batches:
// every membership it brought goes, none is left half way.
func TestDeleteLargeGroup(t *testing.T) {
	tm := newTeam(t)
	H := "/orgs/" + tm.hostOrg
	p2 := call(t, "POST", "/workspaces/"+tm.workspace+"/projects", tm.owner.token, map[string]string{"name": "Dogs"}).want(t, 201).str("id")
	g := call(t, "POST", H+"/groups", tm.owner.token, map[string]string{"name": "Crowd"}).want(t, 201).str("id")
	var crowd []string
	ms := make([]collab.OrgMembership, 60)
	for i := range ms {
		id := fmt.Sprintf("crowd-%d-%d", i, time.Now().UnixNano())
		ms[i] = collab.OrgMembership{OrgID: tm.hostOrg, OrgName: "Host Org", UserID: id, Email: id + "@example.com", Name: id,
			Role: collab.OrgMember, JoinedAt: time.Now().UTC(), Version: 1}
		crowd = append(crowd, id)
	}
	if err := store(t).Store.SeedOrgMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	for _, id := range crowd {
		call(t, "PUT", H+"/groups/"+g+"/members/"+id, tm.owner.token, nil).want(t, 200)
	}
	for _, p := range []string{tm.project, p2} {
		if r := call(t, "POST", "/projects/"+p+"/groups/"+g, tm.owner.token, nil).want(t, 201); r.body["added"] != 60.0 {
			t.Fatalf("link %s", r.raw)
		}
	}
	// 60 memberships, 2 links, 120 project memberships: past one transaction.
	call(t, "DELETE", H+"/groups/"+g, tm.owner.token, nil).want(t, 204)
	for _, p := range []string{tm.project, p2} {
		for _, id := range projectMemberIDs(t, p, tm.owner) {
			if strings.HasPrefix(id, "crowd-") {
				t.Fatalf("%s still on %s", id, p)
			}
		}
	}
	if _, err := store(t).Store.GetGroup(context.Background(), tm.hostOrg, g); !collab.IsCode(err, collab.CodeNotFound) {
		t.Fatalf("group still there: %v", err)
	}
	if left, err := store(t).Store.ListGroupMembers(context.Background(), g); err != nil || len(left) != 0 {
		t.Fatalf("group memberships left: %d %v", len(left), err)
	}
	if n := countAudit(t, collab.OrgScope(tm.hostOrg), "group.deleted"); n != 1 {
		t.Fatalf("%d group.deleted entries", n)
	}
	// The projects kept their own owners.
	call(t, "GET", "/projects/"+p2, tm.owner.token, nil).want(t, 200)
}

func TestRenameOrgAndWorkspace(t *testing.T) {
	sc := newCollabScene(t)
	H := "/orgs/" + sc.hostOrg
	W := "/workspaces/" + sc.workspace
	joinOrg(t, sc.xOrg, sc.owner, collab.OrgAdmin, "Producer X")
	call(t, "POST", W+"/collaborators", sc.owner.token, map[string]any{"orgId": sc.xOrg, "types": []string{"annotation_partner"}}).want(t, 201)
	admin := newActor(t, "admin")
	joinOrg(t, sc.hostOrg, admin, collab.OrgAdmin, "Host Org")

	// Org: owners and admins rename; members are refused, others see nothing.
	call(t, "PATCH", H, sc.dev.token, map[string]string{"name": "Hosts"}).problem(t, 403, "")
	call(t, "PATCH", H, sc.tenant.token, map[string]string{"name": "Hosts"}).problem(t, 404, "")
	call(t, "PATCH", H, sc.owner.token, map[string]string{"name": "Evil\u202eCo"}).problem(t, 400, "name")
	call(t, "PATCH", H, sc.owner.token, map[string]string{"name": "Hosts", "owner": "me"}).problem(t, 400, "owner")
	r := call(t, "PATCH", H, admin.token, map[string]string{"name": "  Hosts Inc  "}).want(t, 200)
	if r.str("name") != "Hosts Inc" || r.str("id") != sc.hostOrg || r.str("role") != "admin" {
		t.Fatalf("renamed %s", r.raw)
	}
	if got := call(t, "GET", H, sc.annHost.token, nil).want(t, 200); got.str("name") != "Hosts Inc" {
		t.Fatalf("org %s", got.raw)
	}
	// Every copy of the name follows: each member's org list, the
	// collaborator list's owner row, the partner's and the collaborator's
	// project lists.
	for _, u := range []actor{sc.owner, sc.annHost} {
		orgs := call(t, "GET", "/orgs", u.token, nil).want(t, 200).items()
		if !slices.ContainsFunc(orgs, func(o map[string]any) bool { return o["id"] == sc.hostOrg && o["name"] == "Hosts Inc" }) {
			t.Fatalf("org list %v", orgs)
		}
	}
	if o := call(t, "GET", W+"/collaborators", sc.owner.token, nil).want(t, 200).items()[0]; o["orgName"] != "Hosts Inc" {
		t.Fatalf("owner row %v", o)
	}
	for org, u := range map[string]actor{sc.partnerOrg: sc.amExt} {
		ps := call(t, "GET", "/orgs/"+org+"/projects", u.token, nil).want(t, 200).items()
		if len(ps) != 1 || ps[0]["hostOrgName"] != "Hosts Inc" {
			t.Fatalf("partner's list %v", ps)
		}
	}
	hasAudit(t, collab.OrgScope(sc.hostOrg), "org.renamed", sc.hostOrg)
	// The same name again changes nothing and records nothing.
	call(t, "PATCH", H, sc.owner.token, map[string]string{"name": "Hosts Inc"}).want(t, 200)
	if n := countAudit(t, collab.OrgScope(sc.hostOrg), "org.renamed"); n != 1 {
		t.Fatalf("%d org.renamed entries", n)
	}
	// A partner org's rename reaches the host's partner list and a
	// collaborator's the collaborator list.
	call(t, "PATCH", "/orgs/"+sc.partnerOrg, sc.amExt.token, map[string]string{"name": "Partner Two"}).want(t, 200)
	partners := call(t, "GET", "/projects/"+sc.project+"/partners", sc.owner.token, nil).want(t, 200).items()
	if !slices.ContainsFunc(partners, func(p map[string]any) bool { return p["orgId"] == sc.partnerOrg && p["orgName"] == "Partner Two" }) {
		t.Fatalf("partners %v", partners)
	}
	call(t, "PATCH", "/orgs/"+sc.xOrg, sc.xOwner.token, map[string]string{"name": "Producer Y"}).want(t, 200)
	if c := call(t, "GET", W+"/collaborators", sc.owner.token, nil).want(t, 200).items()[1]; c["orgName"] != "Producer Y" {
		t.Fatalf("collaborator row %v", c)
	}

	// Workspace: its admins rename; others in the org are refused, a
	// collaborator too, outsiders see nothing.
	call(t, "PUT", W+"/members/"+sc.dev.id, sc.owner.token, map[string]string{"role": "developer"}).want(t, 200)
	call(t, "PUT", W+"/members/"+sc.x1.id, sc.owner.token, map[string]string{"role": "annotation_manager"}).want(t, 200)
	call(t, "PATCH", W, sc.dev.token, map[string]string{"name": "Street"}).problem(t, 403, "")
	call(t, "PATCH", W, sc.x1.token, map[string]string{"name": "Street"}).problem(t, 403, "")
	call(t, "PATCH", W, sc.tenant.token, map[string]string{"name": "Street"}).problem(t, 404, "")
	call(t, "PATCH", W, sc.owner.token, map[string]string{}).problem(t, 400, "name")
	if r := call(t, "PATCH", W, admin.token, map[string]string{"name": "Street"}).want(t, 200); r.str("name") != "Street" || r.body["default"] != true {
		t.Fatalf("renamed %s", r.raw)
	}
	wss := call(t, "GET", H+"/workspaces", sc.annHost.token, nil).want(t, 200).items()
	if len(wss) != 1 || wss[0]["name"] != "Street" {
		t.Fatalf("workspaces %v", wss)
	}
	hasAudit(t, collab.WorkspaceScope(sc.workspace), "workspace.renamed", sc.hostOrg)
}

func TestDeleteWorkspace(t *testing.T) {
	tm := newTeam(t)
	H := "/orgs/" + tm.hostOrg
	// The default workspace goes only with its org.
	r := call(t, "DELETE", "/workspaces/"+tm.workspace, tm.owner.token, nil)
	r.problem(t, 409, "")
	if !strings.Contains(r.str("detail"), "default workspace") {
		t.Fatalf("refusal %s", r.raw)
	}
	ws := call(t, "POST", H+"/workspaces", tm.owner.token, map[string]string{"name": "Doomed"}).want(t, 201).str("id")
	W := "/workspaces/" + ws
	p := call(t, "POST", W+"/projects", tm.owner.token, map[string]string{"name": "Inside"}).want(t, 201).str("id")
	call(t, "POST", W+"/projects", tm.owner.token, map[string]string{"name": "Inside too"}).want(t, 201)
	call(t, "DELETE", W, tm.dev.token, nil).problem(t, 403, "")
	call(t, "DELETE", W, tm.tenant.token, nil).problem(t, 404, "")
	r = call(t, "DELETE", W, tm.owner.token, nil)
	r.problem(t, 409, "")
	if r.str("detail") != "the workspace still has 2 projects; delete or move them first" {
		t.Fatalf("refusal %s", r.raw)
	}
	// With a collaborator: refused too, saying so.
	xOwner := newActor(t, "xowner")
	xOrg := orgOf(t, xOwner, "Vendor X")
	addCollaborator(t, ws, xOrg, "Vendor X", collab.CollabAnnotationPartner)
	r = call(t, "DELETE", W, tm.owner.token, nil)
	r.problem(t, 409, "")
	if !strings.Contains(r.str("detail"), "1 collaborator; remove them first") {
		t.Fatalf("refusal %s", r.raw)
	}
	job := call(t, "DELETE", W+"/collaborators/"+xOrg, tm.owner.token, nil).want(t, 202).str("jobId")
	waitJob(t, tm.owner, job, 30*time.Second)
	for _, pr := range allItems(t, "/orgs/"+tm.hostOrg+"/projects", tm.owner.token, 200) {
		if pr["workspaceId"] == ws {
			call(t, "DELETE", "/projects/"+fmt.Sprint(pr["id"]), tm.owner.token, nil).want(t, 204)
		}
	}
	call(t, "GET", "/projects/"+p, tm.owner.token, nil).problem(t, 404, "")
	// Its roles and pending invitations go with it.
	call(t, "PUT", W+"/members/"+tm.dev.id, tm.owner.token, map[string]string{"role": "developer"}).want(t, 200)
	inv := call(t, "POST", W+"/collaborators", tm.owner.token, map[string]any{"email": uniqueEmail(t, "vendor"), "types": []string{"annotation_partner"}}).
		want(t, 202).str("invitationId")
	call(t, "DELETE", W, tm.owner.token, nil).want(t, 204)
	call(t, "DELETE", W, tm.owner.token, nil).problem(t, 404, "")
	call(t, "PATCH", W, tm.owner.token, map[string]string{"name": "Back"}).problem(t, 404, "")
	call(t, "POST", W+"/projects", tm.owner.token, map[string]string{"name": "Late"}).problem(t, 404, "")
	if got := ids(call(t, "GET", H+"/workspaces", tm.owner.token, nil).want(t, 200).items(), "id"); !slices.Equal(got, []string{tm.workspace}) {
		t.Fatalf("workspaces %v", got)
	}
	ctx := context.Background()
	if left, err := store(t).Store.GetWorkspaceMembers(ctx, ws, []string{tm.dev.id}); err != nil || len(left) != 0 {
		t.Fatalf("workspace roles left: %v %v", left, err)
	}
	if got, err := store(t).Store.GetInvitation(ctx, inv); err != nil || got.Status != collab.InvRevoked {
		t.Fatalf("invitation %+v %v", got, err)
	}
	hasAudit(t, collab.OrgScope(tm.hostOrg), "workspace.deleted", tm.hostOrg)
}

func TestDeleteOrg(t *testing.T) {
	sc := newCollabScene(t)
	joinOrg(t, sc.xOrg, sc.owner, collab.OrgAdmin, "Producer X")
	// Refused while others rely on what the org holds.
	for _, c := range []struct {
		org  string
		who  actor
		want string
	}{
		{sc.hostOrg, sc.owner, "the org still has 2 projects; delete or move them first"},
		{sc.partnerOrg, sc.amExt, "the org still partners 1 project of other orgs"},
	} {
		r := call(t, "DELETE", "/orgs/"+c.org, c.who.token, nil)
		r.problem(t, 409, "")
		if !strings.Contains(r.str("detail"), c.want) {
			t.Fatalf("refusal %s, want %q", r.raw, c.want)
		}
	}
	call(t, "POST", "/workspaces/"+sc.workspace+"/collaborators", sc.owner.token,
		map[string]any{"orgId": sc.xOrg, "types": []string{"annotation_partner"}}).want(t, 201)
	r := call(t, "DELETE", "/orgs/"+sc.xOrg, sc.xOwner.token, nil)
	r.problem(t, 409, "")
	if !strings.Contains(r.str("detail"), "collaborates in 1 workspace of other orgs") {
		t.Fatalf("refusal %s", r.raw)
	}

	// An org holding only its own people, groups, workspaces and
	// invitations goes with all of them.
	boss, admin, member := newActor(t, "boss"), newActor(t, "admin"), newActor(t, "member")
	org := orgOf(t, boss, "Short Lived")
	O := "/orgs/" + org
	joinOrg(t, org, admin, collab.OrgAdmin, "Short Lived")
	joinOrg(t, org, member, collab.OrgMember, "Short Lived")
	g := call(t, "POST", O+"/groups", boss.token, map[string]string{"name": "Team"}).want(t, 201).str("id")
	call(t, "PUT", O+"/groups/"+g+"/members/"+member.id, boss.token, nil).want(t, 200)
	ws := call(t, "POST", O+"/workspaces", boss.token, map[string]string{"name": "Extra"}).want(t, 201).str("id")
	call(t, "PUT", "/workspaces/"+ws+"/members/"+member.id, boss.token, map[string]string{"role": "developer"}).want(t, 200)
	inv := call(t, "POST", O+"/invitations", boss.token, map[string]string{"email": uniqueEmail(t, "joiner"), "role": "member"}).want(t, 201).str("id")
	wsInv := call(t, "POST", "/workspaces/"+ws+"/collaborators", boss.token,
		map[string]any{"email": uniqueEmail(t, "vendor"), "types": []string{"annotation_partner"}}).want(t, 202).str("invitationId")
	call(t, "DELETE", O, admin.token, nil).problem(t, 403, "")
	call(t, "DELETE", O, member.token, nil).problem(t, 403, "")
	call(t, "DELETE", O, sc.tenant.token, nil).problem(t, 404, "")
	call(t, "DELETE", O, boss.token, nil).want(t, 204)

	for _, u := range []actor{boss, admin, member} {
		if got := call(t, "GET", "/orgs", u.token, nil).want(t, 200).items(); slices.ContainsFunc(got, func(o map[string]any) bool { return o["id"] == org }) {
			t.Fatalf("%s still lists the org: %v", u.email, got)
		}
		call(t, "GET", O, u.token, nil).problem(t, 404, "")
	}
	call(t, "DELETE", O, boss.token, nil).problem(t, 404, "")
	ctx := context.Background()
	st := store(t).Store
	if _, err := st.GetOrg(ctx, org); !collab.IsCode(err, collab.CodeNotFound) {
		t.Fatalf("org row: %v", err)
	}
	if _, err := st.GetGroup(ctx, org, g); !collab.IsCode(err, collab.CodeNotFound) {
		t.Fatalf("group: %v", err)
	}
	if left, _ := st.ListGroupMembers(ctx, g); len(left) != 0 {
		t.Fatalf("group members left %v", left)
	}
	if _, err := st.GetWorkspace(ctx, ws); !collab.IsCode(err, collab.CodeNotFound) {
		t.Fatalf("workspace: %v", err)
	}
	if left, _ := st.GetWorkspaceMembers(ctx, ws, []string{member.id}); len(left) != 0 {
		t.Fatalf("workspace roles left %v", left)
	}
	for _, id := range []string{inv, wsInv} {
		if got, err := st.GetInvitation(ctx, id); err != nil || got.Status != collab.InvRevoked {
			t.Fatalf("invitation %s: %+v %v", id, got, err)
		}
	}
	hasAudit(t, collab.OrgScope(org), "org.deleted", org)
}

// An org too large for one transaction is deleted in batches, the org row
// last; nothing of it is left.
func TestDeleteLargeOrg(t *testing.T) {
	boss := newActor(t, "boss")
	org := orgOf(t, boss, "Big Co")
	ms := make([]collab.OrgMembership, 150)
	for i := range ms {
		id := fmt.Sprintf("big-%d-%d", i, time.Now().UnixNano())
		ms[i] = collab.OrgMembership{OrgID: org, OrgName: "Big Co", UserID: id, Email: id + "@example.com", Name: id,
			Role: collab.OrgMember, JoinedAt: time.Now().UTC(), Version: 1}
	}
	ctx := context.Background()
	st := store(t).Store
	if err := st.SeedOrgMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	// A rename reaches every membership's copy of the name.
	call(t, "PATCH", "/orgs/"+org, boss.token, map[string]string{"name": "Bigger Co"}).want(t, 200)
	for _, m := range allItems(t, "/orgs/"+org+"/members", boss.token, 200) {
		got, err := st.GetOrgMembership(ctx, org, fmt.Sprint(m["userId"]))
		if err != nil || got.OrgName != "Bigger Co" {
			t.Fatalf("membership %v: %+v %v", m["userId"], got, err)
		}
	}
	// Its webhooks go with it.
	call(t, "POST", "/orgs/"+org+"/webhooks", boss.token, map[string]any{"url": "http://127.0.0.1:9/gone", "events": []string{"member.added"}}).want(t, 201)
	call(t, "DELETE", "/orgs/"+org, boss.token, nil).want(t, 204)
	if left, _, err := st.ListOrgMembers(ctx, org, collab.Page{Limit: 200}); err != nil || len(left) != 0 {
		t.Fatalf("%d memberships left: %v", len(left), err)
	}
	if hooks, err := st.ListWebhooks(ctx, org); err != nil || len(hooks) != 0 {
		t.Fatalf("%d webhooks left: %v", len(hooks), err)
	}
	if _, err := st.GetOrg(ctx, org); !collab.IsCode(err, collab.CodeNotFound) {
		t.Fatalf("org row: %v", err)
	}
	if n := countAudit(t, collab.OrgScope(org), "org.deleted"); n != 1 {
		t.Fatalf("%d org.deleted entries", n)
	}
}

func TestProjectListsNameBothSides(t *testing.T) {
	sc := newCollabScene(t) // project P shared with the partner org; P2 not shared
	H := "/orgs/" + sc.hostOrg
	count := func() map[string]any {
		out := map[string]any{}
		for _, p := range allItems(t, H+"/projects", sc.annHost.token, 1) { // one a page: the counts do not depend on the page
			if _, ok := p["hostOrgName"]; ok {
				t.Fatalf("the host's own project names its host: %v", p)
			}
			out[fmt.Sprint(p["id"])] = fmt.Sprint(p["shared"], "/", p["partnerCount"])
		}
		return out
	}
	want := func(p, p2 string) {
		t.Helper()
		if got := count(); got[sc.project] != p || got[sc.p2] != p2 {
			t.Fatalf("host's list %v, want %s and %s", got, p, p2)
		}
	}
	want("true/1", "false/0")
	// A share-link partner accepted through the link counts too.
	link := call(t, "PUT", "/projects/"+sc.p2+"/share-link", sc.owner.token, nil)
	if link.status != 200 && link.status != 201 {
		t.Fatalf("share link %s", link.raw)
	}
	vendor := newActor(t, "vendor")
	vendorOrg := orgOf(t, vendor, "Vendor Co")
	call(t, "POST", "/invitations/"+tokenOf(t, link.str("url"))+"/accept", vendor.token, map[string]string{"orgId": vendorOrg}).want(t, 200)
	want("true/1", "true/1")
	// A workspace collaborator covering every project counts on each; one
	// being removed no longer does.
	joinOrg(t, sc.xOrg, sc.owner, collab.OrgAdmin, "Producer X")
	call(t, "POST", "/workspaces/"+sc.workspace+"/collaborators", sc.owner.token, map[string]any{"orgId": sc.xOrg,
		"types": []string{"annotation_partner"}, "projectAccess": map[string]any{"mode": "full"}}).want(t, 201)
	want("true/2", "true/2")
	call(t, "PATCH", "/workspaces/"+sc.workspace+"/collaborators/"+sc.xOrg, sc.owner.token,
		map[string]any{"projectAccess": map[string]any{"mode": "limited", "projectIds": []string{sc.project}}}).want(t, 200)
	want("true/2", "true/1")
	// Stopping a partnership takes it off the count.
	stopPartner(t, sc.owner, sc.p2, vendorOrg)
	stopPartner(t, sc.owner, sc.project, sc.partnerOrg)
	want("true/1", "false/0")

	// The other side: a partner's and a collaborator's lists name the host.
	call(t, "POST", "/workspaces/"+sc.workspace+"/projects", sc.owner.token, map[string]string{"name": "Later"}).want(t, 201)
	other := newActor(t, "otherhost")
	otherOrg := orgOf(t, other, "Other Host")
	op := call(t, "POST", "/workspaces/"+call(t, "GET", "/orgs/"+otherOrg+"/workspaces", other.token, nil).want(t, 200).items()[0]["id"].(string)+"/projects",
		other.token, map[string]string{"name": "Theirs"}).want(t, 201).str("id")
	addPartner(t, op, otherOrg, sc.xOrg, "Producer X", collab.PartnerShareLink, sc.x1)
	got := allItems(t, "/orgs/"+sc.xOrg+"/projects", sc.x1.token, 1)
	names := map[string]any{}
	for _, p := range got {
		if p["shared"] != true {
			t.Fatalf("a partner's row not shared: %v", p)
		}
		if _, ok := p["partnerCount"]; ok {
			t.Fatalf("a partner's row counts partners: %v", p)
		}
		names[fmt.Sprint(p["id"])] = fmt.Sprint(p["hostOrgId"], "/", p["hostOrgName"])
	}
	if names[op] != otherOrg+"/Other Host" || names[sc.project] != sc.hostOrg+"/Host Org" || len(names) != 2 {
		t.Fatalf("collaborator and partner's list %v", names)
	}
}
