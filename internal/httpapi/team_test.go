package httpapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/auth"
	"github.com/annobridge/annobridge/internal/collab"
)

// actor is a user of the scenario with their token.
type actor struct {
	email, token, id string
}

func newActor(t testing.TB, who string) actor {
	e := uniqueEmail(t, who)
	a := actor{email: e, token: userToken(t, e), id: auth.DevSubject(e)}
	call(t, "GET", "/orgs", a.token, nil).want(t, 200) // records the user
	return a
}

// team is the scenario every rule is checked against: a host org H with a
// project P, one member of P per role on the host side, a partner org X
// with an external annotation_manager and annotator, another tenant T with
// its own project, and a user with no membership at all.
type team struct {
	hostOrg, partnerOrg, tenantOrg  string
	workspace, project              string
	tenantProject                   string
	owner, dev, pm, amHost, annHost actor
	amExt, annExt                   actor
	spareHost, spareExt             actor // org members not yet on the project
	tenant, nobody                  actor
}

var (
	storeOnce sync.Once
	testApp   *app.App
)

// store gives tests the store adapter, to set up facts faster than
// through their routes.
func store(t testing.TB) *app.App {
	storeOnce.Do(func() {
		a, err := app.New(context.Background(), stack.Config(), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		testApp = a
	})
	return testApp
}

// joinOrg makes u a member of org with role, through the store (the
// invitation round trip is tested in invitations_test.go).
func joinOrg(t testing.TB, org string, u actor, role collab.OrgRole, orgName string) {
	t.Helper()
	a := store(t)
	// Reuse CreateOrg's shape: a membership row written by the store.
	err := a.Store.AddOrgMember(context.Background(), collab.OrgMembership{OrgID: org, OrgName: orgName, UserID: u.id,
		Email: u.email, Name: "Name of " + u.email, Role: role, JoinedAt: time.Now().UTC(), Version: 1})
	if err != nil {
		t.Fatal(err)
	}
}

func newTeam(t testing.TB) team {
	t.Helper()
	var tm team
	for _, p := range []struct {
		a   *actor
		who string
	}{{&tm.owner, "owner"}, {&tm.dev, "dev"}, {&tm.pm, "pm"}, {&tm.amHost, "amhost"}, {&tm.annHost, "annhost"},
		{&tm.amExt, "amext"}, {&tm.annExt, "annext"}, {&tm.spareHost, "sparehost"}, {&tm.spareExt, "spareext"},
		{&tm.tenant, "tenant"}, {&tm.nobody, "nobody"}} {
		*p.a = newActor(t, p.who)
	}
	org := call(t, "POST", "/orgs", tm.owner.token, map[string]string{"name": "Host Org"}).want(t, 201)
	tm.hostOrg, tm.workspace = org.str("id"), org.str("defaultWorkspaceId")
	tm.project = call(t, "POST", "/workspaces/"+tm.workspace+"/projects", tm.owner.token, map[string]string{"name": "Cats"}).want(t, 201).str("id")
	for _, u := range []actor{tm.dev, tm.pm, tm.amHost, tm.annHost, tm.spareHost} {
		joinOrg(t, tm.hostOrg, u, collab.OrgMember, "Host Org")
	}
	for u, role := range map[actor]string{tm.dev: "developer", tm.pm: "project_manager", tm.amHost: "annotation_manager", tm.annHost: "annotator"} {
		call(t, "POST", "/projects/"+tm.project+"/members", tm.owner.token, map[string]string{"email": u.email, "role": role}).want(t, 201)
	}
	tm.partnerOrg = call(t, "POST", "/orgs", tm.amExt.token, map[string]string{"name": "Partner Org"}).want(t, 201).str("id")
	joinOrg(t, tm.partnerOrg, tm.annExt, collab.OrgMember, "Partner Org")
	joinOrg(t, tm.partnerOrg, tm.spareExt, collab.OrgMember, "Partner Org")
	a := store(t)
	p, _, err := a.Store.LoadStanding(context.Background(), tm.project, tm.owner.id)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	manager := collab.ProjectMember{ProjectID: tm.project, UserID: tm.amExt.id, Email: tm.amExt.email, Name: "Name of " + tm.amExt.email,
		Role: collab.RoleAnnotationManager, OrgID: tm.partnerOrg, Side: collab.SideExternal, AddedAt: now, Version: 1}
	if err := a.Store.AddPartner(context.Background(), p, collab.Partner{ProjectID: tm.project, OrgID: tm.partnerOrg, OrgName: "Partner Org",
		Kind: collab.PartnerShareLink, Types: []collab.CollabType{collab.CollabAnnotationPartner}, ManagerID: tm.amExt.id,
		HostOrgID: tm.hostOrg, AddedAt: now, Version: 1}, &manager); err != nil {
		t.Fatal(err)
	}
	call(t, "POST", "/projects/"+tm.project+"/members", tm.amExt.token, map[string]string{"email": tm.annExt.email, "role": "annotator"}).want(t, 201)
	tenant := call(t, "POST", "/orgs", tm.tenant.token, map[string]string{"name": "Tenant Org"}).want(t, 201)
	tm.tenantOrg = tenant.str("id")
	tm.tenantProject = call(t, "POST", "/workspaces/"+tenant.str("defaultWorkspaceId")+"/projects", tm.tenant.token,
		map[string]string{"name": "Tenant secret"}).want(t, 201).str("id")
	return tm
}

func (tm team) projectActors() map[string]actor {
	return map[string]actor{"owner": tm.owner, "developer": tm.dev, "project_manager": tm.pm,
		"annotation_manager(host)": tm.amHost, "annotator(host)": tm.annHost,
		"annotation_manager(external)": tm.amExt, "annotator(external)": tm.annExt,
		"other tenant": tm.tenant, "no membership": tm.nobody}
}

// noLeak fails if a response shows anything of another tenant.
func noLeak(t testing.TB, r response, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(string(r.raw), s) {
			t.Fatalf("response leaks %q: %s", s, r.raw)
		}
	}
}

