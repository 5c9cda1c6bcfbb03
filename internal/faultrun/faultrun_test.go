// Package faultrun runs the background work under injected faults: a share
// of every DynamoDB and SQS call fails (throttling, transaction conflicts,
// server errors, lost responses) and the process "crashes" once mid-run
// (every call fails for a while, then it restarts). Nothing may be lost,
// nothing doubled, every job must finish. make test runs them at a size
// that fits CI; FAULT_FULL=1 (make test-faults) at the full sizes.
package faultrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/auth"
	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/config"
	"github.com/annobridge/annobridge/internal/devstack"
	"github.com/annobridge/annobridge/internal/faults"
	"github.com/annobridge/annobridge/internal/lambdafn"
	"github.com/annobridge/annobridge/internal/worker"
)

var stack *devstack.Stack

func TestMain(m *testing.M) { os.Exit(devstack.RunTests(m, &stack)) }

// FaultRate is the share of calls that fail during the runs.
const FaultRate = 0.2

// world is two apps on one table: a clean one for setting up and checking,
// and a faulty one whose queue consumers do the background work.
type world struct {
	clean, faulty *app.App
	inj           *faults.Injector
	api           *httptest.Server // the clean app's routes
	faultyAPI     *httptest.Server // the faulty app's routes
	stop          context.CancelFunc
}

// The one world of the package: its pollers run from the first test to the
// end, because a poller stopped while a long poll is open can take a
// message with it (invisible for the queue's whole visibility timeout).
var (
	sharedOnce  sync.Once
	sharedWorld *world
)

func newWorld(t *testing.T, seed uint64) *world {
	t.Helper()
	sharedOnce.Do(func() { sharedWorld = buildWorld(t, seed) })
	if sharedWorld == nil {
		t.Fatal("the fault world did not start")
	}
	sharedWorld.inj.SetRate(0)
	sharedWorld.inj.Restart()
	sharedWorld.inj.ResetCounts()
	return sharedWorld
}

func buildWorld(t *testing.T, seed uint64) *world {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	outbox := t.TempDir()
	clean, err := app.New(context.Background(), stack.Config(map[string]string{"MAIL_OUTBOX_DIR": outbox}), log)
	if err != nil {
		t.Fatal(err)
	}
	inj := faults.New(0, seed)
	cfg := stack.Config(map[string]string{"MAIL_OUTBOX_DIR": outbox})
	cfg.APIOptions = append(cfg.APIOptions, inj.APIOption)
	faulty, err := app.New(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{clean: clean, faulty: faulty, inj: inj,
		api: httptest.NewServer(clean.Router(lambdafn.HTTP...)), faultyAPI: httptest.NewServer(faulty.Router(lambdafn.HTTP...))}
	ctx, cancel := context.WithCancel(context.Background())
	w.stop = cancel // the world lives until the test binary ends
	// The queue's own receive and delete calls are the event source's (in
	// AWS, Lambda's, not this code's): the pollers use the clean client;
	// the handlers' calls, publishing included, go through the faults. A
	// failed message comes back after a second.
	retry := time.Second
	// The jobs' dead-letter queue is consumed as in AWS: a job whose run
	// message lands there fails, and the run says so.
	for _, src := range []struct{ fn, queue string }{{lambdafn.Mailer, "MailQueue"}, {lambdafn.Jobs, "JobsQueue"},
		{lambdafn.Jobs, "JobsDLQ"}, {lambdafn.Handoff, "ReviewHandoffQueue"}} {
		fn, queue := src.fn, src.queue
		consumer, err := faulty.Consumer(fn)
		if err != nil {
			t.Fatal(err)
		}
		q := stack.Queues[queue]
		p := &worker.Poller{Client: clean.SQS, QueueURL: q.URL, QueueARN: q.ARN, BatchSize: 10, Handle: consumer.Handle, Log: log, RetryDelay: &retry}
		go p.Run(ctx)
	}
	go func() { // the outbox sweeper, on the faulty app too
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				_, _ = faulty.Service.Relay.RelayOutbox(ctx, 0)
			}
		}
	}()
	return w
}

