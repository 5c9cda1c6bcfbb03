package collab

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// Fixtures: a project hosted by orgHost with partners orgX and orgY.
const (
	tOrgHost = "org_host"
	tOrgX    = "org_x"
	tOrgY    = "org_y"
)

// reviewActor is one kind of caller on the project.
type reviewActor struct {
	name string
	role Role
	side Side
	org  string
	user string
}

var reviewActors = []reviewActor{
	{"host owner", RoleOwner, SideHost, tOrgHost, "u_owner"},
	{"host developer", RoleDeveloper, SideHost, tOrgHost, "u_dev"},
	{"host project_manager", RoleProjectManager, SideHost, tOrgHost, "u_pm"},
	{"host annotation_manager", RoleAnnotationManager, SideHost, tOrgHost, "u_amh"},
	{"host annotator, assignee of the host item", RoleAnnotator, SideHost, tOrgHost, "u_annh"},
	{"host annotator, not the assignee", RoleAnnotator, SideHost, tOrgHost, "u_annh2"},
	{"partner X developer", RoleDeveloper, SideExternal, tOrgX, "u_devx"},
	{"partner X annotation_manager", RoleAnnotationManager, SideExternal, tOrgX, "u_amx"},
	{"partner X annotator, assignee of the partner item", RoleAnnotator, SideExternal, tOrgX, "u_annx"},
	{"partner X annotator, not the assignee", RoleAnnotator, SideExternal, tOrgX, "u_annx2"},
	{"partner Y annotation_manager", RoleAnnotationManager, SideExternal, tOrgY, "u_amy"},
	{"partner Y annotator", RoleAnnotator, SideExternal, tOrgY, "u_anny"},
}

func (k reviewActor) access(bypass bool) Access {
	return Access{
		Project:   Project{ID: "prj", HostOrgID: tOrgHost, HostMayBypassCollaboratorReview: bypass},
		Standing:  Standing{ProjectID: "prj", HostOrgID: tOrgHost, UserID: k.user},
		Effective: Effective{Role: k.role, Side: k.side, OrgID: k.org},
	}
}

// reviewItems: a host item, an unassigned host item, partner X's item.
var reviewItems = []struct {
	name     string
	org      string
	assignee string
}{
	{"host item", tOrgHost, "u_annh"},
	{"unassigned host item", tOrgHost, ""},
	{"partner item", tOrgX, "u_annx"},
}

var reviewCommands = []Command{CmdSave, CmdSubmit, CmdApprove, CmdReject, CmdSkip}

// outcome is what a command does: the status it leads to and whether it
// crosses through the handoff queue, or the error code and detail.
type outcome struct {
	to      ItemStatus
	crosses bool
	code    Code
	msg     string
}

func (o outcome) String() string {
	if o.code != "" {
		return fmt.Sprintf("%s %q", o.code, o.msg)
	}
	if o.crosses {
		return string(o.to) + " through the handoff queue"
	}
	return string(o.to)
}

