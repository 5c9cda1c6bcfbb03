package httpapi_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// labelCo is a labeling company on the team's project: its manager and
// annotators, project members of their own org.
type labelCo struct {
	org        string
	manager    actor
	annotators []actor
}

func newLabelCo(t testing.TB, tm team, name string, annotators int) labelCo {
	t.Helper()
	lc := labelCo{manager: newActor(t, "lcm")}
	lc.org = orgOf(t, lc.manager, name)
	addPartner(t, tm.project, tm.hostOrg, lc.org, name, collab.PartnerLabelingCompany, lc.manager)
	for range annotators {
		a := newActor(t, "lca")
		joinOrg(t, lc.org, a, collab.OrgMember, name)
		call(t, "POST", "/projects/"+tm.project+"/members", lc.manager.token, map[string]string{"email": a.email, "role": "annotator"}).want(t, 201)
		lc.annotators = append(lc.annotators, a)
	}
	return lc
}

func taskPath(tm team, id string) string { return "/projects/" + tm.project + "/tasks/" + id }

func byAssignee(t testing.TB, task response) map[string]int {
	t.Helper()
	out := map[string]int{}
	m, _ := task.body["byAssignee"].(map[string]any)
	for who, counts := range m {
		for _, n := range counts.(map[string]any) {
			out[who] += int(n.(float64))
		}
	}
	return out
}

