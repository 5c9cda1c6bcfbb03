package collab

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Outbox queues.
const (
	QueueHandoff = "handoff"
	QueueMail    = "mail"
	// KindHandoff is the review-handoff queue's message.
	KindHandoff = "review.handoff"
)

// Publisher relays outbox messages to their queues.
type Publisher interface {
	Publish(ctx context.Context, m OutboxMessage) error
}

// HandoffMessage crosses organizations: it moves an item from FromStatus
// (at FromVersion) to ToStatus, if the item still waits for exactly this
// transition.
type HandoffMessage struct {
	ProjectID    string     `json:"projectId"`
	ItemID       string     `json:"itemId"`
	TransitionID string     `json:"transitionId"`
	FromStatus   ItemStatus `json:"fromStatus"`
	FromVersion  int        `json:"fromVersion"`
	ToStatus     ItemStatus `json:"toStatus"`
	ActorID      string     `json:"actorId"`
	OrgID        string     `json:"orgId"`
	Comment      string     `json:"comment,omitempty"`
}

// finalReviewer: owner, developer and project_manager review for the host.
func finalReviewer(r Role) bool { return r.Rank() >= RoleProjectManager.Rank() }

// hostReviewer: a final reviewer acting for the host.
func (a Access) hostReviewer() bool { return a.Side == SideHost && finalReviewer(a.Role) }

// seesItem: the host side (not annotators) sees every item; anyone else
// sees only their own org's items, and annotators only those assigned to
// them.
func (a Access) seesItem(it Item) bool {
	if a.Role == RoleAnnotator {
		return it.AssigneeID == a.Standing.UserID
	}
	return (a.Side == SideHost && a.Role.Rank() >= RoleAnnotationManager.Rank() && a.OrgID == a.Project.HostOrgID) || it.OrgID == a.OrgID
}

