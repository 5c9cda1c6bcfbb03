package collab

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Review metrics per org (SPEC §14): how often each partner's own-stage
// approvals are overturned at the host's final review. Every decision that
// counts writes its org's counters in its own transaction
// (ItemChange.OrgReview); reading them is one query per shard, never a
// scan.

// The counters of the review metrics, per project, org and day.
const (
	CountReviewedOwnStage Counter = "reviewedOwnStage"
	CountApprovedOwnStage Counter = "approvedOwnStage"
	CountOverturnedByHost Counter = "overturnedByHost"
)

// OrgReviewDelta counts one decision into its org's review metrics.
type OrgReviewDelta struct {
	ProjectID string
	OrgID     string
	ItemID    string // spreads a project's counters over partitions (the store's concern)
	Day       string // 2006-01-02
	Counts    map[Counter]int
}

// orgReviewCounts is what a decision (the row it fires on the item) counts
// in the review metrics of the item's org: a partner reviewer's approval or
// rejection at its own stage is a review there (the approval also an
// approval), and the host's rejection at its final review of an item a
// partner approved (a partner item reaches that stage only through that
// approval; the host's bypass goes straight to done) overturns it.
func orgReviewCounts(a Access, t Transition, it Item) map[Counter]int {
	switch {
	case t.Event == EvApprovePartner:
		return map[Counter]int{CountReviewedOwnStage: 1, CountApprovedOwnStage: 1}
	case t.Event == EvReject && it.Status == StWaitingCollabReview && a.is(ActorPartnerReviewer, it):
		return map[Counter]int{CountReviewedOwnStage: 1}
	case t.Event == EvReject && it.Status == StWaitingOwnerReview && a.partnerItem(it):
		return map[Counter]int{CountOverturnedByHost: 1}
	}
	return nil
}

// orgReviewDelta is the decision's delta, or nil when it counts nothing.
func orgReviewDelta(a Access, t Transition, it Item, now time.Time) *OrgReviewDelta {
	counts := orgReviewCounts(a, t, it)
	if counts == nil {
		return nil
	}
	return &OrgReviewDelta{ProjectID: it.ProjectID, OrgID: it.OrgID, ItemID: it.ID, Day: day(now), Counts: counts}
}

// OrgReviewMetrics is one org's row of a project's review metrics over a
// range of days. The rates are nil when there is nothing to divide by.
type OrgReviewMetrics struct {
	OrgID              string
	OrgName            string
	ReviewedAtOwnStage int
	ApprovedAtOwnStage int
	OverturnedByHost   int
	ApprovalRate       *float64 // approved / reviewed at the org's own stage
	OverturnRate       *float64 // overturned by the host / approved
}

// NewOrgReviewMetrics builds a row from its counters.
func NewOrgReviewMetrics(orgID, orgName string, counts map[Counter]int) OrgReviewMetrics {
	m := OrgReviewMetrics{OrgID: orgID, OrgName: orgName, ReviewedAtOwnStage: counts[CountReviewedOwnStage],
		ApprovedAtOwnStage: counts[CountApprovedOwnStage], OverturnedByHost: counts[CountOverturnedByHost]}
	ratio := func(a, b int) *float64 {
		if b == 0 {
			return nil
		}
		r := float64(a) / float64(b)
		return &r
	}
	m.ApprovalRate = ratio(m.ApprovedAtOwnStage, m.ReviewedAtOwnStage)
	m.OverturnRate = ratio(m.OverturnedByHost, m.ApprovedAtOwnStage)
	return m
}

// analyticsDays is the range [from, to] an analytics read covers: to
// defaults to now, from to AnalyticsDefaultDays before to.
func analyticsDays(from, to, now time.Time) (time.Time, time.Time, error) {
	if to.IsZero() {
		to = now
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -AnalyticsDefaultDays)
	}
	if to.Before(from) {
		return from, to, invalid("to", "must not be before from")
	}
	return from, to, nil
}

// ReviewMetrics lists a project's review metrics per partner org over
// [from, to]. The host's owners, developers, project managers and final
// reviewers see every org that has figures or is a partner now (other host
// members are refused); a partner's members with members.view see only
// their own org's row (an org with no figures yet gets a row of zeros).
func (s *Review) ReviewMetrics(ctx context.Context, c Caller, projectID string, from, to time.Time) (time.Time, time.Time, []OrgReviewMetrics, error) {
	from, to, err := analyticsDays(from, to, s.clock.Now())
	if err != nil {
		return from, to, nil, err
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return from, to, nil, err
	}
	g, err := a.require(ActMembersView)
	if err != nil {
		return from, to, nil, err
	}
	everyOrg := a.Side == SideHost && (g == Allow || a.hostReviewer())
	if a.Side == SideHost && !everyOrg {
		return from, to, nil, Errorf(CodeForbidden, "only the host's owners, developers, project managers and reviewers see review metrics")
	}
	counts, err := s.store.ReadOrgReviewCounts(ctx, projectID, day(from), day(to))
	if err != nil {
		return from, to, nil, err
	}
	partners, err := s.store.ListPartners(ctx, projectID)
	if err != nil {
		return from, to, nil, err
	}
	names := map[string]string{}
	for _, p := range partners {
		names[p.OrgID] = p.OrgName
		if _, ok := counts[p.OrgID]; !ok {
			counts[p.OrgID] = map[Counter]int{}
		}
	}
	if !everyOrg {
		if _, ok := counts[a.OrgID]; !ok {
			counts[a.OrgID] = map[Counter]int{}
		}
	}
	var out []OrgReviewMetrics
	for org, cs := range counts {
		if !everyOrg && org != a.OrgID {
			continue
		}
		name, ok := names[org]
		if !ok { // no partner row (a workspace collaborator, a partnership ended)
			if o, err := s.store.GetOrg(ctx, org); err == nil {
				name = o.Name
			}
		}
		out = append(out, NewOrgReviewMetrics(org, name, cs))
	}
	slices.SortFunc(out, func(x, y OrgReviewMetrics) int { return strings.Compare(x.OrgID, y.OrgID) })
	return from, to, out, nil
}
