package collab

import (
	"maps"
	"testing"
	"time"
)

// Which decisions count in an org's review metrics, for every actor and
// item the review table knows: only a partner reviewer's decision at its
// own stage (approve: reviewed and approved; reject: reviewed) and the
// host's rejection at its final review of a partner's item (overturned),
// always into the item's org.
func TestOrgReviewCounts(t *testing.T) {
	counted := map[string]map[Counter]int{}
	for _, k := range reviewActors {
		for _, bypass := range []bool{false, true} {
			a := k.access(bypass)
			for _, ri := range reviewItems {
				for _, st := range []ItemStatus{StWaitingCollabReview, StWaitingOwnerReview, StWaitingReview} {
					it := Item{ID: "itm", ProjectID: "prj", OrgID: ri.org, AssigneeID: ri.assignee, Status: st}
					for _, cmd := range []Command{CmdApprove, CmdReject} {
						tr, err := a.decide(cmd, it)
						if err != nil {
							continue
						}
						d := orgReviewDelta(a, tr, it, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
						if d == nil {
							continue
						}
						if d.OrgID != it.OrgID || d.Day != "2026-11-22" || d.ItemID != "itm" {
							t.Errorf("%s %s %s: delta %+v", k.name, cmd, st, d)
						}
						key := string(cmd) + " " + string(st) + " " + ri.name + " by " + k.name
						counted[key] = d.Counts
					}
				}
			}
		}
	}
	want := map[string]map[Counter]int{}
	for _, who := range []string{"partner X developer", "partner X annotation_manager"} {
		want["approve waiting_for_collaborator_review partner item by "+who] = map[Counter]int{CountReviewedOwnStage: 1, CountApprovedOwnStage: 1}
		want["reject waiting_for_collaborator_review partner item by "+who] = map[Counter]int{CountReviewedOwnStage: 1}
	}
	for _, who := range []string{"host owner", "host developer", "host project_manager", "host annotation_manager"} {
		want["reject waiting_for_owner_review partner item by "+who] = map[Counter]int{CountOverturnedByHost: 1}
	}
	if !maps.EqualFunc(counted, want, func(a, b map[Counter]int) bool { return maps.Equal(a, b) }) {
		for k, v := range counted {
			if !maps.Equal(v, want[k]) {
				t.Errorf("%s counted %v, want %v", k, v, want[k])
			}
		}
		for k, v := range want {
			if _, ok := counted[k]; !ok {
				t.Errorf("%s counted nothing, want %v", k, v)
			}
		}
	}
}

// The rates divide what there is, and are nil with nothing to divide by.
func TestNewOrgReviewMetrics(t *testing.T) {
	m := NewOrgReviewMetrics("o", "O", map[Counter]int{CountReviewedOwnStage: 4, CountApprovedOwnStage: 3, CountOverturnedByHost: 1})
	if m.ApprovalRate == nil || *m.ApprovalRate != 0.75 || m.OverturnRate == nil || *m.OverturnRate != 1.0/3 {
		t.Fatalf("rates %+v", m)
	}
	if z := NewOrgReviewMetrics("o", "O", nil); z.ApprovalRate != nil || z.OverturnRate != nil || z.ReviewedAtOwnStage != 0 {
		t.Fatalf("empty row %+v", z)
	}
}
