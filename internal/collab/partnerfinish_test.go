package collab

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// The rule of an ending partnership (?inFlight=finish): only its items at
// the collaborator stage stay to finish their review; those in the host's
// final review become the host's as they stand (unless the host's
// rejection is crossing back); everything else in flight returns; finished
// items and other orgs' items are left alone.
func TestFinishFate(t *testing.T) {
	cases := []struct {
		status  ItemStatus
		org     string
		pending string
		want    fate
	}{
		{StWaitingCollabReview, "x", "", fateFinishes},
		{StWaitingCollabReview, "x", "tr_1", fateFinishes}, // its approval is crossing: it finishes when it lands
		{StWaitingOwnerReview, "x", "", fateHandedOver},
		{StWaitingOwnerReview, "x", "tr_1", fateReturns}, // the host's rejection crossing back: new work, returned
		{StNew, "x", "", fateReturns},
		{StInProgress, "x", "", fateReturns},
		{StWaitingChange, "x", "", fateReturns},
		{StDone, "x", "", fateStays},
		{StSkipped, "x", "", fateStays},
		{StWaitingCollabReview, "y", "", fateStays}, // another partner's
		{StNew, "h", "", fateStays},                 // the host's
		{StWaitingReview, "h", "", fateStays},
	}
	for _, c := range cases {
		it := Item{ID: "i", Status: c.status, OrgID: c.org, PendingHandoff: c.pending}
		if got := finishFate(it, "h", "x"); got != c.want {
			t.Errorf("%s of %s (pending %q): fate %d, want %d", c.status, c.org, c.pending, got, c.want)
		}
	}
}

// An ending partnership still grants its people their roles, so its
// reviewers can finish the reviews left; a stop under way grants nothing.
func TestEndingPartnerStaysLiveForReview(t *testing.T) {
	member := &ProjectMember{ProjectID: "p", UserID: "u", Role: RoleAnnotationManager, Side: SideExternal, OrgID: "x", Version: 1}
	ending := &Partner{ProjectID: "p", OrgID: "x", Types: []CollabType{CollabAnnotationPartner}, EndingSince: time.Unix(1, 0)}
	st := Standing{ProjectID: "p", HostOrgID: "h", UserID: "u", Member: member, Partner: ending,
		MemberOrg: &OrgMembership{OrgID: "x", UserID: "u", Role: OrgMember}}
	if e := st.Resolve(); e.Role != RoleAnnotationManager || e.Side != SideExternal || !e.Can(ActItemsReview).Allowed() {
		t.Fatalf("ending partnership: %+v, want a live reviewer", e)
	}
	stopping := *ending
	stopping.StoppingJob = "job_1"
	st.Partner = &stopping
	if e := st.Resolve(); !e.None() {
		t.Fatalf("ending partnership whose stop began: %+v, want nothing", e)
	}
}

// finishStore serves one ending partnership "x" of project "p" to the
// sweep, with its items; ApplyItemChange writes them, MarkPartnerStopping
// counts the stops. Any other call panics (the embedded interface is nil).
type finishStore struct {
	PartnerStore
	partner Partner
	items   map[string]Item
	stops   int
}

func (s *finishStore) ListPartnerEnds(context.Context, time.Time, int) ([][2]string, error) {
	return nil, nil
}

func (s *finishStore) ListEndingPartners(context.Context, int, string) ([][2]string, string, error) {
	return [][2]string{{"p", "x"}}, "", nil
}

func (s *finishStore) ForgetEndingPartner(context.Context, string, string) error { return nil }

func (s *finishStore) GetPartnerRecord(context.Context, string, string) (Partner, error) {
	return s.partner, nil
}

func (s *finishStore) ListItems(_ context.Context, _ string, st ItemStatus, orgID, _ string, _ Page) ([]Item, string, error) {
	var out []Item
	for _, it := range s.items {
		if it.Status == st && it.OrgID == orgID {
			out = append(out, it)
		}
	}
	return out, "", nil
}

func (s *finishStore) GetItems(_ context.Context, _ string, ids []string) (map[string]Item, error) {
	out := map[string]Item{}
	for _, id := range ids {
		if it, ok := s.items[id]; ok {
			out[id] = it
		}
	}
	return out, nil
}

func (s *finishStore) ApplyItemChange(_ context.Context, ch ItemChange) error {
	if s.items[ch.Before.ID].Version != ch.Before.Version {
		return Errorf(CodeConflict, "stale")
	}
	ch.After.Version = ch.Before.Version + 1
	s.items[ch.After.ID] = ch.After
	return nil
}

