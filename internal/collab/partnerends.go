package collab

import (
	"context"
	"errors"
	"time"
)

// Time-boxed partnerships (SPEC §14): a partnership may be given an end
// (endsAt). The sweep (EndDuePartnerships, run by the handoff function's
// one-minute schedule in AWS and by a ticker locally) tells both sides a
// day before, or at once when less is left, and begins the stop by itself
// at that time: the same stop job as a person's, recorded as
// partner.ended by the platform.

// Bounds of a partnership's end.
const (
	// EndWarning is how long before its end a partnership's both sides are
	// told.
	EndWarning = 24 * time.Hour
	// MaxPartnershipTerm is how far ahead an end may be set.
	MaxPartnershipTerm = 5 * 365 * 24 * time.Hour
	// endsPerSweep bounds the partnerships one sweep handles (the rest wait
	// for the next).
	endsPerSweep = 100
)

// Who set a partnership's end (Partner.EndSetBy).
const (
	EndSetByHost    = "host"
	EndSetByPartner = "partner"
)

// PlatformActor is the actor of what the platform does by itself (audit
// entries, jobs): a time-boxed partnership's end. A job it starts is
// nobody's own: a user whose identity provider subject happened to be this
// value gains nothing from it (GetJob, stopStartedBy).
const PlatformActor = "annobridge"

// SetPartnerEnd time-boxes a partnership (endsAt in the future, at most
// MaxPartnershipTerm ahead) or, with a zero endsAt, makes it open-ended
// again: whoever may stop it (the host's owner, the partner's side). Since
// either side may stop at any time, either may set an end where there is
// none or bring one earlier; only the host's owner, or the side that set
// the end, moves it later or clears it. A partnership whose stop began
// cannot be changed.
func (s *Partners) SetPartnerEnd(ctx context.Context, c Caller, projectID, orgID string, endsAt time.Time) (Partner, error) {
	p, hostOwner, refused, err := s.stopStanding(ctx, c, projectID, orgID)
	if err == nil {
		err = refused
	}
	if err != nil {
		return Partner{}, err
	}
	pa, err := s.stoppablePartner(ctx, p, orgID, hostOwner)
	if err != nil {
		return Partner{}, err
	}
	// Checked only now: to anyone who may not, the answer is not found
	// whatever endsAt says.
	now := s.clock.Now()
	if !endsAt.IsZero() && (!endsAt.After(now) || endsAt.Sub(now) > MaxPartnershipTerm) {
		return Partner{}, invalid("endsAt", "must be in the future, at most 5 years ahead (or null for no end)")
	}
	if pa.StoppingJob != "" {
		return Partner{}, Errorf(CodeConflict, "the stop of this partner is under way: see /jobs/%s", pa.StoppingJob)
	}
	side := EndSetByPartner
	if hostOwner {
		side = EndSetByHost
	}
	later := !pa.EndsAt.IsZero() && (endsAt.IsZero() || endsAt.After(pa.EndsAt))
	if later && !hostOwner && pa.EndSetBy != side {
		return Partner{}, Errorf(CodeForbidden, "the host set this end: only the host's owner moves it later or clears it")
	}
	if !hostOwner && pa.EndSetBy == EndSetByHost {
		side = EndSetByHost // brought earlier, it is still the host's end: the partner may not move it later after
	}
	what := "partner.end_set"
	if endsAt.IsZero() {
		what = "partner.end_cleared"
	}
	audit := s.entry(ProjectScope(projectID), c, orgID, what, map[string]any{"endsAt": pa.EndsAt}, map[string]any{"endsAt": endsAt})
	if endsAt.IsZero() {
		side = ""
	}
	if err := s.store.SetPartnerEnd(ctx, pa, endsAt.UTC(), side, audit); err != nil {
		return Partner{}, err
	}
	pa.EndsAt, pa.EndWarned, pa.EndSetBy = endsAt.UTC(), false, side
	pa.Version++
	return pa, nil
}

// EndsReport is what one sweep of partnership ends did.
type EndsReport struct {
	Warned  int // partnerships whose both sides were told the end draws near
	Stopped int // partnerships whose stop began
	Errors  []string
}

