package collab

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Review carries items through the two-stage review.
type Review struct {
	base
	store ItemStore
	relay *Relay
}

// ItemStore is what the review use cases need.
type ItemStore interface {
	CreateItem(ctx context.Context, it Item) error
	GetItem(ctx context.Context, projectID, itemID string) (Item, error)
	// ListItems lists a project's items in one status, all of them or one
	// org's (the walled-off view), optionally only one assignee's.
	ListItems(ctx context.Context, projectID string, status ItemStatus, orgID, assigneeID string, p Page) ([]Item, string, error)
	ApplyItemChange(ctx context.Context, ch ItemChange) error
	// ListHistory and ListComments list from since on (zero: everything).
	ListHistory(ctx context.Context, itemID string, since time.Time, p Page) ([]ItemEvent, string, error)
	AddComment(ctx context.Context, c Comment) error
	ListComments(ctx context.Context, itemID string, since time.Time, p Page) ([]Comment, string, error)
	ReadAnalytics(ctx context.Context, projectID, userID, fromDay, toDay string) (Analytics, error)
	// ReadOrgReviewCounts sums the review metrics' counters per org.
	ReadOrgReviewCounts(ctx context.Context, projectID, fromDay, toDay string) (map[string]map[Counter]int, error)
	ListPartners(ctx context.Context, projectID string) ([]Partner, error)
	GetOrg(ctx context.Context, orgID string) (Org, error)
	GetProjectMember(ctx context.Context, projectID, userID string) (ProjectMember, error)
	ListProjectMembers(ctx context.Context, projectID string, f MemberFilter, p Page) ([]ProjectMember, string, error)
	GetTask(ctx context.Context, projectID, taskID string) (Task, error)
}

// seesItem: the host side (not annotators) sees every item; anyone else
// sees only their own org's items, and annotators only those assigned to
// them.
func (a Access) seesItem(it Item) bool {
	if a.Role == RoleAnnotator {
		return it.AssigneeID == a.Standing.UserID
	}
	return (a.Side == SideHost && a.Role.Rank() >= RoleAnnotationManager.Rank() && a.OrgID == a.Project.HostOrgID) || it.OrgID == a.OrgID
}

// segmentStart is where the caller's view of an item's history and
// comments begins: the host side sees all of it, an org the item came to
// only what happened since it came (a previous partner's work stays
// theirs).
func (a Access) segmentStart(it Item) time.Time {
	if a.Side == SideHost {
		return time.Time{}
	}
	return it.SegmentStart
}

// accessItem reads the caller's access and an item they may see.
func (s *Review) accessItem(ctx context.Context, c Caller, projectID, itemID string) (Access, Item, error) {
	p, st, it, err := s.rights.LoadItemStanding(ctx, projectID, itemID, c.UserID)
	if err != nil && !IsCode(err, CodeNotFound) {
		return Access{}, Item{}, err
	}
	e := st.Resolve()
	if p.ID == "" || e.None() {
		return Access{}, Item{}, Errorf(CodeNotFound, "project %q not found", projectID)
	}
	a := Access{Project: p, Standing: st, Effective: e}
	if err != nil || !a.seesItem(it) {
		return a, Item{}, Errorf(CodeNotFound, "item %q not found", itemID)
	}
	return a, it, nil
}

// apply writes a change and returns the item as written.
func (s *Review) apply(ctx context.Context, ch ItemChange) (Item, error) {
	if err := s.store.ApplyItemChange(ctx, ch); err != nil {
		return Item{}, err
	}
	s.relay.relay(ctx, ch.Outbox)
	ch.After.Version = ch.Before.Version + 1
	return ch.After, nil
}