func (s *finishStore) GetProjectMember(context.Context, string, string) (ProjectMember, error) {
	return ProjectMember{}, NotFound(RecordProject, "")
}

func (s *finishStore) ListProjectMembers(context.Context, string, MemberFilter, Page) ([]ProjectMember, string, error) {
	return nil, "", nil
}

func (s *finishStore) MarkPartnerStopping(context.Context, Partner, Job, ...AuditEntry) error {
	s.stops++
	return nil
}

// The sweep settles an ending partnership: what the partner still works on
// returns to the host, what waits for the host's final review becomes the
// host's, and its stop begins only once nothing is left at the
// collaborator stage.
func TestSweepFinishesAnEndingPartnership(t *testing.T) {
	st := &finishStore{partner: Partner{ProjectID: "p", OrgID: "x", EndingSince: time.Unix(1, 0), Version: 2},
		items: map[string]Item{
			"review": {ID: "review", ProjectID: "p", OrgID: "x", Status: StWaitingCollabReview, AssigneeID: "a", Version: 1},
			"owner":  {ID: "owner", ProjectID: "p", OrgID: "x", Status: StWaitingOwnerReview, AssigneeID: "a", TaskID: "t", Version: 1},
			"new":    {ID: "new", ProjectID: "p", OrgID: "x", Status: StInProgress, AssigneeID: "a", TaskID: "t", Version: 1},
			"host":   {ID: "host", ProjectID: "p", OrgID: "h", Status: StNew, Version: 1},
		}}
	n := 0
	b := base{rights: endsRights{}, clock: handoffClock{}, ids: handoffIDs{&n}}
	s := &Partners{base: b, store: st, jobs: &Jobs{base: b, queue: endsQueue{}}}
	sweep := func() EndsReport {
		t.Helper()
		rep, err := s.EndDuePartnerships(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := sweep(); rep.Stopped != 0 || st.stops != 0 {
		t.Fatalf("stopped with an item still at the collaborator stage: %+v, %d stops", rep, st.stops)
	}
	if it := st.items["new"]; it.Status != StNew || it.OrgID != "h" || it.AssigneeID != "" || it.TaskID != "" {
		t.Errorf("the partner's item in progress did not return to the host: %+v", it)
	}
	if it := st.items["owner"]; it.Status != StWaitingOwnerReview || it.OrgID != "h" || it.AssigneeID != "" || it.TaskID != "" {
		t.Errorf("the item in the host's final review was not handed over as it stands: %+v", it)
	}
	if it := st.items["review"]; it.Status != StWaitingCollabReview || it.OrgID != "x" || it.Version != 1 {
		t.Errorf("the item at the collaborator stage was touched: %+v", it)
	}
	if it := st.items["host"]; it.Version != 1 {
		t.Errorf("the host's own item was touched: %+v", it)
	}
	// The partner's reviewer approves; the approval crosses.
	it := st.items["review"]
	it.Status, it.Version = StWaitingOwnerReview, 2
	st.items["review"] = it
	if rep := sweep(); rep.Stopped != 1 || st.stops != 1 {
		t.Fatalf("nothing left to finish, but not stopped: %+v, %d stops", rep, st.stops)
	}
	if it := st.items["review"]; it.Status != StWaitingOwnerReview || it.OrgID != "h" {
		t.Errorf("the finished review's item was not handed to the host: %+v", it)
	}
	// A partnership no longer ending (its end cleared by a stop meanwhile)
	// is not stopped by the sweep.
	st.partner.StoppingJob, st.stops = "job_9", 0
	if rep := sweep(); rep.Stopped != 0 || st.stops != 0 {
		t.Errorf("a stop under way was begun again: %+v", rep)
	}
}

// pagedEnding serves the list of ending partnerships in pages and records
// where each sweep asked from.
type pagedEnding struct {
	PartnerStore
	asked []string
}

func (s *pagedEnding) ListEndingPartners(_ context.Context, _ int, cursor string) ([][2]string, string, error) {
	s.asked = append(s.asked, cursor)
	if cursor == "" {
		return nil, "page-2", nil
	}
	return nil, "", nil
}

// Each sweep takes the next page of ending partnerships and starts over at
// the end: the head of the list never keeps the rest from being swept.
func TestSweepOfEndingPartnershipsGoesOnWhereItWas(t *testing.T) {
	st := &pagedEnding{}
	s := &Partners{store: st}
	for range 3 {
		if _, err := s.finishEnding(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(st.asked) != fmt.Sprint([]string{"", "page-2", ""}) {
		t.Fatalf("asked from %q", st.asked)
	}
}
