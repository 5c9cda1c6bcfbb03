package collab

import (
	"context"
	"sync"
	"time"
)

// audienceTTL is how long a handoff consumer reuses what it read to decide
// whom a crossing's mails go to (the project, the task, the host's
// members). Within it, a reviewer added or removed may be missed or mailed
// once more; a notice, never a right, depends on it.
const audienceTTL = 5 * time.Second

// audience is whom an item entering a review stage of a project's task
// tells (the stage's org's members, the task), or, under a project's own
// key, the project: what the digest reads, kept for audienceTTL.
type audience struct {
	project Project
	task    *Task
	members []ProjectMember
	read    time.Time
}

// audienceStore reads whom a digest goes to.
type audienceStore interface {
	GetTask(ctx context.Context, projectID, taskID string) (Task, error)
	ListProjectMembers(ctx context.Context, projectID string, f MemberFilter, p Page) ([]ProjectMember, string, error)
}

// stageAudience is the members of org and the task of a project, read or
// reused (relayMemo).
func (b base) stageAudience(ctx context.Context, st audienceStore, projectID, taskID, org string, now time.Time) (audience, error) {
	key := projectID + "|" + taskID + "|" + org
	if a, ok := b.memo.audience(key, now); ok {
		return a, nil
	}
	a := audience{read: now}
	if taskID != "" {
		if got, err := st.GetTask(ctx, projectID, taskID); err == nil {
			a.task = &got
		}
	}
	var err error
	if a.members, _, err = st.ListProjectMembers(ctx, projectID, MemberFilter{OrgID: org}, Page{Limit: MaxPageLimit}); err != nil {
		return audience{}, err
	}
	b.memo.keep(key, a)
	return a, nil
}

// projectOf reads a project (no caller's standing), or reuses it.
func (b base) projectOf(ctx context.Context, projectID string, now time.Time) (Project, error) {
	if a, ok := b.memo.audience(projectID, now); ok {
		return a.project, nil
	}
	p, _, err := b.rights.LoadStanding(ctx, projectID, "")
	if err != nil {
		return Project{}, err
	}
	b.memo.keep(projectID, audience{project: p, read: now})
	return p, nil
}

// stageDigest is the review digest of an item entering stage to, less the
// digests this process already wrote in their window, and their ids (to
// note with memo.wrote once the change commits). A failure to read whom to
// tell sends none.
func (b base) stageDigest(ctx context.Context, st audienceStore, p Project, it Item, to ItemStatus, now time.Time) ([]OutboxMessage, []string) {
	org := p.HostOrgID
	if to == StWaitingCollabReview {
		org = it.OrgID
	}
	a, err := b.stageAudience(ctx, st, p.ID, it.TaskID, org, now)
	if err != nil {
		return nil, nil
	}
	msgs := b.memo.unqueued(b.reviewDigest(it, p, a.task, stageReviewers(a.members, p, it, to), now), now)
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return msgs, ids
}

// relayMemo keeps, per process (one for the Review and Relay use cases),
// the audiences read recently and the ids of
// the review digests already written to the outbox in their window: a
// digest id is the same for every item reaching a reviewer's task in one
// window, and the mailer sends it once, so writing it again only costs a
// write and a delete. Safe for the consumer's concurrent lanes.
type relayMemo struct {
	mu        sync.Mutex
	audiences map[string]audience
	queued    map[string]time.Time // digest id → end of its window
}

func (m *relayMemo) audience(key string, now time.Time) (audience, bool) {
	if m == nil {
		return audience{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.audiences[key]
	if !ok || now.Sub(a.read) >= audienceTTL || now.Before(a.read) {
		return audience{}, false
	}
	return a, true
}

func (m *relayMemo) keep(key string, a audience) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.audiences == nil || len(m.audiences) > 10000 {
		m.audiences = map[string]audience{}
	}
	m.audiences[key] = a
}

// unqueued drops from msgs the digests this process already wrote in their
// window.
func (m *relayMemo) unqueued(msgs []OutboxMessage, now time.Time) []OutboxMessage {
	if m == nil {
		return msgs
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := msgs[:0:0]
	for _, msg := range msgs {
		if until, ok := m.queued[msg.ID]; ok && now.Before(until) {
			continue
		}
		out = append(out, msg)
	}
	return out
}

// wrote notes digests written (their transaction committed) until the end
// of their window.
func (m *relayMemo) wrote(ids []string, now time.Time) {
	if m == nil || len(ids) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.queued == nil || len(m.queued) > 10000 {
		kept := map[string]time.Time{}
		for id, until := range m.queued {
			if now.Before(until) {
				kept[id] = until
			}
		}
		m.queued = kept
	}
	until := now.UTC().Truncate(digestWindow).Add(digestWindow)
	for _, id := range ids {
		m.queued[id] = until
	}
}