func TestProjectRoutesByRole(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	type expect map[string]int
	all := func(member, outsider int) expect {
		return expect{"owner": member, "developer": member, "project_manager": member, "annotation_manager(host)": member,
			"annotator(host)": member, "annotation_manager(external)": member, "annotator(external)": member,
			"other tenant": outsider, "no membership": outsider}
	}
	only := func(ok int, roles ...string) expect {
		e := all(403, 404)
		for _, r := range roles {
			e[r] = ok
		}
		return e
	}
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		want   expect
	}{
		{"view project", "GET", P, nil, all(200, 404)},
		{"permissions", "GET", P + "/permissions", nil, all(200, 404)},
		{"rename", "PATCH", P, map[string]string{"name": "Cats renamed"}, only(200, "owner", "developer")},
		{"delete (refused)", "DELETE", "/projects/" + tm.tenantProject, nil, expect{"owner": 404, "developer": 404,
			"project_manager": 404, "annotation_manager(host)": 404, "annotator(host)": 404, "annotation_manager(external)": 404,
			"annotator(external)": 404, "other tenant": 204, "no membership": 404}},
		{"list members", "GET", P + "/members", nil, all(200, 404)},
		{"import template", "GET", P + "/members/import-template", nil, all(200, 404)},
		{"authorize self", "POST", P + "/authorize", map[string]string{"action": "items.review"}, all(200, 404)},
		{"authorize the owner", "POST", P + "/authorize", map[string]string{"action": "items.review", "userId": tm.owner.id},
			expect{"owner": 200, "developer": 200, "project_manager": 200, "annotation_manager(host)": 200, "annotator(host)": 200,
				"annotation_manager(external)": 404, "annotator(external)": 404, "other tenant": 404, "no membership": 404}},
		{"change a role", "PATCH", P + "/members/" + tm.annHost.id, map[string]string{"role": "annotator"},
			expect{"owner": 200, "developer": 200, "project_manager": 200, "annotation_manager(host)": 200, "annotator(host)": 403,
				"annotation_manager(external)": 404, "annotator(external)": 403, "other tenant": 404, "no membership": 404}},
		{"owner role by non-owners", "PATCH", P + "/members/" + tm.annHost.id, map[string]string{"role": "owner"},
			expect{"owner": 200, "developer": 403, "project_manager": 403, "annotation_manager(host)": 403, "annotator(host)": 403,
				"annotation_manager(external)": 404, "annotator(external)": 403, "other tenant": 404, "no membership": 404}},
	}
	names := tm.projectActors()
	for _, c := range cases {
		for who, u := range names {
			t.Run(c.name+"/"+who, func(t *testing.T) {
				r := call(t, c.method, c.path, u.token, c.body)
				want := c.want[who]
				if r.status != want {
					t.Fatalf("%s %s as %s: %d, want %d: %s", c.method, c.path, who, r.status, want, r.raw)
				}
				if want >= 400 {
					r.problem(t, want, "")
				}
				if who == "other tenant" || who == "no membership" {
					noLeak(t, r, "Cats", tm.hostOrg, tm.owner.email)
				}
				if who != "other tenant" {
					noLeak(t, r, "Tenant secret", tm.tenant.email)
				}
				// Put the role back for the next actor.
				if c.name == "owner role by non-owners" && r.status == 200 {
					call(t, "PATCH", P+"/members/"+tm.annHost.id, tm.owner.token, map[string]string{"role": "annotator"}).want(t, 200)
				}
			})
		}
	}
}