// oldOutcome is the review code before its rules became rows, transcribed
// from its if/else (Next over the old table, the bypass and "crosses" in
// ReviewItem, the hand-written who checks): the refactoring must keep every
// answer, bar the wording of a 409 for a command no row allows.
func oldOutcome(a Access, cmd Command, it Item) outcome {
	type edge struct {
		to      ItemStatus
		handoff bool
	}
	oldTable := map[ItemStatus]map[ReviewEvent]edge{
		StNew:                 {EvAnnotate: {StInProgress, false}, EvSubmitPartner: {StWaitingCollabReview, false}, EvSubmitHost: {StWaitingReview, false}, EvSkip: {StSkipped, false}},
		StInProgress:          {EvSubmitPartner: {StWaitingCollabReview, false}, EvSubmitHost: {StWaitingReview, false}, EvSkip: {StSkipped, false}},
		StWaitingChange:       {EvSubmitPartner: {StWaitingCollabReview, false}, EvSubmitHost: {StWaitingReview, false}},
		StWaitingCollabReview: {EvApprovePartner: {StWaitingOwnerReview, true}, EvReject: {StWaitingChange, false}},
		StWaitingReview:       {EvApproveHost: {StDone, false}, EvReject: {StWaitingChange, false}},
		StWaitingOwnerReview:  {EvApproveHost: {StDone, false}, EvReject: {StWaitingChange, false}},
	}
	conflict := outcome{code: CodeConflict}
	forbid := func(msg string) outcome { return outcome{code: CodeForbidden, msg: msg} }
	user := a.Standing.UserID
	// The host reviewers of the review workflow: every host member whose
	// role has items.review, annotation managers included.
	hostReviewer := a.Side == SideHost && a.Role.Rank() >= RoleAnnotationManager.Rank()
	partnerItem := it.OrgID != a.Project.HostOrgID
	canEdit := func() bool {
		g := a.Can(ActAnnotationsEdit)
		switch {
		case !g.Allowed():
			return false
		case it.Status == StNew || it.Status == StInProgress || it.Status == StWaitingChange:
			return g == Allow || it.AssigneeID == user
		case it.Status == StWaitingCollabReview:
			return a.Role != RoleAnnotator && (hostReviewer || it.OrgID == a.OrgID)
		case it.Status == StWaitingOwnerReview || it.Status == StWaitingReview:
			return a.Role != RoleAnnotator
		}
		return false
	}
	switch cmd {
	case CmdSave:
		if !canEdit() {
			return forbid("you may not edit this item now")
		}
		if it.Status == StNew {
			return outcome{to: StInProgress}
		}
		return outcome{to: it.Status}
	case CmdSubmit:
		ev := EvSubmitHost
		if partnerItem {
			ev = EvSubmitPartner
		}
		e, ok := oldTable[it.Status][ev]
		if !ok {
			return conflict
		}
		reviewer := a.Can(ActItemsReview).Allowed() && ((partnerItem && a.OrgID == it.OrgID) || (!partnerItem && hostReviewer))
		if it.AssigneeID != user && !reviewer {
			return forbid("only the assignee or a reviewer of the item's org submits it")
		}
		return outcome{to: e.to}
	case CmdSkip:
		e, ok := oldTable[it.Status][EvSkip]
		if !ok {
			return conflict
		}
		if it.AssigneeID != user && !a.Can(ActItemsReview).Allowed() {
			return forbid("only the assignee or a reviewer skips an item")
		}
		return outcome{to: e.to}
	}
	// ReviewItem.
	if !a.Can(ActItemsReview).Allowed() {
		return forbid(fmt.Sprintf("role %s may not %s", a.Role, ActItemsReview))
	}
	if it.PendingHandoff != "" {
		return outcome{code: CodeConflict, msg: "the item's previous decision is still crossing to the other organization"}
	}
	partnerReviewer := partnerItem && a.OrgID == it.OrgID && a.Side == SideExternal
	ev := EvReject
	if cmd == CmdApprove {
		ev = EvApproveHost
		if it.Status == StWaitingCollabReview {
			ev = EvApprovePartner
		}
	}
	e, ok := oldTable[it.Status][ev]
	if !ok {
		return conflict
	}
	bypass := false
	switch it.Status {
	case StWaitingCollabReview:
		if !partnerReviewer {
			if !hostReviewer || !a.Project.HostMayBypassCollaboratorReview {
				return forbid("at the collaborator stage only the partner's reviewers decide")
			}
			bypass = true
		}
	default:
		if !hostReviewer {
			return forbid("only the host's reviewers decide at this stage")
		}
	}
	to := e.to
	if bypass && cmd == CmdApprove {
		to = StDone
	}
	crosses := (e.handoff && !bypass) || (cmd == CmdReject && partnerItem && it.Status == StWaitingOwnerReview)
	return outcome{to: to, crosses: crosses}
}

// newOutcome is what the review use cases decide now, through the table.
func newOutcome(a Access, cmd Command, it Item) (outcome, Transition) {
	var t Transition
	var err error
	switch cmd {
	case CmdSave:
		var to ItemStatus
		if to, err = a.afterSave(it); err == nil {
			return outcome{to: to}, Transition{}
		}
	case CmdSubmit, CmdSkip:
		t, err = a.fire(cmd, it)
	default:
		t, err = a.decide(cmd, it)
	}
	if err != nil {
		var e *Error
		errors.As(err, &e)
		return outcome{code: e.Code, msg: e.Message}, t
	}
	return outcome{to: t.To, crosses: t.Handoff}, t
}

