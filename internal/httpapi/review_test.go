package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/sqsqueue"
	"github.com/annobridge/annobridge/internal/worker"
)

func itemPath(tm team, id string) string { return "/projects/" + tm.project + "/items/" + id }

// newItem registers an item and assigns it.
func newItem(t testing.TB, tm team, name string, assignee actor) string {
	t.Helper()
	id := call(t, "POST", "/projects/"+tm.project+"/items", tm.owner.token, map[string]string{"name": name}).want(t, 201).str("id")
	call(t, "POST", itemPath(tm, id)+"/assign", tm.pm.token, map[string]string{"assigneeId": assignee.id}).want(t, 200)
	return id
}

// waitStatus polls an item until it reaches status.
func waitStatus(t testing.TB, u actor, path string, status string) response {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := call(t, "GET", path, u.token, nil).want(t, 200)
		if r.str("status") == status && r.body["handoffPending"] == false {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("item never reached %s: %s", status, r.raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestTwoStageReviewWithRejectionLoop(t *testing.T) {
	tm := newTeam(t)
	id := newItem(t, tm, "frame-1.jpg", tm.annExt)
	I := itemPath(tm, id)
	it := call(t, "GET", I, tm.annExt.token, nil).want(t, 200)
	if it.str("orgId") != tm.partnerOrg || it.str("assigneeId") != tm.annExt.id || it.str("status") != "new" {
		t.Fatalf("assigned item %s", it.raw)
	}
	// The annotator works and submits: the partner's item goes to its own review.
	call(t, "PUT", I+"/annotation", tm.annHost.token, map[string]any{"objects": []any{}}).problem(t, 404, "")
	call(t, "PUT", I+"/annotation", tm.annExt.token, map[string]any{"objects": []any{"car"}}).want(t, 200)
	if s := call(t, "GET", I, tm.annExt.token, nil).str("status"); s != "in_progress" {
		t.Fatalf("after first save: %s", s)
	}
	call(t, "POST", I+"/submit", tm.annExt.token, nil).want(t, 200)
	if s := call(t, "GET", I, tm.amExt.token, nil).str("status"); s != "waiting_for_collaborator_review" {
		t.Fatalf("after submit: %s", s)
	}
	// An annotator cannot review; the host cannot approve at this stage.
	call(t, "POST", I+"/review", tm.annExt.token, map[string]string{"decision": "approve"}).problem(t, 403, "")
	call(t, "POST", I+"/review", tm.pm.token, map[string]string{"decision": "approve"}).problem(t, 403, "")
	call(t, "POST", I+"/review", tm.amExt.token, map[string]string{"decision": "reject"}).problem(t, 400, "comment")
	call(t, "POST", I+"/review", tm.amExt.token, map[string]string{"decision": "maybe"}).problem(t, 400, "decision")
	// Host reviewers may comment and edit at the collaborator stage.
	call(t, "POST", I+"/comments", tm.pm.token, map[string]string{"text": "Looks close."}).want(t, 201)
	call(t, "PUT", I+"/annotation", tm.pm.token, map[string]any{"objects": []any{"car", "bus"}}).want(t, 200)
	// The partner approves: the decision crosses through the handoff queue.
	call(t, "POST", I+"/review", tm.amExt.token, map[string]string{"decision": "approve"}).want(t, 202)
	waitStatus(t, tm.owner, I, "waiting_for_owner_review")
	// The host rejects: back through the queue to the same annotator.
	call(t, "POST", I+"/review", tm.pm.token, map[string]string{"decision": "reject", "comment": "The bus is a truck."}).want(t, 202)
	back := waitStatus(t, tm.annExt, I, "waiting_for_change")
	if back.str("assigneeId") != tm.annExt.id {
		t.Fatalf("rework went to %s", back.str("assigneeId"))
	}
	// Annotators may not edit in review; they rework and resubmit.
	call(t, "PUT", I+"/annotation", tm.annExt.token, map[string]any{"objects": []any{"car", "truck"}}).want(t, 200)
	call(t, "POST", I+"/submit", tm.annExt.token, nil).want(t, 200)
	call(t, "PUT", I+"/annotation", tm.annExt.token, map[string]any{}).problem(t, 403, "")
	call(t, "POST", I+"/review", tm.amExt.token, map[string]string{"decision": "approve"}).want(t, 202)
	waitStatus(t, tm.owner, I, "waiting_for_owner_review")
	// Both sides' reviewers may edit at the owner stage.
	call(t, "PUT", I+"/annotation", tm.amExt.token, map[string]any{"objects": []any{"car", "truck"}}).want(t, 200)
	// The partner cannot decide at the host's stage; the host approves.
	call(t, "POST", I+"/review", tm.amExt.token, map[string]string{"decision": "approve"}).problem(t, 403, "")
	// Every host member whose role has items.review reviews at the host
	// stages, an annotation manager included.
	done := call(t, "POST", I+"/review", tm.amHost.token, map[string]string{"decision": "approve"}).want(t, 200)
	if done.str("status") != "done" {
		t.Fatalf("final %s", done.raw)
	}
	// A transition not in the table is 409.
	call(t, "POST", I+"/submit", tm.annExt.token, nil).problem(t, 409, "")
	call(t, "POST", I+"/review", tm.pm.token, map[string]string{"decision": "approve"}).problem(t, 409, "")

	// History: every transition with actor, org, time and comment.
	h := call(t, "GET", I+"/history", tm.owner.token, nil).want(t, 200).items()
	var path []string
	for _, e := range h {
		if e["from"] != e["to"] {
			path = append(path, e["from"].(string)+">"+e["to"].(string))
		}
	}
	want := []string{"new>in_progress", "in_progress>waiting_for_collaborator_review", "waiting_for_collaborator_review>waiting_for_owner_review",
		"waiting_for_owner_review>waiting_for_change", "waiting_for_change>waiting_for_collaborator_review",
		"waiting_for_collaborator_review>waiting_for_owner_review", "waiting_for_owner_review>done"}
	if fmt.Sprint(path) != fmt.Sprint(want) {
		t.Fatalf("history %v\nwant %v", path, want)
	}
	for _, e := range h {
		if e["to"] == "waiting_for_change" && (e["comment"] != "The bus is a truck." || e["actorId"] != tm.pm.id || e["orgId"] != tm.hostOrg) {
			t.Fatalf("rejection event %v", e)
		}
		if e["to"] == "waiting_for_owner_review" && (e["actorId"] != tm.amExt.id || e["orgId"] != tm.partnerOrg) {
			t.Fatalf("handoff event %v", e)
		}
	}
	// Analytics, read from counters.
	today := time.Now().UTC().Format("2006-01-02")
	an := call(t, "GET", "/projects/"+tm.project+"/members/"+tm.annExt.id+"/analytics?from="+today+"&to="+today, tm.amExt.token, nil).want(t, 200)
	if an.body["assigned"].(float64) != 1 || an.body["submitted"].(float64) != 2 || an.body["approved"].(float64) != 3 ||
		an.body["rejected"].(float64) != 1 || an.body["rejectionRate"].(float64) != 0.25 {
		t.Fatalf("analytics %s", an.raw)
	}
	stages := an.body["timeInStage"].(map[string]any)
	if stages["waiting_for_collaborator_review"].(map[string]any)["count"].(float64) != 2 {
		t.Fatalf("time in stage %v", stages)
	}
	call(t, "GET", "/projects/"+tm.project+"/members/"+tm.annExt.id+"/analytics", tm.annHost.token, nil).problem(t, 404, "")
	call(t, "GET", "/projects/"+tm.project+"/members/"+tm.annExt.id+"/analytics?from=yesterday", tm.owner.token, nil).problem(t, 400, "from")
	// Review metrics: the partner approved twice at its own stage, and the
	// host overturned one of those approvals. The host sees every partner,
	// the partner its own row; a host annotator sees none.
	metrics := func(a actor) []map[string]any {
		return call(t, "GET", "/projects/"+tm.project+"/review-metrics?from="+today+"&to="+today, a.token, nil).want(t, 200).items()
	}
	for _, a := range []actor{tm.owner, tm.amHost, tm.amExt} {
		rows := metrics(a)
		if len(rows) != 1 {
			t.Fatalf("review metrics for %s: %v", a.id, rows)
		}
		r := rows[0]
		if r["orgId"] != tm.partnerOrg || r["orgName"] == "" || r["reviewedAtOwnStage"].(float64) != 2 || r["approvedAtOwnStage"].(float64) != 2 ||
			r["approvalRate"].(float64) != 1 || r["overturnedByHost"].(float64) != 1 || r["overturnRate"].(float64) != 0.5 {
			t.Fatalf("review metrics for %s: %v", a.id, r)
		}
	}
	call(t, "GET", "/projects/"+tm.project+"/review-metrics", tm.annHost.token, nil).problem(t, 403, "")
	call(t, "GET", "/projects/"+tm.project+"/review-metrics?to=2026-01-01&from=2026-02-01", tm.owner.token, nil).problem(t, 400, "to")
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")
	if old := call(t, "GET", "/projects/"+tm.project+"/review-metrics?from="+yesterday+"&to="+yesterday, tm.owner.token, nil).want(t, 200).items(); len(old) != 1 ||
		old[0]["reviewedAtOwnStage"].(float64) != 0 || old[0]["approvalRate"] != nil {
		t.Fatalf("review metrics of a day without decisions: %v", old)
	}
	// The audit log shows the decisions and the handoffs; only owner and developer read it.
	audit := call(t, "GET", "/projects/"+tm.project+"/audit", tm.dev.token, nil).want(t, 200).items()
	handoffs := 0
	for _, e := range audit {
		if e["what"] == "item.handoff" {
			handoffs++
		}
	}
	if handoffs != 3 {
		t.Fatalf("%d handoff audit entries, want 3: %v", handoffs, audit)
	}
	call(t, "GET", "/projects/"+tm.project+"/audit", tm.pm.token, nil).problem(t, 403, "")
	// A host item stays on the host side.
	hid := newItem(t, tm, "frame-2.jpg", tm.annHost)
	call(t, "POST", itemPath(tm, hid)+"/submit", tm.annHost.token, nil).want(t, 200)
	if s := call(t, "GET", itemPath(tm, hid), tm.pm.token, nil).str("status"); s != "waiting_for_review" {
		t.Fatalf("host item %s", s)
	}
	call(t, "POST", itemPath(tm, hid)+"/review", tm.pm.token, map[string]string{"decision": "approve"}).want(t, 200)
	// Skip.
	sid := newItem(t, tm, "frame-3.jpg", tm.annHost)
	call(t, "POST", itemPath(tm, sid)+"/skip", tm.annHost.token, nil).want(t, 200)
	call(t, "POST", itemPath(tm, sid)+"/skip", tm.annHost.token, nil).problem(t, 409, "")
}

func TestPartnerWallsAndBypass(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	// A second partner with its own reviewer and annotator.
	link := tokenOf(t, call(t, "PUT", P+"/share-link", tm.owner.token, nil).want(t, 201).str("url"))
	yAM, yAnn := newActor(t, "yam"), newActor(t, "yann")
	yOrg := orgOf(t, yAM, "Partner Y")
	joinOrg(t, yOrg, yAnn, collab.OrgMember, "Partner Y")
	call(t, "POST", "/invitations/"+link+"/accept", yAM.token, nil).want(t, 200)
	call(t, "POST", P+"/members", yAM.token, map[string]string{"email": yAnn.email, "role": "annotator"}).want(t, 201)
	xItem := newItem(t, tm, "x.jpg", tm.annExt)
	yItem := newItem(t, tm, "y.jpg", yAnn)
	call(t, "POST", itemPath(tm, xItem)+"/submit", tm.annExt.token, nil).want(t, 200)
	call(t, "POST", itemPath(tm, yItem)+"/submit", yAnn.token, nil).want(t, 200)
	// Each partner's reviewer sees and reviews only its own org's items.
	call(t, "GET", itemPath(tm, xItem), yAM.token, nil).problem(t, 404, "")
	call(t, "POST", itemPath(tm, xItem)+"/review", yAM.token, map[string]string{"decision": "approve"}).problem(t, 404, "")
	call(t, "POST", itemPath(tm, yItem)+"/review", tm.amExt.token, map[string]string{"decision": "reject", "comment": "no"}).problem(t, 404, "")
	list := func(u actor) []map[string]any {
		return call(t, "GET", P+"/items?status=waiting_for_collaborator_review", u.token, nil).want(t, 200).items()
	}
	if got := list(yAM); len(got) != 1 || got[0]["id"] != yItem {
		t.Fatalf("Y sees %v", got)
	}
	if got := list(tm.amExt); len(got) != 1 || got[0]["id"] != xItem {
		t.Fatalf("X sees %v", got)
	}
	if got := list(tm.owner); len(got) != 2 {
		t.Fatalf("host sees %v", got)
	}
	if got := list(tm.annHost); len(got) != 0 {
		t.Fatalf("host annotator sees %v", got)
	}
	call(t, "GET", P+"/items?status=everything", tm.owner.token, nil).problem(t, 400, "status")
	// With the bypass setting on, host reviewers decide at the collaborator stage.
	call(t, "POST", itemPath(tm, xItem)+"/review", tm.pm.token, map[string]string{"decision": "approve"}).problem(t, 403, "")
	call(t, "PATCH", P, tm.dev.token, map[string]bool{"hostMayBypassCollaboratorReview": true}).problem(t, 403, "")
	if r := call(t, "PATCH", P, tm.owner.token, map[string]bool{"hostMayBypassCollaboratorReview": true}).want(t, 200); r.body["hostMayBypassCollaboratorReview"] != true {
		t.Fatalf("setting %s", r.raw)
	}
	if r := call(t, "POST", itemPath(tm, xItem)+"/review", tm.pm.token, map[string]string{"decision": "approve"}).want(t, 200); r.str("status") != "done" {
		t.Fatalf("bypass %s", r.raw)
	}
}

// The handoff consumer changes nothing for a duplicate, replayed or stale
// message, nor for a deleted item or a stopped partner's item.
func TestHandoffIdempotence(t *testing.T) {
	tm := newTeam(t)
	a := store(t)
	ctx := context.Background()
	consumer, err := a.Consumer("handoff")
	if err != nil {
		t.Fatal(err)
	}
	deliver := func(m collab.HandoffMessage) {
		t.Helper()
		body := fmt.Sprintf(`{"kind":"review.handoff","id":%q,"body":%s}`, m.TransitionID, mustJSON(t, m))
		res, err := consumer.Handle(ctx, sqsEvent(body))
		if err != nil || len(res.BatchItemFailures) != 0 {
			t.Fatalf("handoff %v %+v", err, res)
		}
	}
	id := newItem(t, tm, "dup.jpg", tm.annExt)
	I := itemPath(tm, id)
	call(t, "POST", I+"/submit", tm.annExt.token, nil).want(t, 200)
	call(t, "POST", I+"/review", tm.amExt.token, map[string]string{"decision": "approve"}).want(t, 202)
	after := waitStatus(t, tm.owner, I, "waiting_for_owner_review")
	ver := after.body["version"].(float64)
	// The same handoff again, and again: nothing changes.
	h, _, err := a.Store.ListHistory(ctx, id, time.Time{}, collab.Page{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var tid string
	for _, e := range auditOf(t, collab.ProjectScope(tm.project)) {
		if e.What == "item.handoff" {
			tid = e.After.(map[string]any)["transitionId"].(string)
		}
	}
	m := collab.HandoffMessage{ProjectID: tm.project, ItemID: id, TransitionID: tid, FromStatus: collab.StWaitingCollabReview,
		FromVersion: int(ver) - 1, ToStatus: collab.StWaitingOwnerReview, ActorID: tm.amExt.id, OrgID: tm.partnerOrg}
	deliver(m)
	deliver(m)
	// A stale message (older version) and a replayed one with another id.
	stale := m
	stale.FromVersion = 1
	deliver(stale)
	replay := m
	replay.TransitionID = "tr_forged"
	replay.FromVersion = int(ver)
	replay.FromStatus = collab.StWaitingOwnerReview
	replay.ToStatus = collab.StDone
	deliver(replay)
	now := call(t, "GET", I, tm.owner.token, nil).want(t, 200)
	h2, _, _ := a.Store.ListHistory(ctx, id, time.Time{}, collab.Page{Limit: 50})
	if now.body["version"].(float64) != ver || now.str("status") != "waiting_for_owner_review" || len(h2) != len(h) {
		t.Fatalf("a duplicate changed the item: %s (%d → %d events)", now.raw, len(h), len(h2))
	}
	// A message for a deleted item changes nothing and is done.
	gone := m
	gone.ItemID = "itm_gone"
	deliver(gone)
	// A stopped partner's in-flight item returns to the host; its pending
	// handoff then finds the item moved on.
	id2 := newItem(t, tm, "stop.jpg", tm.annExt)
	call(t, "POST", itemPath(tm, id2)+"/submit", tm.annExt.token, nil).want(t, 200)
	it2, err := a.Store.GetItem(ctx, tm.project, id2)
	if err != nil {
		t.Fatal(err)
	}
	stopPartner(t, tm.owner, tm.project, tm.partnerOrg)
	back := call(t, "GET", itemPath(tm, id2), tm.owner.token, nil).want(t, 200)
	if back.str("status") != "new" || back.str("orgId") != tm.hostOrg || back.str("assigneeId") != "" {
		t.Fatalf("returned item %s", back.raw)
	}
	late := collab.HandoffMessage{ProjectID: tm.project, ItemID: id2, TransitionID: "tr_late", FromStatus: collab.StWaitingCollabReview,
		FromVersion: it2.Version, ToStatus: collab.StWaitingOwnerReview}
	deliver(late)
	if s := call(t, "GET", itemPath(tm, id2), tm.owner.token, nil).str("status"); s != "new" {
		t.Fatalf("stopped partner's handoff moved the item to %s", s)
	}
}

// No handoff is lost when the queue send fails after the table write: the
// outbox keeps the message until the relay sends it.
func TestOutboxSurvivesAFailedSend(t *testing.T) {
	tm := newTeam(t)
	api(t)
	// A service whose publisher fails, as if SQS were down.
	broken, err := collab.NewService(theApp.Store.Ports(), collab.Deps{Clock: collab.SystemClock{}, IDs: collab.RandomIDs{},
		Mailer: theApp.MailQueue, Jobs: theApp.JobQueue, Publisher: failingPublisher{}, Config: collab.Config{PublicBaseURL: server.URL}})
	if err != nil {
		t.Fatal(err)
	}
	id := newItem(t, tm, "outbox.jpg", tm.annExt)
	call(t, "POST", itemPath(tm, id)+"/submit", tm.annExt.token, nil).want(t, 200)
	caller := collab.Caller{UserID: tm.amExt.id, Email: tm.amExt.email}
	res, err := broken.Review.ReviewItem(context.Background(), caller, tm.project, id, "approve", "")
	if err != nil || !res.Pending {
		t.Fatalf("review %v %+v", err, res)
	}
	time.Sleep(1500 * time.Millisecond)
	if s := call(t, "GET", itemPath(tm, id), tm.owner.token, nil).str("status"); s != "waiting_for_collaborator_review" {
		t.Fatalf("moved without a message: %s", s)
	}
	// The relay (the handoff function's schedule; a ticker locally) sends it.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := theApp.Service.Relay.RelayOutbox(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		if call(t, "GET", itemPath(tm, id), tm.owner.token, nil).str("status") == "waiting_for_owner_review" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the outbox message never arrived")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type failingPublisher struct{}

func (failingPublisher) Publish(context.Context, collab.OutboxMessage) error {
	return fmt.Errorf("queue unavailable")
}

// 1,000 items approved at once by the partner each reach
// waiting_for_owner_review exactly once.
func TestThousandApprovalsCrossOnce(t *testing.T) {
	tm := newTeam(t)
	const n = 1000
	ids := make([]string, n)
	parallel(t, n, 8, func(i int) {
		ids[i] = call(t, "POST", "/projects/"+tm.project+"/items", tm.owner.token, map[string]string{"name": fmt.Sprintf("bulk-%04d", i)}).want(t, 201).str("id")
		call(t, "POST", itemPath(tm, ids[i])+"/assign", tm.pm.token, map[string]string{"userId": tm.annExt.id}).want(t, 200)
		call(t, "POST", itemPath(tm, ids[i])+"/submit", tm.annExt.token, nil).want(t, 200)
	})
	start := time.Now()
	parallel(t, n, 8, func(i int) {
		call(t, "POST", itemPath(tm, ids[i])+"/review", tm.amExt.token, map[string]string{"decision": "approve"}).want(t, 202)
	})
	deadline := time.Now().Add(6 * time.Minute)
	for {
		count := 0
		cursor := ""
		for {
			q := "?status=waiting_for_owner_review&limit=200"
			if cursor != "" {
				q += "&cursor=" + url.QueryEscape(cursor)
			}
			r := call(t, "GET", "/projects/"+tm.project+"/items"+q, tm.owner.token, nil).want(t, 200)
			count += len(r.items())
			next, _ := r.body["nextCursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		if count == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d items crossed", count, n)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("1,000 approvals crossed in %v", time.Since(start))
	handoffs := map[string]int{}
	for _, e := range allAudit(t, collab.ProjectScope(tm.project)) {
		if e.What == "item.handoff" {
			handoffs[e.After.(map[string]any)["itemId"].(string)]++
		}
	}
	for _, id := range ids {
		if handoffs[id] != 1 {
			t.Fatalf("item %s crossed %d times", id, handoffs[id])
		}
	}
}

func allAudit(t testing.TB, scope string) []collab.AuditEntry {
	t.Helper()
	var out []collab.AuditEntry
	cursor := ""
	for {
		es, next, err := store(t).Store.ListAudit(context.Background(), scope, "", collab.Page{Limit: 200, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, es...)
		if next == "" {
			return out
		}
		cursor = next
	}
}

// A poison message reaches the handoff DLQ after maxReceiveCount.
func TestPoisonHandoffReachesDLQ(t *testing.T) {
	api(t)
	q := stack.Queues["ReviewHandoffQueue"]
	pub := sqsqueue.New(theApp.SQS, q.URL)
	if err := pub.Publish(context.Background(), worker.Envelope{Kind: "review.handoff", ID: "poison-" + t.Name(),
		Body: []byte(`{"itemId": 42}`)}, "poison-group"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(45 * time.Second)
	for {
		out, err := theApp.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.DLQURL),
			MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			if strings.Contains(aws.ToString(m.Body), "poison-"+t.Name()) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the poison message never reached the DLQ")
		}
	}
}

func parallel(t testing.TB, n, workers int, f func(i int)) {
	t.Helper()
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

func TestAssignmentRulesAndLimits(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	call(t, "POST", P+"/members", tm.amExt.token, map[string]string{"email": tm.spareExt.email, "role": "annotator"}).want(t, 201)
	call(t, "POST", P+"/items", tm.pm.token, map[string]string{"name": "x"}).problem(t, 403, "") // datasets.manage
	id := newItem(t, tm, "assign.jpg", tm.annExt)
	I := itemPath(tm, id)
	// An annotation manager reassigns only among their own org's annotators.
	// Anyone else gets one answer, whether on the project or not (docs/security.md, invariant 5).
	call(t, "POST", I+"/assign", tm.amExt.token, map[string]string{"userId": tm.annHost.id}).problem(t, 400, "userId")
	call(t, "POST", I+"/assign", tm.amExt.token, map[string]string{"userId": tm.amExt.id}).problem(t, 400, "userId")
	call(t, "POST", I+"/assign", tm.amExt.token, map[string]string{"userId": tm.tenant.id}).problem(t, 400, "userId")
	if r := call(t, "POST", I+"/assign", tm.amExt.token, map[string]string{"userId": tm.spareExt.id}).want(t, 200); r.str("assigneeId") != tm.spareExt.id {
		t.Fatalf("reassigned %s", r.raw)
	}
	call(t, "POST", I+"/assign", tm.spareExt.token, map[string]string{"userId": tm.spareExt.id}).problem(t, 403, "") // annotators do not assign
	call(t, "POST", I+"/assign", tm.pm.token, map[string]string{"userId": tm.tenant.id}).problem(t, 400, "userId")
	// The previous assignee no longer sees it; the new one does.
	call(t, "GET", I, tm.annExt.token, nil).problem(t, 404, "")
	call(t, "GET", I, tm.spareExt.token, nil).want(t, 200)
	// Annotation documents: JSON, at most 256 KiB, version-checked.
	big := `{"blob":"` + strings.Repeat("x", 256<<10) + `"}`
	call(t, "PUT", I+"/annotation", tm.spareExt.token, big).problem(t, 413, "")
	call(t, "PUT", I+"/annotation", tm.spareExt.token, "not json").problem(t, 400, "body")
	call(t, "PUT", I+"/annotation", tm.spareExt.token, map[string]any{"a": 1}, "If-Match", "1").problem(t, 409, "")
	// Two concurrent submits: the version condition lets one through.
	statuses := race(t, 2, func(int) int { return call(t, "POST", I+"/submit", tm.spareExt.token, nil).status })
	if statuses[200] != 1 || statuses[409] != 1 {
		t.Fatalf("concurrent submits %v", statuses)
	}
}