func TestPermissionsAnswerPerRole(t *testing.T) {
	tm := newTeam(t)
	cases := map[actor]struct {
		role, side, org string
		has             []string
		lacks           []string
		limits          map[string]string
	}{
		tm.owner:   {"owner", "host", tm.hostOrg, []string{"project.delete", "audit.view", "members.manage"}, nil, map[string]string{}},
		tm.dev:     {"developer", "host", tm.hostOrg, []string{"project.rename", "datasets.manage"}, []string{"project.delete"}, map[string]string{}},
		tm.pm:      {"project_manager", "host", tm.hostOrg, []string{"members.manage", "items.review"}, []string{"project.rename", "audit.view"}, map[string]string{}},
		tm.amHost:  {"annotation_manager", "host", tm.hostOrg, []string{"members.view", "items.review"}, []string{"datasets.manage"}, map[string]string{"members.view": "own_org", "members.manage": "own_org", "tasks.delete": "own_tasks"}},
		tm.annHost: {"annotator", "host", tm.hostOrg, []string{"annotations.edit", "comments.create"}, []string{"items.review", "members.manage"}, map[string]string{"annotations.edit": "assigned_items", "issues.open": "review_assignments", "members.view": "own_org"}},
		tm.amExt:   {"annotation_manager", "external", tm.partnerOrg, []string{"items.review"}, []string{"project.rename"}, map[string]string{"members.manage": "own_org"}},
		tm.annExt:  {"annotator", "external", tm.partnerOrg, []string{"comments.create"}, []string{"datasets.view"}, map[string]string{"annotations.edit": "assigned_items"}},
	}
	for u, want := range cases {
		r := call(t, "GET", "/projects/"+tm.project+"/permissions", u.token, nil).want(t, 200)
		if r.str("role") != want.role || r.str("side") != want.side || r.str("orgId") != want.org || r.str("projectId") != tm.project {
			t.Fatalf("%s: %s", want.role, r.raw)
		}
		acts := map[string]bool{}
		for _, a := range r.body["actions"].([]any) {
			acts[a.(string)] = true
		}
		for _, a := range want.has {
			if !acts[a] {
				t.Errorf("%s/%s lacks %s", want.role, want.side, a)
			}
		}
		for _, a := range want.lacks {
			if acts[a] {
				t.Errorf("%s/%s has %s", want.role, want.side, a)
			}
		}
		limits := r.body["limits"].(map[string]any)
		for a, l := range want.limits {
			if limits[a] != l {
				t.Errorf("%s/%s limit on %s = %v, want %s", want.role, want.side, a, limits[a], l)
			}
		}
	}
}

