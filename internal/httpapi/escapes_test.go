package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// The tenant-wall escapes of issue 9, each sent as the attacker sent it;
// every one must be refused. The races run many times.
func TestTenantWallEscapes(t *testing.T) {
	w := newMatrixWorld(t)
	u := w.users
	owner := u[kOwner]
	P, W := "/projects/"+w.project, "/workspaces/"+w.ws

	t.Run("1 a collaborator never widens its own access or types, nor invites a third org", func(t *testing.T) {
		call(t, "PATCH", W+"/collaborators/"+w.cOrg, u[kCDev].token, map[string]any{"projectAccess": map[string]any{"mode": "full"}}).problem(t, 403, "")
		call(t, "PATCH", W+"/collaborators/"+w.cOrg, u[kCDev].token, map[string]any{"types": []string{"data_partner", "producer_partner", "annotation_partner"}}).problem(t, 403, "")
		call(t, "POST", W+"/collaborators", u[kCDev].token, map[string]any{"email": "third@example.com", "types": []string{"data_partner"}}).problem(t, 403, "")
	})
	t.Run("2 an external developer sees and manages only their own org", func(t *testing.T) {
		for _, it := range call(t, "GET", P+"/members", u[kCDev].token, nil).want(t, 200).items() {
			if it["orgId"] != w.cOrg {
				t.Fatalf("external developer lists %v", it)
			}
		}
		call(t, "PATCH", P+"/members/"+u[kDev].id, u[kCDev].token, map[string]string{"role": "annotator"}).problem(t, 404, "")
		call(t, "DELETE", P+"/members/"+u[kLCM].id, u[kCDev].token, nil).problem(t, 404, "")
		for _, e := range call(t, "GET", P+"/audit", u[kCDev].token, nil).want(t, 200).items() {
			if e["orgId"] != w.cOrg {
				t.Fatalf("external developer reads audit %v", e)
			}
		}
		call(t, "GET", P+"/members/"+u[kDev].id+"/analytics?from=2026-01-01&to=2026-12-31", u[kCDev].token, nil).problem(t, 404, "")
	})
	t.Run("3 a former member's workspace and group rows grant nothing and are gone", func(t *testing.T) {
		call(t, "GET", P, u[kFormer].token, nil).problem(t, 404, "")
		call(t, "PUT", P+"/share-link", u[kFormer].token, nil).problem(t, 404, "")
		call(t, "POST", W+"/projects", u[kFormer].token, map[string]string{"name": "mine"}).problem(t, 404, "")
		call(t, "GET", W+"/members/"+u[kFormer].id, owner.token, nil).problem(t, 404, "")
		// Linking the group later does not bring them back.
		p2 := call(t, "POST", W+"/projects", owner.token, map[string]string{"name": "Later"}).want(t, 201).str("id")
		call(t, "POST", "/projects/"+p2+"/groups/"+w.hostGroup, owner.token, map[string]string{"role": "annotator"}).want(t, 201)
		call(t, "GET", "/projects/"+p2, u[kFormer].token, nil).problem(t, 404, "")
	})
	t.Run("4 the host does not make anyone a member of a labeling company", func(t *testing.T) {
		mailbox := uniqueEmail(t, "planted")
		call(t, "POST", P+"/members", owner.token, map[string]string{"email": mailbox, "role": "annotator", "companyOrgId": w.lOrg}).problem(t, 403, "companyOrgId")
		call(t, "POST", P+"/members", u[kSL].token, map[string]string{"email": mailbox, "role": "annotator", "companyOrgId": w.lOrg}).problem(t, 403, "companyOrgId")
	})
	t.Run("5 a collaborator's member creates no project in the host's workspace", func(t *testing.T) {
		for _, k := range []string{kCDev, kCPM} {
			call(t, "POST", W+"/projects", u[k].token, map[string]string{"name": "mine"}).problem(t, 403, "")
		}
	})
	t.Run("8 jobs are read by the workspace's admins and their starter only", func(t *testing.T) {
		for _, k := range []string{kDev, kPM, kCDev, kCPM} {
			call(t, "GET", "/jobs/"+w.jobID, u[k].token, nil).problem(t, 404, "")
		}
	})
	t.Run("9 changes of who may do what are audited and workspace audit has a route", func(t *testing.T) {
		call(t, "POST", P+"/members", owner.token, map[string]string{"email": uniqueEmail(t, "audited"), "role": "annotator"}).want(t, 202)
		whats := map[string]bool{}
		for _, e := range allAudit(t, collab.ProjectScope(w.project)) {
			whats[e.What] = true
		}
		for _, want := range []string{"member.added", "share_link.enabled", "invitation.created", "partner.stopped"} {
			if !whats[want] {
				t.Errorf("no %s in the project audit: %v", want, whats)
			}
		}
		found := false
		for _, e := range call(t, "GET", W+"/audit", owner.token, nil).want(t, 200).items() {
			found = found || e["what"] == "workspace_member.set"
		}
		if !found {
			t.Error("workspace audit lacks workspace_member.set")
		}
		for _, e := range allAudit(t, collab.OrgScope(w.host)) {
			whats[e.What] = true
		}
		if !whats["org_member.removed"] || !whats["group.member_added"] {
			t.Errorf("org audit %v", whats)
		}
	})
	t.Run("10 a plain member of an org accepts no share link for it", func(t *testing.T) {
		boss := newActor(t, "boss10")
		org := orgOf(t, boss, "Plain Co")
		plain := newActor(t, "plain10")
		joinOrg(t, org, plain, collab.OrgMember, "Plain Co")
		link := tokenOf(t, call(t, "PUT", P+"/share-link?rotate=true", owner.token, nil).want(t, 201).str("url"))
		call(t, "POST", "/invitations/"+link+"/accept", plain.token, map[string]string{"orgId": org}).problem(t, 403, "orgId")
		call(t, "GET", P, plain.token, nil).problem(t, 404, "")
		w.shareToken = link
	})
	t.Run("11 a collaborator org does not turn into a share-link partner", func(t *testing.T) {
		cBoss := newActor(t, "cboss11")
		joinOrg(t, w.cOrg, cBoss, collab.OrgOwner, "Collab Co")
		call(t, "POST", "/invitations/"+w.shareToken+"/accept", cBoss.token, map[string]string{"orgId": w.cOrg}).problem(t, 409, "")
		for _, p := range call(t, "GET", P+"/partners", owner.token, nil).want(t, 200).items() {
			if p["orgId"] == w.cOrg && p["kind"] != "collaborator" {
				t.Fatalf("partner record flipped: %v", p)
			}
		}
	})
	t.Run("12 group links end with the partnership", func(t *testing.T) {
		boss := newActor(t, "boss12")
		org := orgOf(t, boss, "Grouped Co")
		addPartner(t, w.project, w.host, org, "Grouped Co", collab.PartnerShareLink, boss)
		grp := call(t, "POST", "/orgs/"+org+"/groups", boss.token, map[string]string{"name": "crew"}).want(t, 201).str("id")
		call(t, "POST", P+"/groups/"+grp, boss.token, map[string]string{"role": "annotator"}).want(t, 201)
		stopPartner(t, owner, w.project, org)
		late := newActor(t, "late12")
		joinOrg(t, org, late, collab.OrgMember, "Grouped Co")
		call(t, "PUT", "/orgs/"+org+"/groups/"+grp+"/members/"+late.id, boss.token, nil).want(t, 200)
		addPartner(t, w.project, w.host, org, "Grouped Co", collab.PartnerShareLink, boss)
		call(t, "GET", P, late.token, nil).problem(t, 404, "")
		for _, m := range call(t, "GET", P+"/members", owner.token, nil).want(t, 200).items() {
			if m["userId"] == late.id {
				t.Fatal("the stopped partner's group still feeds the team")
			}
		}
	})
	t.Run("13 when a partner's manager leaves, the org's owner takes over and can stop", func(t *testing.T) {
		boss := newActor(t, "boss13")
		org := orgOf(t, boss, "Leaving Co")
		mgr := newActor(t, "mgr13")
		joinOrg(t, org, mgr, collab.OrgAdmin, "Leaving Co")
		addPartner(t, w.project, w.host, org, "Leaving Co", collab.PartnerShareLink, mgr)
		call(t, "DELETE", "/orgs/"+org+"/members/"+mgr.id, boss.token, nil).want(t, 204)
		call(t, "GET", P, mgr.token, nil).problem(t, 404, "")
		r := call(t, "POST", "/invitations/"+w.shareToken+"/accept", boss.token, map[string]string{"orgId": org}).want(t, 200)
		if r.str("role") != "annotation_manager" {
			t.Fatalf("takeover %s", r.raw)
		}
		stopPartner(t, boss, w.project, org)
		call(t, "GET", P, boss.token, nil).problem(t, 404, "")
	})
	t.Run("14 assignment answers alike inside and outside the wall", func(t *testing.T) {
		call(t, "POST", P+"/members", u[kLCM].token, map[string]string{"email": u[kLCA].email, "role": "annotator"})
		id := call(t, "POST", P+"/items", owner.token, map[string]string{"name": "lc"}).want(t, 201).str("id")
		call(t, "POST", P+"/items/"+id+"/assign", owner.token, map[string]string{"userId": u[kLCA].id}).want(t, 200)
		a := call(t, "POST", P+"/items/"+id+"/assign", u[kLCM].token, map[string]string{"userId": u[kAnnH].id})
		b := call(t, "POST", P+"/items/"+id+"/assign", u[kLCM].token, map[string]string{"userId": u[kNobody].id})
		a.problem(t, 400, "userId")
		b.problem(t, 400, "userId")
		if a.str("detail") != b.str("detail") {
			t.Fatalf("answers differ: %s / %s", a.raw, b.raw)
		}
	})
	t.Run("15 email binding is exact up to ASCII case", func(t *testing.T) {
		addr := "kim.iris." + time.Now().Format("150405.000000") + "@example.com"
		call(t, "POST", "/orgs/"+w.host+"/invitations", owner.token, map[string]string{"email": addr, "role": "member"}).want(t, 201)
		token := tokenMailedTo(t, addr, 1)
		for _, fake := range []string{strings.Replace(addr, "k", "\u212a", 1), strings.Replace(addr, "i", "\u0130", 1)} {
			call(t, "POST", "/invitations/"+token+"/accept", userToken(t, fake), nil).problem(t, 403, "")
		}
		call(t, "POST", "/invitations/"+token+"/accept", userToken(t, strings.ToUpper(addr)), nil).want(t, 200)
	})
	t.Run("16 two owners demoting each other and at most one wins", func(t *testing.T) {
		for round := range 5 {
			a, b := newActor(t, "oa"), newActor(t, "ob")
			joinOrg(t, w.host, a, collab.OrgMember, "Host Org")
			joinOrg(t, w.host, b, collab.OrgMember, "Host Org")
			p := call(t, "POST", W+"/projects", owner.token, map[string]string{"name": "Duel"}).want(t, 201).str("id")
			for _, x := range []actor{a, b} {
				call(t, "POST", "/projects/"+p+"/members", owner.token, map[string]string{"email": x.email, "role": "owner"}).want(t, 201)
			}
			pair := []actor{a, b}
			st := race(t, 2, func(i int) int {
				return call(t, "PATCH", "/projects/"+p+"/members/"+pair[1-i].id, pair[i].token, map[string]string{"role": "annotator"}).status
			})
			if st[200] > 1 {
				t.Fatalf("round %d: both demotions succeeded: %v", round, st)
			}
		}
	})
	t.Run("17 a type change and a role grant it forbids never both commit", func(t *testing.T) {
		for round := range 5 {
			boss := newActor(t, "boss17")
			org := orgOf(t, boss, "Retyped Co")
			addCollaborator(t, w.ws, org, "Retyped Co", collab.CollabProducerPartner, collab.CollabAnnotationPartner)
			x := newActor(t, "x17")
			joinOrg(t, org, x, collab.OrgMember, "Retyped Co")
			race(t, 2, func(i int) int {
				if i == 0 {
					return call(t, "PATCH", W+"/collaborators/"+org, owner.token, map[string]any{"types": []string{"annotation_partner"}}).status
				}
				return call(t, "PUT", W+"/members/"+x.id, owner.token, map[string]string{"role": "project_manager"}).status
			})
			r := call(t, "GET", W+"/members/"+x.id, owner.token, nil)
			cols := call(t, "GET", W+"/collaborators", owner.token, nil).want(t, 200).items()
			for _, c := range cols {
				if c["orgId"] == org && r.status == 200 && r.str("role") == "project_manager" && len(c["types"].([]any)) == 1 {
					t.Fatalf("round %d: project_manager stored under annotation_partner", round)
				}
			}
		}
	})
	t.Run("bad input: a long sub, duplicate keys, deceptive names", func(t *testing.T) {
		call(t, "GET", "/orgs", userToken(t, strings.Repeat("a", 5000)+"@example.com"), nil).problem(t, 401, "")
		call(t, "POST", "/orgs", owner.token, `{"name":"A","name":"B"}`, "Content-Type", "application/json").problem(t, 400, "name")
		call(t, "POST", "/orgs", owner.token, `{"Name":"A"}`, "Content-Type", "application/json").problem(t, 400, "Name")
		for _, name := range []string{"Evil\u202eCo", "\u200b\u200b", "Bad\u0085Co"} {
			call(t, "POST", "/orgs", owner.token, map[string]string{"name": name}).problem(t, 400, "name")
		}
	})
}
