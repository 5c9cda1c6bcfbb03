package httpapi_test

// The fault paths end to end: an idempotent answer larger than a table
// item, a claim whose request died, a job whose run message is
// dead-lettered.

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/ddbstore"
	"github.com/annobridge/annobridge/internal/httpapi"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

// A 5,000-row import answers with more than any one table item holds
// (400 KB), here even gzipped: with an Idempotency-Key it is saved (in
// parts) and replayed byte for byte, where it used to answer 409 for a day.
func TestIdempotentImportOf5000RowsReplaysByteIdentically(t *testing.T) {
	owner := newActor(t, "importer")
	ws := call(t, "POST", "/orgs", owner.token, map[string]string{"name": "Import Org"}).want(t, 201).str("defaultWorkspaceId")
	P := "/projects/" + call(t, "POST", "/workspaces/"+ws+"/projects", owner.token, map[string]string{"name": "Big import"}).want(t, 201).str("id")

	// Long random addresses (little for gzip to squeeze) with a role
	// that does not exist: every row is answered, none is written.
	rnd := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
		b := make([]byte, n)
		for i := range b {
			b[i] = letters[rnd.IntN(len(letters))]
		}
		return string(b)
	}
	var csv strings.Builder
	csv.WriteString("email,role\n")
	for range collab.MaxImportRows {
		fmt.Fprintf(&csv, "%s@%s.%s.example,no-such-role\n", word(60), word(40), word(40))
	}
	hdr := []string{"Content-Type", "text/csv", "Idempotency-Key", "big-import"}
	first := call(t, "POST", P+"/members/import", owner.token, csv.String(), hdr...).want(t, 200)
	if first.body["errors"] != float64(collab.MaxImportRows) || len(first.raw) < 1<<20 {
		t.Fatalf("the import answered %v errors in %d bytes; the test wants every row refused in over 1 MB", first.body["errors"], len(first.raw))
	}
	again := call(t, "POST", P+"/members/import", owner.token, csv.String(), hdr...).want(t, 200)
	if again.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.raw, first.raw) ||
		again.header.Get("Content-Type") != first.header.Get("Content-Type") {
		t.Fatalf("replay: %q, %d bytes (first %d), same %v", again.header.Get("Idempotent-Replayed"), len(again.raw), len(first.raw),
			bytes.Equal(again.raw, first.raw))
	}
	// The key still binds its request.
	call(t, "POST", P+"/members/import", owner.token, "email,role\n", hdr...).problem(t, 422, "Idempotency-Key")
}