func TestWalledOffMemberLists(t *testing.T) {
	tm := newTeam(t)
	list := func(u actor, query string) []map[string]any {
		return call(t, "GET", "/projects/"+tm.project+"/members"+query, u.token, nil).want(t, 200).items()
	}
	emails := func(items []map[string]any) map[string]bool {
		out := map[string]bool{}
		for _, it := range items {
			out[it["email"].(string)] = true
		}
		return out
	}
	everyone := emails(list(tm.owner, ""))
	for _, u := range []actor{tm.owner, tm.dev, tm.pm, tm.amHost, tm.annHost, tm.amExt, tm.annExt} {
		if !everyone[u.email] {
			t.Fatalf("owner does not see %s", u.email)
		}
	}
	for _, u := range []actor{tm.amExt, tm.annExt} {
		got := list(u, "")
		for _, it := range got {
			if it["orgId"] != tm.partnerOrg {
				t.Fatalf("external member sees %v", it)
			}
		}
		if len(got) != 2 {
			t.Fatalf("external member sees %d members, want 2", len(got))
		}
		// Asking for the host org's members changes nothing.
		for _, it := range list(u, "?orgId="+tm.hostOrg) {
			if it["orgId"] != tm.partnerOrg {
				t.Fatalf("external member reached host members: %v", it)
			}
		}
		r := call(t, "GET", "/projects/"+tm.project+"/members", u.token, nil)
		noLeak(t, r, tm.owner.email, tm.dev.email, tm.annHost.email)
	}
	for _, it := range list(tm.annHost, "") {
		if it["orgId"] != tm.hostOrg {
			t.Fatalf("host annotator sees %v", it)
		}
	}
	// Search by name, email and role; paging.
	if got := emails(list(tm.owner, "?q="+strings.Split(tm.pm.email, "@")[0])); len(got) != 1 || !got[tm.pm.email] {
		t.Fatalf("search by email: %v", got)
	}
	if got := emails(list(tm.owner, "?q=NAME+OF+"+strings.ToUpper(strings.Split(tm.dev.email, "@")[0]))); len(got) != 1 || !got[tm.dev.email] {
		t.Fatalf("search by name: %v", got)
	}
	if got := emails(list(tm.owner, "?role=annotator")); len(got) != 2 || !got[tm.annHost.email] || !got[tm.annExt.email] {
		t.Fatalf("role filter: %v", got)
	}
	call(t, "GET", "/projects/"+tm.project+"/members?role=boss", tm.owner.token, nil).problem(t, 400, "role")
	seen, cursor := map[string]bool{}, ""
	for range 10 {
		q := "?limit=3"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		r := call(t, "GET", "/projects/"+tm.project+"/members"+q, tm.owner.token, nil).want(t, 200)
		for _, it := range r.items() {
			if seen[it["userId"].(string)] {
				t.Fatal("member listed twice")
			}
			seen[it["userId"].(string)] = true
		}
		next, _ := r.body["nextCursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != len(everyone) {
		t.Fatalf("paging saw %d of %d", len(seen), len(everyone))
	}
}

func TestGrantRules(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	// Nobody grants above their own role.
	call(t, "POST", P+"/members", tm.pm.token, map[string]string{"email": tm.spareHost.email, "role": "developer"}).problem(t, 403, "")
	call(t, "PATCH", P+"/members/"+tm.annHost.id, tm.amHost.token, map[string]string{"role": "project_manager"}).problem(t, 403, "")
	// Nobody changes someone above them.
	call(t, "PATCH", P+"/members/"+tm.dev.id, tm.pm.token, map[string]string{"role": "annotator"}).problem(t, 403, "")
	call(t, "DELETE", P+"/members/"+tm.owner.id, tm.dev.token, nil).problem(t, 403, "")
	// External members are added only by their own org's managers, and
	// hold only annotation_manager or annotator.
	call(t, "POST", P+"/members", tm.owner.token, map[string]string{"email": tm.spareExt.email, "role": "annotator",
		"companyOrgId": tm.partnerOrg}).problem(t, 403, "companyOrgId")
	call(t, "POST", P+"/members", tm.amExt.token, map[string]string{"email": tm.spareExt.email, "role": "developer"}).problem(t, 403, "")
	// An external manager adds only for their own org: a host user gets an
	// invitation for the partner org, as anyone outside it would.
	call(t, "POST", P+"/members", tm.amExt.token, map[string]string{"email": tm.spareHost.email, "role": "annotator"}).want(t, 202)
	// A host annotation manager adds host users as annotators.
	m := call(t, "POST", P+"/members", tm.amHost.token, map[string]string{"email": tm.spareHost.email, "role": "annotator"}).want(t, 201)
	if m.str("orgId") != tm.hostOrg || m.str("side") != "host" {
		t.Fatalf("added %s", m.raw)
	}
	call(t, "POST", P+"/members", tm.owner.token, map[string]string{"email": tm.spareHost.email, "role": "annotator"}).problem(t, 409, "")
	// The host does not place a partner's people (only the partner's own
	// managers do): someone outside the host org gets an invitation to the
	// host side, as anyone would.
	call(t, "POST", P+"/members", tm.owner.token, map[string]string{"email": tm.spareExt.email, "role": "annotator"}).want(t, 202)
	// Users outside every taking-part org, and unknown emails, are invited.
	for _, email := range []string{tm.tenant.email, "ghost." + tm.owner.email} {
		inv := call(t, "POST", P+"/members", tm.owner.token, map[string]string{"email": email, "role": "annotator"}).want(t, 202)
		if inv.str("invitationId") == "" {
			t.Fatalf("no invitation: %s", inv.raw)
		}
	}
	// An external manager invites only into their own org and within its roles.
	call(t, "POST", P+"/members", tm.amExt.token, map[string]string{"email": "new." + tm.owner.email, "role": "project_manager"}).problem(t, 403, "")
	call(t, "POST", P+"/members", tm.owner.token, map[string]string{"email": "not-an-email", "role": "annotator"}).problem(t, 400, "email")
	call(t, "POST", P+"/members", tm.owner.token, map[string]string{"email": tm.dev.email, "role": "boss"}).problem(t, 400, "role")
	// A project keeps at least one owner.
	call(t, "PATCH", P+"/members/"+tm.owner.id, tm.owner.token, map[string]string{"role": "developer"}).problem(t, 409, "")
	call(t, "DELETE", P+"/members/"+tm.owner.id, tm.owner.token, nil).problem(t, 409, "")
	call(t, "PATCH", P+"/members/"+tm.dev.id, tm.owner.token, map[string]string{"role": "owner"}).want(t, 200)
	call(t, "PATCH", P+"/members/"+tm.owner.id, tm.owner.token, map[string]string{"role": "developer"}).want(t, 200)
	call(t, "DELETE", P+"/members/"+tm.dev.id, tm.dev.token, nil).problem(t, 409, "")
	// A member may leave.
	call(t, "DELETE", P+"/members/"+tm.annExt.id, tm.annExt.token, nil).want(t, 204)
	call(t, "GET", P, tm.annExt.token, nil).problem(t, 404, "")
}

func TestLastOwnerUnderConcurrency(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	call(t, "PATCH", P+"/members/"+tm.dev.id, tm.owner.token, map[string]string{"role": "owner"}).want(t, 200)
	// Both owners demote each other at once: exactly one may succeed.
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, pair := range [][2]actor{{tm.owner, tm.dev}, {tm.dev, tm.owner}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = call(t, "PATCH", P+"/members/"+pair[1].id, pair[0].token, map[string]string{"role": "developer"}).status
		}()
	}
	wg.Wait()
	owners := len(call(t, "GET", P+"/members?role=owner", tm.pm.token, nil).want(t, 200).items())
	ok := 0
	for _, c := range codes {
		if c == 200 {
			ok++
		}
	}
	if owners != 1 || ok != 1 {
		t.Fatalf("statuses %v left %d owners; want exactly one demotion and one owner", codes, owners)
	}
}

