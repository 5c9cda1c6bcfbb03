package collab

import (
	"testing"
	"time"
)

// A digest written once is not written again in its window, and is in the
// next; an audience is reused for audienceTTL and read again after it.
func TestRelayMemo(t *testing.T) {
	m := &relayMemo{}
	at := time.Date(2026, 11, 22, 10, 59, 0, 0, time.UTC)
	msgs := []OutboxMessage{{ID: "review-digest-t-u-2026112210"}, {ID: "review-digest-t-v-2026112210"}}
	if got := m.unqueued(msgs, at); len(got) != 2 {
		t.Fatalf("first crossing: %d digests, want 2", len(got))
	}
	m.wrote([]string{msgs[0].ID}, at)
	if got := m.unqueued(msgs, at.Add(30*time.Second)); len(got) != 1 || got[0].ID != msgs[1].ID {
		t.Fatalf("same window: %+v, want only the unwritten digest", got)
	}
	if got := m.unqueued(msgs, at.Add(time.Minute)); len(got) != 2 {
		t.Fatalf("next window: %d digests, want 2", len(got))
	}

	m.keep("p|t", audience{project: Project{ID: "p"}, read: at})
	if a, ok := m.audience("p|t", at.Add(audienceTTL-time.Millisecond)); !ok || a.project.ID != "p" {
		t.Fatal("audience not reused within its TTL")
	}
	if _, ok := m.audience("p|t", at.Add(audienceTTL)); ok {
		t.Fatal("audience reused after its TTL")
	}
	if _, ok := m.audience("p|other", at); ok {
		t.Fatal("audience of another task")
	}
}
