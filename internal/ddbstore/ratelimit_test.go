package ddbstore

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

// The fixed-window counter: one conditional UpdateItem a take, taken or
// refused; units given back count again; the next window starts afresh;
// the row carries its TTL.
func TestRateCounter(t *testing.T) {
	s, db := newStore(t)
	ctx := context.Background()
	b := collab.Budget{Key: "test#" + strconv.FormatInt(time.Now().UnixNano(), 36), Limit: 3, Window: time.Hour}
	now := time.Date(2026, 11, 22, 12, 40, 0, 0, time.UTC)
	for i, want := range []struct {
		taken bool
		left  int
	}{{true, 2}, {true, 1}, {true, 0}, {false, 0}} {
		mctx, m := WithMeter(ctx)
		taken, left, err := s.Take(mctx, b, 1, now)
		if err != nil || taken != want.taken || left != want.left {
			t.Fatalf("take %d: taken %v left %d (%v), want %v %d", i+1, taken, left, err, want.taken, want.left)
		}
		if m.RoundTrips != 1 {
			t.Fatalf("take %d: %d round trips", i+1, m.RoundTrips)
		}
	}
	if err := s.Give(ctx, b, 2, now); err != nil {
		t.Fatal(err)
	}
	if taken, left, err := s.Take(ctx, b, 3, now); err != nil || taken || left != 2 {
		t.Fatalf("3 of the 2 given back: taken %v left %d (%v)", taken, left, err)
	}
	if taken, left, err := s.Take(ctx, b, 2, now); err != nil || !taken || left != 0 {
		t.Fatalf("the 2 given back: taken %v left %d (%v)", taken, left, err)
	}
	if taken, left, err := s.Take(ctx, b, 4, now); err != nil || taken || left != 0 {
		t.Fatalf("more than the limit: taken %v left %d (%v)", taken, left, err)
	}
	// The next hour has its own counter.
	if taken, left, err := s.Take(ctx, b, 1, now.Add(20*time.Minute)); err != nil || !taken || left != 2 {
		t.Fatalf("next window: taken %v left %d (%v)", taken, left, err)
	}
	res, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: keyAV(rateKey(b.Key, b.WindowStart(now)))})
	if err != nil {
		t.Fatal(err)
	}
	ttl, _ := res.Item["ttl"].(*types.AttributeValueMemberN)
	if want := strconv.FormatInt(b.WindowEnd(now).Add(rateGrace).Unix(), 10); ttl == nil || ttl.Value != want {
		t.Fatalf("ttl %v, want %s", res.Item["ttl"], want)
	}
}