// RegisterItem adds an item to a project (datasets.manage).
func (s *Review) RegisterItem(ctx context.Context, c Caller, projectID, name, fileRef string) (Item, error) {
	var v Validation
	name = CleanName("name", name, &v)
	if len(fileRef) > 2048 {
		v.Add("fileRef", "must be at most 2048 characters")
	}
	if err := v.Err(); err != nil {
		return Item{}, err
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return Item{}, err
	}
	if _, err := a.require(ActDatasetsManage); err != nil {
		return Item{}, err
	}
	now := s.clock.Now()
	it := Item{ID: s.ids.New("itm"), ProjectID: projectID, Name: name, FileRef: fileRef, Status: StNew, OrgID: a.Project.HostOrgID,
		StatusSince: now, CreatedAt: now, CreatedBy: c.UserID, Version: 1}
	return it, s.store.CreateItem(ctx, it)
}

// ListItems lists items in a status: the host's reviewers see all, partners
// only their own org's (from the per-org index), annotators only theirs.
func (s *Review) ListItems(ctx context.Context, c Caller, projectID string, status ItemStatus, p Page) ([]Item, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	if !status.Valid() {
		return nil, "", invalid("status", "must be one of the item statuses")
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return nil, "", err
	}
	org, assignee := "", ""
	if a.Role == RoleAnnotator {
		org, assignee = a.OrgID, c.UserID
	} else if !(a.Side == SideHost && a.OrgID == a.Project.HostOrgID) {
		org = a.OrgID
	}
	return s.store.ListItems(ctx, projectID, status, org, assignee, p)
}

