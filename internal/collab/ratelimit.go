package collab

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The rate limits of what sends mail through the platform's sender, per
// hour (RateWindow): invitations (each kind, share links and resends
// included) and CSV imports, each counted per user and per org. An import's
// invitations count against the invitation limits too. docs/security.md
// states them.
const (
	InvitesPerUserPerHour = 100 // invitations one user creates (or resends)
	InvitesPerOrgPerHour  = 500 // invitations made for one org, by all its people
	ImportsPerUserPerHour = 20  // CSV imports one user runs
	ImportsPerOrgPerHour  = 60  // CSV imports run for one org
	// TokenMissesPerHour is how many invitation tokens that match nothing
	// one asker (a signed-in user, else a client address) may try; past
	// it every token lookup of theirs, a right one too, answers 429 until
	// the window ends, so guessing cannot go on and learn from the hits.
	TokenMissesPerHour = 30
	RateWindow         = time.Hour
)

// RateLimits are the limits a service applies; a zero field takes its
// default (DefaultRateLimits). Tests lower them to reach them in a few
// calls; production runs the defaults.
type RateLimits struct {
	InvitesPerUser int
	InvitesPerOrg  int
	ImportsPerUser int
	ImportsPerOrg  int
	TokenMisses    int
	Window         time.Duration
}

// DefaultRateLimits are the production limits.
func DefaultRateLimits() RateLimits {
	return RateLimits{InvitesPerUser: InvitesPerUserPerHour, InvitesPerOrg: InvitesPerOrgPerHour,
		ImportsPerUser: ImportsPerUserPerHour, ImportsPerOrg: ImportsPerOrgPerHour,
		TokenMisses: TokenMissesPerHour, Window: RateWindow}
}

// orDefaults fills the zero fields with the defaults.
func (l RateLimits) orDefaults() RateLimits {
	d := DefaultRateLimits()
	pick := func(v, def int) int {
		if v > 0 {
			return v
		}
		return def
	}
	l.InvitesPerUser, l.InvitesPerOrg = pick(l.InvitesPerUser, d.InvitesPerUser), pick(l.InvitesPerOrg, d.InvitesPerOrg)
	l.ImportsPerUser, l.ImportsPerOrg = pick(l.ImportsPerUser, d.ImportsPerUser), pick(l.ImportsPerOrg, d.ImportsPerOrg)
	l.TokenMisses = pick(l.TokenMisses, d.TokenMisses)
	if l.Window <= 0 {
		l.Window = d.Window
	}
	return l
}

// Budget is one rate limit: at most Limit units in each fixed Window,
// counted under Key. Windows are aligned on multiples of Window (in UTC):
// an hourly budget starts afresh on the hour.
type Budget struct {
	Key    string
	Limit  int
	Window time.Duration

	of string // whose budget, for the refusal's message
}

// WindowStart is the start of the window holding now: the counter's
// identity, with Key.
func (b Budget) WindowStart(now time.Time) time.Time { return now.UTC().Truncate(b.Window) }

// WindowEnd is when the window holding now ends, and its units come back.
func (b Budget) WindowEnd(now time.Time) time.Time { return b.WindowStart(now).Add(b.Window) }

// Limiter counts the use of budgets in fixed windows (internal/ddbstore:
// one counter item per key and window, expiring after it).
type Limiter interface {
	// Take takes n units of the budget in the window holding now if that
	// many are left, atomically, in one round trip. It answers whether it
	// took them and the units left: after the take when taken; when not
	// (nothing was taken), the units that were left, fewer than n.
	Take(ctx context.Context, b Budget, n int, now time.Time) (taken bool, left int, err error)
	// Give returns n units taken in the window holding now that were not
	// used (another budget of the same use refused).
	Give(ctx context.Context, b Budget, n int, now time.Time) error
	// Left reads the units left of the budget in the window holding now,
	// in one round trip.
	Left(ctx context.Context, b Budget, now time.Time) (int, error)
}

// rateLimiter applies budgets through a Limiter on the service's clock.
type rateLimiter struct {
	limiter Limiter
	limits  RateLimits
}

// The budgets, by what they count and for whom.
func inviteUserBudget(l RateLimits, userID string) Budget {
	return Budget{Key: "invite#user#" + userID, Limit: l.InvitesPerUser, Window: l.Window, of: "you"}
}

func inviteOrgBudget(l RateLimits, orgID string) Budget {
	return Budget{Key: "invite#org#" + orgID, Limit: l.InvitesPerOrg, Window: l.Window, of: "your organization"}
}