// Every status × command × actor kind × item kind × bypass setting (and a
// pending handoff): the table decides exactly what the old code did, no
// two rows fire for the same call, and the fired row is the one the
// command, status and item name.
func TestWhoMayFireEveryTransition(t *testing.T) {
	n := 0
	for _, bypass := range []bool{false, true} {
		for _, st := range ItemStatuses {
			for _, ik := range reviewItems {
				for _, pending := range []string{"", "tr_pending"} {
					it := Item{ID: "itm", ProjectID: "prj", Status: st, OrgID: ik.org, AssigneeID: ik.assignee, PendingHandoff: pending}
					for _, ak := range reviewActors {
						a := ak.access(bypass)
						for _, cmd := range reviewCommands {
							n++
							firing := 0
							for _, tr := range Transitions {
								if tr.Command == cmd && a.mayFire(tr, it) {
									firing++
								}
							}
							if firing > 1 {
								t.Errorf("%s: %s on a %s in %s (bypass %v): %d rows fire", ak.name, cmd, ik.name, st, bypass, firing)
							}
							want := oldOutcome(a, cmd, it)
							got, row := newOutcome(a, cmd, it)
							if want.code == CodeConflict && want.msg == "" {
								got.msg = "" // the wording of "no row" may differ
							}
							if got != want {
								t.Errorf("%s: %s on a %s in %s (bypass %v, pending %q): %v, want %v", ak.name, cmd, ik.name, st, bypass, pending, got, want)
								continue
							}
							if got.code == "" && cmd != CmdSave && (row.Command != cmd || !a.mayFire(row, it)) {
								t.Errorf("%s: %s on a %s in %s fired %+v", ak.name, cmd, ik.name, st, row)
							}
						}
					}
				}
			}
		}
	}
	if n != 2*len(ItemStatuses)*len(reviewItems)*2*len(reviewActors)*len(reviewCommands) {
		t.Fatalf("%d cases", n)
	}
}

// The rules the table exists for, spelled out.
func TestBypassAndCrossingRows(t *testing.T) {
	pm, amX, amH, amY := reviewActors[2], reviewActors[7], reviewActors[3], reviewActors[10]
	partner := Item{Status: StWaitingCollabReview, OrgID: tOrgX, AssigneeID: "u_annx"}
	owner := partner
	owner.Status = StWaitingOwnerReview
	hostOwner := owner
	hostOwner.OrgID, hostOwner.AssigneeID = tOrgHost, "u_annh"
	cases := []struct {
		who    reviewActor
		bypass bool
		cmd    Command
		it     Item
		want   string // "event>to", "event>to handoff", or an error code
	}{
		// The bypass: only a host reviewer, only with the setting on.
		{pm, false, CmdApprove, partner, "forbidden"},
		{pm, true, CmdApprove, partner, "approve_bypass>done"},
		{pm, false, CmdReject, partner, "forbidden"},
		{pm, true, CmdReject, partner, "reject>waiting_for_change"},
		{amH, true, CmdApprove, partner, "approve_bypass>done"}, // a host reviewer, with the bypass on
		// The partner's reviewers decide whatever the setting; approval crosses.
		{amX, false, CmdApprove, partner, "approve_partner>waiting_for_owner_review handoff"},
		{amX, true, CmdApprove, partner, "approve_partner>waiting_for_owner_review handoff"},
		{amX, true, CmdReject, partner, "reject>waiting_for_change"},
		{amY, true, CmdApprove, partner, "forbidden"},
		// The host's rejection crosses back only for a partner's item.
		{pm, false, CmdReject, owner, "reject>waiting_for_change handoff"},
		{pm, false, CmdReject, hostOwner, "reject>waiting_for_change"},
		{pm, true, CmdApprove, owner, "approve_host>done"},
		{amX, true, CmdApprove, owner, "forbidden"},
		// A host annotation manager reviews at the host stages too.
		{amH, false, CmdReject, owner, "reject>waiting_for_change handoff"},
	}
	for _, c := range cases {
		tr, err := c.who.access(c.bypass).decide(c.cmd, c.it)
		got := string(ErrorCode(err))
		if err == nil {
			got = string(tr.Event) + ">" + string(tr.To)
			if tr.Handoff {
				got += " handoff"
			}
		}
		if got != c.want {
			t.Errorf("%s %s on %s/%s (bypass %v): %s, want %s", c.who.name, c.cmd, c.it.OrgID, c.it.Status, c.bypass, got, c.want)
		}
	}
}

// CheckHandoff admits exactly the crossing rows, by event or (for old
// messages) by statuses alone; every other from × to × event is refused.
func TestCheckHandoffAdmitsOnlyCrossingRows(t *testing.T) {
	want := map[string]ReviewEvent{
		"waiting_for_collaborator_review>waiting_for_owner_review": EvApprovePartner,
		"waiting_for_owner_review>waiting_for_change":              EvReject,
	}
	for _, from := range ItemStatuses {
		for _, to := range ItemStatuses {
			for _, ev := range append([]ReviewEvent{"", "bogus"}, ReviewEvents...) {
				m := HandoffMessage{ProjectID: "prj", ItemID: "itm", TransitionID: "tr", FromStatus: from, ToStatus: to, Event: ev}
				tr, err := CheckHandoff(m)
				wev, crossing := want[string(from)+">"+string(to)]
				ok := crossing && (ev == "" || ev == wev)
				if ok != (err == nil) {
					t.Errorf("%s > %s by %q: err %v, want admitted=%v", from, to, ev, err, ok)
					continue
				}
				if err != nil {
					if ErrorCode(err) != CodeConflict {
						t.Errorf("%s > %s by %q: %v, want conflict", from, to, ev, err)
					}
					continue
				}
				if !tr.Handoff || tr.Event != wev || tr.To != to {
					t.Errorf("%s > %s by %q matched %+v", from, to, ev, tr)
				}
			}
		}
	}
}

