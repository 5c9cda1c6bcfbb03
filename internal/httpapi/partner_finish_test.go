package httpapi_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// Stopping with ?inFlight=finish: the partnership is ending. Its item at
// the collaborator stage stays to finish its review; its new item returns
// to the host at once, and its item in the host's final review becomes the
// host's as it stands. No new work reaches it (assignment, tasks), while
// its reviewer may still decide; that decision ends the partnership (its
// stop job runs, with nothing left to return), and its people lose access.
func TestFinishStopLetsReviewsFinish(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	inReview := newItem(t, tm, "in-review.jpg", tm.annExt)
	call(t, "POST", itemPath(tm, inReview)+"/submit", tm.annExt.token, nil).want(t, 200)
	rejected := newItem(t, tm, "rejected.jpg", tm.annExt)
	call(t, "POST", itemPath(tm, rejected)+"/submit", tm.annExt.token, nil).want(t, 200)
	fresh := newItem(t, tm, "fresh.jpg", tm.annExt)
	crossed := newItem(t, tm, "crossed.jpg", tm.annExt)
	call(t, "POST", itemPath(tm, crossed)+"/submit", tm.annExt.token, nil).want(t, 200)
	call(t, "POST", itemPath(tm, crossed)+"/review", tm.amExt.token, map[string]string{"decision": "approve"}).want(t, 202)
	waitStatus(t, tm.owner, itemPath(tm, crossed), "waiting_for_owner_review")
	hostItem := call(t, "POST", P+"/items", tm.owner.token, map[string]string{"name": "host.jpg"}).want(t, 201).str("id")

	call(t, "DELETE", P+"/partners/"+tm.partnerOrg+"?inFlight=later", tm.owner.token, nil).problem(t, 400, "inFlight")
	call(t, "DELETE", P+"/partners/"+tm.partnerOrg+"?inFlight=finish", tm.dev.token, nil).problem(t, 403, "")
	call(t, "DELETE", P+"/partners/"+tm.partnerOrg+"?inFlight=finish", tm.annExt.token, nil).problem(t, 404, "")
	// The dry run tells what finishes and what returns, changing nothing.
	dry := call(t, "DELETE", P+"/partners/"+tm.partnerOrg+"?dryRun=true&inFlight=finish", tm.owner.token, nil).want(t, 200)
	if fmt.Sprint(dry.body["items"]) != fmt.Sprint(map[string]any{"new": 1.0}) || dry.body["finishing"] != 2.0 || dry.body["handedOver"] != 1.0 {
		t.Fatalf("dry run %s", dry.raw)
	}
	if st := call(t, "GET", itemPath(tm, fresh), tm.owner.token, nil).want(t, 200); st.str("orgId") != tm.partnerOrg {
		t.Fatalf("the dry run moved an item: %s", st.raw)
	}

	// The host's owner finishes.
	fin := call(t, "DELETE", P+"/partners/"+tm.partnerOrg+"?inFlight=finish", tm.owner.token, nil).want(t, 200)
	if fmt.Sprint(fin.body["items"]) != fmt.Sprint(map[string]any{"new": 1.0}) || fin.body["finishing"] != 2.0 ||
		fin.body["handedOver"] != 1.0 || fin.str("jobId") != "" {
		t.Fatalf("finish answered %s", fin.raw)
	}
	hasAudit(t, collab.ProjectScope(tm.project), "partner.ending", tm.partnerOrg)
	ps := call(t, "GET", P+"/partners", tm.owner.token, nil).want(t, 200).items()
	if len(ps) != 1 || ps[0]["status"] != "ending" || ps[0]["endingSince"] == nil || ps[0]["endSetBy"] != "host" {
		t.Fatalf("partners while ending: %v", ps)
	}
	// Finishing is bounded: the partnership ends by itself a week later at
	// the latest, whatever is left in its review.
	if ends, err := time.Parse(time.RFC3339, ps[0]["endsAt"].(string)); err != nil || time.Until(ends) < collab.FinishWindow-time.Minute ||
		time.Until(ends) > collab.FinishWindow {
		t.Fatalf("the finish's bound: %v %v", ps[0]["endsAt"], err)
	}
	// The new item is the host's again at once; the one in the host's
	// final review is the host's as it stands.
	wantBackWithHost(t, tm, fresh)
	if it := call(t, "GET", itemPath(tm, crossed), tm.owner.token, nil).want(t, 200); it.str("status") != "waiting_for_owner_review" ||
		it.str("orgId") != tm.hostOrg || it.str("assigneeId") != "" {
		t.Fatalf("the item in the host's final review: %s", it.raw)
	}
	// No new work reaches the partner: no assignment to its people, no
	// task for its org, no item into its tasks; asking to finish again
	// (its own manager) changes nothing and prolongs nothing.
	call(t, "POST", itemPath(tm, hostItem)+"/assign", tm.pm.token, map[string]string{"assigneeId": tm.annExt.id}).problem(t, 409, "")
	call(t, "POST", P+"/tasks", tm.pm.token, map[string]any{"name": "More", "kind": "annotation", "orgId": tm.partnerOrg}).problem(t, 409, "")
	// The bound is the host's: the partner can neither clear it nor move
	// it later.
	call(t, "PATCH", P+"/partners/"+tm.partnerOrg, tm.amExt.token, map[string]any{"endsAt": nil}).problem(t, 403, "")
	call(t, "PATCH", P+"/partners/"+tm.partnerOrg, tm.amExt.token, map[string]any{"endsAt": time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)}).problem(t, 403, "")
	// Its people keep their roles (no new reviewer).
	call(t, "PATCH", P+"/members/"+tm.annExt.id, tm.amExt.token, map[string]string{"role": "annotation_manager"}).problem(t, 409, "")
	again := call(t, "DELETE", P+"/partners/"+tm.partnerOrg+"?inFlight=finish", tm.amExt.token, nil).want(t, 200)
	if again.body["finishing"] != 2.0 || again.str("jobId") != "" {
		t.Fatalf("finish again: %s", again.raw)
	}
	if now := call(t, "GET", P+"/partners", tm.amExt.token, nil).want(t, 200).items(); len(now) != 1 || now[0]["endingSince"] != ps[0]["endingSince"] {
		t.Fatalf("finishing again moved the ending: %v, was %v", now, ps)
	}
	// The partner's people keep their access while its review is left.
	call(t, "GET", P, tm.annExt.token, nil).want(t, 200)
	// A rejection at its stage gives it no work back: the item returns to
	// the host, and the annotator cannot submit it into review again.
	call(t, "POST", itemPath(tm, rejected)+"/review", tm.amExt.token, map[string]string{"decision": "reject", "comment": "Redo"}).want(t, 200)
	wantBackWithHost(t, tm, rejected)
	if r := call(t, "POST", itemPath(tm, rejected)+"/submit", tm.annExt.token, nil); r.status != 404 && r.status != 409 {
		t.Fatalf("the partner resubmitted a returned item: %d %s", r.status, r.raw)
	}

	// The partner's reviewer approves the last item in its review: once
	// the approval has crossed, the partnership ends by itself.
	call(t, "POST", itemPath(tm, inReview)+"/review", tm.amExt.token, map[string]string{"decision": "approve"}).want(t, 202)
	deadline := time.Now().Add(60 * time.Second)
	for len(call(t, "GET", P+"/partners", tm.owner.token, nil).want(t, 200).items()) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the partnership did not end after its last review")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, u := range []actor{tm.amExt, tm.annExt} {
		call(t, "GET", P, u.token, nil).problem(t, 404, "")
	}
	wantNoPartnerPeople(t, tm, tm.partnerOrg)
	hasAudit(t, collab.ProjectScope(tm.project), "partner.finished", tm.partnerOrg)
	// The finished review's item is the host's, in its final review, as
	// the partner approved it; the host's decision is final.
	if it := call(t, "GET", itemPath(tm, inReview), tm.owner.token, nil).want(t, 200); it.str("status") != "waiting_for_owner_review" ||
		it.str("orgId") != tm.hostOrg || returnEvents(t, inReview) != 0 {
		t.Fatalf("the finished item: %s", it.raw)
	}
	call(t, "POST", itemPath(tm, inReview)+"/review", tm.owner.token, map[string]string{"decision": "approve"}).want(t, 200)
	waitStatus(t, tm.owner, itemPath(tm, inReview), "done")
}
