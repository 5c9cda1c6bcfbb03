package collab

import (
	"context"
	"time"
)

// Finishing a partnership (DELETE …/partners/{orgId}?inFlight=finish, SPEC
// §14; docs/guarded-stop.md). The partnership is marked ending
// (Partner.EndingSince, with its partner.ending audit entry): it stays live
// only so that its items already at the collaborator stage finish their
// review there, and takes no new work or people (tasks, assignments, pulls,
// members, groups, acceptances for that org). Its other in-flight items
// leave it at once: those it still works on return to the host as a stop
// returns them, and those in the host's final review stay there as the
// host's. When none is left at the collaborator stage, the partnership's
// stop begins (the same job as inFlight=return, with nothing left to
// return), checked after each review decision and crossing of its items
// and by the sweep, so a missed check still ends it.

// errEnding refuses new work or people for an ending partnership.
func errEnding(orgName string) error {
	return Errorf(CodeConflict, "the partnership of %s on this project is ending: it takes no new work or people", orgName)
}

// FinishWindow bounds an ending partnership: its end is set this long
// after the finish began (unless one is set earlier), so a partner that
// never decides its reviews cannot keep its access.
const FinishWindow = 7 * 24 * time.Hour

// The modes of a stop's in-flight items (?inFlight=).
const (
	InFlightReturn = "return"
	InFlightFinish = "finish"
)

// fate is what becomes of an item of an ending partnership.
type fate int

// The fates.
const (
	fateStays      fate = iota // not the partner's, or finished (done, skipped): untouched
	fateFinishes               // at the collaborator stage: its review finishes with the partner
	fateReturns                // back to the host, new and unassigned (as a stop returns it)
	fateHandedOver             // in the host's final review: stays there, now the host's item
)

// finishFate is the rule of an ending partnership orgID for one of the
// project's items (hostOrgID hosts it): an item at the collaborator stage
// (its approval still crossing included) finishes its review there; one in
// the host's final review is handed to the host as it stands, unless the
// host's rejection is crossing back (work for the partner: it returns);
// every other in-flight item returns to the host.
func finishFate(it Item, hostOrgID, orgID string) fate {
	if it.OrgID != orgID || it.OrgID == hostOrgID {
		return fateStays
	}
	switch it.Status {
	case StWaitingCollabReview:
		return fateFinishes
	case StWaitingOwnerReview:
		if it.PendingHandoff != "" {
			return fateReturns
		}
		return fateHandedOver
	}
	if _, ok := ReturnToHost(it.Status); ok {
		return fateReturns
	}
	return fateStays
}

// FinishTally is what finishing a partnership does (or would do, dry): the
// stop's figures for what returns to the host now, plus what is handed to
// the host in its final review and what still finishes its review with
// the partner. Members counts the memberships that end when it ends.
type FinishTally struct {
	StopTally
	HandedOver int
	Finishing  int
}

// Finished answers a finish: the partnership as it is now (ending), what
// was done at once, and the stop's job when nothing was left to finish.
type Finished struct {
	Partner Partner
	Tally   FinishTally
	Job     *Job
}

