package collab

import "testing"

// Every status × event: Next answers exactly what the table says, and 409
// for anything else.
func TestTransitionTable(t *testing.T) {
	events := []ReviewEvent{EvAnnotate, EvSubmitPartner, EvSubmitHost, EvApprovePartner, EvApproveHost, EvReject, EvSkip}
	want := map[ItemStatus]map[ReviewEvent]ItemStatus{
		StNew:                 {EvAnnotate: StInProgress, EvSubmitPartner: StWaitingCollabReview, EvSubmitHost: StWaitingReview, EvSkip: StSkipped},
		StInProgress:          {EvSubmitPartner: StWaitingCollabReview, EvSubmitHost: StWaitingReview, EvSkip: StSkipped},
		StWaitingChange:       {EvSubmitPartner: StWaitingCollabReview, EvSubmitHost: StWaitingReview},
		StWaitingCollabReview: {EvApprovePartner: StWaitingOwnerReview, EvReject: StWaitingChange},
		StWaitingReview:       {EvApproveHost: StDone, EvReject: StWaitingChange},
		StWaitingOwnerReview:  {EvApproveHost: StDone, EvReject: StWaitingChange},
		StDone:                {},
		StSkipped:             {},
	}
	for _, st := range ItemStatuses {
		for _, ev := range events {
			tr, err := Next(st, ev)
			to, ok := want[st][ev]
			if ok != (err == nil) {
				t.Errorf("%s + %s: err %v, want allowed=%v", st, ev, err, ok)
				continue
			}
			if !ok {
				if ErrorCode(err) != CodeConflict {
					t.Errorf("%s + %s: %v, want conflict", st, ev, err)
				}
				continue
			}
			if tr.To != to {
				t.Errorf("%s + %s -> %s, want %s", st, ev, tr.To, to)
			}
			if tr.Handoff != (ev == EvApprovePartner) {
				t.Errorf("%s + %s handoff %v", st, ev, tr.Handoff)
			}
		}
	}
}
