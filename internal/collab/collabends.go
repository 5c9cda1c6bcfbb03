package collab

import (
	"context"
	"time"
)

// Time-boxed workspace collaborations (SPEC §14), as partnerships are
// (partnerends.go): an end set on a collaborator by whoever may remove it;
// the sweep warns both orgs' owners and admins within EndWarning of it and
// begins the removal at it (collaborator.ended by the platform).

// SetCollaboratorEnd time-boxes a workspace collaboration or clears its
// end: the owning org's admins and the collaborator org's owners and
// admins (whoever may remove it), with the partnerships' rules: either
// side sets an end where there is none or brings one earlier; only the
// side that set an end, or the owning org, moves it later or clears it.
func (s *Collaborators) SetCollaboratorEnd(ctx context.Context, c Caller, wsID, orgID string, endsAt time.Time) (Collaborator, error) {
	a, col, err := s.collaboratorIn(ctx, c, wsID, orgID, WsCollaboratorsRemove)
	if err != nil {
		return Collaborator{}, err
	}
	now := s.clock.Now()
	if !endsAt.IsZero() && (!endsAt.After(now) || endsAt.Sub(now) > MaxPartnershipTerm) {
		return Collaborator{}, invalid("endsAt", "must be in the future, at most 5 years ahead (or null for no end)")
	}
	if col.RemovingJob != "" {
		return Collaborator{}, Errorf(CodeConflict, "the collaborator is being removed")
	}
	// The workspace's org decides as the host through its admins; its
	// other members may remove a collaborator only as owners or admins of
	// the collaborator org, and act as that side.
	host := a.Side == SideHost && a.Role == WSAdmin
	side := EndSetByPartner
	if host {
		side = EndSetByHost
	}
	later := !col.EndsAt.IsZero() && (endsAt.IsZero() || endsAt.After(col.EndsAt))
	if later && !host && col.EndSetBy != side {
		return Collaborator{}, Errorf(CodeForbidden, "the workspace's org set this end: only it moves it later or clears it")
	}
	if !host && col.EndSetBy == EndSetByHost {
		side = EndSetByHost // brought earlier, it is still the workspace org's end
	}
	what := "collaborator.end_set"
	if endsAt.IsZero() {
		what, side = "collaborator.end_cleared", ""
	}
	audit := s.entry(WorkspaceScope(wsID), c, orgID, what, map[string]any{"endsAt": col.EndsAt}, map[string]any{"endsAt": endsAt})
	if err := s.store.SetCollaboratorEnd(ctx, col, endsAt.UTC(), side, audit); err != nil {
		return Collaborator{}, err
	}
	col.EndsAt, col.EndWarned, col.EndSetBy = endsAt.UTC(), false, side
	col.Version++
	return col, nil
}

// EndDueCollaborations warns of the collaborations ending within
// EndWarning and begins the removal of those whose end has come, each on
// its own (one that fails is tried again by the next sweep).
func (s *Collaborators) EndDueCollaborations(ctx context.Context) (EndsReport, error) {
	now := s.clock.Now()
	due, err := s.store.ListCollaboratorEnds(ctx, now.Add(EndWarning), endsPerSweep)
	if err != nil {
		return EndsReport{}, err
	}
	return sweepEnds(due, func(ws, org string) (bool, bool, error) { return s.endCollaboration(ctx, ws, org, now) })
}

func (s *Collaborators) endCollaboration(ctx context.Context, wsID, orgID string, now time.Time) (warned, stopped bool, err error) {
	col, err := s.store.GetCollaborator(ctx, wsID, orgID)
	if IsCode(err, CodeNotFound) || err == nil && (col.RemovingJob != "" || col.EndsAt.IsZero()) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	if !now.Before(col.EndsAt) {
		due := func(c Collaborator) bool { return !c.EndsAt.IsZero() && !now.Before(c.EndsAt) }
		if _, err := s.beginRemoval(ctx, Caller{UserID: PlatformActor}, col, "collaborator.ended", due); err == errNotNow {
			return false, false, nil
		} else if err != nil {
			return false, false, err
		}
		return false, true, nil
	}
	if col.EndWarned {
		return false, false, nil
	}
	if err := s.collabEndingNotices(ctx, col); err != nil {
		return false, false, err
	}
	if err := s.store.MarkCollaboratorEndWarned(ctx, col); err != nil && !IsCode(err, CodeConflict) {
		return false, false, err
	}
	return true, false, nil
}

// collabEndingNotices tells the owners and admins of both orgs that the
// collaboration ends at its EndsAt, one mail each per end.
func (s *Collaborators) collabEndingNotices(ctx context.Context, col Collaborator) error {
	st, err := s.rights.LoadWorkspaceStanding(ctx, col.WorkspaceID, "", "")
	if err != nil {
		return err
	}
	w := st.Workspace
	for _, org := range []string{w.OrgID, col.OrgID} {
		var ms []OrgMembership
		for cursor := ""; ; {
			page, next, err := s.store.ListOrgMembers(ctx, org, Page{Limit: MaxPageLimit, Cursor: cursor})
			if err != nil {
				return err
			}
			ms = append(ms, page...)
			if cursor = next; cursor == "" {
				break
			}
		}
		for _, m := range ms {
			if !m.Role.HasWorkforceAccess() {
				continue
			}
			id := "ending-" + col.WorkspaceID + "-" + col.OrgID + "-" + col.EndsAt.UTC().Format("20060102T150405") + "-" + m.UserID
			e, err := ComposeNotice(NoticeEnding, id, m.Email, EndingNotice{OrgName: col.OrgName, WorkspaceName: w.Name, EndsAt: col.EndsAt,
				Link: s.appLink("orgs", org, "workspaces")})
			if err != nil {
				return err
			}
			if err := s.mailer.Send(ctx, e); err != nil {
				return err
			}
		}
	}
	return nil
}
