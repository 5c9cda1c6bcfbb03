// Integration tests of the fault paths against the local stack: large and
// abandoned idempotency records, the outbox's failed and parked messages.

package ddbstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

// storeAt is another store on the same table whose clock is shifted by.
func storeAt(t *testing.T, db *dynamodb.Client, by time.Duration) *Store {
	cfg := stack.Config()
	return New(db, cfg.TableName, []byte(cfg.CursorSecret), WithClock(func() time.Time { return time.Now().UTC().Add(by) }))
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// Every answer replays byte for byte, whatever its size: small ones in the
// record, large ones gzipped into it, incompressible ones in parts; one
// too large even for parts is refused and the claim stays releasable.
func TestIdempotencyAnswersOfAnySizeReplay(t *testing.T) {
	s, db := newStore(t)
	ctx := context.Background()
	caller := collab.RandomIDs{}.New("u")
	var rows strings.Builder
	rows.WriteString(`{"results":[`)
	for i := range 5000 {
		fmt.Fprintf(&rows, `{"line":%d,"email":"someone.%d@example.com","role":"nope","status":"error","field":"role","error":"\"nope\" is not a role"},`, i+2, i)
	}
	rows.WriteString(`{}]}`)
	cases := []struct {
		name  string
		body  []byte
		parts int
	}{
		{"small", []byte(`{"id":"org_1"}`), 0},
		{"compressible, 750 KB", []byte(rows.String()), 0},
		{"incompressible, 1.2 MB", randomBytes(t, 1200<<10), 4}, // 300 KB parts
	}
	for _, c := range cases {
		key := "size-" + c.name
		claim, claimed, err := s.Claim(ctx, caller, key, "hash")
		if err != nil || !claimed || claim.Claim == "" {
			t.Fatalf("%s: claim %+v %v %v", c.name, claim, claimed, err)
		}
		if err := s.Complete(ctx, caller, key, collab.SavedResponse{RequestHash: "hash", Done: true, Claim: claim.Claim, Status: 200,
			Header: map[string]string{"Content-Type": "application/json"}, Body: c.body}); err != nil {
			t.Fatalf("%s: complete: %v", c.name, err)
		}
		got, claimed, err := s.Claim(ctx, caller, key, "hash")
		if err != nil || claimed || !got.Done || got.Status != 200 || !bytes.Equal(got.Body, c.body) {
			t.Fatalf("%s: replay %v %v: done %v, %d bytes, want %d", c.name, claimed, err, got.Done, len(got.Body), len(c.body))
		}
		res, err := db.Query(ctx, &dynamodb.QueryInput{TableName: &s.table, KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :p)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(idempotencyKey(caller, idemID(key)).PK), ":p": str("PART#")}})
		if err != nil || int(res.Count) < c.parts || c.parts == 0 && res.Count != 0 {
			t.Fatalf("%s: %v parts (%v), want %d", c.name, res.Count, err, c.parts)
		}
	}
	// Too large even for parts: refused, and the claim is still its
	// holder's to release.
	claim, _, err := s.Claim(ctx, caller, "huge", "hash")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Complete(ctx, caller, "huge", collab.SavedResponse{RequestHash: "hash", Done: true, Claim: claim.Claim, Status: 200,
		Body: randomBytes(t, collab.MaxSavedAnswerBytes+1)})
	if err == nil {
		t.Fatal("an answer over MaxSavedAnswerBytes was saved")
	}
	if err := s.Release(ctx, caller, "huge", claim.Claim); err != nil {
		t.Fatal(err)
	}
	if _, claimed, err := s.Claim(ctx, caller, "huge", "hash"); err != nil || !claimed {
		t.Fatalf("after release: %v %v", claimed, err)
	}
}