func TestOrgRoutesByRole(t *testing.T) {
	tm := newTeam(t)
	H := "/orgs/" + tm.hostOrg
	// Org members see the org's projects (shared with the partner, counted);
	// outsiders see nothing.
	ps := call(t, "GET", H+"/projects", tm.annHost.token, nil).want(t, 200).items()
	if len(ps) != 1 || ps[0]["id"] != tm.project || ps[0]["shared"] != true || ps[0]["hostOrgId"] != tm.hostOrg || ps[0]["partnerCount"] != 1.0 {
		t.Fatalf("host projects %v", ps)
	}
	for _, u := range []actor{tm.tenant, tm.nobody, tm.amExt} {
		r := call(t, "GET", H+"/projects", u.token, nil)
		r.problem(t, 404, "")
		noLeak(t, r, "Cats")
	}
	// The partner sees the project as shared.
	shared := call(t, "GET", "/orgs/"+tm.partnerOrg+"/projects", tm.annExt.token, nil).want(t, 200).items()
	if len(shared) != 1 || shared[0]["id"] != tm.project || shared[0]["shared"] != true || shared[0]["hostOrgId"] != tm.hostOrg ||
		shared[0]["hostOrgName"] != "Host Org" {
		t.Fatalf("shared projects %v", shared)
	}
	// Workspaces and projects: owners and admins.
	call(t, "POST", H+"/workspaces", tm.dev.token, map[string]string{"name": "W2"}).problem(t, 403, "")
	call(t, "POST", H+"/workspaces", tm.tenant.token, map[string]string{"name": "W2"}).problem(t, 404, "")
	ws := call(t, "POST", H+"/workspaces", tm.owner.token, map[string]string{"name": "W2"}).want(t, 201).str("id")
	call(t, "POST", "/workspaces/"+ws+"/projects", tm.dev.token, map[string]string{"name": "x"}).problem(t, 403, "")
	call(t, "POST", "/workspaces/"+ws+"/projects", tm.tenant.token, map[string]string{"name": "x"}).problem(t, 404, "")
	call(t, "POST", "/workspaces/"+ws+"/projects", tm.owner.token, map[string]string{"name": ""}).problem(t, 400, "name")
	call(t, "POST", "/workspaces/"+ws+"/projects", tm.owner.token, map[string]string{"name": "Dogs"}).want(t, 201)
	if n := len(call(t, "GET", H+"/workspaces", tm.dev.token, nil).want(t, 200).items()); n != 2 {
		t.Fatalf("%d workspaces", n)
	}
	// Org roles: members may not change them; admins may not touch owners;
	// the org keeps an owner.
	call(t, "PATCH", H+"/members/"+tm.pm.id, tm.dev.token, map[string]string{"role": "admin"}).problem(t, 403, "")
	call(t, "PATCH", H+"/members/"+tm.pm.id, tm.tenant.token, map[string]string{"role": "admin"}).problem(t, 404, "")
	call(t, "PATCH", H+"/members/"+tm.pm.id, tm.owner.token, map[string]string{"role": "chief"}).problem(t, 400, "role")
	call(t, "PATCH", H+"/members/"+tm.pm.id, tm.owner.token, map[string]string{"role": "admin"}).want(t, 200)
	call(t, "PATCH", H+"/members/"+tm.owner.id, tm.pm.token, map[string]string{"role": "member"}).problem(t, 403, "")
	call(t, "PATCH", H+"/members/"+tm.dev.id, tm.pm.token, map[string]string{"role": "owner"}).problem(t, 403, "")
	call(t, "PATCH", H+"/members/"+tm.owner.id, tm.owner.token, map[string]string{"role": "admin"}).problem(t, 409, "")
	call(t, "DELETE", H+"/members/"+tm.owner.id, tm.owner.token, nil).problem(t, 409, "")
	// An org admin acts as owner on the org's projects.
	if r := call(t, "GET", "/projects/"+tm.project+"/permissions", tm.pm.token, nil).want(t, 200); r.str("role") != "owner" {
		t.Fatalf("org admin's role %s", r.raw)
	}
	// Removing a member from the org removes their project access there.
	call(t, "DELETE", H+"/members/"+tm.annHost.id, tm.dev.token, nil).problem(t, 403, "")
	call(t, "DELETE", H+"/members/"+tm.annHost.id, tm.pm.token, nil).want(t, 204)
	call(t, "GET", "/projects/"+tm.project, tm.annHost.token, nil).problem(t, 404, "")
	call(t, "GET", H, tm.annHost.token, nil).problem(t, 404, "")
}

