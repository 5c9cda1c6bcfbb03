package httpapi_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/httpapi"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

// apiWithLimits serves the same store as api() with the rate limits
// lowered, so a test reaches them in a few calls (the counters are the
// table's: what api() spends for the same user or org counts here too).
func apiWithLimits(t testing.TB, l collab.RateLimits) string {
	t.Helper()
	return apiWithLimitsFrom(t, l, nil)
}

// apiWithLimitsFrom is apiWithLimits whose unsigned callers all come from
// one client address (nil: the TCP peer), so a test's token misses are
// counted apart from every other test's loopback calls.
func apiWithLimitsFrom(t testing.TB, l collab.RateLimits, addr func(*http.Request) string) string {
	t.Helper()
	api(t)
	svc, err := collab.NewService(theApp.Store.Ports(), collab.Deps{Clock: collab.SystemClock{}, IDs: collab.RandomIDs{},
		Mailer: theApp.MailQueue, Jobs: theApp.JobQueue, Publisher: theApp.Outbox, Config: collab.Config{PublicBaseURL: server.URL},
		RateLimits: l})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(checked(httpapi.New(httpapi.Deps{Service: svc, Auth: theApp.Auth, Idempotency: theApp.Store,
		Page: theApp.Page, Log: slog.New(slog.DiscardHandler), ClientAddr: addr}, lambdafn.HTTP...)))
	t.Cleanup(srv.Close)
	// The windows are the hour's: a test started in its last seconds
	// waits for the next one, so its counts are not reset halfway.
	if left := time.Until(time.Now().UTC().Truncate(time.Hour).Add(time.Hour)); left < 30*time.Second {
		time.Sleep(left + time.Second)
	}
	return srv.URL
}

// rateLimited checks a 429 problem with Retry-After: whole seconds, at
// most the hour's window (plus the one rounding adds), the same as the
// problem's retryAfterSeconds.
func (r response) rateLimited(t testing.TB, about string) {
	t.Helper()
	r.problem(t, 429, "")
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 3601 {
		t.Fatalf("Retry-After %q: %s", r.header.Get("Retry-After"), r.raw)
	}
	if got, _ := r.body["retryAfterSeconds"].(float64); int(got) != secs {
		t.Fatalf("retryAfterSeconds %v, Retry-After %d", r.body["retryAfterSeconds"], secs)
	}
	if !strings.HasSuffix(r.str("type"), "/rate_limited") || !strings.Contains(r.str("detail"), about) {
		t.Fatalf("429 problem %s, want one about %q", r.raw, about)
	}
}

// Creating invitations is limited per user and per org: past their own
// limit a user gets 429 with Retry-After; another user of the same org is
// stopped by the org's limit; another org is not.
func TestInvitationRateLimits(t *testing.T) {
	base := apiWithLimits(t, collab.RateLimits{InvitesPerUser: 2, InvitesPerOrg: 3})
	owner, admin := newActor(t, "owner"), newActor(t, "admin")
	created := call(t, "POST", "/orgs", owner.token, map[string]string{"name": "Limited Org"}).want(t, 201)
	org, ws := created.str("id"), created.str("defaultWorkspaceId")
	joinOrg(t, org, admin, collab.OrgAdmin, "Limited Org")
	invite := func(u actor, org, who string) response {
		return callOn(t, base, "POST", "/orgs/"+org+"/invitations", u.token,
			map[string]string{"email": uniqueEmail(t, who), "role": "member"})
	}
	invite(owner, org, "one").want(t, 201)
	invite(owner, org, "two").want(t, 201)
	invite(owner, org, "three").rateLimited(t, "2 per hour for you")
	// The admin has a budget of their own, but the org has one left.
	invite(admin, org, "four").want(t, 201)
	invite(admin, org, "five").rateLimited(t, "3 per hour for your organization")
	// Refused with the same limit on every invitation route: a project
	// member's invitation (AddProjectMember) and a share link.
	project := call(t, "POST", "/workspaces/"+ws+"/projects", owner.token, map[string]string{"name": "Limited"}).want(t, 201).str("id")
	callOn(t, base, "POST", "/projects/"+project+"/members", owner.token,
		map[string]string{"email": uniqueEmail(t, "six"), "role": "annotator"}).rateLimited(t, "per hour")
	callOn(t, base, "PUT", "/projects/"+project+"/share-link", owner.token, nil).rateLimited(t, "per hour")
	// No invitation was made past the limits.
	if n := len(call(t, "GET", "/invitations?orgId="+org, owner.token, nil).want(t, 200).items()); n != 3 {
		t.Fatalf("%d org invitations, want 3", n)
	}
	// Another org, and its owner, have their own budgets.
	other := newActor(t, "other")
	otherOrg := orgOf(t, other, "Other Org")
	invite(other, otherOrg, "seven").want(t, 201)
}

// An import counts against the import limits, and the invitations it sends
// against the invitation limits: rows beyond the budget are row errors
// saying when to import them again; past the import limit the whole import
// is 429 with Retry-After.
func TestImportRateLimits(t *testing.T) {
	base := apiWithLimits(t, collab.RateLimits{InvitesPerUser: 3, ImportsPerUser: 2})
	owner := newActor(t, "owner")
	org := call(t, "POST", "/orgs", owner.token, map[string]string{"name": "Importer Org"}).want(t, 201)
	project := call(t, "POST", "/workspaces/"+org.str("defaultWorkspaceId")+"/projects", owner.token,
		map[string]string{"name": "Imported"}).want(t, 201).str("id")
	csv := "email,role\n"
	for i := range 5 {
		csv += uniqueEmail(t, fmt.Sprintf("new%d", i)) + ",annotator\n"
	}
	path := "/projects/" + project + "/members/import"
	res := callOn(t, base, "POST", path, owner.token, csv, "Content-Type", "text/csv").want(t, 200)
	if res.body["invited"] != float64(3) || res.body["errors"] != float64(2) {
		t.Fatalf("import past the invitation limit: %s", res.raw)
	}
	rows, _ := res.body["results"].([]any)
	for _, raw := range rows[3:] {
		row := raw.(map[string]any)
		if row["status"] != "error" || row["field"] != "email" || !strings.Contains(row["error"].(string), "not invited") {
			t.Fatalf("row beyond the budget: %v", row)
		}
	}
	// The second import of the hour runs (and invites no one); the third is
	// refused whole.
	callOn(t, base, "POST", path, owner.token, csv, "Content-Type", "text/csv").want(t, 200)
	callOn(t, base, "POST", path, owner.token, csv, "Content-Type", "text/csv").rateLimited(t, "imports are limited to 2 per hour for you")
}