// EndDuePartnerships warns of the partnerships ending within EndWarning
// and begins the stop of those whose end has come. Each is done on its
// own: one that fails is tried again by the next sweep.
func (s *Partners) EndDuePartnerships(ctx context.Context) (EndsReport, error) {
	now := s.clock.Now()
	due, err := s.store.ListPartnerEnds(ctx, now.Add(EndWarning), endsPerSweep)
	if err != nil {
		return EndsReport{}, err
	}
	rep, err := sweepEnds(due, func(scope, org string) (bool, bool, error) { return s.endPartnership(ctx, scope, org, now) })
	// The ending partnerships (?inFlight=finish) whose last review
	// finished without its check ending them are ended here.
	fin, ferr := s.finishEnding(ctx)
	rep.Stopped += fin.Stopped
	rep.Errors = append(rep.Errors, fin.Errors...)
	return rep, errors.Join(err, ferr)
}

// sweepEnds handles each due (scope, org) with one, on its own: one that
// fails is in the report and the joined error, and tried again by the next
// sweep.
func sweepEnds(due [][2]string, one func(scope, org string) (warned, stopped bool, err error)) (EndsReport, error) {
	var rep EndsReport
	var errs []error
	for _, ref := range due {
		warned, stopped, err := one(ref[0], ref[1])
		if err != nil {
			errs = append(errs, err)
			rep.Errors = append(rep.Errors, ref[0]+"/"+ref[1]+": "+err.Error())
		}
		if warned {
			rep.Warned++
		}
		if stopped {
			rep.Stopped++
		}
	}
	return rep, errors.Join(errs...)
}

// endPartnership warns of one partnership's end or begins its stop.
func (s *Partners) endPartnership(ctx context.Context, projectID, orgID string, now time.Time) (warned, stopped bool, err error) {
	p, _, err := s.rights.LoadStanding(ctx, projectID, "")
	if IsCode(err, CodeNotFound) {
		return false, false, nil // the project is gone, and its partners with it
	}
	if err != nil {
		return false, false, err
	}
	pa, err := s.store.GetPartnerRecord(ctx, projectID, orgID)
	if IsCode(err, CodeNotFound) || err == nil && (pa.StoppingJob != "" || pa.EndsAt.IsZero()) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	if !now.Before(pa.EndsAt) {
		due := func(pa Partner) bool { return !pa.EndsAt.IsZero() && !now.Before(pa.EndsAt) }
		if _, err := s.beginStop(ctx, Caller{UserID: PlatformActor}, p, orgID, false, "partner.ended", due); err == errNotNow {
			return false, false, nil // the end was cleared or moved meanwhile
		} else if err != nil {
			return false, false, err
		}
		return false, true, nil
	}
	if pa.EndWarned {
		return false, false, nil
	}
	if err := s.endingNotices(ctx, p, pa); err != nil {
		return false, false, err
	}
	if err := s.store.MarkPartnerEndWarned(ctx, pa); err != nil && !IsCode(err, CodeConflict) {
		return false, false, err
	}
	return true, false, nil
}

// endingNotices tells the partner's manager and the host's owners that the
// partnership ends at its EndsAt. Each mail's id names the partnership, the
// end and the recipient, so a sweep done again sends nothing twice.
func (s *Partners) endingNotices(ctx context.Context, p Project, pa Partner) error {
	for _, m := range s.stopRecipients(ctx, p, pa, false) {
		link := s.appLink("projects", p.ID)
		if m.Side != SideHost {
			link = s.appLink("orgs", pa.OrgID, "projects")
		}
		id := "ending-" + p.ID + "-" + pa.OrgID + "-" + pa.EndsAt.UTC().Format("20060102T150405") + "-" + m.UserID
		e, err := ComposeNotice(NoticeEnding, id, m.Email, EndingNotice{OrgName: pa.OrgName, ProjectName: p.Name, EndsAt: pa.EndsAt, Link: link})
		if err != nil {
			return err
		}
		if err := s.mailer.Send(ctx, e); err != nil {
			return err
		}
	}
	return nil
}