func TestGroupsReachTheProjectTeam(t *testing.T) {
	tm := newTeam(t)
	H := "/orgs/" + tm.hostOrg
	call(t, "POST", H+"/groups", tm.dev.token, map[string]string{"name": "Night shift"}).problem(t, 403, "")
	g := call(t, "POST", H+"/groups", tm.owner.token, map[string]string{"name": "Night shift"}).want(t, 201).str("id")
	call(t, "PUT", H+"/groups/"+g+"/members/"+tm.spareHost.id, tm.owner.token, nil).want(t, 200)
	call(t, "PUT", H+"/groups/"+g+"/members/"+tm.tenant.id, tm.owner.token, nil).problem(t, 422, "")
	// The external manager cannot attach the host's group.
	call(t, "POST", "/projects/"+tm.project+"/groups/"+g, tm.amExt.token, nil).problem(t, 404, "")
	r := call(t, "POST", "/projects/"+tm.project+"/groups/"+g, tm.pm.token, map[string]string{"role": "annotator"}).want(t, 201)
	if r.body["added"].(float64) != 1 {
		t.Fatalf("group add %s", r.raw)
	}
	call(t, "GET", "/projects/"+tm.project, tm.spareHost.token, nil).want(t, 200)
	// A later member of the group joins the project too.
	late := newActor(t, "late")
	joinOrg(t, tm.hostOrg, late, collab.OrgMember, "Host Org")
	call(t, "GET", "/projects/"+tm.project, late.token, nil).problem(t, 404, "")
	j := call(t, "PUT", H+"/groups/"+g+"/members/"+late.id, tm.owner.token, nil).want(t, 200)
	if j.body["projectsJoined"].(float64) != 1 {
		t.Fatalf("join %s", j.raw)
	}
	if role := call(t, "GET", "/projects/"+tm.project+"/permissions", late.token, nil).want(t, 200).str("role"); role != "annotator" {
		t.Fatalf("late member role %s", role)
	}
}

