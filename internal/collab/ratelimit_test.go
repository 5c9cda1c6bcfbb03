package collab

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fakeLimiter counts budgets in memory, by key and window, as the table's
// counters do.
type fakeLimiter struct {
	used  map[string]int
	calls int
}

func newFakeLimiter() *fakeLimiter { return &fakeLimiter{used: map[string]int{}} }

func (l *fakeLimiter) counter(b Budget, now time.Time) string {
	return b.Key + "@" + b.WindowStart(now).Format(time.RFC3339Nano)
}

func (l *fakeLimiter) Take(_ context.Context, b Budget, n int, now time.Time) (bool, int, error) {
	l.calls++
	k := l.counter(b, now)
	if l.used[k]+n > b.Limit {
		return false, max(b.Limit-l.used[k], 0), nil
	}
	l.used[k] += n
	return true, b.Limit - l.used[k], nil
}

func (l *fakeLimiter) Give(_ context.Context, b Budget, n int, now time.Time) error {
	l.used[l.counter(b, now)] -= n
	return nil
}

// The limiter's logic: all budgets or none, the narrower first, a refusal
// giving back what it took and saying when to retry; windows start afresh.
func TestRateLimiterTakesAllOrNone(t *testing.T) {
	ctx := context.Background()
	fl := newFakeLimiter()
	r := rateLimiter{limiter: fl, limits: RateLimits{InvitesPerUser: 2, InvitesPerOrg: 3}.orDefaults()}
	ann, bob := Caller{UserID: "ann"}, Caller{UserID: "bob"}
	now := time.Date(2026, 11, 22, 12, 40, 0, 0, time.UTC)
	take := func(c Caller, org string, at time.Time) error {
		return r.takeAll(ctx, "invitations", 1, at, r.invites(c, org)...)
	}
	for i := range 2 {
		if err := take(ann, "h", now); err != nil {
			t.Fatalf("ann's invitation %d: %v", i+1, err)
		}
	}
	// Ann's own limit: 429 until the hour ends, 20 minutes away.
	err := take(ann, "h", now)
	var de *Error
	if !asRateLimited(err, &de) || de.RetryAfter != 20*time.Minute || !strings.Contains(de.Message, "2 per hour for you") {
		t.Fatalf("ann's third invitation: %v", err)
	}
	// Bob, of the same org, takes the org's last one; then the org's limit
	// refuses him, and gives his own unit back.
	if err := take(bob, "h", now); err != nil {
		t.Fatalf("bob's first: %v", err)
	}
	err = take(bob, "h", now.Add(5*time.Minute))
	if !asRateLimited(err, &de) || de.RetryAfter != 15*time.Minute || !strings.Contains(de.Message, "3 per hour for your organization") {
		t.Fatalf("bob past the org's limit: %v", err)
	}
	if got := fl.used[fl.counter(inviteUserBudget(r.limits, "bob"), now)]; got != 1 {
		t.Fatalf("bob's budget after the org refused: %d used, want 1 (the refused unit given back)", got)
	}
	// Bob, for another org, is within his own limit.
	if err := take(bob, "other", now); err != nil {
		t.Fatalf("bob for another org: %v", err)
	}
	// The next hour starts afresh.
	if err := take(ann, "h", now.Add(20*time.Minute)); err != nil {
		t.Fatalf("ann in the next hour: %v", err)
	}
	// Units asked at once: all fit, or none are taken.
	r.limits.InvitesPerUser, r.limits.InvitesPerOrg = 10, 10
	if err := r.takeAll(ctx, "invitations", 5, now, r.invites(Caller{UserID: "cy"}, "c")...); err != nil {
		t.Fatal(err)
	}
	if err := r.takeAll(ctx, "invitations", 6, now, r.invites(Caller{UserID: "cy"}, "d")...); ErrorCode(err) != CodeRateLimited {
		t.Fatalf("6 more of 10 after 5: %v", err)
	}
	if got := fl.used[fl.counter(inviteUserBudget(r.limits, "cy"), now)]; got != 5 {
		t.Fatalf("cy used %d, want 5", got)
	}
}

