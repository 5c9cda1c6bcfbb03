package app

import (
	"testing"
	"time"
)

// A failed delivery waits the retry delay, doubled per attempt, at most
// 15 minutes.
func TestBackoff(t *testing.T) {
	for attempt, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 5: 8 * time.Minute, 6: 15 * time.Minute, 40: 15 * time.Minute} {
		if got := Backoff(30*time.Second, attempt); got != want {
			t.Errorf("attempt %d: %s, want %s", attempt, got, want)
		}
	}
}
