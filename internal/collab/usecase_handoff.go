package collab

import (
	"context"
	"fmt"
	"time"
)

// Relay publishes the outbox and applies crossings that arrive through the handoff queue.
type Relay struct {
	base
	store     RelayStore
	publisher Publisher
}

// RelayStore is what the outbox relay and the handoff consumer need.
type RelayStore interface {
	GetItem(ctx context.Context, projectID, itemID string) (Item, error)
	ApplyItemChange(ctx context.Context, ch ItemChange) error
	ListOutbox(ctx context.Context, olderThan time.Time, limit int) ([]OutboxMessage, error)
	DeleteOutbox(ctx context.Context, m OutboxMessage) error
	GetTask(ctx context.Context, projectID, taskID string) (Task, error)
	GetProjectMember(ctx context.Context, projectID, userID string) (ProjectMember, error)
	ListProjectMembers(ctx context.Context, projectID string, f MemberFilter, p Page) ([]ProjectMember, string, error)
}

// Outbox queues.
const (
	QueueHandoff = "handoff"
	QueueMail    = "mail"
	// KindHandoff is the review-handoff queue's message.
	KindHandoff = "review.handoff"
	// KindMail is the mail queue's message: one email (MailBody).
	KindMail = "mail.send"
)

// reviewNoticesPerCrossing bounds the "waits for your review" mails one
// crossing writes to the outbox: they ride in the crossing's transaction
// (MaxTransactionItems). Reviewers beyond it are not mailed for this item;
// they see it in their review list.
const reviewNoticesPerCrossing = 20

// MailBody is the JSON body of a KindMail message, as the mailer reads it.
type MailBody struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
}

// Publisher relays outbox messages to their queues.
type Publisher interface {
	Publish(ctx context.Context, m OutboxMessage) error
}

// HandoffMessage crosses organizations: it moves an item from FromStatus
// (at FromVersion) to ToStatus by Event, a crossing row of the review
// table, if the item still waits for exactly this transition.
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
	// Event names the crossing row; a message written before messages
	// named it has none and is matched by its statuses.
	Event ReviewEvent `json:"event,omitempty"`
}

// relay publishes outbox messages at once, best effort: what fails stays in
// the outbox for RelayOutbox.
func (s *Relay) relay(ctx context.Context, msgs []OutboxMessage) {
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
func (s *Relay) RelayOutbox(ctx context.Context, age time.Duration) (int, error) {
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
// stopped and the item went back to the host) changes nothing, and neither
// does one naming an edge that is not a crossing row of the review table
// (CheckHandoff): both are done with, never retried.
func (s *Relay) Handoff(ctx context.Context, m HandoffMessage) error {
	if _, err := CheckHandoff(m); err != nil {
		return nil // not a crossing of the table: refused for good
	}
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
		ch.Stats = []StatDelta{{ProjectID: it.ProjectID, UserID: it.AssigneeID, TaskID: it.TaskID, Day: day(now),
			Counts: map[Counter]int{SecondsInCounter(it.Status): int(now.Sub(it.StatusSince).Seconds()), TimesInCounter(it.Status): 1}}}
	}
	ch.Outbox = s.notices(ctx, it, m.ToStatus, m.Comment, now)
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

// notices are the mails a crossing sends with it: the review digest to the
// host's reviewers when an item reaches them, the "sent back" mail to the
// annotator when the host's rejection arrives. A failure to read whom to
// tell never stops the crossing.
func (s *Relay) notices(ctx context.Context, it Item, to ItemStatus, comment string, now time.Time) []OutboxMessage {
	p, _, err := s.rights.LoadStanding(ctx, it.ProjectID, "")
	if err != nil {
		return nil
	}
	if to == StWaitingChange {
		return s.rejectedNotice(ctx, p, it, comment, now)
	}
	var t *Task
	if it.TaskID != "" {
		if got, err := s.store.GetTask(ctx, it.ProjectID, it.TaskID); err == nil {
			t = &got
		}
	}
	ms, _, err := s.store.ListProjectMembers(ctx, it.ProjectID, MemberFilter{OrgID: p.HostOrgID}, Page{Limit: MaxPageLimit})
	if err != nil {
		return nil
	}
	return s.reviewDigest(it, p, t, stageReviewers(ms, p, it, to), now)
}

// rejectedNotice tells the item's annotator their work came back.
func (s *Relay) rejectedNotice(ctx context.Context, p Project, it Item, comment string, now time.Time) []OutboxMessage {
	who := it.AssigneeID
	if who == "" {
		who = it.LastAnnotator
	}
	if who == "" {
		return nil
	}
	m, err := s.store.GetProjectMember(ctx, it.ProjectID, who)
	if err != nil {
		return nil
	}
	e, err := ComposeNotice(NoticeRejected, "rejected-"+it.ID+"-"+fmt.Sprint(it.Version), m.Email,
		RejectedNotice{ItemName: it.Name, ProjectName: p.Name, Comment: comment, Link: s.appLink("projects", p.ID, "items", it.ID)})
	if err != nil {
		return nil
	}
	return []OutboxMessage{mailMessage(e, now)}
}