// FinishCollaboration ends orgID's partnership once its items at the
// collaborator stage finish their review: whoever may stop it (the same
// standing as StopCollaboration). Asked again while it is ending, it does
// what is left and answers the same; a stop under way is a conflict (a
// stop is never turned back into a finish).
func (s *Partners) FinishCollaboration(ctx context.Context, c Caller, projectID, orgID string) (Finished, error) {
	p, hostOwner, refused, err := s.stopStanding(ctx, c, projectID, orgID)
	if err == nil {
		err = refused
	}
	if err != nil {
		return Finished{}, err
	}
	var pa Partner
	for attempt := 1; ; attempt++ {
		if pa, err = s.stoppablePartner(ctx, p, orgID, hostOwner); err != nil {
			return Finished{}, err
		}
		if pa.StoppingJob != "" {
			return Finished{}, Errorf(CodeConflict, "the stop of this partner is under way: see /jobs/%s", pa.StoppingJob)
		}
		if pa.Ending() {
			break
		}
		since := s.clock.Now().UTC()
		// Finishing is bounded: at the latest FinishWindow later the
		// partnership ends by itself, whatever is left in its review (an
		// earlier end already set stays). Either way the end is the
		// host's from now on, so the partner can neither clear it nor
		// move it later while it finishes.
		deadline := since.Add(FinishWindow)
		if !pa.EndsAt.IsZero() && pa.EndsAt.Before(deadline) {
			deadline = pa.EndsAt
		}
		err = s.store.MarkPartnerEnding(ctx, pa, since, deadline, s.entry(ProjectScope(p.ID), c, orgID, "partner.ending", pa,
			map[string]any{"inFlight": InFlightFinish, "endingSince": since, "endsAt": deadline}))
		if err == nil {
			pa.EndingSince = since
			pa.EndsAt, pa.EndSetBy, pa.EndWarned = deadline, EndSetByHost, false
			pa.Version++
			break
		}
		if !IsCode(err, CodeConflict) || attempt == stopAttempts {
			return Finished{}, err
		}
	}
	t, err := s.settleEnding(ctx, p, orgID)
	if err != nil {
		return Finished{}, err
	}
	if t.Members, err = s.countMembers(ctx, p.ID, orgID); err != nil {
		return Finished{}, err
	}
	out := Finished{Partner: pa, Tally: t}
	if t.Finishing == 0 {
		j, err := s.beginStop(ctx, c, p, orgID, hostOwner, "partner.finished", Partner.Ending)
		if err != nil && err != errNotNow {
			return Finished{}, err
		}
		if err == nil {
			out.Job = &j
		}
	}
	return out, nil
}

// PreviewFinish answers what finishing orgID's partnership would do now,
// changing nothing (?dryRun=true&inFlight=finish).
func (s *Partners) PreviewFinish(ctx context.Context, c Caller, projectID, orgID string) (FinishTally, error) {
	st, err := s.PreviewStop(ctx, c, projectID, orgID)
	if err != nil {
		return FinishTally{}, err
	}
	p, _, err := s.rights.LoadStanding(ctx, projectID, "")
	if err != nil {
		return FinishTally{}, err
	}
	out := FinishTally{StopTally: StopTally{Members: st.Members, Items: map[ItemStatus]int{}}}
	err = s.eachEndingItem(ctx, p, orgID, MaxPageLimit, func(it Item) error {
		switch finishFate(it, p.HostOrgID, orgID) {
		case fateFinishes:
			out.Finishing++
		case fateHandedOver:
			out.HandedOver++
		case fateReturns:
			out.Items[it.Status]++
			if it.PendingHandoff != "" {
				out.PendingHandoffs++
			}
		}
		return nil
	})
	return out, err
}

// countMembers counts an org's project memberships.
func (s *Partners) countMembers(ctx context.Context, projectID, orgID string) (int, error) {
	n := 0
	for cursor := ""; ; {
		ms, next, err := s.store.ListProjectMembers(ctx, projectID, MemberFilter{OrgID: orgID}, Page{Limit: MaxPageLimit, Cursor: cursor})
		if err != nil {
			return 0, err
		}
		n += len(ms)
		if cursor = next; cursor == "" {
			return n, nil
		}
	}
}

// eachEndingItem reads, consistently, every in-flight item of the org page
// by page (listed from the index, each read again), and calls f with each
// as it is now.
func (s *Partners) eachEndingItem(ctx context.Context, p Project, orgID string, limit int, f func(Item) error) error {
	for _, st := range returnStatuses() {
		for cursor := ""; ; {
			page, next, err := s.store.ListItems(ctx, p.ID, st, orgID, "", Page{Limit: limit, Cursor: cursor})
			if err != nil {
				return err
			}
			if len(page) > 0 {
				ids := make([]string, len(page))
				for i, it := range page {
					ids[i] = it.ID
				}
				now, err := s.store.GetItems(ctx, p.ID, ids)
				if err != nil {
					return err
				}
				for _, id := range ids {
					if it, ok := now[id]; ok {
						if err := f(it); err != nil {
							return err
						}
					}
				}
			}
			if cursor = next; cursor == "" {
				break
			}
		}
	}
	return nil
}

