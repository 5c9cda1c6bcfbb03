// Integration tests against the local stack; they skip under -short.

package ddbstore

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/devstack"
)

var stack *devstack.Stack

func TestMain(m *testing.M) { os.Exit(devstack.RunTests(m, &stack)) }

// newStore connects a store to the local stack. Every test that needs the
// stack starts with it: under -short, where TestMain starts no stack, it
// skips the test.
func newStore(t *testing.T) (*Store, *dynamodb.Client) {
	t.Helper()
	devstack.NeedStack(t)
	cfg := stack.Config()
	awsCfg, err := cfg.AWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	db := cfg.DynamoDB(awsCfg)
	return New(db, cfg.TableName, []byte(cfg.CursorSecret)), db
}

func newOrg(ids collab.IDs, user string) collab.NewOrg {
	now := time.Now().UTC()
	org := collab.Org{ID: ids.New("org"), Name: "Org", CreatedBy: user, CreatedAt: now, Version: 1}
	return collab.NewOrg{
		Org:       org,
		Owner:     collab.OrgMembership{OrgID: org.ID, OrgName: org.Name, UserID: user, Role: collab.OrgOwner, JoinedAt: now, Version: 1},
		Workspace: collab.Workspace{ID: ids.New("ws"), OrgID: org.ID, Name: "Default", Default: true, CreatedAt: now, Version: 1},
	}
}

func TestCreateOrgIsOneTransaction(t *testing.T) {
	s, _ := newStore(t)
	ctx, m := WithMeter(context.Background())
	ids := collab.RandomIDs{}
	first := newOrg(ids, "user-a")
	if err := s.CreateOrg(ctx, first); err != nil {
		t.Fatal(err)
	}
	if m.RoundTrips != 1 || m.WriteUnits <= 0 {
		t.Fatalf("create org cost %d round trips, %.1f WCU; want 1 transaction with capacity", m.RoundTrips, m.WriteUnits)
	}
	t.Logf("CreateOrg: %d round trip, %.1f write units", m.RoundTrips, m.WriteUnits)

	// A second org whose workspace id collides must leave nothing behind.
	second := newOrg(ids, "user-b")
	second.Workspace.ID = first.Workspace.ID
	err := s.CreateOrg(context.Background(), second)
	if !collab.IsCode(err, collab.CodeConflict) {
		t.Fatalf("want conflict, got %v", err)
	}
	if _, err := s.GetOrg(context.Background(), second.Org.ID); !collab.IsCode(err, collab.CodeNotFound) {
		t.Fatalf("half-written org: %v", err)
	}
	if _, err := s.GetOrgMembership(context.Background(), second.Org.ID, "user-b"); !collab.IsCode(err, collab.CodeNotFound) {
		t.Fatalf("half-written membership: %v", err)
	}
	// The same org twice is a conflict too.
	if err := s.CreateOrg(context.Background(), first); !collab.IsCode(err, collab.CodeConflict) {
		t.Fatalf("want conflict on duplicate org, got %v", err)
	}
}

func TestPutUserKeepsCreationTime(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.PutUser(ctx, collab.User{ID: "u-keep", Email: "old@example.com", Name: "Old", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutUser(ctx, collab.User{ID: "u-keep", Email: "new@example.com", Name: "New", CreatedAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var r userRow
	if err := s.get(ctx, userKey("u-keep"), &r, collab.NotFound(collab.RecordUser, "u-keep")); err != nil {
		t.Fatal(err)
	}
	if !r.CreatedAt.Equal(t0) || r.Email != "new@example.com" || r.Name != "New" || r.Version != 2 || r.Type != typeUser {
		t.Fatalf("user row %+v", r)
	}
	if r.GSI1PK != prefixEmail+"new@example.com" {
		t.Fatalf("email index %q", r.GSI1PK)
	}
}

func TestListPagesAndCursorBinding(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	ids := collab.RandomIDs{}
	for range 3 {
		if err := s.CreateOrg(ctx, newOrg(ids, "pager")); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]bool{}
	cursor := ""
	for {
		page, next, err := s.ListUserOrgs(ctx, "pager", collab.Page{Limit: 1, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page {
			got[m.OrgID] = true
		}
		if next == "" {
			break
		}
		cursor = next
		if _, _, err := s.ListUserOrgs(ctx, "someone-else", collab.Page{Limit: 1, Cursor: next}); !collab.IsCode(err, collab.CodeInvalid) {
			t.Fatalf("cursor accepted on another listing: %v", err)
		}
	}
	if len(got) != 3 {
		t.Fatalf("listed %d orgs, want 3", len(got))
	}
}

// A listing spread over shards (the audit log) pages through every entry
// once, in time order, whatever the page size, and its per-org index the
// same; a cursor works only on the listing it came from.
func TestShardedListingPagesInOrder(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	ids := collab.RandomIDs{}
	scope := collab.ProjectScope(ids.New("prj"))
	base := time.Now().UTC().Truncate(time.Second)
	var want, wantOrg []string
	for i := range 60 {
		org := "org_a"
		if i%3 == 0 {
			org = "org_b"
		}
		e := collab.AuditEntry{Scope: scope, At: base.Add(time.Duration(i%20) * time.Millisecond), ID: fmt.Sprintf("aud_%03d", i), Actor: "u", OrgID: org, What: "test"}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// Oldest first; entries of the same time by id.
	for ms := range 20 {
		for i := ms; i < 60; i += 20 {
			want = append(want, fmt.Sprintf("aud_%03d", i))
			if i%3 == 0 {
				wantOrg = append(wantOrg, fmt.Sprintf("aud_%03d", i))
			}
		}
	}
	shards := map[string]bool{}
	for _, id := range want {
		shards[auditKey(scope, base, id).PK] = true
	}
	if len(shards) < SpreadShards/2 {
		t.Fatalf("60 entries in %d shards", len(shards))
	}
	list := func(org string, limit int) []string {
		var got []string
		cursor := ""
		for range 100 {
			page, next, err := s.ListAudit(ctx, scope, org, collab.Page{Limit: limit, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > limit {
				t.Fatalf("page of %d, limit %d", len(page), limit)
			}
			for _, e := range page {
				got = append(got, e.ID)
			}
			if next == "" {
				return got
			}
			if _, _, err := s.ListAudit(ctx, scope, "org_c", collab.Page{Limit: limit, Cursor: next}); !collab.IsCode(err, collab.CodeInvalid) {
				t.Fatalf("cursor accepted on another listing: %v", err)
			}
			cursor = next
		}
		t.Fatal("listing did not end")
		return nil
	}
	for _, limit := range []int{1, 7, 60, 100} {
		if got := list("", limit); !slices.Equal(got, want) {
			t.Errorf("limit %d: listed %v\nwant %v", limit, got, want)
		}
		if got := list("org_b", limit); !slices.Equal(got, wantOrg) {
			t.Errorf("org, limit %d: listed %v\nwant %v", limit, got, wantOrg)
		}
	}
}