// The whole path of SPEC's tasks: the host hands work to a labeling
// company, its manager spreads it over three annotators, each pulls,
// annotates and submits, the company's reviewer approves, the items cross
// to the host, whose annotation manager approves for good. A second
// company sees none of it.
func TestTaskHandedToALabelingCompany(t *testing.T) {
	tm := newTeam(t)
	lc := newLabelCo(t, tm, "Label One", 3)
	other := newLabelCo(t, tm, "Label Two", 1)
	P := "/projects/" + tm.project
	var ids []string
	for i := range 6 {
		ids = append(ids, call(t, "POST", P+"/items", tm.owner.token, map[string]string{"name": fmt.Sprintf("task-%d.jpg", i)}).want(t, 201).str("id"))
	}
	// Only orgs taking part get tasks; a partner's manager creates only
	// for their own org; annotators create none.
	call(t, "POST", P+"/tasks", tm.pm.token, map[string]any{"name": "Batch", "kind": "annotation", "orgId": tm.tenantOrg}).problem(t, 400, "orgId")
	call(t, "POST", P+"/tasks", lc.manager.token, map[string]any{"name": "Mine?", "kind": "annotation", "orgId": other.org}).problem(t, 403, "")
	call(t, "POST", P+"/tasks", lc.annotators[0].token, map[string]any{"name": "No", "kind": "annotation", "orgId": lc.org}).problem(t, 403, "")
	call(t, "POST", P+"/tasks", tm.pm.token, map[string]any{"name": "Batch", "kind": "sorting", "orgId": lc.org}).problem(t, 400, "kind")
	task := call(t, "POST", P+"/tasks", tm.pm.token, map[string]any{"name": "Batch 1", "kind": "annotation", "orgId": lc.org,
		"dueAt": "2026-12-24T12:00:00Z", "allowPull": false}).want(t, 201)
	T := taskPath(tm, task.str("id"))
	if task.str("orgId") != lc.org || task.str("status") != "open" {
		t.Fatalf("task %s", task.raw)
	}
	added := call(t, "POST", T+"/items", tm.pm.token, map[string]any{"itemIds": append(slices.Clone(ids), "itm_missing")}).want(t, 200)
	if n := len(added.body["added"].([]any)); n != 6 {
		t.Fatalf("added %d: %s", n, added.raw)
	}
	if sk := added.body["skipped"].([]any); len(sk) != 1 || sk[0].(map[string]any)["itemId"] != "itm_missing" {
		t.Fatalf("skipped %s", added.raw)
	}
	// The items now belong to the company: its manager sees them, the
	// other company nothing at all.
	if got := call(t, "GET", P+"/items?status=new", lc.manager.token, nil).want(t, 200).items(); len(got) != 6 {
		t.Fatalf("manager sees %d items", len(got))
	}
	call(t, "GET", T, other.manager.token, nil).problem(t, 404, "")
	call(t, "GET", P+"/items/"+ids[0], other.manager.token, nil).problem(t, 404, "")
	if got := call(t, "GET", P+"/tasks", other.manager.token, nil).want(t, 200).items(); len(got) != 0 {
		t.Fatalf("the other company lists %d tasks", len(got))
	}
	noLeak(t, call(t, "GET", P+"/items?status=new", other.manager.token, nil).want(t, 200), ids...)
	if got := call(t, "GET", P+"/tasks", lc.manager.token, nil).want(t, 200).items(); len(got) != 1 {
		t.Fatalf("the company lists %d tasks", len(got))
	}
	// The manager spreads the task over the three annotators, as a job.
	targets := []string{lc.annotators[0].id, lc.annotators[1].id, lc.annotators[2].id}
	call(t, "POST", T+"/distribute", lc.manager.token, map[string]any{"userIds": []string{other.annotators[0].id}}).problem(t, 400, "userIds")
	job := call(t, "POST", T+"/distribute", lc.manager.token, map[string]any{"userIds": targets, "mode": "even"}).want(t, 202)
	waitJob(t, lc.manager, job.str("jobId"), time.Minute)
	spread := byAssignee(t, call(t, "GET", T, lc.manager.token, nil).want(t, 200))
	for _, u := range targets {
		if spread[u] != 2 {
			t.Fatalf("uneven spread %v", spread)
		}
	}
	// Each annotator pulls their work, annotates and submits it.
	for _, a := range lc.annotators {
		for range 2 {
			it := call(t, "GET", T+"/next", a.token, nil).want(t, 200)
			if it.str("assigneeId") != a.id || it.str("taskId") != task.str("id") {
				t.Fatalf("next gave %s", it.raw)
			}
			I := P + "/items/" + it.str("id")
			call(t, "PUT", I+"/annotation", a.token, map[string]any{"objects": []any{"cat"}}).want(t, 200)
			if s := call(t, "POST", I+"/submit", a.token, nil).want(t, 200).str("status"); s != "waiting_for_collaborator_review" {
				t.Fatalf("submitted to %s", s)
			}
		}
		if r := call(t, "GET", T+"/next", a.token, nil); r.status != 204 {
			t.Fatalf("nothing left, yet next answered %d %s", r.status, r.raw)
		}
	}
	// Someone outside the task's org gets no work from it.
	call(t, "GET", T+"/next", other.annotators[0].token, nil).problem(t, 404, "")
	call(t, "GET", T+"/next", tm.annHost.token, nil).problem(t, 403, "")
	// The company's reviewer approves; the items cross to the host, whose
	// annotation manager approves for good.
	for _, id := range ids {
		call(t, "POST", P+"/items/"+id+"/review", tm.amHost.token, map[string]string{"decision": "approve"}).problem(t, 403, "")
		call(t, "POST", P+"/items/"+id+"/review", lc.manager.token, map[string]string{"decision": "approve"}).want(t, 202)
	}
	for _, id := range ids {
		waitStatus(t, tm.owner, P+"/items/"+id, "waiting_for_owner_review")
		if s := call(t, "POST", P+"/items/"+id+"/review", tm.amHost.token, map[string]string{"decision": "approve"}).want(t, 200).str("status"); s != "done" {
			t.Fatalf("final %s", s)
		}
	}
	final := call(t, "GET", T, tm.owner.token, nil).want(t, 200)
	if final.str("status") != "done" || final.body["counts"].(map[string]any)["done"].(float64) != 6 {
		t.Fatalf("task after the work: %s", final.raw)
	}
	// Analytics count per task and per member.
	an := call(t, "GET", T+"/analytics", lc.manager.token, nil).want(t, 200)
	total := an.body["total"].(map[string]any)
	// Approvals count at both stages: the company's and the host's.
	if total["submitted"].(float64) != 6 || total["approved"].(float64) != 12 || total["assigned"].(float64) != 6 {
		t.Fatalf("task analytics %s", an.raw)
	}
	if m := an.body["members"].(map[string]any); len(m) != 3 {
		t.Fatalf("per member %s", an.raw)
	}
	call(t, "GET", T+"/analytics", other.manager.token, nil).problem(t, 404, "")
	// Rename is the host's owner's and developer's; a non-empty task is
	// not deleted.
	call(t, "PATCH", T, lc.manager.token, map[string]any{"name": "Renamed"}).problem(t, 403, "")
	if n := call(t, "PATCH", T, tm.dev.token, map[string]any{"name": "Renamed", "dueAt": nil}).want(t, 200); n.str("name") != "Renamed" || n.body["dueAt"] != nil {
		t.Fatalf("patched %s", n.raw)
	}
	call(t, "DELETE", T, tm.pm.token, nil).problem(t, 409, "")
}