func asRateLimited(err error, out **Error) bool {
	e, ok := err.(*Error)
	*out = e
	return ok && e.Code == CodeRateLimited
}

// takeUpTo takes what every budget has left, at most the ask, and says
// which budget fell short and when it comes back.
func TestRateLimiterTakesUpTo(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 12, 0, 30, 0, time.UTC)
	for _, tc := range []struct {
		name                 string
		user, org, usedByOrg int
		ask, want            int
		shortOf              string // "" when all were taken
		calls                int    // limiter round trips at most
	}{
		{"all fit", 10, 10, 0, 4, 4, "", 2},
		{"the user's limit", 3, 10, 0, 5, 3, "for you", 3},
		{"the org's remainder", 10, 10, 8, 5, 2, "for your organization", 6},
		{"nothing left", 10, 10, 10, 5, 0, "for your organization", 12},
		{"nothing asked", 10, 10, 0, 0, 0, "", 0},
	} {
		fl := newFakeLimiter()
		r := rateLimiter{limiter: fl, limits: RateLimits{InvitesPerUser: tc.user, InvitesPerOrg: tc.org}.orDefaults()}
		fl.used[fl.counter(inviteOrgBudget(r.limits, "h"), now)] = tc.usedByOrg
		got, short, err := r.takeUpTo(ctx, "invitations", tc.ask, now, r.invites(Caller{UserID: "ann"}, "h")...)
		if err != nil || got != tc.want {
			t.Fatalf("%s: took %d, want %d (%v)", tc.name, got, tc.want, err)
		}
		switch {
		case tc.shortOf == "" && short != nil:
			t.Errorf("%s: short %v", tc.name, short)
		case tc.shortOf != "" && (short == nil || !strings.Contains(short.Message, tc.shortOf) || short.RetryAfter != time.Hour-30*time.Second):
			t.Errorf("%s: short %v, want one for %q", tc.name, short, tc.shortOf)
		}
		if fl.calls > tc.calls {
			t.Errorf("%s: %d limiter calls, want at most %d", tc.name, fl.calls, tc.calls)
		}
		user := fl.used[fl.counter(inviteUserBudget(r.limits, "ann"), now)]
		org := fl.used[fl.counter(inviteOrgBudget(r.limits, "h"), now)]
		if user != tc.want || org != tc.usedByOrg+tc.want {
			t.Errorf("%s: counters user %d org %d after taking %d", tc.name, user, org, tc.want)
		}
	}
}

// Every invitation-creating use case is charged to the inviter's and the
// org's budgets, after its rights are checked; resends too, on top of
// their own five an hour.
func TestInvitationsAreRateLimited(t *testing.T) {
	s, st := newInvitationsWorld()
	fl := newFakeLimiter()
	s.limits = rateLimiter{limiter: fl, limits: RateLimits{InvitesPerUser: 3, InvitesPerOrg: 100}.orDefaults()}
	ctx := context.Background()
	owner := Caller{UserID: "o", Name: "Owner"}
	// Someone without the right spends nothing.
	if _, err := s.InviteLabelingCompany(ctx, Caller{UserID: "ha"}, "p", "Acme", "a@acme.example"); ErrorCode(err) != CodeForbidden {
		t.Fatalf("annotator: %v", err)
	}
	if fl.calls != 0 {
		t.Fatalf("a refused caller took %d budget units", fl.calls)
	}
	if _, err := s.EnableShareLink(ctx, owner, "p", nil, false); err != nil {
		t.Fatal(err)
	}
	if again, err := s.EnableShareLink(ctx, owner, "p", nil, false); err != nil || !again.Reused {
		t.Fatalf("answering the active link again: %+v %v", again, err) // free: nothing new is made
	}
	iss, err := s.InviteLabelingCompany(ctx, owner, "p", "Acme", "a@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResendInvitation(ctx, owner, iss.Invitation.ID); err != nil {
		t.Fatal(err)
	}
	mails := len(st.mails)
	_, err = s.InviteLabelingCompany(ctx, owner, "p", "Beta", "b@beta.example")
	var de *Error
	if !asRateLimited(err, &de) || de.RetryAfter != time.Hour {
		t.Fatalf("fourth invitation of the hour: %v", err)
	}
	if _, err := s.ResendInvitation(ctx, owner, iss.Invitation.ID); ErrorCode(err) != CodeRateLimited {
		t.Fatalf("resend past the limit: %v", err)
	}
	if _, err := s.EnableShareLink(ctx, owner, "p", nil, true); ErrorCode(err) != CodeRateLimited {
		t.Fatalf("rotation past the limit: %v", err)
	}
	if len(st.mails) != mails {
		t.Fatal("a refused invitation was mailed")
	}
}

