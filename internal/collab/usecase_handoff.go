package collab

import (
	"context"
	"encoding/json"
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
func (s *Relay) notifyReviewers(ctx context.Context, it Item, now time.Time) []OutboxMessage {
	p, _, err := s.rights.LoadStanding(ctx, it.ProjectID, "")
	if err != nil {
		return nil
	}
	ms, _, err := s.store.ListProjectMembers(ctx, it.ProjectID, MemberFilter{OrgID: p.HostOrgID}, Page{Limit: MaxPageLimit})
	if err != nil {
		return nil
	}
	var out []OutboxMessage
	for _, m := range ms {
		if !finalReviewer(m.Role) || len(out) == reviewNoticesPerCrossing {
			continue
		}
		e, err := ComposeNotice(NoticeReviewWaits, "review-"+it.ID+"-"+fmt.Sprint(it.Version)+"-"+m.UserID, m.Email,
			ReviewWaitsNotice{ItemName: it.Name, ProjectName: p.Name, Link: s.cfg.PublicBaseURL + "/projects/" + p.ID + "/items/" + it.ID})
		if err != nil {
			continue
		}
		body, _ := json.Marshal(MailBody{To: e.To, Subject: e.Subject, Text: e.Text})
		out = append(out, OutboxMessage{ID: e.ID, Queue: QueueMail, Kind: KindMail, Body: body, At: now})
	}
	return out
}