func importUserBudget(l RateLimits, userID string) Budget {
	return Budget{Key: "import#user#" + userID, Limit: l.ImportsPerUser, Window: l.Window, of: "you"}
}

func importOrgBudget(l RateLimits, orgID string) Budget {
	return Budget{Key: "import#org#" + orgID, Limit: l.ImportsPerOrg, Window: l.Window, of: "your organization"}
}

// Asker is who looks an invitation token up, for the limit on tokens that
// match nothing: a signed-in user, else the client address the gateway saw
// (API Gateway's sourceIp, or the TCP peer locally; never a header the
// client sets).
type Asker struct {
	UserID string
	Addr   string
}

// AskerOf is a signed-in caller as an asker.
func AskerOf(c Caller) Asker { return Asker{UserID: c.UserID} }

func (a Asker) key() string {
	if a.UserID != "" {
		return "user#" + a.UserID
	}
	return "addr#" + a.Addr
}

func tokenMissBudget(l RateLimits, a Asker) Budget {
	return Budget{Key: "tokenmiss#" + a.key(), Limit: l.TokenMisses, Window: l.Window, of: "you"}
}

// invites are the budgets an invitation by the caller for org draws on:
// the user's first, the narrower.
func (r rateLimiter) invites(c Caller, orgID string) []Budget {
	return []Budget{inviteUserBudget(r.limits, c.UserID), inviteOrgBudget(r.limits, orgID)}
}

// imports are the budgets an import by the caller for org draws on.
func (r rateLimiter) imports(c Caller, orgID string) []Budget {
	return []Budget{importUserBudget(r.limits, c.UserID), importOrgBudget(r.limits, orgID)}
}

// rateLimited is the error of a spent budget: what is limited, and when the
// window that refused ends (RetryAfter, measured from now).
func rateLimited(what string, b Budget, now time.Time) *Error {
	of := b.of
	if of == "" {
		of = "this use"
	}
	return &Error{Code: CodeRateLimited,
		Message:    fmt.Sprintf("%s are limited to %d per %s for %s; retry later", what, b.Limit, windowName(b.Window), of),
		RetryAfter: b.WindowEnd(now).Sub(now)}
}

func windowName(d time.Duration) string {
	switch d {
	case time.Hour:
		return "hour"
	case time.Minute:
		return "minute"
	}
	return d.String()
}

// take takes n units from every budget, or none: budgets are taken in
// order (the narrowest first), and those taken are given back when a later
// one refuses. A refusal is the rate-limited error of the refusing budget,
// with the units it had left.
func (r rateLimiter) take(ctx context.Context, what string, n int, now time.Time, budgets ...Budget) (left int, err error) {
	for i, b := range budgets {
		taken, l, err := r.limiter.Take(ctx, b, n, now)
		if err == nil && taken {
			continue
		}
		for _, prev := range budgets[:i] {
			if gerr := r.limiter.Give(ctx, prev, n, now); gerr != nil && err == nil {
				err = fmt.Errorf("give back %s: %w", prev.Key, gerr)
			}
		}
		if err != nil {
			return 0, err
		}
		return max(l, 0), rateLimited(what, b, now)
	}
	return 0, nil
}

// takeAll takes n units of every budget or answers the rate-limited error.
func (r rateLimiter) takeAll(ctx context.Context, what string, n int, now time.Time, budgets ...Budget) error {
	_, err := r.take(ctx, what, n, now, budgets...)
	return err
}

// takeUpTo takes as many units as every budget has left, at most n, and
// answers how many it took and, when fewer than n, the rate-limited error
// of a budget that fell short (for its message and RetryAfter). Each
// refusal lowers the ask to what the refusing budget had left, so it
// settles in a few round trips (one per budget when all n fit).
func (r rateLimiter) takeUpTo(ctx context.Context, what string, n int, now time.Time, budgets ...Budget) (int, *Error, error) {
	if n <= 0 {
		return 0, nil, nil
	}
	want, short := n, (*Error)(nil)
	for _, b := range budgets {
		if b.Limit < want {
			want, short = b.Limit, rateLimited(what, b, now)
		}
	}
	for attempt := 0; want > 0 && attempt < 2*len(budgets)+2; attempt++ {
		left, err := r.take(ctx, what, want, now, budgets...)
		var de *Error
		switch {
		case err == nil:
			return want, short, nil
		case !errors.As(err, &de) || de.Code != CodeRateLimited:
			return 0, nil, err
		}
		short, want = de, min(want-1, left)
	}
	if short == nil {
		short = rateLimited(what, budgets[0], now)
	}
	return 0, short, nil
}