// accessItem reads the caller's access and an item they may see.
func (s *Service) accessItem(ctx context.Context, c Caller, projectID, itemID string) (Access, Item, error) {
	p, st, it, err := s.store.LoadItemStanding(ctx, projectID, itemID, c.UserID)
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
func (s *Service) apply(ctx context.Context, ch ItemChange) (Item, error) {
	if err := s.store.ApplyItemChange(ctx, ch); err != nil {
		return Item{}, err
	}
	ch.After.Version = ch.Before.Version + 1
	return ch.After, nil
}

// RegisterItem adds an item to a project (datasets.manage).
func (s *Service) RegisterItem(ctx context.Context, c Caller, projectID, name, fileRef string) (Item, error) {
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
func (s *Service) ListItems(ctx context.Context, c Caller, projectID string, status ItemStatus, p Page) ([]Item, string, error) {
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
func (s *Service) GetItem(ctx context.Context, c Caller, projectID, itemID string) (Item, error) {
	_, it, err := s.accessItem(ctx, c, projectID, itemID)
	return it, err
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// change builds a status change of it with its event, counters and audit.
func (s *Service) change(a Access, c Caller, it Item, to ItemStatus, comment string, counts map[string]int) ItemChange {
	now := s.clock.Now()
	after := it
	after.Status, after.StatusSince, after.PendingHandoff = to, now, ""
	ch := ItemChange{Before: it, After: after,
		Event: &ItemEvent{ItemID: it.ID, ID: s.ids.New("ev"), From: it.Status, To: to, ActorID: c.UserID, OrgID: a.OrgID, At: now, Comment: comment}}
	if it.AssigneeID != "" {
		if counts == nil {
			counts = map[string]int{}
		}
		counts["sec_"+string(it.Status)] += int(now.Sub(it.StatusSince).Seconds())
		counts["n_"+string(it.Status)]++
		ch.Stats = []StatDelta{{ProjectID: it.ProjectID, UserID: it.AssigneeID, Day: day(now), Counts: counts}}
	}
	return ch
}

// AssignItem gives an item to a project member who may annotate:
// owner, developer and project_manager anyone; an annotation_manager only
// annotators of their own org.
func (s *Service) AssignItem(ctx context.Context, c Caller, projectID, itemID, userID string) (Item, error) {
	a, it, err := s.accessItem(ctx, c, projectID, itemID)
	if err != nil {
		return Item{}, err
	}
	g, err := a.require(ActTasksAssign)
	if err != nil {
		return Item{}, err
	}
	if it.Status.InReview() || it.Status == StDone || it.Status == StSkipped || it.PendingHandoff != "" {
		return Item{}, Errorf(CodeConflict, "an item in %s cannot be reassigned", it.Status)
	}
	_, st, err := s.store.LoadStanding(ctx, projectID, userID)
	if err != nil {
		return Item{}, err
	}
	target := st.Resolve()
	// One answer for anyone the caller may not assign, inside or outside
	// their wall: it does not tell who is on the project (SPEC §11.5).
	if target.None() || !target.Can(ActAnnotationsEdit).Allowed() || (g == OwnOrg && (target.OrgID != a.OrgID || target.Role != RoleAnnotator)) {
		return Item{}, invalid("userId", "is not an annotator you may assign on this project")
	}
	ch := s.change(a, c, it, it.Status, "", nil)
	ch.Event.Comment = "assigned to " + userID
	ch.Stats = nil
	ch.After.StatusSince = it.StatusSince
	ch.After.AssigneeID, ch.After.OrgID = userID, target.OrgID
	ch.Stats = []StatDelta{{ProjectID: projectID, UserID: userID, Day: day(s.clock.Now()), Counts: map[string]int{"assigned": 1}}}
	return s.apply(ctx, ch)
}

// canEdit says whether the caller may change the item's annotation now.
func (a Access) canEdit(it Item) bool {
	g := a.Can(ActAnnotationsEdit)
	switch {
	case !g.Allowed():
		return false
	case it.Status == StNew || it.Status == StInProgress || it.Status == StWaitingChange:
		return g == Allow || it.AssigneeID == a.Standing.UserID
	case it.Status == StWaitingCollabReview:
		// Host reviewers comment and edit here; the partner's reviewers too.
		return a.Role != RoleAnnotator && (a.hostReviewer() || it.OrgID == a.OrgID)
	case it.Status == StWaitingOwnerReview || it.Status == StWaitingReview:
		return a.Role != RoleAnnotator
	}
	return false
}

// SaveAnnotation stores the item's annotation document; the first save of a
// new item moves it to in_progress.
func (s *Service) SaveAnnotation(ctx context.Context, c Caller, projectID, itemID string, doc []byte, ifVersion int) (Item, error) {
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
	if !a.canEdit(it) {
		return Item{}, Errorf(CodeForbidden, "you may not edit this item now")
	}
	to := it.Status
	if it.Status == StNew {
		t, err := Next(StNew, EvAnnotate)
		if err != nil {
			return Item{}, err
		}
		to = t.To
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
func (s *Service) SubmitItem(ctx context.Context, c Caller, projectID, itemID string) (Item, error) {
	a, it, err := s.accessItem(ctx, c, projectID, itemID)
	if err != nil {
		return Item{}, err
	}
	partnerItem := it.OrgID != a.Project.HostOrgID
	ev := EvSubmitHost
	if partnerItem {
		ev = EvSubmitPartner
	}
	t, err := Next(it.Status, ev)
	if err != nil {
		return Item{}, err
	}
	reviewer := a.Can(ActItemsReview).Allowed() && ((partnerItem && a.OrgID == it.OrgID) || (!partnerItem && a.hostReviewer()))
	if it.AssigneeID != c.UserID && !reviewer {
		return Item{}, Errorf(CodeForbidden, "only the assignee or a reviewer of the item's org submits it")
	}
	ch := s.change(a, c, it, t.To, "", map[string]int{"submitted": 1})
	if it.AssigneeID == "" {
		ch.Stats = nil
	}
	return s.apply(ctx, ch)
}

// SkipItem skips a new or in-progress item (the assignee or a reviewer).
func (s *Service) SkipItem(ctx context.Context, c Caller, projectID, itemID string) (Item, error) {
	a, it, err := s.accessItem(ctx, c, projectID, itemID)
	if err != nil {
		return Item{}, err
	}
	t, err := Next(it.Status, EvSkip)
	if err != nil {
		return Item{}, err
	}
	if it.AssigneeID != c.UserID && !a.Can(ActItemsReview).Allowed() {
		return Item{}, Errorf(CodeForbidden, "only the assignee or a reviewer skips an item")
	}
	ch := s.change(a, c, it, t.To, "", nil)
	return s.apply(ctx, ch)
}

// Reviewed is a review's outcome; Pending says the handoff is under way.
type Reviewed struct {
	Item    Item
	Pending bool
}

// ReviewItem approves or rejects (a reject needs a comment). At the
// collaborator stage only the item's partner reviewers decide (host
// reviewers too when the project lets them bypass); the partner's approval
// crosses to the host through the handoff queue. At the host stages only
// host reviewers decide; rejecting a partner's item travels back the same
// way.
func (s *Service) ReviewItem(ctx context.Context, c Caller, projectID, itemID, decision, comment string) (Reviewed, error) {
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
	if _, err := a.require(ActItemsReview); err != nil {
		return Reviewed{}, err
	}
	if it.PendingHandoff != "" {
		return Reviewed{}, Errorf(CodeConflict, "the item's previous decision is still crossing to the other organization")
	}
	partnerItem := it.OrgID != a.Project.HostOrgID
	partnerReviewer := partnerItem && a.OrgID == it.OrgID && a.Side == SideExternal
	ev := EvReject
	if decision == "approve" {
		ev = EvApproveHost
		if it.Status == StWaitingCollabReview {
			ev = EvApprovePartner
		}
	}
	t, err := Next(it.Status, ev)
	if err != nil {
		return Reviewed{}, err
	}
	// Who may decide at this stage.
	bypass := false
	switch it.Status {
	case StWaitingCollabReview:
		if !partnerReviewer {
			if !a.hostReviewer() || !a.Project.HostMayBypassCollaboratorReview {
				return Reviewed{}, Errorf(CodeForbidden, "at the collaborator stage only the partner's reviewers decide")
			}
			bypass = true
		}
	default:
		if !a.hostReviewer() {
			return Reviewed{}, Errorf(CodeForbidden, "only the host's reviewers (owner, developer, project_manager) decide at this stage")
		}
	}
	counts := map[string]int{}
	if decision == "approve" {
		counts["approved"] = 1
	} else {
		counts["rejected"] = 1
	}
	now := s.clock.Now()
	audit := &AuditEntry{Scope: ProjectScope(projectID), At: now, ID: s.ids.New("aud"), Actor: c.UserID, OrgID: a.OrgID,
		What: "item." + decision, Before: map[string]any{"itemId": it.ID, "status": it.Status},
		After: map[string]any{"itemId": it.ID, "comment": comment}}
	to := t.To
	if bypass && decision == "approve" {
		to = StDone // the host, reviewing last, approves for good
	}
	crosses := (t.Handoff && !bypass) || (decision == "reject" && partnerItem && it.Status == StWaitingOwnerReview)
	if !crosses {
		ch := s.change(a, c, it, to, comment, counts)
		ch.Audit = audit
		if err := s.store.ApplyItemChange(ctx, ch); err != nil {
			return Reviewed{}, err
		}
		ch.After.Version++
		return Reviewed{Item: ch.After}, nil
	}
	// The decision is recorded now; the move happens on the other side,
	// through the outbox and the handoff queue.
	tid := s.ids.New("tr")
	msg := HandoffMessage{ProjectID: projectID, ItemID: it.ID, TransitionID: tid, FromStatus: it.Status, FromVersion: it.Version + 1,
		ToStatus: to, ActorID: c.UserID, OrgID: a.OrgID, Comment: comment}
	body, _ := json.Marshal(msg)
	after := it
	after.PendingHandoff = tid
	ch := ItemChange{Before: it, After: after, Audit: audit,
		Outbox: []OutboxMessage{{ID: tid, Queue: QueueHandoff, Group: it.ID, Kind: KindHandoff, Body: body, At: now}}}
	if it.AssigneeID != "" {
		ch.Stats = []StatDelta{{ProjectID: projectID, UserID: it.AssigneeID, Day: day(now), Counts: counts}}
	}
	audit.What = "item." + decision + ".handoff"
	if err := s.store.ApplyItemChange(ctx, ch); err != nil {
		return Reviewed{}, err
	}
	after.Version++
	s.relay(ctx, ch.Outbox)
	return Reviewed{Item: after, Pending: true}, nil
}

// relay publishes outbox messages at once, best effort: what fails stays in
// the outbox for RelayOutbox.
func (s *Service) relay(ctx context.Context, msgs []OutboxMessage) {
	if s.publisher == nil {
		return
	}
	for _, m := range msgs {
		if err := s.publisher.Publish(ctx, m); err != nil {
			continue
		}
		_ = s.store.DeleteOutbox(ctx, m)
	}
}

// RelayOutbox publishes every outbox message older than age and deletes it;
// run periodically, it guarantees that a change committed with a message
// reaches the queue even when the immediate publish failed. A message
// published twice is deduplicated (FIFO by transition id) or ignored (the
// consumer checks the item's state).
func (s *Service) RelayOutbox(ctx context.Context, age time.Duration) (int, error) {
	msgs, err := s.store.ListOutbox(ctx, s.clock.Now().Add(-age), 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range msgs {
		if err := s.publisher.Publish(ctx, m); err != nil {
			return n, fmt.Errorf("relay %s: %w", m.ID, err)
		}
		if err := s.store.DeleteOutbox(ctx, m); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Handoff applies a handoff message on the receiving side. A duplicate,
// replayed or stale message (the item moved on, was deleted, or its partner
// stopped and the item went back to the host) changes nothing.
func (s *Service) Handoff(ctx context.Context, m HandoffMessage) error {
	it, err := s.store.GetItem(ctx, m.ProjectID, m.ItemID)
	if IsCode(err, CodeNotFound) {
		return nil // the item (or its project) is gone
	}
	if err != nil {
		return err
	}
	if it.PendingHandoff != m.TransitionID || it.Version != m.FromVersion || it.Status != m.FromStatus {
		return nil // duplicate, replayed or stale
	}
	now := s.clock.Now()
	after := it
	after.Status, after.StatusSince, after.PendingHandoff = m.ToStatus, now, ""
	ch := ItemChange{Before: it, After: after,
		Event: &ItemEvent{ItemID: it.ID, ID: s.ids.New("ev"), From: it.Status, To: m.ToStatus, ActorID: m.ActorID, OrgID: m.OrgID, At: now, Comment: m.Comment},
		Audit: &AuditEntry{Scope: ProjectScope(m.ProjectID), At: now, ID: s.ids.New("aud"), Actor: m.ActorID, OrgID: m.OrgID,
			What: "item.handoff", Before: map[string]any{"itemId": it.ID, "status": it.Status}, After: map[string]any{"itemId": it.ID, "status": m.ToStatus, "transitionId": m.TransitionID}}}
	if it.AssigneeID != "" {
		ch.Stats = []StatDelta{{ProjectID: it.ProjectID, UserID: it.AssigneeID, Day: day(now),
			Counts: map[string]int{"sec_" + string(it.Status): int(now.Sub(it.StatusSince).Seconds()), "n_" + string(it.Status): 1}}}
	}
	if m.ToStatus == StWaitingOwnerReview {
		ch.Outbox = s.notifyReviewers(ctx, it, now)
	}
	if err := s.store.ApplyItemChange(ctx, ch); err != nil {
		if !IsCode(err, CodeConflict) {
			return err
		}
		// Stale only if the item really moved on; a transaction that merely
		// collided with another (a shared counter, say) must be retried.
		now, gerr := s.store.GetItem(ctx, m.ProjectID, m.ItemID)
		if IsCode(gerr, CodeNotFound) || (gerr == nil && (now.Version != it.Version || now.PendingHandoff != m.TransitionID)) {
			return nil
		}
		return fmt.Errorf("handoff %s: %w", m.TransitionID, err)
	}
	s.relay(ctx, ch.Outbox)
	return nil
}

// notifyReviewers builds one mail per host reviewer of the project (at most
// 20) telling them an item waits for their review.
func (s *Service) notifyReviewers(ctx context.Context, it Item, now time.Time) []OutboxMessage {
	p, _, err := s.store.LoadStanding(ctx, it.ProjectID, "")
	if err != nil {
		return nil
	}
	ms, _, err := s.store.ListProjectMembers(ctx, it.ProjectID, MemberFilter{OrgID: p.HostOrgID}, Page{Limit: MaxPageLimit})
	if err != nil {
		return nil
	}
	var out []OutboxMessage
	for _, m := range ms {
		if !finalReviewer(m.Role) || len(out) == 20 {
			continue
		}
		body, _ := json.Marshal(map[string]string{"to": m.Email, "subject": fmt.Sprintf("%q waits for your review", it.Name),
			"text": fmt.Sprintf("Hello,\n\nThe partner approved %q in project %q; it now waits for your review.\n\n%s/projects/%s/items/%s\n",
				it.Name, p.Name, s.cfg.PublicBaseURL, p.ID, it.ID)})
		out = append(out, OutboxMessage{ID: "review-" + it.ID + "-" + fmt.Sprint(it.Version) + "-" + m.UserID, Queue: QueueMail, Kind: "mail.send", Body: body, At: now})
	}
	return out
}

// History lists an item's transitions.
func (s *Service) History(ctx context.Context, c Caller, projectID, itemID string, p Page) ([]ItemEvent, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	if _, err := s.GetItem(ctx, c, projectID, itemID); err != nil {
		return nil, "", err
	}
	return s.store.ListHistory(ctx, itemID, p)
}

// AddComment comments on an item the caller sees (comments.create).
func (s *Service) AddComment(ctx context.Context, c Caller, projectID, itemID, text string) (Comment, error) {
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
func (s *Service) ListComments(ctx context.Context, c Caller, projectID, itemID string, p Page) ([]Comment, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	if _, err := s.GetItem(ctx, c, projectID, itemID); err != nil {
		return nil, "", err
	}
	return s.store.ListComments(ctx, itemID, p)
}

// ProjectAudit lists the project's audit entries (audit.view): the host's
// all of them, a partner's only those about its own org.
func (s *Service) ProjectAudit(ctx context.Context, c Caller, projectID string, p Page) ([]AuditEntry, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return nil, "", err
	}
	g, err := a.require(ActAuditView)
	if err != nil {
		return nil, "", err
	}
	org := ""
	if g == OwnOrg {
		org = a.OrgID // a partner reads the entries about its own org
	}
	return s.store.ListAudit(ctx, ProjectScope(projectID), org, p)
}

// MemberAnalytics reads a member's figures over [from, to] (days), for
// whoever may view that member.
func (s *Service) MemberAnalytics(ctx context.Context, c Caller, projectID, userID string, from, to time.Time) (Analytics, error) {
	if to.Before(from) {
		return Analytics{}, invalid("to", "must not be before from")
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

// SetReviewPolicy sets hostMayBypassCollaboratorReview (project.settings).
func (s *Service) SetReviewPolicy(ctx context.Context, c Caller, projectID string, bypass bool) (Project, error) {
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return Project{}, err
	}
	if _, err := a.require(ActProjectSettings); err != nil {
		return Project{}, err
	}
	p := a.Project
	p.HostMayBypassCollaboratorReview = bypass
	return s.store.SetProjectSettings(ctx, p, s.entry(ProjectScope(projectID), c, p.HostOrgID, "project.settings_changed",
		map[string]any{"hostMayBypassCollaboratorReview": a.Project.HostMayBypassCollaboratorReview},
		map[string]any{"hostMayBypassCollaboratorReview": bypass}))
}
