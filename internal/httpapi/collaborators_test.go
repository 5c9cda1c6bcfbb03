package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// waitJob polls GET /jobs/{id} until the job ends.
func waitJob(t testing.TB, u actor, jobID string, within time.Duration) response {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		r := call(t, "GET", "/jobs/"+jobID, u.token, nil).want(t, 200)
		switch r.str("status") {
		case "succeeded":
			return r
		case "failed":
			t.Fatalf("job failed: %s", r.raw)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not done: %s", r.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func auditOf(t testing.TB, scope string) []collab.AuditEntry {
	t.Helper()
	es, _, err := store(t).Store.ListAudit(context.Background(), scope, "", collab.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func hasAudit(t testing.TB, scope, what, org string) collab.AuditEntry {
	t.Helper()
	for _, e := range auditOf(t, scope) {
		if e.What == what && e.OrgID == org {
			return e
		}
	}
	t.Fatalf("no audit entry %s for %s in %s: %+v", what, org, scope, auditOf(t, scope))
	return collab.AuditEntry{}
}

type collabScene struct {
	team
	p2                 string
	xOrg               string
	xOwner, x1, x2, x3 actor
}

func newCollabScene(t testing.TB) collabScene {
	tm := newTeam(t)
	sc := collabScene{team: tm}
	sc.p2 = call(t, "POST", "/workspaces/"+tm.workspace+"/projects", tm.owner.token, map[string]string{"name": "Dogs"}).want(t, 201).str("id")
	sc.xOwner = newActor(t, "xowner")
	sc.xOrg = orgOf(t, sc.xOwner, "Producer X")
	for _, p := range []*actor{&sc.x1, &sc.x2, &sc.x3} {
		*p = newActor(t, "xmember")
		joinOrg(t, sc.xOrg, *p, collab.OrgMember, "Producer X")
	}
	return sc
}

func TestCollaboratorsLifecycle(t *testing.T) {
	sc := newCollabScene(t)
	W := "/workspaces/" + sc.workspace
	C := W + "/collaborators"
	add := map[string]any{"orgId": sc.xOrg, "types": []string{"producer_partner"},
		"projectAccess": map[string]any{"mode": "limited", "projectIds": []string{sc.project}}}
	// Adding at once needs workforce access to the org being added.
	call(t, "POST", C, sc.owner.token, add).problem(t, 403, "")
	joinOrg(t, sc.xOrg, sc.owner, collab.OrgAdmin, "Producer X")
	call(t, "POST", C, sc.dev.token, add).problem(t, 403, "") // an org member without a workspace role
	call(t, "POST", C, sc.owner.token, map[string]any{"orgId": sc.xOrg, "types": []string{"producer_partner"},
		"projectAccess": map[string]any{"mode": "limited", "projectIds": []string{sc.tenantProject}}}).problem(t, 400, "projectAccess.projectIds")
	col := call(t, "POST", C, sc.owner.token, add).want(t, 201)
	if col.str("orgId") != sc.xOrg || col.str("orgName") != "Producer X" {
		t.Fatalf("added %s", col.raw)
	}
	call(t, "POST", C, sc.owner.token, add).problem(t, 409, "")
	hasAudit(t, collab.WorkspaceScope(sc.workspace), "collaborator.added", sc.xOrg)

	// Visibility: a workspace developer without workforce access to X sees
	// no collaborators, only the owning org's row; the admin sees all.
	call(t, "PUT", W+"/members/"+sc.dev.id, sc.owner.token, map[string]string{"role": "developer"}).want(t, 200)
	if got := call(t, "GET", C, sc.dev.token, nil).want(t, 200).items(); len(got) != 1 || got[0]["owner"] != true {
		t.Fatalf("developer sees %v", got)
	}
	if got := call(t, "GET", C, sc.owner.token, nil).want(t, 200).items(); len(got) != 2 || got[1]["orgId"] != sc.xOrg {
		t.Fatalf("admin sees %v", got)
	}
	call(t, "GET", C, sc.annHost.token, nil).problem(t, 403, "") // an org member without a workspace role
	call(t, "GET", C, sc.tenant.token, nil).problem(t, 404, "")

	// Workspace roles are limited by the org's types.
	call(t, "PUT", W+"/members/"+sc.x2.id, sc.owner.token, map[string]string{"role": "developer"}).problem(t, 400, "role")
	call(t, "PUT", W+"/members/"+sc.x1.id, sc.dev.token, map[string]string{"role": "project_manager"}).problem(t, 403, "")
	call(t, "PUT", W+"/members/"+sc.tenant.id, sc.owner.token, map[string]string{"role": "annotation_manager"}).problem(t, 422, "userId")
	m := call(t, "PUT", W+"/members/"+sc.x1.id, sc.owner.token, map[string]string{"role": "project_manager"}).want(t, 200)
	if m.str("orgId") != sc.xOrg || m.body["external"] != true {
		t.Fatalf("member %s", m.raw)
	}
	call(t, "GET", W+"/members/"+sc.x1.id, sc.x1.token, nil).want(t, 200)
	call(t, "GET", W+"/members/"+sc.x1.id, sc.x2.token, nil).problem(t, 404, "")
	hasAudit(t, collab.WorkspaceScope(sc.workspace), "workspace_member.set", sc.xOrg)

	// The workspace role reaches the projects the collaborator can access.
	p := call(t, "GET", "/projects/"+sc.project+"/permissions", sc.x1.token, nil).want(t, 200)
	if p.str("role") != "project_manager" || p.str("side") != "external" || p.str("orgId") != sc.xOrg {
		t.Fatalf("x1 on P1: %s", p.raw)
	}
	call(t, "GET", "/projects/"+sc.p2, sc.x1.token, nil).problem(t, 404, "")
	// The collaborator org lists the projects it reaches, flagged shared.
	shared := call(t, "GET", "/orgs/"+sc.xOrg+"/projects", sc.x1.token, nil).want(t, 200).items()
	if len(shared) != 1 || shared[0]["id"] != sc.project || shared[0]["shared"] != true || shared[0]["hostOrgId"] != sc.hostOrg {
		t.Fatalf("collaborator's projects %v", shared)
	}
	call(t, "PATCH", C+"/"+sc.xOrg, sc.owner.token, map[string]any{"projectAccess": map[string]any{"mode": "full"}}).want(t, 200)
	if got := call(t, "GET", "/orgs/"+sc.xOrg+"/projects", sc.x1.token, nil).want(t, 200).items(); len(got) != 2 {
		t.Fatalf("with full access: %v", got)
	}
	call(t, "GET", "/projects/"+sc.p2, sc.x1.token, nil).want(t, 200)
	// Projects created later are covered by full access.
	p3 := call(t, "POST", W+"/projects", sc.owner.token, map[string]string{"name": "Later"}).want(t, 201).str("id")
	call(t, "GET", "/projects/"+p3, sc.x1.token, nil).want(t, 200)

	// Auto invite: the role must be allowed by the types.
	call(t, "PATCH", C+"/"+sc.xOrg, sc.owner.token, map[string]any{"autoInvite": true, "autoInviteRole": "developer"}).problem(t, 400, "autoInviteRole")
	ai := call(t, "PATCH", C+"/"+sc.xOrg, sc.owner.token, map[string]any{"autoInvite": true, "autoInviteRole": "annotation_manager"}).want(t, 200)
	if c := ai.body["collaborator"].(map[string]any); c["autoInvite"] != true || c["autoInviteRole"] != "annotation_manager" {
		t.Fatalf("auto invite %s", ai.raw)
	}

	// A type change that drops project_manager: the dry run lists exactly
	// the roles it would remove and changes nothing.
	call(t, "PUT", W+"/members/"+sc.x2.id, sc.owner.token, map[string]string{"role": "annotation_manager"}).want(t, 200)
	dry := call(t, "PATCH", C+"/"+sc.xOrg, sc.owner.token, map[string]any{"types": []string{"annotation_partner"}, "dryRun": true}).want(t, 200)
	removed := dry.body["removedRoles"].([]any)
	if len(removed) != 1 || removed[0].(map[string]any)["userId"] != sc.x1.id || removed[0].(map[string]any)["role"] != "project_manager" {
		t.Fatalf("dry run %s", dry.raw)
	}
	if r := call(t, "GET", W+"/members/"+sc.x1.id, sc.owner.token, nil).want(t, 200); r.str("role") != "project_manager" {
		t.Fatalf("dry run changed %s", r.raw)
	}
	if c := call(t, "GET", C, sc.owner.token, nil).want(t, 200).items()[1]; c["types"].([]any)[0] != "producer_partner" {
		t.Fatalf("dry run changed types: %v", c)
	}
	real := call(t, "PATCH", C+"/"+sc.xOrg, sc.owner.token, map[string]any{"types": []string{"annotation_partner"}}).want(t, 200)
	if len(real.body["removedRoles"].([]any)) != 1 {
		t.Fatalf("cascade %s", real.raw)
	}
	call(t, "GET", W+"/members/"+sc.x1.id, sc.owner.token, nil).problem(t, 404, "")
	call(t, "GET", "/projects/"+sc.project, sc.x1.token, nil).problem(t, 404, "")
	if r := call(t, "GET", W+"/members/"+sc.x2.id, sc.owner.token, nil).want(t, 200); r.str("role") != "annotation_manager" {
		t.Fatalf("cascade removed an allowed role: %s", r.raw)
	}
	e := hasAudit(t, collab.WorkspaceScope(sc.workspace), "collaborator.updated", sc.xOrg)
	if e.Actor != sc.owner.id || e.Before == nil || e.After == nil {
		t.Fatalf("audit entry %+v", e)
	}

	// Add all users, as a job.
	// A developer without workforce access to X does not see it (docs/permissions.md).
	call(t, "POST", C+"/"+sc.xOrg+"/add-all-users", sc.dev.token, nil).problem(t, 404, "")
	job := call(t, "POST", C+"/"+sc.xOrg+"/add-all-users", sc.owner.token, map[string]string{"role": "annotation_manager"}).want(t, 202)
	done := waitJob(t, sc.owner, job.str("jobId"), 30*time.Second)
	members := []actor{sc.xOwner, sc.x1, sc.x2, sc.x3, sc.owner} // the host owner joined X as admin
	if done.body["done"].(float64) != float64(len(members)) || done.str("kind") != "add_all_users" {
		t.Fatalf("job %s", done.raw)
	}
	for _, u := range members {
		if r := call(t, "GET", W+"/members/"+u.id, sc.owner.token, nil).want(t, 200); r.str("orgId") != sc.xOrg && u != sc.owner {
			t.Fatalf("member %s", r.raw)
		}
	}
	call(t, "GET", "/jobs/"+job.str("jobId"), sc.tenant.token, nil).problem(t, 404, "")

	// Remove the collaborator: every workspace and project access of its
	// people in this workspace goes.
	call(t, "POST", "/projects/"+sc.project+"/members", sc.owner.token, map[string]string{"email": sc.x3.email, "role": "annotator",
		"companyOrgId": sc.xOrg}).problem(t, 403, "companyOrgId")
	rm := call(t, "DELETE", C+"/"+sc.xOrg, sc.owner.token, nil).want(t, 202)
	// Access stops at once, before the job runs.
	call(t, "GET", "/projects/"+sc.project, sc.x2.token, nil).problem(t, 404, "")
	waitJob(t, sc.owner, rm.str("jobId"), 30*time.Second)
	for _, u := range []actor{sc.xOwner, sc.x1, sc.x2, sc.x3} {
		call(t, "GET", W+"/members/"+u.id, sc.owner.token, nil).problem(t, 404, "")
		call(t, "GET", "/projects/"+sc.p2, u.token, nil).problem(t, 404, "")
	}
	if got := call(t, "GET", C, sc.owner.token, nil).want(t, 200).items(); len(got) != 1 || got[0]["orgId"] != sc.hostOrg {
		t.Fatalf("collaborator still listed: %v", got)
	}
	hasAudit(t, collab.WorkspaceScope(sc.workspace), "collaborator.removed", sc.xOrg)
	hasAudit(t, collab.WorkspaceScope(sc.workspace), "job.remove_collaborator.succeeded", sc.xOrg)
}

// A job run twice (duplicate messages) or re-run after it ended changes
// nothing more: no duplicates, same counts.
func TestJobsAreSafeToRerun(t *testing.T) {
	sc := newCollabScene(t)
	C := "/workspaces/" + sc.workspace + "/collaborators"
	joinOrg(t, sc.xOrg, sc.owner, collab.OrgAdmin, "Producer X")
	call(t, "POST", C, sc.owner.token, map[string]any{"orgId": sc.xOrg, "types": []string{"annotation_partner"}}).want(t, 201)
	job := call(t, "POST", C+"/"+sc.xOrg+"/add-all-users", sc.owner.token, nil).want(t, 202).str("jobId")
	a := store(t)
	for range 3 { // duplicate deliveries of the run message
		if err := a.JobQueue.Enqueue(context.Background(), job); err != nil {
			t.Fatal(err)
		}
	}
	first := waitJob(t, sc.owner, job, 30*time.Second)
	time.Sleep(500 * time.Millisecond) // let the duplicates land
	if _, err := a.Service.Jobs.RunJob(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	again := call(t, "GET", "/jobs/"+job, sc.owner.token, nil).want(t, 200)
	if again.body["done"] != first.body["done"] || again.body["written"] != first.body["written"] || again.body["written"].(float64) != 5 {
		t.Fatalf("first %s, after re-runs %s", first.raw, again.raw)
	}
	ms, err := a.Store.ListWorkspaceMembers(context.Background(), sc.workspace, sc.xOrg)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 5 {
		t.Fatalf("%d workspace members, want 5", len(ms))
	}
}

func TestPartnersAndStopCollaboration(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	// A second partner, by share link.
	link := tokenOf(t, call(t, "PUT", P+"/share-link", tm.owner.token, nil).want(t, 201).str("url"))
	v := newActor(t, "vmanager")
	vOrg := orgOf(t, v, "Vendor V")
	call(t, "POST", "/invitations/"+link+"/accept", v.token, nil).want(t, 200)
	ps := call(t, "GET", P+"/partners", tm.owner.token, nil).want(t, 200).items()
	if len(ps) != 2 {
		t.Fatalf("partners %v", ps)
	}
	// A partner sees only itself.
	if got := call(t, "GET", P+"/partners", v.token, nil).want(t, 200).items(); len(got) != 1 || got[0]["orgId"] != vOrg {
		t.Fatalf("partner sees %v", got)
	}
	call(t, "GET", P+"/partners", tm.tenant.token, nil).problem(t, 404, "")
	// Neither another partner's manager nor a host developer may stop V.
	call(t, "DELETE", P+"/partners/"+vOrg, tm.amExt.token, nil).problem(t, 404, "")
	call(t, "DELETE", P+"/partners/"+vOrg, tm.dev.token, nil).problem(t, 403, "")
	call(t, "DELETE", P+"/partners/"+vOrg, tm.tenant.token, nil).problem(t, 404, "")
	// The partner's own manager stops it.
	stopPartner(t, v, tm.project, vOrg)
	call(t, "GET", P, v.token, nil).problem(t, 404, "")
	if got := call(t, "GET", "/orgs/"+vOrg+"/projects", v.token, nil).want(t, 200).items(); len(got) != 0 {
		t.Fatalf("project still in the partner's list: %v", got)
	}
	hasAudit(t, collab.ProjectScope(tm.project), "partner.stopped", vOrg)
	// The host's owner stops the other partner; its members lose access.
	stopPartner(t, tm.owner, tm.project, tm.partnerOrg)
	for _, u := range []actor{tm.amExt, tm.annExt} {
		call(t, "GET", P, u.token, nil).problem(t, 404, "")
	}
	for _, it := range call(t, "GET", P+"/members", tm.owner.token, nil).want(t, 200).items() {
		if it["orgId"] == tm.partnerOrg || it["orgId"] == vOrg {
			t.Fatalf("partner member left behind: %v", it)
		}
	}
	if got := call(t, "GET", P+"/partners", tm.owner.token, nil).want(t, 200).items(); len(got) != 0 {
		t.Fatalf("partners left: %v", got)
	}
	call(t, "DELETE", P+"/partners/"+vOrg, tm.owner.token, nil).problem(t, 404, "")
}

// Who invites which type: admins and developers any type, project managers
// only annotation partners.
func TestWhoInvitesWhichType(t *testing.T) {
	tm := newTeam(t)
	W := "/workspaces/" + tm.workspace
	call(t, "PUT", W+"/members/"+tm.pm.id, tm.owner.token, map[string]string{"role": "project_manager"}).want(t, 200)
	call(t, "PUT", W+"/members/"+tm.dev.id, tm.owner.token, map[string]string{"role": "developer"}).want(t, 200)
	invite := func(u actor, typ string) response {
		return call(t, "POST", W+"/collaborators", u.token, map[string]any{"email": uniqueEmail(t, "c"), "types": []string{typ}})
	}
	invite(tm.pm, "producer_partner").problem(t, 403, "")
	invite(tm.pm, "data_partner").problem(t, 403, "")
	invite(tm.pm, "annotation_partner").want(t, 202)
	invite(tm.dev, "data_partner").want(t, 202)
	invite(tm.owner, "producer_partner").want(t, 202)
	invite(tm.annHost, "annotation_partner").problem(t, 403, "") // an org member without a workspace role
	invite(tm.tenant, "annotation_partner").problem(t, 404, "")
	call(t, "GET", W+"/collaborators", tm.pm.token, nil).want(t, 200)
}

// With auto invite on, a new member of the collaborator org joins the
// workspace with the auto-invite role when they accept their org invitation.
func TestAutoInvite(t *testing.T) {
	sc := newCollabScene(t)
	W := "/workspaces/" + sc.workspace
	joinOrg(t, sc.xOrg, sc.owner, collab.OrgAdmin, "Producer X")
	call(t, "POST", W+"/collaborators", sc.owner.token, map[string]any{"orgId": sc.xOrg, "types": []string{"producer_partner"}}).want(t, 201)
	newbie, other := newActor(t, "newbie"), newActor(t, "other")
	call(t, "POST", "/orgs/"+sc.xOrg+"/invitations", sc.xOwner.token, map[string]string{"email": other.email, "role": "member"}).want(t, 201)
	call(t, "POST", "/invitations/"+tokenMailedTo(t, other.email, 1)+"/accept", other.token, nil).want(t, 200)
	call(t, "GET", W+"/members/"+other.id, sc.owner.token, nil).problem(t, 404, "") // auto invite off
	call(t, "PATCH", W+"/collaborators/"+sc.xOrg, sc.owner.token, map[string]any{"autoInvite": true, "autoInviteRole": "project_manager"}).want(t, 200)
	call(t, "POST", "/orgs/"+sc.xOrg+"/invitations", sc.xOwner.token, map[string]string{"email": newbie.email, "role": "member"}).want(t, 201)
	call(t, "POST", "/invitations/"+tokenMailedTo(t, newbie.email, 1)+"/accept", newbie.token, nil).want(t, 200)
	m := call(t, "GET", W+"/members/"+newbie.id, sc.owner.token, nil).want(t, 200)
	if m.str("role") != "project_manager" || m.str("orgId") != sc.xOrg {
		t.Fatalf("auto-invited member %s", m.raw)
	}
}
