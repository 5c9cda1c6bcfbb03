package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// stopPartner stops an org's partnership on a project as u: the DELETE
// answers 202 with the stop job, which this waits for.
func stopPartner(t testing.TB, u actor, projectID, orgID string) response {
	t.Helper()
	r := call(t, "DELETE", "/projects/"+projectID+"/partners/"+orgID, u.token, nil).want(t, 202)
	id := r.str("jobId")
	if id == "" || r.header.Get("Location") != "/jobs/"+id {
		t.Fatalf("stop answered %s (Location %q)", r.raw, r.header.Get("Location"))
	}
	return waitJob(t, u, id, 60*time.Second)
}

// returnEvents counts an item's "returned to the host" history events.
func returnEvents(t testing.TB, itemID string) int {
	t.Helper()
	h, _, err := store(t).Store.ListHistory(context.Background(), itemID, time.Time{}, collab.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range h {
		if strings.HasPrefix(e.Comment, "returned to the host") {
			n++
		}
	}
	return n
}

// returnedFrom is the status an item returned to the host from.
func returnedFrom(t testing.TB, itemID string) collab.ItemStatus {
	t.Helper()
	h, _, err := store(t).Store.ListHistory(context.Background(), itemID, time.Time{}, collab.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range h {
		if strings.HasPrefix(e.Comment, "returned to the host") {
			return e.From
		}
	}
	t.Fatalf("item %s never returned", itemID)
	return ""
}

// wantBackWithHost checks that an item is the host's again: new, in no
// task, unassigned, no handoff pending, returned exactly once.
func wantBackWithHost(t testing.TB, tm team, id string) response {
	t.Helper()
	it := call(t, "GET", itemPath(tm, id), tm.owner.token, nil).want(t, 200)
	if it.str("status") != "new" || it.str("orgId") != tm.hostOrg || it.str("taskId") != "" || it.str("assigneeId") != "" ||
		it.body["handoffPending"] != false {
		t.Fatalf("item %s after the stop: %s", id, it.raw)
	}
	if n := returnEvents(t, id); n != 1 {
		t.Fatalf("item %s returned %d times", id, n)
	}
	return it
}

// wantNoPartnerPeople checks that none of the org's people is left on
// the project, nor any link of its groups.
func wantNoPartnerPeople(t testing.TB, tm team, orgID string) {
	t.Helper()
	for _, m := range call(t, "GET", "/projects/"+tm.project+"/members?limit=200", tm.owner.token, nil).want(t, 200).items() {
		if m["orgId"] == orgID {
			t.Fatalf("partner member left behind: %v", m)
		}
	}
	links, _, err := store(t).Store.ListOrgGroupLinks(context.Background(), tm.project, orgID, collab.Page{Limit: 100})
	if err != nil || len(links) != 0 {
		t.Fatalf("group links left behind: %v %v", links, err)
	}
}

// Stopping a partnership is a job: access ends with the DELETE, then the
// org's group links and people go, every in-flight item returns to the
// host (one whose handoff was still pending too, and that handoff, sent
// late, changes nothing), whom it concerns is told once, and last the
// partner goes. The job reports its progress to its starter and the
// workspace's admins.
func TestStopPartnerReturnsEveryItemAsAJob(t *testing.T) {
	tm := newTeam(t)
	ctx := context.Background()
	P := "/projects/" + tm.project
	// The partner's group, linked to the project, brings one more person.
	grp := call(t, "POST", "/orgs/"+tm.partnerOrg+"/groups", tm.amExt.token, map[string]string{"name": "crew"}).want(t, 201).str("id")
	call(t, "PUT", "/orgs/"+tm.partnerOrg+"/groups/"+grp+"/members/"+tm.spareExt.id, tm.amExt.token, nil).want(t, 200)
	call(t, "POST", P+"/groups/"+grp, tm.amExt.token, map[string]string{"role": "annotator"}).want(t, 201)
	// The partner's items in every in-flight status.
	fresh := newItem(t, tm, "fresh.jpg", tm.annExt)
	working := newItem(t, tm, "working.jpg", tm.annExt)
	call(t, "PUT", itemPath(tm, working)+"/annotation", tm.annExt.token, map[string]any{"objects": []any{"box"}}).want(t, 200)
	inReview := newItem(t, tm, "in-review.jpg", tm.annExt)
	call(t, "POST", itemPath(tm, inReview)+"/submit", tm.annExt.token, nil).want(t, 200)
	crossed := newItem(t, tm, "crossed.jpg", tm.annExt)
	call(t, "POST", itemPath(tm, crossed)+"/submit", tm.annExt.token, nil).want(t, 200)
	call(t, "POST", itemPath(tm, crossed)+"/review", tm.amExt.token, map[string]string{"decision": "approve"}).want(t, 202)
	waitStatus(t, tm.owner, itemPath(tm, crossed), "waiting_for_owner_review")
	// Approved at the partner stage, its handoff not sent yet: the queue
	// is down, and the message waits in the outbox (dated an hour on, so
	// the outbox sweeper leaves it there until this test sends it).
	pending := newItem(t, tm, "pending.jpg", tm.annExt)
	call(t, "POST", itemPath(tm, pending)+"/submit", tm.annExt.token, nil).want(t, 200)
	broken, err := collab.NewService(theApp.Store.Ports(), collab.Deps{Clock: shiftedClock{time.Hour}, IDs: collab.RandomIDs{},
		Mailer: theApp.MailQueue, Jobs: theApp.JobQueue, Publisher: failingPublisher{}, Config: collab.Config{PublicBaseURL: server.URL}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := broken.Review.ReviewItem(ctx, collab.Caller{UserID: tm.amExt.id, Email: tm.amExt.email}, tm.project, pending, "approve", "")
	if err != nil || !res.Pending {
		t.Fatalf("review %v %+v", err, res)
	}
	if it := call(t, "GET", itemPath(tm, pending), tm.owner.token, nil).want(t, 200); it.body["handoffPending"] != true ||
		it.str("orgId") != tm.partnerOrg {
		t.Fatalf("not pending: %s", it.raw)
	}
	hostItem := call(t, "POST", P+"/items", tm.owner.token, map[string]string{"name": "host.jpg"}).want(t, 201)

	// The dry run says what the stop will do and changes nothing; only
	// those who may stop ask it.
	dry := call(t, "DELETE", P+"/partners/"+tm.partnerOrg+"?dryRun=true", tm.amExt.token, nil).want(t, 200)
	wantItems := map[string]any{"new": 1.0, "in_progress": 1.0, "waiting_for_collaborator_review": 2.0, "waiting_for_owner_review": 1.0}
	if fmt.Sprint(dry.body["items"]) != fmt.Sprint(wantItems) || dry.body["pendingHandoffs"] != 1.0 || dry.body["members"].(float64) < 3 {
		t.Fatalf("dry run %s", dry.raw)
	}
	if again := call(t, "DELETE", P+"/partners/"+tm.partnerOrg+"?dryRun=true", tm.owner.token, nil).want(t, 200); string(again.raw) != string(dry.raw) {
		t.Fatalf("the host's dry run %s, the partner's %s", again.raw, dry.raw)
	}
	call(t, "GET", P, tm.annExt.token, nil).want(t, 200)
	call(t, "DELETE", P+"/partners/"+tm.partnerOrg+"?dryRun=true", tm.dev.token, nil).problem(t, 403, "")
	call(t, "DELETE", P+"/partners/"+tm.partnerOrg+"?dryRun=true", tm.annExt.token, nil).problem(t, 404, "")
	call(t, "DELETE", P+"/partners/"+tm.partnerOrg+"?dryRun=maybe", tm.owner.token, nil).problem(t, 400, "dryRun")

	// The partner's manager (its org's owner) stops: access ends at once.
	r := call(t, "DELETE", P+"/partners/"+tm.partnerOrg, tm.amExt.token, nil).want(t, 202)
	job := r.str("jobId")
	for _, u := range []actor{tm.annExt, tm.spareExt} {
		call(t, "GET", P, u.token, nil).problem(t, 404, "")
	}
	done := waitJob(t, tm.amExt, job, 60*time.Second)
	if done.str("kind") != "stop_partner" || done.body["done"].(float64) < 8 || done.body["total"].(float64) < done.body["done"].(float64) ||
		done.body["written"].(float64) < 8 {
		t.Fatalf("job %s", done.raw)
	}
	// It did what its dry run said.
	if fmt.Sprint(done.body["result"]) != fmt.Sprint(dry.body) {
		t.Fatalf("the stop did %v, its dry run said %v", done.body["result"], dry.body)
	}
	call(t, "DELETE", P+"/partners/"+tm.partnerOrg+"?dryRun=true", tm.owner.token, nil).problem(t, 404, "")
	// The workspace's admin reads it too; nobody else.
	call(t, "GET", "/jobs/"+job, tm.owner.token, nil).want(t, 200)
	for _, u := range []actor{tm.dev, tm.annExt, tm.tenant} {
		call(t, "GET", "/jobs/"+job, u.token, nil).problem(t, 404, "")
	}
	for _, id := range []string{fresh, working, inReview, crossed, pending} {
		wantBackWithHost(t, tm, id)
	}
	if it := call(t, "GET", itemPath(tm, hostItem.str("id")), tm.owner.token, nil).want(t, 200); it.body["version"] != hostItem.body["version"] {
		t.Fatalf("the host's own item changed: %s", it.raw)
	}
	wantNoPartnerPeople(t, tm, tm.partnerOrg)
	if _, err := store(t).Store.GetPartnerRecord(ctx, tm.project, tm.partnerOrg); !collab.IsCode(err, collab.CodeNotFound) {
		t.Fatalf("partner item left: %v", err)
	}
	if got := call(t, "GET", P+"/partners", tm.owner.token, nil).want(t, 200).items(); len(got) != 0 {
		t.Fatalf("partners left: %v", got)
	}
	// The pending handoff, sent at last, finds its item moved on.
	before := call(t, "GET", itemPath(tm, pending), tm.owner.token, nil).want(t, 200)
	if from := returnedFrom(t, pending); from != collab.StWaitingCollabReview {
		t.Fatalf("the pending item returned from %s", from)
	}
	if _, err := theApp.Service.Relay.RelayOutbox(ctx, -2*time.Hour); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if it := call(t, "GET", itemPath(tm, pending), tm.owner.token, nil).want(t, 200); it.str("status") != "new" || it.body["version"] != before.body["version"] {
		t.Fatalf("the late handoff moved the returned item: %s", it.raw)
	}
	// The partner's side stopped: its manager and the host's owner are
	// told, once each.
	wantLink(t, waitMails(t, tm.amExt.email, `The collaboration on "Cats" stopped`, 1)[0], "/orgs/"+tm.partnerOrg+"/projects")
	wantLink(t, waitMails(t, tm.owner.email, `The collaboration on "Cats" stopped`, 1)[0], P)
	hasAudit(t, collab.ProjectScope(tm.project), "partner.stopped", tm.partnerOrg)
	hasAudit(t, collab.WorkspaceScope(tm.workspace), "job.stop_partner.succeeded", tm.partnerOrg)
	// The stop is over: asking again finds no partner.
	call(t, "DELETE", P+"/partners/"+tm.partnerOrg, tm.amExt.token, nil).problem(t, 404, "")
}

// heldJobs queues nothing: a job started through it waits for a run by
// hand.
type heldJobs struct{}

func (heldJobs) Enqueue(context.Context, string) error { return nil }

// dyingStore lets a run return `left` items to the host, then fails every
// item write, as a run cut off half way (a crash, a timeout).
type dyingStore struct {
	collab.PartnerStore
	mu   sync.Mutex
	left int
}

func (d *dyingStore) ApplyItemChange(ctx context.Context, ch collab.ItemChange) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.left == 0 {
		return fmt.Errorf("the run died")
	}
	d.left--
	return d.PartnerStore.ApplyItemChange(ctx, ch)
}

// A stop whose run died after its first phases (the people gone, one item
// returned but not yet checkpointed) is finished by the repeated DELETE,
// which answers the same job: nothing is done twice, and a redelivery of
// the finished job changes nothing either.
func TestStopPartnerFinishesAfterAnInterruptedRun(t *testing.T) {
	tm := newTeam(t)
	ctx := context.Background()
	P := "/projects/" + tm.project
	var ids []string
	for i := range 4 {
		ids = append(ids, newItem(t, tm, fmt.Sprintf("crash-%d.jpg", i), tm.annExt))
	}
	st := theApp.Store.Ports()
	st.Partners = &dyingStore{PartnerStore: st.Partners, left: 1}
	halting, err := collab.NewService(st, collab.Deps{Clock: collab.SystemClock{}, IDs: collab.RandomIDs{}, Mailer: theApp.MailQueue,
		Jobs: heldJobs{}, Publisher: failingPublisher{}, Config: collab.Config{PublicBaseURL: server.URL}})
	if err != nil {
		t.Fatal(err)
	}
	j, err := halting.Partners.StopCollaboration(ctx, collab.Caller{UserID: tm.owner.id, Email: tm.owner.email}, tm.project, tm.partnerOrg)
	if err != nil {
		t.Fatal(err)
	}
	// Marked and written in one go: no access, the job queued.
	call(t, "GET", P, tm.annExt.token, nil).problem(t, 404, "")
	if got := call(t, "GET", "/jobs/"+j.ID, tm.owner.token, nil).want(t, 200); got.str("status") != "queued" {
		t.Fatalf("job %s", got.raw)
	}
	if _, err := halting.Jobs.RunJob(ctx, j.ID); err == nil {
		t.Fatal("the run did not die")
	}
	mid := call(t, "GET", "/jobs/"+j.ID, tm.owner.token, nil).want(t, 200)
	if mid.str("status") != "running" || mid.body["done"].(float64) != 2 {
		t.Fatalf("after the dead run: %s", mid.raw)
	}
	wantNoPartnerPeople(t, tm, tm.partnerOrg)
	back := 0
	for _, id := range ids {
		if call(t, "GET", itemPath(tm, id), tm.owner.token, nil).want(t, 200).str("orgId") == tm.hostOrg {
			back++
		}
	}
	if back != 1 {
		t.Fatalf("%d items back after the dead run, want 1", back)
	}
	// Asked again, the stop answers its job and queues a run, which
	// finishes from the checkpoint.
	again := call(t, "DELETE", P+"/partners/"+tm.partnerOrg, tm.owner.token, nil).want(t, 202)
	if again.str("jobId") != j.ID {
		t.Fatalf("a second job %s, want %s", again.str("jobId"), j.ID)
	}
	done := waitJob(t, tm.owner, j.ID, 60*time.Second)
	for _, id := range ids {
		wantBackWithHost(t, tm, id)
	}
	wantNoPartnerPeople(t, tm, tm.partnerOrg)
	if _, err := store(t).Store.GetPartnerRecord(ctx, tm.project, tm.partnerOrg); !collab.IsCode(err, collab.CodeNotFound) {
		t.Fatalf("partner item left: %v", err)
	}
	// The host stopped: the partner's manager is told, once.
	waitMails(t, tm.amExt.email, `The collaboration on "Cats" stopped`, 1)
	// A redelivered run of the finished job changes nothing.
	if _, err := theApp.Service.Jobs.RunJob(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	after := call(t, "GET", "/jobs/"+j.ID, tm.owner.token, nil).want(t, 200)
	if after.body["done"] != done.body["done"] || after.body["written"] != done.body["written"] || after.str("status") != "succeeded" {
		t.Fatalf("re-run changed the job: %s → %s", done.raw, after.raw)
	}
	for _, id := range ids {
		if n := returnEvents(t, id); n != 1 {
			t.Fatalf("item %s returned %d times", id, n)
		}
	}
	call(t, "DELETE", P+"/partners/"+tm.partnerOrg, tm.owner.token, nil).problem(t, 404, "")
}

// Two stops at once, or a stop asked again while its job runs, are one
// job; the partner's manager who started it follows it though the stop
// took their standing.
func TestStopPartnerTwiceIsOneJob(t *testing.T) {
	tm := newTeam(t)
	ctx := context.Background()
	P := "/projects/" + tm.project
	newItem(t, tm, "twice.jpg", tm.annExt)
	// A plain annotation manager of the partner (not an owner or admin of
	// its org) may stop it too.
	mgr := newActor(t, "stopper")
	joinOrg(t, tm.partnerOrg, mgr, collab.OrgMember, "Partner Org")
	call(t, "POST", P+"/members", tm.amExt.token, map[string]string{"email": mgr.email, "role": "annotation_manager"}).want(t, 201)
	st := theApp.Store.Ports()
	held, err := collab.NewService(st, collab.Deps{Clock: collab.SystemClock{}, IDs: collab.RandomIDs{}, Mailer: theApp.MailQueue,
		Jobs: heldJobs{}, Publisher: failingPublisher{}, Config: collab.Config{PublicBaseURL: server.URL}})
	if err != nil {
		t.Fatal(err)
	}
	jobs := make([]string, 4)
	parallel(t, len(jobs), len(jobs), func(i int) {
		j, err := held.Partners.StopCollaboration(ctx, collab.Caller{UserID: mgr.id, Email: mgr.email}, tm.project, tm.partnerOrg)
		if err != nil {
			t.Error(err)
			return
		}
		jobs[i] = j.ID
	})
	for _, id := range jobs {
		if id != jobs[0] {
			t.Fatalf("concurrent stops started several jobs: %v", jobs)
		}
	}
	// The starter has no standing left, yet asking again answers the job
	// (and queues its run); the host's owner gets the same one.
	call(t, "GET", P, mgr.token, nil).problem(t, 404, "")
	if got := call(t, "DELETE", P+"/partners/"+tm.partnerOrg, mgr.token, nil).want(t, 202).str("jobId"); got != jobs[0] {
		t.Fatalf("asked again: %s, want %s", got, jobs[0])
	}
	if got := call(t, "DELETE", P+"/partners/"+tm.partnerOrg, tm.owner.token, nil).want(t, 202).str("jobId"); got != jobs[0] {
		t.Fatalf("the host asked: %s, want %s", got, jobs[0])
	}
	// Anyone else learns nothing.
	call(t, "DELETE", P+"/partners/"+tm.partnerOrg, tm.annExt.token, nil).problem(t, 404, "")
	call(t, "DELETE", P+"/partners/"+tm.partnerOrg, tm.tenant.token, nil).problem(t, 404, "")
	waitJob(t, mgr, jobs[0], 60*time.Second)
	wantNoPartnerPeople(t, tm, tm.partnerOrg)
	if n := len(auditWhat(t, collab.ProjectScope(tm.project), "partner.stopped")); n != 1 {
		t.Fatalf("%d partner.stopped entries, want 1", n)
	}
}

// auditWhat lists a scope's entries of one kind.
func auditWhat(t testing.TB, scope, what string) []collab.AuditEntry {
	t.Helper()
	var out []collab.AuditEntry
	for _, e := range allAudit(t, scope) {
		if e.What == what {
			out = append(out, e)
		}
	}
	return out
}