// apiWithIdempotencyClock serves the API with an idempotency store whose
// clock is shifted by: how the key looks that much later.
func apiWithIdempotencyClock(t *testing.T, by time.Duration) string {
	t.Helper()
	api(t)
	cfg := theApp.Config
	st := ddbstore.New(theApp.DB, cfg.TableName, []byte(cfg.CursorSecret), ddbstore.WithClock(func() time.Time { return time.Now().UTC().Add(by) }))
	srv := httptest.NewServer(checked(httpapi.New(httpapi.Deps{Service: theApp.Service, Auth: theApp.Auth, Idempotency: st,
		Page: theApp.Page, Log: slog.New(slog.DiscardHandler)}, lambdafn.HTTP...)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// A request that claimed its key and died (claimed through the store, never
// completed) blocks a retry with 409 and Retry-After only for the claim's
// lease; after it the same request runs, once, and is replayed.
func TestIdempotencyClaimOfADeadRequestBlocksOnlyItsLease(t *testing.T) {
	u := newActor(t, "crash")
	body := `{"name":"Survives a crash"}`
	hash := httpapi.IdempotencyRequestHash("POST", "/orgs", "application/json", []byte(body))
	if _, claimed, err := theApp.Store.Claim(context.Background(), u.id, "crash-key", hash); err != nil || !claimed {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	r := call(t, "POST", "/orgs", u.token, body, "Idempotency-Key", "crash-key")
	r.problem(t, 409, "")
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > int(collab.IdempotencyLease.Seconds()) {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	// Just before the lease ends, still running as far as anyone knows.
	callOn(t, apiWithIdempotencyClock(t, collab.IdempotencyLease-5*time.Second), "POST", "/orgs", u.token, body, "Idempotency-Key", "crash-key").problem(t, 409, "")
	// Another request with the key is refused, lease or not.
	later := apiWithIdempotencyClock(t, collab.IdempotencyLease+time.Second)
	callOn(t, later, "POST", "/orgs", u.token, `{"name":"Other"}`, "Idempotency-Key", "crash-key").problem(t, 422, "Idempotency-Key")
	// After it, the retry takes the claim over and runs.
	created := callOn(t, later, "POST", "/orgs", u.token, body, "Idempotency-Key", "crash-key").want(t, 201)
	if created.header.Get("Idempotent-Replayed") != "" {
		t.Fatal("the takeover replayed instead of running")
	}
	replay := call(t, "POST", "/orgs", u.token, body, "Idempotency-Key", "crash-key").want(t, 201)
	if replay.header.Get("Idempotent-Replayed") != "true" || replay.str("id") != created.str("id") {
		t.Fatalf("replay %s vs %s", replay.raw, created.raw)
	}
	if n := len(call(t, "GET", "/orgs", u.token, nil).want(t, 200).items()); n != 1 {
		t.Fatalf("%d orgs, want 1", n)
	}
}

// waitForJob polls GET /jobs/{id} until its status is want.
func waitForJob(t *testing.T, token, id string, want collab.JobStatus) response {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		r := call(t, "GET", "/jobs/"+id, token, nil).want(t, 200)
		if r.str("status") == string(want) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s, never %s: %s", id, r.str("status"), want, r.raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A job whose runs always fail (its kind has no runner yet) is retried by
// the queue up to maxReceiveCount; its message then reaches the jobs DLQ,
// whose consumer fails the job with the reason. Once the cause is fixed
// (the runner deployed), its starter retries it and it finishes.
func TestDeadLetteredJobFailsWithItsReasonAndRetryFinishesIt(t *testing.T) {
	ctx := context.Background()
	host := newActor(t, "jobhost")
	ws := call(t, "POST", "/orgs", host.token, map[string]string{"name": "Job Host"}).want(t, 201).str("defaultWorkspaceId")
	vendor := newActor(t, "jobvendor")
	vendorOrg := orgOf(t, vendor, "Job Vendor")
	now := time.Now().UTC()
	j := collab.Job{ID: collab.RandomIDs{}.New("job"), Kind: "not_deployed_yet", Status: collab.JobQueued, WorkspaceID: ws, OrgID: vendorOrg,
		Role: collab.WSAnnotationManager, CreatedBy: host.id, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := theApp.Store.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if err := theApp.JobQueue.Enqueue(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	failed := waitForJob(t, host.token, j.ID, collab.JobFailed)
	if reason := failed.str("reason"); !strings.HasPrefix(reason, "its run message failed ") || !strings.Contains(reason, `unknown job kind "not_deployed_yet"`) {
		t.Fatalf("reason %q", reason)
	}
	t.Logf("failed: %s", failed.str("reason"))
	// Nobody else may retry it (or see it).
	call(t, "POST", "/jobs/"+j.ID+"/retry", vendor.token, nil).problem(t, 404, "")

	// The fix: the kind's runner is deployed (the job becomes one the
	// consumer runs).
	stored, err := theApp.Store.GetJob(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored.Kind = collab.JobAddAllUsers
	if err := theApp.Store.SaveJob(ctx, stored); err != nil {
		t.Fatal(err)
	}
	r := call(t, "POST", "/jobs/"+j.ID+"/retry", host.token, nil).want(t, 202)
	if r.header.Get("Location") != "/jobs/"+j.ID || r.str("jobId") != j.ID {
		t.Fatalf("retry answered %v %s", r.header, r.raw)
	}
	done := waitForJob(t, host.token, j.ID, collab.JobSucceeded)
	if _, has := done.body["reason"]; has || done.body["written"] != float64(1) {
		t.Fatalf("succeeded job %s", done.raw)
	}
	// The vendor's member joined the workspace; a finished job is not retried.
	call(t, "GET", "/workspaces/"+ws+"/members/"+vendor.id, host.token, nil).want(t, 200)
	call(t, "POST", "/jobs/"+j.ID+"/retry", host.token, nil).problem(t, 409, "")
}