// Unassign and reassign inside a partner's task; pulling when the task
// allows it; an item moved between orgs keeps the old org's history and
// comments to itself.
func TestTaskAssignmentAndHistorySegments(t *testing.T) {
	tm := newTeam(t)
	lc := newLabelCo(t, tm, "Label Seg", 2)
	P := "/projects/" + tm.project
	// The share-link partner worked on the item first.
	id := newItem(t, tm, "segment.jpg", tm.annExt)
	I := P + "/items/" + id
	call(t, "POST", I+"/comments", tm.annExt.token, map[string]string{"text": "partner-secret-note"}).want(t, 201)
	call(t, "PUT", I+"/annotation", tm.annExt.token, map[string]any{"objects": []any{"x"}}).want(t, 200)
	// The host hands it to the labeling company: the old assignment ends.
	task := call(t, "POST", P+"/tasks", tm.owner.token, map[string]any{"name": "Pulled", "kind": "annotation", "orgId": lc.org, "allowPull": true}).want(t, 201)
	T := taskPath(tm, task.str("id"))
	call(t, "POST", T+"/items", tm.owner.token, map[string]any{"itemIds": []string{id}}).want(t, 200)
	it := call(t, "GET", I, lc.manager.token, nil).want(t, 200)
	if it.str("assigneeId") != "" || it.str("orgId") != lc.org {
		t.Fatalf("handed item %s", it.raw)
	}
	call(t, "GET", I, tm.annExt.token, nil).problem(t, 404, "")
	call(t, "GET", I, tm.amExt.token, nil).problem(t, 404, "")
	// The new org sees its own segment only; the host sees everything.
	noLeak(t, call(t, "GET", I+"/comments", lc.manager.token, nil).want(t, 200), "partner-secret-note")
	noLeak(t, call(t, "GET", I+"/history", lc.manager.token, nil).want(t, 200), tm.annExt.id, tm.partnerOrg)
	if !strings.Contains(string(call(t, "GET", I+"/comments", tm.owner.token, nil).want(t, 200).raw), "partner-secret-note") {
		t.Fatal("the host lost the partner's comment")
	}
	// Pulling: an annotator of the company gets the unassigned item.
	got := call(t, "GET", T+"/next", lc.annotators[0].token, nil).want(t, 200)
	if got.str("id") != id || got.str("assigneeId") != lc.annotators[0].id {
		t.Fatalf("pulled %s", got.raw)
	}
	if r := call(t, "GET", T+"/next", lc.annotators[1].token, nil); r.status != 204 {
		t.Fatalf("second puller got %d %s", r.status, r.raw)
	}
	// Unassign, then reassign to the other annotator; never to someone of
	// another org while the item is in the company's task.
	call(t, "POST", I+"/assign", lc.manager.token, map[string]any{}).problem(t, 400, "assigneeId")
	// assigneeId is the field's name, userId its older one; not both.
	call(t, "POST", I+"/assign", lc.manager.token, map[string]any{"userId": nil, "assigneeId": nil}).problem(t, 400, "userId")
	call(t, "POST", I+"/assign", tm.owner.token, map[string]any{"assigneeId": tm.annHost.id}).problem(t, 400, "assigneeId")
	if r := call(t, "POST", I+"/assign", lc.manager.token, map[string]any{"assigneeId": nil}).want(t, 200); r.str("assigneeId") != "" {
		t.Fatalf("unassigned %s", r.raw)
	}
	call(t, "GET", I, lc.annotators[0].token, nil).problem(t, 404, "")
	call(t, "POST", I+"/assign", tm.owner.token, map[string]any{"userId": tm.annHost.id}).problem(t, 400, "userId")
	if r := call(t, "POST", I+"/assign", lc.manager.token, map[string]any{"userId": lc.annotators[1].id}).want(t, 200); r.str("assigneeId") != lc.annotators[1].id {
		t.Fatalf("reassigned %s", r.raw)
	}
	// Taking the item out of the company's task returns it to the host.
	back := call(t, "DELETE", T+"/items/"+id, tm.owner.token, nil).want(t, 200)
	if back.str("orgId") != tm.hostOrg || back.str("assigneeId") != "" || back.str("taskId") != "" {
		t.Fatalf("returned %s", back.raw)
	}
	call(t, "GET", I, lc.manager.token, nil).problem(t, 404, "")
	call(t, "DELETE", T, tm.pm.token, nil).want(t, 204)
	call(t, "GET", T, tm.pm.token, nil).problem(t, 404, "")
}

