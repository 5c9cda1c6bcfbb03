// Pure tests of the table keys: no stack needed, they run under -short.

package ddbstore

import (
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"
)

// orderedTimes are in chronological order: fractions of one second that
// RFC3339Nano writes with different widths, the whole second itself, and
// neighbours across second, minute, day and year boundaries; one is in
// another zone.
func orderedTimes() []time.Time {
	base := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return []time.Time{
		time.Date(2025, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		base.Add(-time.Nanosecond),
		base, // whole second: "…07Z" in RFC3339Nano
		base.Add(time.Nanosecond),
		base.Add(9 * time.Nanosecond),
		base.Add(100 * time.Millisecond), // .1
		base.Add(120 * time.Millisecond), // .12
		base.Add(123 * time.Millisecond), // .123
		base.Add(123_456_789),            // .123456789
		base.Add(200 * time.Millisecond), // .2
		base.Add(999_999_999),
		base.Add(time.Second), // next whole second
		base.Add(time.Second + 5*time.Millisecond),
		base.Add(time.Minute - time.Nanosecond).In(time.FixedZone("UTC+3", 3*3600)),
		base.Add(time.Minute),
	}
}

func TestSortTimeIsFixedWidth(t *testing.T) {
	for _, at := range orderedTimes() {
		if got := sortTime(at); len(got) != len(sortTimeLayout) {
			t.Errorf("sortTime(%v) = %q: %d characters, want %d", at, got, len(got), len(sortTimeLayout))
		}
	}
}

// TestTimeKeysSortChronologically checks every key that embeds a time:
// sorting the keys lexically (as DynamoDB sorts a sort key) must give the
// times in chronological order.
func TestTimeKeysSortChronologically(t *testing.T) {
	kinds := map[string]func(at time.Time, id string) string{
		"invitation GSI1SK": func(at time.Time, id string) string { return invitationIndex("project", "p1", at, id).GSI1SK },
		"invitation GSI2SK": func(at time.Time, id string) string { return invitationToIndex("a@example.com", at, id).GSI2SK },
		"audit SK":          func(at time.Time, id string) string { return auditKey("PROJ#p1", at, id).SK },
		"audit GSI2SK": func(at time.Time, id string) string {
			return auditOrgIndex("PROJ#p1", "o1", id, auditKey("PROJ#p1", at, id).SK).GSI2SK
		},
		"item event SK": func(at time.Time, id string) string { return itemEventKey("i1", at, id).SK },
		"comment SK":    func(at time.Time, id string) string { return commentKey("i1", at, id).SK },
		"outbox SK":     func(at time.Time, id string) string { return outboxKey(at, id).SK },
	}
	times := orderedTimes()
	for name, key := range kinds {
		want := make([]string, len(times))
		for i, at := range times {
			// Ids sort against time, so only the time can order the keys.
			want[i] = key(at, string(rune('z'-i)))
		}
		got := slices.Clone(want)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: lexical order is not chronological:\n got %q\nwant %q", name, got, want)
		}
	}
}

// TestOutboxCutOff checks that the outbox bound selects exactly the
// messages written strictly before it.
func TestOutboxCutOff(t *testing.T) {
	times := orderedTimes()
	for _, cut := range times {
		before := outboxBefore(cut)
		for _, at := range times {
			k := outboxKey(at, "m1")
			if !slices.Contains(outboxShards(), k.PK) {
				t.Fatalf("outbox partition %q is not one the sweep reads", k.PK)
			}
			if listed, want := k.SK < before, at.Before(cut); listed != want {
				t.Errorf("message at %v, cut-off %v: listed %v, want %v (%q < %q)", at, cut, listed, want, k.SK, before)
			}
		}
	}
}

// The outbox's messages spread over its partitions: 16,000 ids land within
// a tenth of an even share on each.
func TestOutboxShardsSpread(t *testing.T) {
	counts := map[string]int{}
	const n = 16000
	for i := range n {
		id := fmt.Sprintf("msg_%06d", i)
		counts[outboxShard(id)]++
	}
	if len(counts) != OutboxShards {
		t.Fatalf("%d partitions used, want %d", len(counts), OutboxShards)
	}
	for pk, c := range counts {
		if even := n / OutboxShards; c < even*9/10 || c > even*11/10 {
			t.Errorf("%s holds %d of %d messages", pk, c, n)
		}
	}
}

// Rows spread by id use every shard, each within a fifth of an even share,
// and a row's shard is one of the listed keys.
func TestSpreadUsesEveryShard(t *testing.T) {
	counts := map[string]int{}
	const n = 8000
	listed := spreadKeys("AUDIT#PROJ#p")
	for i := range n {
		k := spread("AUDIT#PROJ#p", fmt.Sprintf("itm_%06d", i))
		if !slices.Contains(listed, k) {
			t.Fatalf("%s is not among %v", k, listed)
		}
		counts[k]++
	}
	for _, k := range listed {
		if c, even := counts[k], n/SpreadShards; c < even*8/10 || c > even*12/10 {
			t.Errorf("%s holds %d of %d rows", k, c, n)
		}
	}
}

// A counter row's owner reads back from its sort key, the row number of a
// spread counter left out.
func TestCounterOwner(t *testing.T) {
	for sk, want := range map[string]string{
		taskStatsKey("p", "t", "usr_1", "2026-11-22").SK:          "usr_1",
		orgReviewStatsKey("p", "org_1", "itm_9", "2026-11-22").SK: "org_1",
		"DAY#2026-11-22": "",
	} {
		if got := counterOwner(sk); got != want {
			t.Errorf("%s: owner %q, want %q", sk, got, want)
		}
	}
	rows := map[string]bool{}
	for i := range 200 {
		rows[orgReviewStatsKey("p", "org_1", fmt.Sprintf("itm_%d", i), "2026-11-22").SK] = true
	}
	if len(rows) != SpreadShards {
		t.Errorf("an org's day in %d rows, want %d", len(rows), SpreadShards)
	}
}