// settleEnding applies the rule of an ending partnership to each of its
// in-flight items (finishFate): safe to repeat, it changes only what has
// not been changed yet. It answers what it did and how many items still
// finish their review with the partner.
func (s *Partners) settleEnding(ctx context.Context, p Project, orgID string) (FinishTally, error) {
	out := FinishTally{StopTally: StopTally{Items: map[ItemStatus]int{}}}
	err := s.eachEndingItem(ctx, p, orgID, JobChunk, func(it Item) error {
		from := it.Status
		f, pending, err := s.settleItem(ctx, p, orgID, it)
		switch {
		case err != nil:
			return err
		case f == fateFinishes:
			out.Finishing++
		case f == fateHandedOver:
			out.HandedOver++
		case f == fateReturns:
			out.Items[from]++
			if pending {
				out.PendingHandoffs++
			}
		}
		return nil
	})
	return out, err
}

// settleItem applies the rule to one item (as just read); a change that
// collides with another one of the item is tried again on a fresh read,
// whose fate is decided anew. It answers the fate applied, and whether a
// crossing of the item was dropped.
func (s *Partners) settleItem(ctx context.Context, p Project, orgID string, it Item) (fate, bool, error) {
	var err error
	for attempt := range returnAttempts {
		if attempt > 0 {
			got, gerr := s.store.GetItems(ctx, p.ID, []string{it.ID})
			if gerr != nil {
				return fateStays, false, gerr
			}
			var ok bool
			if it, ok = got[it.ID]; !ok {
				return fateStays, false, nil
			}
		}
		f := finishFate(it, p.HostOrgID, orgID)
		var ch ItemChange
		switch f {
		case fateReturns:
			t, _ := ReturnToHost(it.Status)
			ch = s.returnChange(p, orgID, it, t)
			ch.Event.Comment = "returned to the host: the partnership is ending"
		case fateHandedOver:
			ch = s.handOverChange(p, orgID, it)
		default:
			return f, false, nil
		}
		if err = s.store.ApplyItemChange(ctx, ch); err == nil {
			return f, it.PendingHandoff != "", nil
		}
		if !IsCode(err, CodeConflict) {
			return fateStays, false, err
		}
		select {
		case <-ctx.Done():
			return fateStays, false, ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
		}
	}
	return fateStays, false, err
}

// handOverChange hands an item in the host's final review to the host as
// it stands: the host's item now (out of the partner's task, unassigned),
// its status and annotation unchanged, so the host's decision on it is
// final (the review table's host-item rows).
func (s *Partners) handOverChange(p Project, orgID string, it Item) ItemChange {
	now := s.clock.Now()
	after := it
	after.OrgID, after.AssigneeID, after.TaskID, after.TaskKind, after.ReviewerID, after.SegmentStart = p.HostOrgID, "", "", "", "", now
	return ItemChange{Before: it, After: after, Event: &ItemEvent{ItemID: it.ID, ID: s.ids.New("ev"), From: it.Status, To: it.Status,
		OrgID: orgID, At: now, Comment: "handed to the host in its final review: the partnership is ending"}}
}

// finishIfDone settles an ending partnership and begins its stop, by the
// platform, when none of its items is left at the collaborator stage. A
// partnership no longer ending (stopped, gone, or its project gone) is
// forgotten by the sweep. It reports whether the stop began.
func (s *Partners) finishIfDone(ctx context.Context, projectID, orgID string) (bool, error) {
	p, _, err := s.rights.LoadStanding(ctx, projectID, "")
	if IsCode(err, CodeNotFound) {
		return false, s.store.ForgetEndingPartner(ctx, projectID, orgID)
	}
	if err != nil {
		return false, err
	}
	pa, err := s.store.GetPartnerRecord(ctx, projectID, orgID)
	if IsCode(err, CodeNotFound) || err == nil && (pa.StoppingJob != "" || !pa.Ending()) {
		return false, s.store.ForgetEndingPartner(ctx, projectID, orgID)
	}
	if err != nil {
		return false, err
	}
	t, err := s.settleEnding(ctx, p, orgID)
	if err != nil || t.Finishing > 0 {
		return false, err
	}
	_, err = s.beginStop(ctx, Caller{UserID: PlatformActor}, p, orgID, false, "partner.finished", Partner.Ending)
	if err == errNotNow {
		return false, nil
	}
	return err == nil, err
}