// Fifty annotators pull from one task at once: each gets an item, no item
// goes to two of them.
func TestFiftyPullersNeverShareAnItem(t *testing.T) {
	tm := newTeam(t)
	const n = 50
	lc := newLabelCo(t, tm, "Label Race", 0)
	a := store(t)
	now := time.Now().UTC()
	var members []collab.ProjectMember
	for range n {
		u := newActor(t, "racer")
		joinOrg(t, lc.org, u, collab.OrgMember, "Label Race")
		lc.annotators = append(lc.annotators, u)
		members = append(members, collab.ProjectMember{ProjectID: tm.project, UserID: u.id, Email: u.email, Role: collab.RoleAnnotator,
			OrgID: lc.org, Side: collab.SideExternal, AddedBy: lc.manager.id, AddedAt: now, Version: 1})
	}
	for start := 0; start < n; start += 25 {
		if err := a.Store.AddProjectMembers(context.Background(), tm.project, members[start:start+25]); err != nil {
			t.Fatal(err)
		}
	}
	P := "/projects/" + tm.project
	task := call(t, "POST", P+"/tasks", tm.pm.token, map[string]any{"name": "Race", "kind": "annotation", "orgId": lc.org, "allowPull": true}).want(t, 201)
	T := taskPath(tm, task.str("id"))
	var ids []string
	for i := range n {
		ids = append(ids, call(t, "POST", P+"/items", tm.owner.token, map[string]string{"name": fmt.Sprintf("race-%d.jpg", i)}).want(t, 201).str("id"))
	}
	call(t, "POST", T+"/items", tm.pm.token, map[string]any{"itemIds": ids}).want(t, 200)
	got := make([]response, n)
	parallel(t, n, n, func(i int) { got[i] = call(t, "GET", T+"/next", lc.annotators[i].token, nil) })
	seen := map[string]string{}
	for i, r := range got {
		if r.status != 200 {
			t.Fatalf("puller %d: %d %s", i, r.status, r.raw)
		}
		if r.str("assigneeId") != lc.annotators[i].id {
			t.Fatalf("puller %d got an item assigned to %s", i, r.str("assigneeId"))
		}
		if who, dup := seen[r.str("id")]; dup {
			t.Fatalf("item %s went to %s and %s", r.str("id"), who, lc.annotators[i].id)
		}
		seen[r.str("id")] = lc.annotators[i].id
	}
	if len(seen) != n {
		t.Fatalf("%d distinct items for %d pullers", len(seen), n)
	}
	if spread := byAssignee(t, call(t, "GET", T, tm.pm.token, nil).want(t, 200)); spread[""] != 0 || len(spread) != n {
		t.Fatalf("progress after the race %v", spread)
	}
}