func (s *fakeInvitations) ReissueInvitation(_ context.Context, old Invitation, hash string, expires time.Time, resends []time.Time, _ ...AuditEntry) error {
	old.TokenHash, old.ExpiresAt, old.Resends, old.Version = hash, expires, resends, old.Version+1
	s.invs[old.ID], s.byHash[hash] = old, old.ID
	return nil
}

// importStore is the member store an import needs, over fakeProject: no
// one has an account, so every good row is invited.
type importStore struct{ *fakeProject }

func (s importStore) ListPartners(context.Context, string) ([]Partner, error) { return nil, nil }
func (s importStore) FindUserByEmail(_ context.Context, email string) (User, error) {
	return User{}, NotFoundBy(RecordUser, "email", email)
}
func (s importStore) GetOrgMemberships(context.Context, string, []string) (map[string]OrgMembership, error) {
	return map[string]OrgMembership{}, nil
}
func (s importStore) GetProjectMembers(context.Context, string, []string) (map[string]ProjectMember, error) {
	return map[string]ProjectMember{}, nil
}

// An import counts against the import limits, and its invitations against
// the invitation limits, taken at once: the rows beyond the budget are row
// errors, the import itself is not refused; past the import limit it is.
func TestImportIsRateLimited(t *testing.T) {
	inv, st := newInvitationsWorld()
	fl := newFakeLimiter()
	inv.limits = rateLimiter{limiter: fl, limits: RateLimits{InvitesPerUser: 3, ImportsPerUser: 2}.orDefaults()}
	m := &Members{base: inv.base, store: importStore{st.f}, mailer: st, invitations: inv}
	ctx := context.Background()
	owner := Caller{UserID: "o"}
	records := [][]string{{"email", "role"}}
	for i := range 5 {
		records = append(records, []string{fmt.Sprintf("new%d@example.com", i), "annotator"})
	}
	res, err := m.ImportMembers(ctx, owner, "p", records)
	if err != nil {
		t.Fatal(err)
	}
	if res.Invited != 3 || res.Errors != 2 || len(st.mails) != 3 {
		t.Fatalf("import: %d invited, %d errors, %d mails; want 3, 2, 3", res.Invited, res.Errors, len(st.mails))
	}
	for _, r := range res.Rows[3:] {
		if r.Status != ImportError || r.Field != "email" || !strings.Contains(r.Error, "not invited") || !strings.Contains(r.Error, "13:00 UTC") {
			t.Fatalf("row beyond the budget: %+v", r)
		}
	}
	// The budget is spent: the next import invites no one, and an
	// invitation one by one (AddProjectMember's path) is refused too.
	res, err = m.ImportMembers(ctx, owner, "p", records[:2])
	if err != nil || res.Invited != 0 || res.Errors != 1 {
		t.Fatalf("second import: %+v %v", res, err)
	}
	a, err := inv.access(ctx, owner, "p")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inv.inviteProjectMember(ctx, owner, a, "one@example.com", RoleAnnotator, placement{orgID: "h", side: SideHost}); ErrorCode(err) != CodeRateLimited {
		t.Fatalf("one by one past the limit: %v", err)
	}
	// The third import of the hour is refused whole.
	var de *Error
	if _, err := m.ImportMembers(ctx, owner, "p", records[:2]); !asRateLimited(err, &de) || de.RetryAfter != time.Hour {
		t.Fatalf("third import: %v", err)
	}
}

func (l *fakeLimiter) Left(_ context.Context, b Budget, now time.Time) (int, error) {
	return max(b.Limit-l.used[l.counter(b, now)], 0), nil
}