// --- the handoff consumer against the table, on fakes -----------------------

type handoffStore struct {
	RelayStore
	items   map[string]Item
	reads   int
	applied []ItemChange
}

func (f *handoffStore) GetItem(_ context.Context, _, itemID string) (Item, error) {
	f.reads++
	it, ok := f.items[itemID]
	if !ok {
		return Item{}, Errorf(CodeNotFound, "item %q not found", itemID)
	}
	return it, nil
}

func (f *handoffStore) ApplyItemChange(_ context.Context, ch ItemChange) error {
	f.applied = append(f.applied, ch)
	return nil
}

type handoffRights struct{ RightsStore }

func (handoffRights) LoadStanding(context.Context, string, string) (Project, Standing, error) {
	return Project{}, Standing{}, errors.New("not in this test")
}

type handoffClock struct{}

func (handoffClock) Now() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

type handoffIDs struct{ n *int }

func (s handoffIDs) New(prefix string) string { *s.n++; return fmt.Sprintf("%s_%d", prefix, *s.n) }

// A message whose item waits for exactly it is still refused, and changes
// nothing, unless it names a crossing row; a crossing row's message is
// applied, with or without its event name.
func TestHandoffConsumerValidatesAgainstTheTable(t *testing.T) {
	waiting := func(st ItemStatus) Item {
		return Item{ID: "itm", ProjectID: "prj", Status: st, OrgID: tOrgX, AssigneeID: "u_annx", PendingHandoff: "tr", Version: 7}
	}
	msg := func(from, to ItemStatus, ev ReviewEvent) HandoffMessage {
		return HandoffMessage{ProjectID: "prj", ItemID: "itm", TransitionID: "tr", FromStatus: from, FromVersion: 7, ToStatus: to, Event: ev,
			ActorID: "u_pm", OrgID: tOrgHost}
	}
	cases := []struct {
		name    string
		it      Item
		m       HandoffMessage
		applied bool
	}{
		{"the host's final approval is no crossing", waiting(StWaitingOwnerReview), msg(StWaitingOwnerReview, StDone, EvApproveHost), false},
		{"nor is it without an event", waiting(StWaitingOwnerReview), msg(StWaitingOwnerReview, StDone, ""), false},
		{"the bypass is no crossing", waiting(StWaitingCollabReview), msg(StWaitingCollabReview, StDone, EvApproveBypass), false},
		{"a partner's rejection is no crossing", waiting(StWaitingCollabReview), msg(StWaitingCollabReview, StWaitingChange, EvReject), false},
		{"a crossing edge under another event", waiting(StWaitingCollabReview), msg(StWaitingCollabReview, StWaitingOwnerReview, EvApproveHost), false},
		{"an edge of no row", waiting(StNew), msg(StNew, StDone, ""), false},
		{"the partner's approval", waiting(StWaitingCollabReview), msg(StWaitingCollabReview, StWaitingOwnerReview, EvApprovePartner), true},
		{"the host's rejection of a partner's item", waiting(StWaitingOwnerReview), msg(StWaitingOwnerReview, StWaitingChange, EvReject), true},
		{"an old message without its event", waiting(StWaitingOwnerReview), msg(StWaitingOwnerReview, StWaitingChange, ""), true},
	}
	for _, c := range cases {
		n := 0
		st := &handoffStore{items: map[string]Item{"itm": c.it}}
		r := &Relay{base: base{rights: handoffRights{}, clock: handoffClock{}, ids: handoffIDs{&n}}, store: st}
		if err := r.Handoff(context.Background(), c.m); err != nil {
			t.Errorf("%s: %v (a refused message must not be retried)", c.name, err)
			continue
		}
		if c.applied != (len(st.applied) == 1) {
			t.Errorf("%s: %d changes applied, want applied=%v", c.name, len(st.applied), c.applied)
			continue
		}
		if !c.applied {
			if st.reads != 0 {
				t.Errorf("%s: a refused message read the item", c.name)
			}
			continue
		}
		if ch := st.applied[0]; ch.After.Status != c.m.ToStatus || ch.After.PendingHandoff != "" || ch.Event.From != c.m.FromStatus || ch.Event.To != c.m.ToStatus {
			t.Errorf("%s: applied %+v", c.name, ch)
		}
	}
}