// A claim whose request died holds its key only for its lease: then the
// same request takes it over (never another request), and the dead
// holder can neither complete nor release the new holder's claim.
func TestIdempotencyLeaseEndsAClaimOfADeadRequest(t *testing.T) {
	s, db := newStore(t)
	ctx := context.Background()
	caller := collab.RandomIDs{}.New("u")

	// Claimed half a lease ago: still held.
	recent, claimed, err := storeAt(t, db, -collab.IdempotencyLease/2).Claim(ctx, caller, "recent", "hash")
	if err != nil || !claimed {
		t.Fatal(claimed, err)
	}
	got, claimed, err := s.Claim(ctx, caller, "recent", "hash")
	if err != nil || claimed || got.Done || !got.LeaseUntil.Equal(recent.LeaseUntil) || time.Until(got.LeaseUntil) <= 0 {
		t.Fatalf("within the lease: claimed %v, %+v, %v", claimed, got, err)
	}

	// Claimed a lease and a second ago by a request that died.
	old := storeAt(t, db, -collab.IdempotencyLease-time.Second)
	dead, claimed, err := old.Claim(ctx, caller, "dead", "hash")
	if err != nil || !claimed {
		t.Fatal(claimed, err)
	}
	if got, claimed, err := s.Claim(ctx, caller, "dead", "another request"); err != nil || claimed || got.RequestHash != "hash" {
		t.Fatalf("another request took the key: %v %+v %v", claimed, got, err)
	}
	taken, claimed, err := s.Claim(ctx, caller, "dead", "hash")
	if err != nil || !claimed || taken.Claim == dead.Claim {
		t.Fatalf("the retry did not take the claim over: %v %+v %v", claimed, taken, err)
	}
	// The first holder comes back: it cannot overwrite or drop the claim.
	if err := old.Complete(ctx, caller, "dead", collab.SavedResponse{RequestHash: "hash", Done: true, Claim: dead.Claim, Status: 201, Body: []byte("first")}); err == nil {
		t.Fatal("the dead holder completed a claim taken over")
	}
	if err := old.Release(ctx, caller, "dead", dead.Claim); err != nil {
		t.Fatal(err)
	}
	if got, claimed, _ := s.Claim(ctx, caller, "dead", "hash"); claimed || got.Done {
		t.Fatalf("the dead holder released the new claim: %v %+v", claimed, got)
	}
	if err := s.Complete(ctx, caller, "dead", collab.SavedResponse{RequestHash: "hash", Done: true, Claim: taken.Claim, Status: 201, Body: []byte("second")}); err != nil {
		t.Fatal(err)
	}
	if got, claimed, _ := s.Claim(ctx, caller, "dead", "hash"); claimed || string(got.Body) != "second" {
		t.Fatalf("replay %v %+v", claimed, got)
	}
}

type nopMailer struct{}

func (nopMailer) Send(context.Context, collab.Email) error { return nil }

type nopJobQueue struct{}

func (nopJobQueue) Enqueue(context.Context, string) error { return nil }

type refusingPublisher struct {
	bad  string
	sent []string
}

func (p *refusingPublisher) Publish(_ context.Context, m collab.OutboxMessage) error {
	if m.ID == p.bad {
		return errors.New("the queue refuses this one")
	}
	p.sent = append(p.sent, m.ID)
	return nil
}

// The relay over the table: a message the queue refuses is skipped, the
// later ones go out, its failures are counted on its row, and after
// OutboxMaxAttempts sweeps it is parked in the dead-letter outbox.
func TestRelayOutboxParksWhatItCannotPublish(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	pub := &refusingPublisher{}
	svc, err := collab.NewService(s.Ports(), collab.Deps{Clock: collab.SystemClock{}, IDs: collab.RandomIDs{}, Mailer: nopMailer{},
		Jobs: nopJobQueue{}, Publisher: pub})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Add(-time.Minute)
	var mine []collab.OutboxMessage
	for i := range 3 {
		m := collab.OutboxMessage{ID: collab.RandomIDs{}.New("msg"), Queue: collab.QueueMail, Kind: collab.KindMail, Body: []byte(`{}`), At: at.Add(time.Duration(i) * time.Millisecond)}
		it, err := s.putNew(outboxRow{keys: outboxKey(m.At, m.ID), meta: meta{Type: "outbox", Version: 1}, ID: m.ID, Queue: m.Queue, Kind: m.Kind, Body: m.Body, At: m.At}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.transact(ctx, it); err != nil {
			t.Fatal(err)
		}
		mine = append(mine, m)
	}
	pub.bad = mine[0].ID // the oldest: it used to stop every sweep

	rep, err := svc.Relay.RelayOutbox(ctx, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(pub.sent, mine[1].ID) || !slices.Contains(pub.sent, mine[2].ID) || rep.Failed < 1 {
		t.Fatalf("sent %v, report %+v: the later messages must go out", pub.sent, rep)
	}
	listed := func() bool {
		msgs, err := s.ListOutbox(ctx, time.Now(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(msgs, func(m collab.OutboxMessage) bool { return m.ID == pub.bad })
	}
	if !listed() {
		t.Fatal("the refused message left the outbox after one failure")
	}
	for range collab.OutboxMaxAttempts - 1 {
		if _, err := svc.Relay.RelayOutbox(ctx, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if listed() {
		t.Fatalf("still in the outbox after %d failed sweeps", collab.OutboxMaxAttempts)
	}
	parked, err := s.ListParkedOutbox(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(parked, func(p ParkedOutboxMessage) bool { return p.ID == pub.bad })
	if i < 0 {
		t.Fatalf("not parked: %+v", parked)
	}
	if p := parked[i]; p.Attempts != collab.OutboxMaxAttempts || !strings.Contains(p.LastError, "refuses") || !p.At.Equal(mine[0].At) ||
		p.Queue != collab.QueueMail || string(p.Body) != "{}" {
		t.Fatalf("parked %+v", p)
	}
	// A failure counted on a row relayed meanwhile does not bring it back.
	if n, err := s.OutboxFailed(ctx, mine[1], "late"); err != nil || n != 0 {
		t.Fatalf("late failure: %d %v", n, err)
	}
	if msgs, _ := s.ListOutbox(ctx, time.Now(), 1000); slices.ContainsFunc(msgs, func(m collab.OutboxMessage) bool { return m.ID == mine[1].ID }) {
		t.Fatal("a late failure recreated a relayed row")
	}
}
