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
	// ending settles an ending partnership after a crossing of its items
	// (partnerfinish.go).
	ending *Partners
}

// RelayStore is what the outbox relay and the handoff consumer need.
type RelayStore interface {
	GetItem(ctx context.Context, projectID, itemID string) (Item, error)
	ApplyItemChange(ctx context.Context, ch ItemChange) error
	ListOutbox(ctx context.Context, olderThan time.Time, limit int) ([]OutboxMessage, error)
	DeleteOutbox(ctx context.Context, m OutboxMessage) error
	// OutboxFailed counts a failed publish on the message's row, with its
	// error, and returns the attempts so far; a row gone meanwhile (relayed
	// by another sweep) counts 0.
	OutboxFailed(ctx context.Context, m OutboxMessage, cause string) (attempts int, err error)
	// ParkOutbox moves the message to the dead-letter outbox, out of the
	// relay's way, for an operator to look at.
	ParkOutbox(ctx context.Context, m OutboxMessage, attempts int, cause string) error
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

// OutboxMaxAttempts is how many sweeps try to publish an outbox message
// before it is parked in the dead-letter outbox.
const OutboxMaxAttempts = 5

// outboxSweepLimit is how many messages one sweep reads.
const outboxSweepLimit = 100

// RelayReport is what one sweep of the outbox did.
type RelayReport struct {
	Relayed int // published and deleted
	Failed  int // not published this sweep (each counted on its row)
	Parked  int // of the failed, moved to the dead-letter outbox
	Held    int // held back behind a failed message of their FIFO group
	// Errors are the failures, one line each ("<message id>: <error>").
	Errors []string
}

// RelayOutbox publishes every outbox message older than age and deletes it;
// run periodically, it guarantees that a change committed with a message
// reaches the queue even when the immediate publish failed. A message
// published twice is deduplicated (FIFO by transition id) or ignored (the
// consumer checks the item's state).
//
// A message that cannot be published is skipped, so it blocks no other:
// its failure is counted on its row, and after OutboxMaxAttempts sweeps it
// is parked in the dead-letter outbox. Only the later messages of its own
// FIFO group wait for it (until it goes out or is parked), keeping that
// group's order. The error is for a sweep that could not read the outbox.
func (s *Relay) RelayOutbox(ctx context.Context, age time.Duration) (RelayReport, error) {
	var rep RelayReport
	msgs, err := s.store.ListOutbox(ctx, s.clock.Now().Add(-age), outboxSweepLimit)
	if err != nil {
		return rep, err
	}
	blocked := map[string]bool{}
	for _, m := range msgs {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if m.Group != "" && blocked[m.Group] {
			rep.Held++
			continue
		}
		err := s.publisher.Publish(ctx, m)
		if err == nil {
			err = s.store.DeleteOutbox(ctx, m)
			if err == nil {
				rep.Relayed++
				continue
			}
			// Published but still listed: the next sweep publishes it
			// again, which the consumers take as a duplicate.
			err = fmt.Errorf("delete after publishing: %w", err)
		}
		rep.Failed++
		rep.Errors = append(rep.Errors, m.ID+": "+err.Error())
		if m.Group != "" {
			blocked[m.Group] = true
		}
		attempts, ferr := s.store.OutboxFailed(ctx, m, err.Error())
		if ferr != nil {
			rep.Errors = append(rep.Errors, m.ID+": counting the failure: "+ferr.Error())
			continue
		}
		if attempts >= OutboxMaxAttempts {
			if perr := s.store.ParkOutbox(ctx, m, attempts, err.Error()); perr != nil {
				rep.Errors = append(rep.Errors, m.ID+": parking: "+perr.Error())
				continue
			}
			rep.Parked++
			delete(blocked, m.Group) // parked: the rest of its group goes on
		}
	}
	return rep, nil
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
		// The crossing is about the item's org (the partner, whichever side
		// decided): its audit readers and its events' recipients.
		Audit: &AuditEntry{Scope: ProjectScope(m.ProjectID), At: now, ID: s.ids.New("aud"), Actor: m.ActorID, OrgID: it.OrgID,
			What: "item.handoff", Before: map[string]any{"itemId": it.ID, "status": it.Status}, After: map[string]any{"itemId": it.ID, "status": m.ToStatus, "transitionId": m.TransitionID}}}
	if it.AssigneeID != "" {
		ch.Stats = []StatDelta{{ProjectID: it.ProjectID, UserID: it.AssigneeID, TaskID: it.TaskID, Day: day(now),
			Counts: map[Counter]int{SecondsInCounter(it.Status): int(now.Sub(it.StatusSince).Seconds()), TimesInCounter(it.Status): 1}}}
	}
	var digests []string
	ch.Outbox, digests = s.notices(ctx, it, m.ToStatus, m.Comment, now)
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
	s.memo.wrote(digests, now)
	s.relay(ctx, ch.Outbox)
	after.Version = it.Version + 1
	s.finishing(ctx, m.ProjectID, it.OrgID, after, nil)
	return nil
}

// notices are the mails a crossing sends with it: the review digest to the
// host's reviewers when an item reaches them (with the digests' ids, noted
// once the crossing commits), the "sent back" mail to the annotator when
// the host's rejection arrives. A failure to read whom to tell never stops
// the crossing. What it reads is reused for audienceTTL, and a digest this
// process already wrote in its window is not written again (relayMemo).
func (s *Relay) notices(ctx context.Context, it Item, to ItemStatus, comment string, now time.Time) ([]OutboxMessage, []string) {
	p, err := s.projectOf(ctx, it.ProjectID, now)
	if err != nil {
		return nil, nil
	}
	if to == StWaitingChange {
		return s.rejectedNotice(ctx, p, it, comment, now), nil
	}
	return s.stageDigest(ctx, s.store, p, it, to, now)
}

// rejectedNotice tells the item's annotator their work came back.
func (s *Relay) rejectedNotice(ctx context.Context, p Project, it Item, comment string, now time.Time) []OutboxMessage {
	return s.rejectedMail(ctx, s.store, p, it, comment, now)
}
