package httpapi_test

import (
	"testing"

	"github.com/annobridge/annobridge/internal/collab"
)

// Every route of the membership function, for each kind of actor: allowed or
// denied as the matrix and the tenant boundary say, and nothing of another
// tenant in any answer. Mutations are undone (or made harmless) so each
// actor meets the same state.
func TestEveryRouteForEveryActor(t *testing.T) {
	tm := newTeam(t)
	P, H, W := "/projects/"+tm.project, "/orgs/"+tm.hostOrg, "/workspaces/"+tm.workspace
	hostGroup := call(t, "POST", H+"/groups", tm.owner.token, map[string]string{"name": "Empty group"}).want(t, 201).str("id")
	ensureMember := func(u actor, role string) {
		r := call(t, "POST", P+"/members", tm.owner.token, map[string]string{"email": u.email, "role": role})
		if r.status != 201 && r.status != 409 {
			t.Fatalf("setup: %d %s", r.status, r.raw)
		}
	}
	const (
		owner, dev, pm, amH, annH, amX, annX, other, none = "owner", "developer", "project_manager", "annotation_manager(host)",
			"annotator(host)", "annotation_manager(external)", "annotator(external)", "other tenant", "no membership"
	)
	type want map[string]int
	outsiders := func(w want, code int) want { w[other], w[none] = code, code; return w }
	readAll := outsiders(want{owner: 200, dev: 200, pm: 200, amH: 200, annH: 200, amX: 200, annX: 200}, 404)
	orgRead := outsiders(want{owner: 200, dev: 200, pm: 200, amH: 200, annH: 200, amX: 404, annX: 404}, 404)
	orgWrite := func(ok int) want {
		return outsiders(want{owner: ok, dev: 403, pm: 403, amH: 403, annH: 403, amX: 404, annX: 404}, 404)
	}
	var throwaway actor
	cases := []struct {
		name         string
		method, path string
		body         any
		want         want
		before       func()
		after        func(status int)
	}{
		{name: "GET org", method: "GET", path: H, want: orgRead},
		{name: "GET org members", method: "GET", path: H + "/members", want: orgRead},
		{name: "GET org projects", method: "GET", path: H + "/projects", want: orgRead},
		{name: "GET org workspaces", method: "GET", path: H + "/workspaces", want: orgRead},
		{name: "POST workspace", method: "POST", path: H + "/workspaces", body: map[string]string{"name": "W"}, want: orgWrite(201)},
		{name: "POST group", method: "POST", path: H + "/groups", body: map[string]string{"name": "G"}, want: orgWrite(201)},
		{name: "PUT group member", method: "PUT", path: H + "/groups/" + hostGroup + "/members/" + tm.spareHost.id, want: orgWrite(200)},
		{name: "PATCH org member", method: "PATCH", path: H + "/members/" + tm.spareHost.id, body: map[string]string{"role": "member"}, want: orgWrite(200)},
		{name: "DELETE org member", method: "DELETE", path: "", want: orgWrite(204),
			before: func() {
				throwaway = newActor(t, "throwaway")
				joinOrg(t, tm.hostOrg, throwaway, collab.OrgMember, "Host Org")
			}},
		{name: "POST project", method: "POST", path: W + "/projects", body: map[string]string{"name": "New"}, want: orgWrite(201)},
		{name: "GET project", method: "GET", path: P, want: readAll},
		{name: "PATCH project", method: "PATCH", path: P, body: map[string]string{"name": "Cats"},
			want: outsiders(want{owner: 200, dev: 200, pm: 403, amH: 403, annH: 403, amX: 403, annX: 403}, 404)},
		{name: "DELETE project (non-owners)", method: "DELETE", path: P,
			want: outsiders(want{owner: 0, dev: 403, pm: 403, amH: 403, annH: 403, amX: 403, annX: 403}, 404)},
		{name: "GET members", method: "GET", path: P + "/members", want: readAll},
		{name: "POST member", method: "POST", path: P + "/members", body: map[string]string{"email": tm.spareHost.email, "role": "annotator"},
			// The external manager manages only their own org: a host user is not theirs.
			want: outsiders(want{owner: 201, dev: 201, pm: 201, amH: 201, annH: 403, amX: 422, annX: 403}, 404),
			after: func(s int) {
				if s == 201 {
					call(t, "DELETE", P+"/members/"+tm.spareHost.id, tm.owner.token, nil).want(t, 204)
				}
			}},
		{name: "PATCH member", method: "PATCH", path: P + "/members/" + tm.annHost.id, body: map[string]string{"role": "annotator"},
			want: outsiders(want{owner: 200, dev: 200, pm: 200, amH: 200, annH: 403, amX: 404, annX: 403}, 404)},
		{name: "DELETE member", method: "DELETE", path: P + "/members/" + tm.spareHost.id,
			want:   outsiders(want{owner: 204, dev: 204, pm: 204, amH: 204, annH: 403, amX: 404, annX: 403}, 404),
			before: func() { ensureMember(tm.spareHost, "annotator") }},
		{name: "POST project group", method: "POST", path: P + "/groups/" + hostGroup, body: map[string]string{"role": "annotator"},
			want: outsiders(want{owner: 201, dev: 201, pm: 201, amH: 201, annH: 403, amX: 404, annX: 403}, 404)},
		{name: "GET import template", method: "GET", path: P + "/members/import-template", want: readAll},
		{name: "POST import", method: "POST", path: P + "/members/import", body: "email,role\n" + tm.annHost.email + ",annotator\n",
			want: outsiders(want{owner: 200, dev: 200, pm: 200, amH: 200, annH: 403, amX: 200, annX: 403}, 404)},
		{name: "GET permissions", method: "GET", path: P + "/permissions", want: readAll},
		{name: "POST authorize", method: "POST", path: P + "/authorize", body: map[string]string{"action": "project.view"}, want: readAll},
	}
	order := []string{owner, dev, pm, amH, annH, amX, annX, other, none}
	actors := tm.projectActors()
	for _, c := range cases {
		for _, who := range order {
			if c.want[who] == 0 {
				continue
			}
			t.Run(c.name+"/"+who, func(t *testing.T) {
				if c.before != nil {
					c.before()
				}
				path := c.path
				if c.name == "DELETE org member" {
					path = H + "/members/" + throwaway.id
				}
				var r response
				if s, ok := c.body.(string); ok {
					r = call(t, c.method, path, actors[who].token, s, "Content-Type", "text/csv")
				} else {
					r = call(t, c.method, path, actors[who].token, c.body)
				}
				if r.status != c.want[who] {
					t.Fatalf("%s %s as %s: %d, want %d: %s", c.method, path, who, r.status, c.want[who], r.raw)
				}
				if r.status >= 400 {
					r.problem(t, r.status, "")
				}
				if who == other || who == none {
					noLeak(t, r, "Cats", "Host Org", tm.owner.email, tm.annHost.email)
				}
				if who == amX || who == annX {
					noLeak(t, r, tm.owner.email, tm.dev.email, "already_member")
					if c.name != "POST import" { // which echoes the importer's own rows
						noLeak(t, r, tm.annHost.email)
					}
				}
				noLeak(t, r, "Tenant secret", tm.tenant.email)
				if c.after != nil {
					c.after(r.status)
				}
			})
		}
	}
}