// A workspace collaborator (an annotation partner) takes part like a
// labeling company: its annotation manager receives a task for its org,
// puts its own annotators on the project and spreads the work; they pull,
// annotate and submit; its reviewer approves and the items cross.
func TestCollaboratorOrgWorksATask(t *testing.T) {
	tm := newTeam(t)
	am := newActor(t, "collabam")
	org := orgOf(t, am, "Kognic-like")
	addCollaborator(t, tm.workspace, org, "Kognic-like", collab.CollabAnnotationPartner)
	call(t, "PUT", "/workspaces/"+tm.workspace+"/members/"+am.id, tm.owner.token, map[string]string{"role": "annotation_manager"}).want(t, 200)
	P := "/projects/" + tm.project
	var anns []actor
	for range 2 {
		u := newActor(t, "collabann")
		joinOrg(t, org, u, collab.OrgMember, "Kognic-like")
		call(t, "POST", P+"/members", am.token, map[string]string{"email": u.email, "role": "annotator"}).want(t, 201)
		anns = append(anns, u)
	}
	// Their annotators are walled to their org like any partner's.
	call(t, "POST", P+"/members", am.token, map[string]string{"email": tm.spareHost.email, "role": "annotator"}).want(t, 202)
	task := call(t, "POST", P+"/tasks", tm.pm.token, map[string]any{"name": "Collab batch", "kind": "annotation", "orgId": org}).want(t, 201)
	T := taskPath(tm, task.str("id"))
	var ids []string
	for i := range 4 {
		ids = append(ids, call(t, "POST", P+"/items", tm.owner.token, map[string]string{"name": fmt.Sprintf("collab-%d.jpg", i)}).want(t, 201).str("id"))
	}
	call(t, "POST", T+"/items", tm.pm.token, map[string]any{"itemIds": ids}).want(t, 200)
	call(t, "GET", T, tm.amExt.token, nil).problem(t, 404, "")
	waitJob(t, am, call(t, "POST", T+"/distribute", am.token, map[string]any{"userIds": []string{anns[0].id, anns[1].id}}).want(t, 202).str("jobId"), time.Minute)
	for _, u := range anns {
		for range 2 {
			it := call(t, "GET", T+"/next", u.token, nil).want(t, 200)
			I := P + "/items/" + it.str("id")
			call(t, "PUT", I+"/annotation", u.token, map[string]any{"objects": []any{"dog"}}).want(t, 200)
			call(t, "POST", I+"/submit", u.token, nil).want(t, 200)
		}
	}
	for _, id := range ids {
		call(t, "POST", P+"/items/"+id+"/review", am.token, map[string]string{"decision": "approve"}).want(t, 202)
	}
	for _, id := range ids {
		waitStatus(t, tm.owner, P+"/items/"+id, "waiting_for_owner_review")
		call(t, "POST", P+"/items/"+id+"/review", tm.pm.token, map[string]string{"decision": "approve"}).want(t, 200)
	}
	if s := call(t, "GET", T, am.token, nil).want(t, 200).str("status"); s != "done" {
		t.Fatalf("task %s", s)
	}
}