// GetItem reads an item the caller may see.
func (s *Review) GetItem(ctx context.Context, c Caller, projectID, itemID string) (Item, error) {
	_, it, err := s.accessItem(ctx, c, projectID, itemID)
	return it, err
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// change builds a status change of it with its event, counters and audit.
func (s *Review) change(a Access, c Caller, it Item, to ItemStatus, comment string, counts map[Counter]int) ItemChange {
	now := s.clock.Now()
	after := it
	after.Status, after.StatusSince, after.PendingHandoff = to, now, ""
	ch := ItemChange{Before: it, After: after,
		Event: &ItemEvent{ItemID: it.ID, ID: s.ids.New("ev"), From: it.Status, To: to, ActorID: c.UserID, OrgID: a.OrgID, At: now, Comment: comment}}
	if it.AssigneeID != "" {
		if counts == nil {
			counts = map[Counter]int{}
		}
		counts[SecondsInCounter(it.Status)] += int(now.Sub(it.StatusSince).Seconds())
		counts[TimesInCounter(it.Status)]++
		ch.Stats = []StatDelta{{ProjectID: it.ProjectID, UserID: it.AssigneeID, TaskID: it.TaskID, Day: day(now), Counts: counts}}
	}
	return ch
}

// AssignItem gives an item to a project member who may annotate, or takes
// it back from its assignee (userID ""): owner, developer and
// project_manager anyone; an annotation_manager only annotators of their
// own org. An item in a task stays with the task's org; an item outside
// tasks moves to its assignee's org, starting a new history segment there.
func (s *Review) AssignItem(ctx context.Context, c Caller, projectID, itemID, userID string) (Item, error) {
	a, it, err := s.accessItem(ctx, c, projectID, itemID)
	if err != nil {
		return Item{}, err
	}
	g, err := a.require(ActTasksAssign)
	if err != nil {
		return Item{}, err
	}
	if g == OwnOrg && it.OrgID != a.OrgID {
		return Item{}, Errorf(CodeForbidden, "you assign only your own org's items")
	}
	if it.Status.InReview() || it.Status == StDone || it.Status == StSkipped || it.PendingHandoff != "" {
		return Item{}, Errorf(CodeConflict, "an item in %s cannot be reassigned", it.Status)
	}
	now := s.clock.Now()
	ch := ItemChange{Before: it, After: it,
		Event: &ItemEvent{ItemID: it.ID, ID: s.ids.New("ev"), From: it.Status, To: it.Status, ActorID: c.UserID, OrgID: a.OrgID, At: now}}
	if userID == "" {
		if it.AssigneeID == "" {
			return it, nil
		}
		ch.After.AssigneeID = ""
		ch.Event.Comment = "unassigned"
		return s.apply(ctx, ch)
	}
	_, st, err := s.rights.LoadStanding(ctx, projectID, userID)
	if err != nil {
		return Item{}, err
	}
	target := st.Resolve()
	if pa := st.Partner; pa != nil && target.Side == SideExternal && pa.OrgID == target.OrgID && pa.Ending() {
		return Item{}, errEnding(pa.OrgName)
	}
	// One answer for anyone the caller may not assign, inside or outside
	// their wall: it does not tell who is on the project (docs/security.md, invariant 5).
	if target.None() || !target.Can(ActAnnotationsEdit).Allowed() || (g == OwnOrg && (target.OrgID != a.OrgID || target.Role != RoleAnnotator)) ||
		(it.TaskID != "" && target.OrgID != it.OrgID) {
		return Item{}, invalid("userId", "is not an annotator you may assign on this project")
	}
	ch.Event.Comment = "assigned to " + userID
	ch.After.AssigneeID = userID
	if it.TaskID == "" && target.OrgID != it.OrgID {
		ch.After.OrgID, ch.After.SegmentStart = target.OrgID, now
	}
	ch.Stats = []StatDelta{{ProjectID: projectID, UserID: userID, TaskID: it.TaskID, Day: day(now), Counts: map[Counter]int{CountAssigned: 1}}}
	if m := st.Member; m != nil && m.Email != "" {
		e, err := ComposeNotice(NoticeAssigned, "assigned-"+it.ID+"-"+strconv.Itoa(it.Version+1)+"-"+userID, m.Email,
			AssignedNotice{What: it.Name, ProjectName: a.Project.Name, Link: s.appLink("projects", projectID, "items", it.ID)})
		if err == nil {
			ch.Outbox = append(ch.Outbox, mailMessage(e, now))
		}
	}
	return s.apply(ctx, ch)
}

// SaveAnnotation stores the item's annotation document; the first save of a
// new item moves it to in_progress.
func (s *Review) SaveAnnotation(ctx context.Context, c Caller, projectID, itemID string, doc []byte, ifVersion int) (Item, error) {
	if len(doc) > MaxAnnotationBytes {
		return Item{}, Errorf(CodeTooLarge, "the annotation document is larger than %d bytes", MaxAnnotationBytes)
	}
	if !json.Valid(doc) {
		return Item{}, invalid("body", "must be a JSON document")
	}
	a, it, err := s.accessItem(ctx, c, projectID, itemID)
	if err != nil {
		return Item{}, err
	}
	if ifVersion != 0 && ifVersion != it.Version {
		return Item{}, Errorf(CodeConflict, "the item is at version %d, not %d", it.Version, ifVersion)
	}
	to, err := a.afterSave(it)
	if err != nil {
		return Item{}, err
	}
	ch := s.change(a, c, it, to, "", nil)
	if to == it.Status {
		ch.Event, ch.Stats = nil, nil
		ch.After.StatusSince = it.StatusSince
	}
	ch.After.Annotation = doc
	if a.Role == RoleAnnotator || it.AssigneeID == c.UserID {
		ch.After.LastAnnotator = c.UserID
	}
	return s.apply(ctx, ch)
}

// SubmitItem sends an item to review: a partner org's item to its
// collaborator review, a host item to the host's review.
func (s *Review) SubmitItem(ctx context.Context, c Caller, projectID, itemID string) (Item, error) {
	a, it, err := s.accessItem(ctx, c, projectID, itemID)
	if err != nil {
		return Item{}, err
	}
	if a.endingPartnerItem(it) {
		// Its rework returns to the host (a rejection at the partner's
		// stage included): submitting would bring it back into review.
		return Item{}, errEnding(a.Standing.Partner.OrgName)
	}
	t, err := a.fire(CmdSubmit, it)
	if err != nil {
		return Item{}, err
	}
	ch := s.change(a, c, it, t.To, "", map[Counter]int{CountSubmitted: 1})
	if it.AssigneeID == "" {
		ch.Stats = nil
	}
	now := s.clock.Now()
	var digests []string
	ch.Outbox, digests = s.stageDigest(ctx, s.store, a.Project, it, t.To, now)
	done, err := s.apply(ctx, ch)
	if err == nil {
		s.memo.wrote(digests, now)
	}
	return done, err
}

// rejected is the "sent back to you" mail to the item's annotator.
func (s *Review) rejected(ctx context.Context, p Project, it Item, comment string) []OutboxMessage {
	return s.rejectedMail(ctx, s.store, p, it, comment, s.clock.Now())
}

// SkipItem skips a new or in-progress item (the assignee or a reviewer).
func (s *Review) SkipItem(ctx context.Context, c Caller, projectID, itemID string) (Item, error) {
	a, it, err := s.accessItem(ctx, c, projectID, itemID)
	if err != nil {
		return Item{}, err
	}
	t, err := a.fire(CmdSkip, it)
	if err != nil {
		return Item{}, err
	}
	ch := s.change(a, c, it, t.To, "", nil)
	return s.apply(ctx, ch)
}

// Reviewed is a review's outcome; Pending says the handoff is under way.
type Reviewed struct {
	Item    Item
	Pending bool
}

// ReviewItem approves or rejects (a reject needs a comment). The row of the
// review table the decision fires says who decides and where the item goes:
// at the collaborator stage the item's partner reviewers (host reviewers
// too when the project lets them bypass, approving for good); at the host
// stages host reviewers. A row marked Handoff (the partner's approval, the
// host's rejection of a partner's item) is recorded now and crosses to the
// other organization through the handoff queue.
func (s *Review) ReviewItem(ctx context.Context, c Caller, projectID, itemID, decision, comment string) (Reviewed, error) {
	comment = strings.TrimSpace(comment)
	var v Validation
	switch decision {
	case "approve":
	case "reject":
		if comment == "" {
			v.Add("comment", "is required to reject")
		}
	default:
		v.Add("decision", "must be approve or reject")
	}
	if len(comment) > 4000 {
		v.Add("comment", "must be at most 4000 characters")
	}
	if err := v.Err(); err != nil {
		return Reviewed{}, err
	}
	a, it, err := s.accessItem(ctx, c, projectID, itemID)
	if err != nil {
		return Reviewed{}, err
	}
	cmd := CmdApprove
	if decision == "reject" {
		cmd = CmdReject
	}
	// The row the decision fires: by the item's status and kind, the
	// project's settings and who the caller is (review_rules.go).
	t, err := a.decide(cmd, it)
	if err != nil {
		return Reviewed{}, err
	}
	counts := map[Counter]int{}
	if decision == "approve" {
		counts[CountApproved] = 1
	} else {
		counts[CountRejected] = 1
	}
	now := s.clock.Now()
	audit := &AuditEntry{Scope: ProjectScope(projectID), At: now, ID: s.ids.New("aud"), Actor: c.UserID, OrgID: a.OrgID,
		What: "item." + decision, Before: map[string]any{"itemId": it.ID, "status": it.Status},
		After: map[string]any{"itemId": it.ID, "comment": comment}}
	if !t.Handoff {
		ch := s.change(a, c, it, t.To, comment, counts)
		ch.Audit, ch.OrgReview = audit, orgReviewDelta(a, t, it, now)
		if t.To == StWaitingChange {
			ch.Outbox = s.rejected(ctx, a.Project, it, comment)
		}
		if err := s.store.ApplyItemChange(ctx, ch); err != nil {
			return Reviewed{}, err
		}
		s.relay.relay(ctx, ch.Outbox)
		ch.After.Version++
		if a.partnerItem(it) {
			// The last review of an ending partnership ends it.
			s.relay.finishing(ctx, projectID, it.OrgID, ch.After, a.Standing.Partner)
		}
		return Reviewed{Item: ch.After}, nil
	}
	// The decision is recorded now; the move happens on the other side,
	// through the outbox and the handoff queue.
	tid := s.ids.New("tr")
	msg := HandoffMessage{ProjectID: projectID, ItemID: it.ID, TransitionID: tid, FromStatus: it.Status, FromVersion: it.Version + 1,
		ToStatus: t.To, ActorID: c.UserID, OrgID: a.OrgID, Comment: comment, Event: t.Event}
	body, _ := json.Marshal(msg)
	after := it
	after.PendingHandoff = tid
	ch := ItemChange{Before: it, After: after, Audit: audit, OrgReview: orgReviewDelta(a, t, it, now),
		Outbox: []OutboxMessage{{ID: tid, Queue: QueueHandoff, Group: it.ID, Kind: KindHandoff, Body: body, At: now}}}
	if it.AssigneeID != "" {
		ch.Stats = []StatDelta{{ProjectID: projectID, UserID: it.AssigneeID, TaskID: it.TaskID, Day: day(now), Counts: counts}}
	}
	audit.What = "item." + decision + ".handoff"
	if err := s.store.ApplyItemChange(ctx, ch); err != nil {
		return Reviewed{}, err
	}
	after.Version++
	s.relay.relay(ctx, ch.Outbox)
	return Reviewed{Item: after, Pending: true}, nil
}

// History lists an item's transitions.
func (s *Review) History(ctx context.Context, c Caller, projectID, itemID string, p Page) ([]ItemEvent, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	a, it, err := s.accessItem(ctx, c, projectID, itemID)
	if err != nil {
		return nil, "", err
	}
	return s.store.ListHistory(ctx, itemID, a.segmentStart(it), p)
}

// AddComment comments on an item the caller sees (comments.create).
func (s *Review) AddComment(ctx context.Context, c Caller, projectID, itemID, text string) (Comment, error) {
	text = strings.TrimSpace(text)
	if text == "" || len(text) > 4000 {
		return Comment{}, invalid("text", "must be 1 to 4000 characters")
	}
	a, _, err := s.accessItem(ctx, c, projectID, itemID)
	if err != nil {
		return Comment{}, err
	}
	if _, err := a.require(ActCommentsCreate); err != nil {
		return Comment{}, err
	}
	cm := Comment{ID: s.ids.New("cmt"), ItemID: itemID, AuthorID: c.UserID, OrgID: a.OrgID, Text: text, At: s.clock.Now()}
	return cm, s.store.AddComment(ctx, cm)
}

// ListComments lists an item's comments.
func (s *Review) ListComments(ctx context.Context, c Caller, projectID, itemID string, p Page) ([]Comment, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	a, it, err := s.accessItem(ctx, c, projectID, itemID)
	if err != nil {
		return nil, "", err
	}
	return s.store.ListComments(ctx, itemID, a.segmentStart(it), p)
}

// AnalyticsDefaultDays is the span of a member's figures when no from is
// given (to defaults to today).
const AnalyticsDefaultDays = 30

// MemberAnalytics reads a member's figures over [from, to] (days), for
// whoever may view that member; zero dates take the defaults.
func (s *Review) MemberAnalytics(ctx context.Context, c Caller, projectID, userID string, from, to time.Time) (Analytics, error) {
	from, to, err := analyticsDays(from, to, s.clock.Now())
	if err != nil {
		return Analytics{}, err
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return Analytics{}, err
	}
	if userID != c.UserID {
		g, err := a.require(ActMembersView)
		if err != nil {
			return Analytics{}, err
		}
		m, err := s.store.GetProjectMember(ctx, projectID, userID)
		if err != nil {
			return Analytics{}, err
		}
		if g == OwnOrg && m.OrgID != a.OrgID {
			return Analytics{}, Errorf(CodeNotFound, "user %q is not a member of this project", userID)
		}
	}
	return s.store.ReadAnalytics(ctx, projectID, userID, day(from), day(to))
}