func TestDeleteProjectRemovesEverything(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	for _, u := range []actor{tm.dev, tm.pm, tm.amHost, tm.amExt} {
		call(t, "DELETE", P, u.token, nil).problem(t, 403, "")
	}
	// An item with history, a comment and analytics counters.
	item := newItem(t, tm, "doomed.jpg", tm.annHost)
	call(t, "POST", itemPath(tm, item)+"/submit", tm.annHost.token, nil).want(t, 200)
	call(t, "POST", itemPath(tm, item)+"/comments", tm.owner.token, map[string]string{"text": "bye"}).want(t, 201)
	call(t, "DELETE", P, tm.owner.token, nil).want(t, 204)
	ctx := context.Background()
	if h, _, err := store(t).Store.ListHistory(ctx, item, time.Time{}, collab.Page{Limit: 10}); err != nil || len(h) != 0 {
		t.Fatalf("item history left: %v %v", h, err)
	}
	if c, _, err := store(t).Store.ListComments(ctx, item, time.Time{}, collab.Page{Limit: 10}); err != nil || len(c) != 0 {
		t.Fatalf("comments left: %v %v", c, err)
	}
	if an, err := store(t).Store.ReadAnalytics(ctx, tm.project, tm.annHost.id, "2000-01-01", "2100-01-01"); err != nil || an.Assigned != 0 {
		t.Fatalf("counters left: %+v %v", an, err)
	}
	for _, u := range []actor{tm.owner, tm.dev, tm.amExt, tm.annExt} {
		call(t, "GET", P, u.token, nil).problem(t, 404, "")
	}
	if got := call(t, "GET", "/orgs/"+tm.partnerOrg+"/projects", tm.amExt.token, nil).want(t, 200).items(); len(got) != 0 {
		t.Fatalf("deleted project still shared: %v", got)
	}
	if got := call(t, "GET", "/orgs/"+tm.hostOrg+"/projects", tm.owner.token, nil).want(t, 200).items(); len(got) != 0 {
		t.Fatalf("deleted project still listed: %v", got)
	}
	call(t, "DELETE", P, tm.owner.token, nil).problem(t, 404, "")
}