// A review task hands items waiting at a stage to reviewers of the org
// whose stage it is; they pull them and decide.
func TestReviewTask(t *testing.T) {
	tm := newTeam(t)
	lc := newLabelCo(t, tm, "Label Review", 1)
	reviewer := newActor(t, "lcrev")
	joinOrg(t, lc.org, reviewer, collab.OrgMember, "Label Review")
	P := "/projects/" + tm.project
	call(t, "POST", P+"/members", lc.manager.token, map[string]string{"email": reviewer.email, "role": "annotation_manager"}).want(t, 201)
	work := call(t, "POST", P+"/tasks", tm.pm.token, map[string]any{"name": "Work", "kind": "annotation", "orgId": lc.org}).want(t, 201)
	var ids []string
	for i := range 2 {
		id := call(t, "POST", P+"/items", tm.owner.token, map[string]string{"name": fmt.Sprintf("rev-%d.jpg", i)}).want(t, 201).str("id")
		ids = append(ids, id)
	}
	call(t, "POST", taskPath(tm, work.str("id"))+"/items", tm.pm.token, map[string]any{"itemIds": ids}).want(t, 200)
	for _, id := range ids {
		call(t, "POST", P+"/items/"+id+"/assign", lc.manager.token, map[string]any{"userId": lc.annotators[0].id}).want(t, 200)
		call(t, "PUT", P+"/items/"+id+"/annotation", lc.annotators[0].token, map[string]any{"objects": []any{1}}).want(t, 200)
		call(t, "POST", P+"/items/"+id+"/submit", lc.annotators[0].token, nil).want(t, 200)
	}
	// The company's manager makes a review task for its own stage; an item
	// not waiting there is skipped.
	rt := call(t, "POST", P+"/tasks", lc.manager.token, map[string]any{"name": "QA", "kind": "review", "orgId": lc.org}).want(t, 201)
	RT := taskPath(tm, rt.str("id"))
	stray := call(t, "POST", P+"/items", tm.owner.token, map[string]string{"name": "stray.jpg"}).want(t, 201).str("id")
	res := call(t, "POST", RT+"/items", lc.manager.token, map[string]any{"itemIds": append(slices.Clone(ids), stray)}).want(t, 200)
	if len(res.body["added"].([]any)) != 2 || len(res.body["skipped"].([]any)) != 1 {
		t.Fatalf("review task items %s", res.raw)
	}
	// Annotators are not reviewers.
	call(t, "POST", RT+"/distribute", lc.manager.token, map[string]any{"userIds": []string{lc.annotators[0].id}}).problem(t, 400, "userIds")
	waitJob(t, lc.manager, call(t, "POST", RT+"/distribute", lc.manager.token, map[string]any{"userIds": []string{reviewer.id}}).want(t, 202).str("jobId"), time.Minute)
	if spread := byAssignee(t, call(t, "GET", RT, lc.manager.token, nil).want(t, 200)); spread[reviewer.id] != 2 {
		t.Fatalf("review spread %v", spread)
	}
	for range 2 {
		it := call(t, "GET", RT+"/next", reviewer.token, nil).want(t, 200)
		if it.str("status") != "waiting_for_collaborator_review" || it.str("assigneeId") != lc.annotators[0].id {
			t.Fatalf("review item %s", it.raw)
		}
		call(t, "POST", P+"/items/"+it.str("id")+"/review", reviewer.token, map[string]string{"decision": "approve"}).want(t, 202)
		waitStatus(t, tm.owner, P+"/items/"+it.str("id"), "waiting_for_owner_review")
	}
	if r := call(t, "GET", RT+"/next", reviewer.token, nil); r.status != 204 {
		t.Fatalf("after the reviews next answered %d %s", r.status, r.raw)
	}
}

// When a partner stops, its tasks' unfinished items return to the host,
// out of the task; the task takes no more work while the org is gone.
func TestStoppedPartnerLosesItsTaskWork(t *testing.T) {
	tm := newTeam(t)
	lc := newLabelCo(t, tm, "Label Stop", 1)
	P := "/projects/" + tm.project
	task := call(t, "POST", P+"/tasks", tm.pm.token, map[string]any{"name": "Doomed", "kind": "annotation", "orgId": lc.org, "allowPull": true}).want(t, 201)
	T := taskPath(tm, task.str("id"))
	var ids []string
	for i := range 3 {
		ids = append(ids, call(t, "POST", P+"/items", tm.owner.token, map[string]string{"name": fmt.Sprintf("stop-%d.jpg", i)}).want(t, 201).str("id"))
	}
	call(t, "POST", T+"/items", tm.pm.token, map[string]any{"itemIds": ids}).want(t, 200)
	mine := call(t, "GET", T+"/next", lc.annotators[0].token, nil).want(t, 200)
	call(t, "PUT", P+"/items/"+mine.str("id")+"/annotation", lc.annotators[0].token, map[string]any{"objects": []any{"partner-work"}}).want(t, 200)
	stopPartner(t, tm.owner, tm.project, lc.org)
	for _, id := range ids {
		it := call(t, "GET", P+"/items/"+id, tm.owner.token, nil).want(t, 200)
		if it.str("orgId") != tm.hostOrg || it.str("taskId") != "" || it.str("assigneeId") != "" || it.str("status") != "new" {
			t.Fatalf("after the stop: %s", it.raw)
		}
	}
	if got := call(t, "GET", T, tm.owner.token, nil).want(t, 200); got.body["total"].(float64) != 0 {
		t.Fatalf("the stopped org's task still holds %s", got.raw)
	}
	// The task takes no more work for the org that left.
	call(t, "POST", T+"/items", tm.pm.token, map[string]any{"itemIds": ids}).problem(t, 409, "")
	call(t, "GET", T+"/next", lc.annotators[0].token, nil).problem(t, 404, "")
}