// finishEnding is the sweep's share of finishing: each ending partnership
// is settled and, when nothing is left to finish, stopped.
// Each sweep takes the next page of the list (the process remembers where
// it was, and starts over at the end), so partnerships still finishing at
// the head of the list never keep the later ones from being swept; and it
// stops short of its invocation's deadline.
func (s *Partners) finishEnding(ctx context.Context) (EndsReport, error) {
	s.endingPage.Lock()
	cursor := s.endingPage.cursor
	s.endingPage.Unlock()
	ending, next, err := s.store.ListEndingPartners(ctx, endsPerSweep, cursor)
	if err != nil && cursor != "" {
		ending, next, err = s.store.ListEndingPartners(ctx, endsPerSweep, "") // a stale cursor: from the start
	}
	if err != nil {
		return EndsReport{}, err
	}
	s.endingPage.Lock()
	s.endingPage.cursor = next
	s.endingPage.Unlock()
	return sweepEnds(ending, func(projectID, orgID string) (bool, bool, error) {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < sweepReserve {
			return false, false, nil // the next sweep goes on
		}
		stopped, err := s.finishIfDone(ctx, projectID, orgID)
		return false, stopped, err
	})
}

// sweepReserve is the time a sweep leaves of its invocation unused.
const sweepReserve = 5 * time.Second

// finishing checks, after a review decision or a crossing of the partner
// org orgID's item it (as written), whether that partnership is ending;
// if so it settles that item (a rejection's rework returns to the host at
// once), and when no other item is left in the partner's review, the
// whole partnership (finishIfDone, which begins the stop). Cheap on every
// decision: the partner's record, the item, and one short query; the full
// settle only at the end. Best effort: the sweep does it again. known,
// when the caller's standing already holds that org's partner record (a
// partner reviewer's decision), spares reading it again.
func (s *Relay) finishing(ctx context.Context, projectID, orgID string, it Item, known *Partner) {
	if s.ending == nil {
		return
	}
	var pa Partner
	if known != nil && known.OrgID == orgID && known.ProjectID == projectID {
		pa = *known
	} else {
		var err error
		if pa, err = s.ending.store.GetPartnerRecord(ctx, projectID, orgID); err != nil {
			return
		}
	}
	if !pa.Ending() || pa.StoppingJob != "" {
		return
	}
	p, _, err := s.rights.LoadStanding(ctx, projectID, "")
	if err != nil {
		return
	}
	if _, _, err := s.ending.settleItem(ctx, p, orgID, it); err != nil {
		return
	}
	if left, err := s.ending.reviewLeft(ctx, p, orgID, it.ID); err != nil || left {
		return
	}
	_, _ = s.ending.finishIfDone(ctx, projectID, orgID)
}

// reviewLeft reports whether an item of the org other than except is still
// at the collaborator stage (listed, then read: the index may lag).
func (s *Partners) reviewLeft(ctx context.Context, p Project, orgID, except string) (bool, error) {
	page, _, err := s.store.ListItems(ctx, p.ID, StWaitingCollabReview, orgID, "", Page{Limit: 2})
	if err != nil {
		return false, err
	}
	var ids []string
	for _, it := range page {
		if it.ID != except {
			ids = append(ids, it.ID)
		}
	}
	if len(ids) == 0 {
		return false, nil
	}
	now, err := s.store.GetItems(ctx, p.ID, ids)
	if err != nil {
		return false, err
	}
	for _, it := range now {
		if it.OrgID == orgID && it.Status == StWaitingCollabReview {
			return true, nil
		}
	}
	// What the index listed has moved on: the full settle decides.
	return false, nil
}