// crashOnce makes every call fail for a moment, as a process that dies and
// is started again, once the work is under way.
func (w *world) crashOnce(t *testing.T, started func() bool) {
	go func() {
		for deadline := time.Now().Add(60 * time.Second); !started() && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
		w.inj.Crash()
		time.Sleep(1500 * time.Millisecond)
		w.inj.Restart()
	}()
}

func (w *world) report(t *testing.T, what string, n int, took time.Duration) {
	calls, fs := w.inj.Counts()
	injected := 0
	for _, v := range fs {
		injected += v
	}
	line := fmt.Sprintf("faults: %s: %d operations in %v; %d calls, %d faults injected %v, 1 crash; lost 0, doubled 0",
		what, n, took.Round(time.Millisecond), calls, injected, fs)
	t.Log(line)
	fmt.Println(line)
}

type actor struct{ id, email, token string }

func newActor(t *testing.T, who string) actor {
	t.Helper()
	email := fmt.Sprintf("%s.%d@faults.example", who, time.Now().UnixNano())
	tok, err := auth.MintHS256(config.DefaultDevJWTSecret, config.DefaultJWTIssuer, config.DefaultJWTAudience,
		auth.Claims{Subject: auth.DevSubject(email), Email: email, Name: who}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return actor{id: auth.DevSubject(email), email: email, token: tok}
}

type response struct {
	status int
	body   map[string]any
	raw    []byte
}

func call(t *testing.T, base, method, path, token string, body any) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

func (r response) str(k string) string { s, _ := r.body[k].(string); return s }

// size is n in CI, full with FAULT_FULL=1.
func size(n, full int) int {
	if os.Getenv("FAULT_FULL") == "1" {
		return full
	}
	return n
}

// waitJob waits until the job succeeds (read through the clean app).
func (w *world) waitJob(t *testing.T, id string, within time.Duration) collab.Job {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		j, err := w.clean.Store.GetJob(context.Background(), id)
		if err == nil && j.Status == collab.JobSucceeded {
			return j
		}
		if err == nil && j.Status == collab.JobFailed {
			t.Fatalf("job failed: %+v", j)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not done: %+v %v", id, j, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Add all users of an org to a workspace, then remove that collaborator,
// with a fifth of the calls failing and one crash in each job.
func TestAddAllUsersAndRemovalUnderFaults(t *testing.T) {
	w := newWorld(t, 1)
	n := size(300, 10000)
	owner := newActor(t, "owner")
	org := call(t, w.api.URL, "POST", "/orgs", owner.token, map[string]string{"name": "Host"}).want(t, 201)
	ws := org.str("defaultWorkspaceId")
	// The owner has workforce access to the vendor org too (its owner).
	vendor := call(t, w.api.URL, "POST", "/orgs", owner.token, map[string]string{"name": "Vendor"}).want(t, 201).str("id")
	now := time.Now().UTC()
	var ms []collab.OrgMembership
	for i := range n {
		ms = append(ms, collab.OrgMembership{OrgID: vendor, OrgName: "Vendor", UserID: fmt.Sprintf("u-fault-%06d", i),
			Email: fmt.Sprintf("u%06d@vendor.example", i), Role: collab.OrgMember, JoinedAt: now, Version: 1})
	}
	ctx := context.Background()
	if err := w.clean.Store.SeedOrgMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	if err := w.clean.Store.PutCollaborator(ctx, collab.Collaborator{WorkspaceID: ws, OrgID: vendor, OrgName: "Vendor",
		Types: []collab.CollabType{collab.CollabAnnotationPartner}, Access: collab.ProjectAccess{Mode: "full"}, AddedAt: now, Version: 1}); err != nil {
		t.Fatal(err)
	}
	w.inj.SetRate(FaultRate)
	start := time.Now()
	job := call(t, w.api.URL, "POST", "/workspaces/"+ws+"/collaborators/"+vendor+"/add-all-users", owner.token, nil).want(t, 202).str("jobId")
	w.crashOnce(t, func() bool { j, _ := w.clean.Store.GetJob(ctx, job); return j.Done > 0 })
	w.waitJob(t, job, 15*time.Minute)
	members, err := w.clean.Store.ListWorkspaceMembers(ctx, ws, vendor)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range members {
		if seen[m.UserID] {
			t.Fatalf("%s is a member twice", m.UserID)
		}
		seen[m.UserID] = true
	}
	if len(seen) != n+1 { // the org's owner too
		t.Fatalf("%d workspace members after add-all, want %d", len(seen), n+1)
	}
	w.report(t, "add-all-users", n+1, time.Since(start))

	start = time.Now()
	removal := call(t, w.api.URL, "DELETE", "/workspaces/"+ws+"/collaborators/"+vendor, owner.token, nil).want(t, 202).str("jobId")
	w.crashOnce(t, func() bool { j, _ := w.clean.Store.GetJob(ctx, removal); return j.Done > 0 })
	w.waitJob(t, removal, 15*time.Minute)
	if left, err := w.clean.Store.ListWorkspaceMembers(ctx, ws, vendor); err != nil || len(left) != 0 {
		t.Fatalf("%d members left after removal (%v)", len(left), err)
	}
	w.report(t, "collaborator removal", n+1, time.Since(start))
}

// A labeling company's task spread over its annotators by a job, and its
// approvals crossing to the host through the handoff queue, under faults.
func TestTaskDistributionAndHandoffsUnderFaults(t *testing.T) {
	w := newWorld(t, 2)
	items, handoffs, annotators := size(300, 10000), size(20, 1000), 10
	const approvers = 8 // approvals sent at once
	ctx := context.Background()
	owner := newActor(t, "owner")
	org := call(t, w.api.URL, "POST", "/orgs", owner.token, map[string]string{"name": "Host"}).want(t, 201)
	host, ws := org.str("id"), org.str("defaultWorkspaceId")
	project := call(t, w.api.URL, "POST", "/workspaces/"+ws+"/projects", owner.token, map[string]string{"name": "Faults"}).want(t, 201).str("id")
	manager := newActor(t, "lcm")
	lc := call(t, w.api.URL, "POST", "/orgs", manager.token, map[string]string{"name": "Label Co"}).want(t, 201).str("id")
	p, _, err := w.clean.Store.LoadStanding(ctx, project, "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	pm := collab.ProjectMember{ProjectID: project, UserID: manager.id, Email: manager.email, Role: collab.RoleAnnotationManager,
		OrgID: lc, Side: collab.SideExternal, AddedAt: now, Version: 1}
	if err := w.clean.Store.AddPartner(ctx, p, collab.Partner{ProjectID: project, OrgID: lc, OrgName: "Label Co", Kind: collab.PartnerLabelingCompany,
		Types: []collab.CollabType{collab.CollabAnnotationPartner}, ManagerID: manager.id, HostOrgID: host, AddedAt: now, Version: 1}, &pm); err != nil {
		t.Fatal(err)
	}
	var anns []actor
	var oms []collab.OrgMembership
	var pms []collab.ProjectMember
	for i := range annotators {
		a := newActor(t, "ann"+strconv.Itoa(i))
		anns = append(anns, a)
		oms = append(oms, collab.OrgMembership{OrgID: lc, OrgName: "Label Co", UserID: a.id, Email: a.email, Role: collab.OrgMember, JoinedAt: now, Version: 1})
		pms = append(pms, collab.ProjectMember{ProjectID: project, UserID: a.id, Email: a.email, Role: collab.RoleAnnotator, OrgID: lc,
			Side: collab.SideExternal, AddedAt: now, Version: 1})
	}
	if err := w.clean.Store.SeedOrgMembers(ctx, oms); err != nil {
		t.Fatal(err)
	}
	if err := w.clean.Store.AddProjectMembers(ctx, project, pms); err != nil {
		t.Fatal(err)
	}
	var seeded []collab.Item
	var ids []string
	for i := range items {
		id := fmt.Sprintf("itm_fault%06d", i)
		ids = append(ids, id)
		seeded = append(seeded, collab.Item{ID: id, ProjectID: project, Name: id + ".jpg", Status: collab.StNew, OrgID: host,
			StatusSince: now, CreatedAt: now, CreatedBy: owner.id, Version: 1})
	}
	if err := w.clean.Store.SeedItems(ctx, seeded); err != nil {
		t.Fatal(err)
	}
	P := "/projects/" + project
	task := call(t, w.api.URL, "POST", P+"/tasks", owner.token, map[string]any{"name": "Faulty batch", "kind": "annotation", "orgId": lc}).want(t, 201).str("id")
	for from := 0; from < items; from += collab.MaxTaskItemsPerCall {
		call(t, w.api.URL, "POST", P+"/tasks/"+task+"/items", owner.token, map[string]any{"itemIds": ids[from:min(from+collab.MaxTaskItemsPerCall, items)]}).want(t, 200)
	}
	targets := make([]string, len(anns))
	for i, a := range anns {
		targets[i] = a.id
	}

	// The distribution, under faults and one crash.
	w.inj.SetRate(FaultRate)
	start := time.Now()
	job := call(t, w.api.URL, "POST", P+"/tasks/"+task+"/distribute", manager.token, map[string]any{"userIds": targets}).want(t, 202).str("jobId")
	w.crashOnce(t, func() bool { j, _ := w.clean.Store.GetJob(ctx, job); return j.Done > 0 })
	w.waitJob(t, job, 15*time.Minute)
	w.inj.SetRate(0)
	refs, err := w.clean.Store.TaskItems(ctx, project, task, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	prog := collab.ProgressOf(refs)
	if prog.Total != items || len(prog.ByHolder[""]) != 0 {
		t.Fatalf("after the distribution: %d items, %v unassigned", prog.Total, prog.ByHolder[""])
	}
	total, _, err := w.clean.Store.ReadTaskAnalytics(ctx, project, task, now.Format("2006-01-02"), time.Now().UTC().Format("2006-01-02"))
	if err != nil || total.Assigned != items {
		t.Fatalf("assignments counted %d times for %d items (%v): doubled or lost", total.Assigned, items, err)
	}
	w.report(t, "task distribution", items, time.Since(start))

	// Handoffs: annotators submit (clean), the company approves through
	// the faulty app, retrying what fails; each approval crosses once.
	for i, id := range ids[:handoffs] {
		a := anns[i%annotators]
		if len(a.id) == 0 {
			t.Fatal("no annotator")
		}
		it, err := w.clean.Store.GetItem(ctx, project, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, ann := range anns {
			if ann.id == it.AssigneeID {
				a = ann
			}
		}
		call(t, w.api.URL, "POST", P+"/items/"+id+"/submit", a.token, nil).want(t, 200)
	}
	// The approvals go out from approvers at once, as a company's
	// reviewers work; each is retried until it went through.
	w.inj.SetRate(FaultRate)
	start = time.Now()
	var crash sync.Once
	var done atomic.Int64
	approve := func(id string) error {
		for attempt := 0; ; attempt++ {
			if done.Load() >= int64(handoffs/2) {
				crash.Do(func() { w.inj.Crash(); time.AfterFunc(1500*time.Millisecond, w.inj.Restart) })
			}
			r := call(t, w.faultyAPI.URL, "POST", P+"/items/"+id+"/review", manager.token, map[string]string{"decision": "approve"})
			// Done, or done by an earlier attempt whose answer was lost: the
			// decision is crossing, or the item moved on.
			if r.status == 202 || r.status == 409 && (strings.Contains(string(r.raw), "cannot") || strings.Contains(string(r.raw), "still crossing")) {
				done.Add(1)
				return nil
			}
			if attempt > 50 {
				return fmt.Errorf("approval of %s never went through: %d %s", id, r.status, r.raw)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	work := make(chan string)
	errs := make(chan error, approvers)
	var wg sync.WaitGroup
	for range approvers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			failed := false
			for id := range work { // after a failure, drain without working
				if !failed {
					if err := approve(id); err != nil {
						errs <- err
						failed = true
					}
				}
			}
		}()
	}
	for _, id := range ids[:handoffs] {
		work <- id
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[:handoffs] {
		for deadline := time.Now().Add(3 * time.Minute); ; {
			it, err := w.clean.Store.GetItem(ctx, project, id)
			if err == nil && it.Status == collab.StWaitingOwnerReview && it.PendingHandoff == "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("item %s never crossed: %+v %v", id, it, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		hist, _, err := w.clean.Store.ListHistory(ctx, id, time.Time{}, collab.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		crossings := 0
		for _, e := range hist {
			if e.To == collab.StWaitingOwnerReview {
				crossings++
			}
		}
		if crossings != 1 {
			t.Fatalf("item %s crossed %d times", id, crossings)
		}
	}
	w.report(t, "review handoffs", handoffs, time.Since(start))
}

// Stopping a partner with work in flight, under faults and one crash: every
// item comes back to the host once, the partner's people and row go.
func TestStopCollaborationUnderFaults(t *testing.T) {
	w := newWorld(t, 3)
	n := size(100, 1000)
	ctx := context.Background()
	owner := newActor(t, "owner")
	org := call(t, w.api.URL, "POST", "/orgs", owner.token, map[string]string{"name": "Host"}).want(t, 201)
	host, ws := org.str("id"), org.str("defaultWorkspaceId")
	project := call(t, w.api.URL, "POST", "/workspaces/"+ws+"/projects", owner.token, map[string]string{"name": "Stop"}).want(t, 201).str("id")
	manager := newActor(t, "partner")
	partner := call(t, w.api.URL, "POST", "/orgs", manager.token, map[string]string{"name": "Partner"}).want(t, 201).str("id")
	p, _, err := w.clean.Store.LoadStanding(ctx, project, "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	pm := collab.ProjectMember{ProjectID: project, UserID: manager.id, Email: manager.email, Role: collab.RoleAnnotationManager,
		OrgID: partner, Side: collab.SideExternal, AddedAt: now, Version: 1}
	if err := w.clean.Store.AddPartner(ctx, p, collab.Partner{ProjectID: project, OrgID: partner, OrgName: "Partner", Kind: collab.PartnerShareLink,
		Types: []collab.CollabType{collab.CollabAnnotationPartner}, ManagerID: manager.id, HostOrgID: host, AddedAt: now, Version: 1}, &pm); err != nil {
		t.Fatal(err)
	}
	// In flight at the partner: new, in progress and waiting for its review.
	statuses := []collab.ItemStatus{collab.StNew, collab.StInProgress, collab.StWaitingCollabReview}
	var seeded []collab.Item
	for i := range n {
		seeded = append(seeded, collab.Item{ID: fmt.Sprintf("itm_stop%06d", i), ProjectID: project, Name: "stop.jpg", Status: statuses[i%3],
			AssigneeID: manager.id, OrgID: partner, StatusSince: now, CreatedAt: now, CreatedBy: owner.id, Version: 1})
	}
	if err := w.clean.Store.SeedItems(ctx, seeded); err != nil {
		t.Fatal(err)
	}
	w.inj.SetRate(FaultRate)
	start := time.Now()
	job := call(t, w.api.URL, "DELETE", "/projects/"+project+"/partners/"+partner, owner.token, nil).want(t, 202).str("jobId")
	w.crashOnce(t, func() bool { j, _ := w.clean.Store.GetJob(ctx, job); return j.Done > 0 })
	w.waitJob(t, job, 15*time.Minute)
	w.inj.SetRate(0)
	for _, it := range seeded {
		got, err := w.clean.Store.GetItem(ctx, project, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.OrgID != host || got.AssigneeID != "" || got.Status != collab.StNew || got.PendingHandoff != "" {
			t.Fatalf("item %s after the stop: %+v", it.ID, got)
		}
		hist, _, err := w.clean.Store.ListHistory(ctx, it.ID, time.Time{}, collab.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 1 {
			t.Fatalf("item %s returned %d times", it.ID, len(hist))
		}
	}
	if _, err := w.clean.Store.GetPartner(ctx, project, partner); !collab.IsCode(err, collab.CodeNotFound) {
		t.Fatalf("the partner is still there: %v", err)
	}
	w.report(t, "stop collaboration", n, time.Since(start))
}