func TestCSVImport(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	tpl := call(t, "GET", P+"/members/import-template", tm.pm.token, nil).want(t, 200)
	if !strings.HasPrefix(string(tpl.raw), "email,role,company\n") || !strings.HasPrefix(tpl.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("template %q %s", tpl.raw, tpl.header.Get("Content-Type"))
	}
	extra := newActor(t, "extra")
	joinOrg(t, tm.hostOrg, extra, collab.OrgMember, "Host Org")
	csv := "email,role,company\n" +
		tm.spareHost.email + ",annotator,\n" + // good
		extra.email + ",annotation_manager,\n" + // good
		tm.spareExt.email + ",annotator,Partner Org\n" + // for another org: only its own managers add its people
		"ghost@example.com,annotator,\n" + // no account: invited
		"not-an-email,annotator,\n" + // bad email
		tm.spareHost.email + ",annotator,\n" + // duplicate
		"=cmd|' /C calc'!A0,annotator,\n" + // formula
		tm.dev.email + ",boss,\n" + // unknown role
		tm.dev.email + ",developer,\n" + // already a member
		tm.tenant.email + ",annotator,\n" + // outside the host org: invited too, one answer with "ghost"
		tm.annExt.email + ",annotator,Nope Inc\n" // unknown company
	r := call(t, "POST", P+"/members/import", tm.pm.token, csv, "Content-Type", "text/csv").want(t, 200)
	rows := r.body["results"].([]any)
	want := []struct{ status, field string }{
		{"added", ""}, {"added", ""}, {"error", "company"}, {"invited", ""}, {"error", "email"}, {"error", "email"},
		{"error", "row"}, {"error", "role"}, {"already_member", ""}, {"invited", ""}, {"error", "company"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d results: %s", len(rows), r.raw)
	}
	for i, w := range want {
		row := rows[i].(map[string]any)
		if row["status"] != w.status || (w.field != "" && row["field"] != w.field) || row["line"].(float64) != float64(i+2) {
			t.Errorf("row %d: %v, want %s/%s", i+2, row, w.status, w.field)
		}
	}
	if r.body["added"].(float64) != 2 || r.body["errors"].(float64) != 6 || r.body["alreadyMembers"].(float64) != 1 || r.body["invited"].(float64) != 2 {
		t.Fatalf("summary %s", r.raw)
	}
	if ghost, tenant := rows[3].(map[string]any), rows[9].(map[string]any); fmt.Sprint(ghost["status"], ghost["error"]) != fmt.Sprint(tenant["status"], tenant["error"]) {
		t.Fatalf("no account and another org answer differently: %v / %v", ghost, tenant)
	}
	// The invited rows are bound invitations with the row's role, mailed.
	pending := call(t, "GET", "/invitations?projectId="+tm.project, tm.pm.token, nil).want(t, 200).items()
	bound := map[string]string{}
	for _, inv := range pending {
		bound[fmt.Sprint(inv["email"])] = fmt.Sprint(inv["role"])
	}
	if bound["ghost@example.com"] != "annotator" || bound[tm.tenant.email] != "annotator" {
		t.Fatalf("pending invitations %v", bound)
	}
	if len(emailsTo(t, tm.tenant.email)) == 0 {
		t.Fatal("the invited row got no mail")
	}
	// The partner's manager imports their own org's people.
	r = call(t, "POST", P+"/members/import", tm.amExt.token, "email,role\n"+tm.spareExt.email+",annotator\n", "Content-Type", "text/csv").want(t, 200)
	if r.body["added"].(float64) != 1 {
		t.Fatalf("partner import %s", r.raw)
	}
	if role := call(t, "GET", P+"/permissions", tm.spareExt.token, nil).want(t, 200); role.str("side") != "external" {
		t.Fatalf("imported external member %s", role.raw)
	}
	call(t, "POST", P+"/members/import", tm.annHost.token, csv, "Content-Type", "text/csv").problem(t, 403, "")
	call(t, "POST", P+"/members/import", tm.pm.token, "name,role\nx,y\n", "Content-Type", "text/csv").problem(t, 400, "file")
	call(t, "POST", P+"/members/import", tm.pm.token, csv, "Content-Type", "application/json").problem(t, 415, "")
	call(t, "POST", P+"/members/import", tm.tenant.token, csv, "Content-Type", "text/csv").problem(t, 404, "")
}

func TestCSVImportOfAThousandRows(t *testing.T) {
	tm := newTeam(t)
	a := store(t)
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("email,role\n")
	for i := range 1000 {
		email := fmt.Sprintf("bulk%04d.%s", i, tm.owner.email)
		u := collab.User{ID: auth.DevSubject(email), Email: email, Name: fmt.Sprintf("Bulk %d", i), CreatedAt: time.Now().UTC()}
		if err := a.Store.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := a.Store.AddOrgMember(ctx, collab.OrgMembership{OrgID: tm.hostOrg, OrgName: "Host Org", UserID: u.ID, Email: email,
			Name: u.Name, Role: collab.OrgMember, JoinedAt: time.Now().UTC(), Version: 1}); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s,annotator\n", email)
	}
	start := time.Now()
	r := call(t, "POST", "/projects/"+tm.project+"/members/import", tm.owner.token, b.String(), "Content-Type", "text/csv").want(t, 200)
	t.Logf("imported 1,000 rows in %v", time.Since(start))
	if r.body["added"].(float64) != 1000 || r.body["errors"].(float64) != 0 || len(r.body["results"].([]any)) != 1000 {
		t.Fatalf("summary added=%v errors=%v", r.body["added"], r.body["errors"])
	}
	n := 0
	cursor := ""
	for {
		q := "?role=annotator&limit=200"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		page := call(t, "GET", "/projects/"+tm.project+"/members"+q, tm.owner.token, nil).want(t, 200)
		n += len(page.items())
		next, _ := page.body["nextCursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if n != 1002 { // 1,000 imported + the host and the external annotator
		t.Fatalf("%d annotators after import, want 1002", n)
	}
	// Importing the same file again changes nothing.
	again := call(t, "POST", "/projects/"+tm.project+"/members/import", tm.owner.token, b.String(), "Content-Type", "text/csv").want(t, 200)
	if again.body["alreadyMembers"].(float64) != 1000 || again.body["added"].(float64) != 0 {
		t.Fatalf("re-import added=%v already=%v", again.body["added"], again.body["alreadyMembers"])
	}
}
