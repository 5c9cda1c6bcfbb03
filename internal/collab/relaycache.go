package collab

import (
	"sync"
	"time"
)

// audienceTTL is how long a handoff consumer reuses what it read to decide
// whom a crossing's mails go to (the project, the task, the host's
// members). Within it, a reviewer added or removed may be missed or mailed
// once more; a notice, never a right, depends on it.
const audienceTTL = 5 * time.Second

// audience is whom a crossing into a project's (and task's) review tells:
// what notices reads, kept for audienceTTL.
type audience struct {
	project Project
	task    *Task
	members []ProjectMember // the host org's
	read    time.Time
}

// relayMemo keeps, per process, the audiences read recently and the ids of
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
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.audiences[key]
	if !ok || now.Sub(a.read) >= audienceTTL || now.Before(a.read) {
		return audience{}, false
	}
	return a, true
}

func (m *relayMemo) keep(key string, a audience) {
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
	if len(ids) == 0 {
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
