package collab

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Partners lists a project's partners and stops collaborations.
type Partners struct {
	base
	store         PartnerStore
	mailer        Mailer
	jobs          *Jobs
	collaborators *Collaborators // inbound approval of workspace collaborations
	// endingPage is where the sweep of ending partnerships goes on.
	endingPage struct {
		sync.Mutex
		cursor string
	}
}

// PartnerStore is what the partner use cases need.
type PartnerStore interface {
	GetProjectMember(ctx context.Context, projectID, userID string) (ProjectMember, error)
	ListProjectMembers(ctx context.Context, projectID string, f MemberFilter, p Page) ([]ProjectMember, string, error)
	// ListPartners lists a project's live partners: one whose stop has
	// begun is not among them.
	ListPartners(ctx context.Context, projectID string) ([]Partner, error)
	// GetPartnerRecord reads a partner whatever its state, a stop under
	// way included (Partner.StoppingJob).
	GetPartnerRecord(ctx context.Context, projectID, orgID string) (Partner, error)
	// MarkPartnerStopping flags the partner as stopping (version-checked)
	// and writes its stop job, with the audit entries, in one transaction.
	MarkPartnerStopping(ctx context.Context, p Partner, j Job, audit ...AuditEntry) error
	// ListOrgGroupLinks lists one page of the links of an org's groups to a
	// project.
	ListOrgGroupLinks(ctx context.Context, projectID, orgID string, p Page) ([]GroupLink, string, error)
	DeleteGroupLinks(ctx context.Context, ls []GroupLink) error
	DeleteProjectMembers(ctx context.Context, ms []ProjectMember) error
	// DeleteStoppedPartner deletes the partner item the stop job jobID
	// ends; one already gone, or replaced by a later partnership, is left
	// alone.
	DeleteStoppedPartner(ctx context.Context, projectID, orgID, jobID string) error
	ListCollaborators(ctx context.Context, wsID string) ([]Collaborator, error)
	GetCollaborator(ctx context.Context, wsID, orgID string) (Collaborator, error)
	// ListItems lists one page of items in one status (one org's with
	// orgID), from an index: GetItems tells their state now.
	ListItems(ctx context.Context, projectID string, st ItemStatus, orgID, assigneeID string, p Page) ([]Item, string, error)
	// GetItems reads items consistently.
	GetItems(ctx context.Context, projectID string, itemIDs []string) (map[string]Item, error)
	ApplyItemChange(ctx context.Context, ch ItemChange) error
	// SetPartnerEnd sets (zero: clears) a partnership's end, version-checked.
	SetPartnerEnd(ctx context.Context, p Partner, endsAt time.Time, setBy string, audit ...AuditEntry) error
	// MarkPartnerEndWarned notes both sides were told the end draws near.
	MarkPartnerEndWarned(ctx context.Context, p Partner) error
	// ListPartnerEnds lists (project, org) of the partnerships ending at or
	// before t, soonest first.
	ListPartnerEnds(ctx context.Context, t time.Time, limit int) ([][2]string, error)
	// ListPendingPartners lists an org's partnerships waiting for its
	// approval; ApprovePartner ends the wait (version-checked).
	ListPendingPartners(ctx context.Context, orgID string) ([]PendingPartner, error)
	ApprovePartner(ctx context.Context, p Partner, audit ...AuditEntry) error
	// MarkPartnerEnding marks the partnership ending since then
	// (version-checked), with its audit entry, and lists it among the
	// ending partnerships the sweep reads (MarkPartnerStopping takes it off
	// that list).
	MarkPartnerEnding(ctx context.Context, p Partner, since, endsAt time.Time, audit ...AuditEntry) error
	// ListEndingPartners lists (project, org) of ending partnerships.
	ListEndingPartners(ctx context.Context, limit int, cursor string) ([][2]string, string, error)
	// ForgetEndingPartner takes a partnership off that list.
	ForgetEndingPartner(ctx context.Context, projectID, orgID string) error
}

// returnStatuses are the statuses a leaving org's items return to the host
// from: those of the review table's return row.
func returnStatuses() []ItemStatus {
	var out []ItemStatus
	for _, st := range ItemStatuses {
		if _, ok := ReturnToHost(st); ok {
			out = append(out, st)
		}
	}
	return out
}

// returnAttempts bounds how often one item's return is tried again after
// colliding with another change of it.
const returnAttempts = 5

// returnItemsToHost hands every in-flight item of a leaving org back to
// the host (the collaborator removal job calls it project by project).
func (s *Partners) returnItemsToHost(ctx context.Context, projectID, orgID string) error {
	p, _, err := s.rights.LoadStanding(ctx, projectID, "")
	if err != nil {
		return err
	}
	for _, st := range returnStatuses() {
		for cursor := ""; ; {
			_, _, _, next, err := s.returnItemsPage(ctx, p, orgID, st, cursor)
			if err != nil {
				return err
			}
			if next == "" {
				break
			}
			cursor = next
		}
	}
	return nil
}

// returnItemsPage hands back one page of the org's items in status st:
// each goes back to new, unassigned, out of its task, owned by the host
// org; a pending handoff is dropped (its message then finds the item moved
// on). The page is read again consistently, and an item already back (or
// final, or gone) is left alone, so a page done twice changes nothing
// twice. It answers how many items it listed and returned, and the next
// page's cursor.
func (s *Partners) returnItemsPage(ctx context.Context, p Project, orgID string, st ItemStatus, cursor string) (listed, returned, dropped int, next string, err error) {
	page, next, err := s.store.ListItems(ctx, p.ID, st, orgID, "", Page{Limit: JobChunk, Cursor: cursor})
	if err != nil || len(page) == 0 {
		return 0, 0, 0, next, err
	}
	ids := make([]string, len(page))
	for i, it := range page {
		ids[i] = it.ID
	}
	now, err := s.store.GetItems(ctx, p.ID, ids)
	if err != nil {
		return 0, 0, 0, "", err
	}
	for _, id := range ids {
		it, ok := now[id]
		moved, pending, err := s.returnItem(ctx, p, orgID, it, ok)
		if err != nil {
			return 0, 0, 0, "", err
		}
		if moved {
			returned++
		}
		if moved && pending {
			dropped++
		}
	}
	return len(page), returned, dropped, next, nil
}

// returnItem hands one item (as just read) back. A change that collides
// with another one of the item is tried again on a fresh read, never
// skipped.
// It reports whether the item moved, and whether a handoff of it was under
// way (and so dropped).
func (s *Partners) returnItem(ctx context.Context, p Project, orgID string, it Item, found bool) (moved, pending bool, err error) {
	for attempt := range returnAttempts {
		if attempt > 0 {
			got, gerr := s.store.GetItems(ctx, p.ID, []string{it.ID})
			if gerr != nil {
				return false, false, gerr
			}
			it, found = got[it.ID]
		}
		t, ok := ReturnToHost(it.Status)
		if !found || !ok || it.OrgID != orgID || it.OrgID == p.HostOrgID {
			return false, false, nil // gone, final, or not the leaving org's (any more)
		}
		if err = s.store.ApplyItemChange(ctx, s.returnChange(p, orgID, it, t)); err == nil {
			return true, it.PendingHandoff != "", nil
		}
		if !IsCode(err, CodeConflict) {
			return false, false, err
		}
		select {
		case <-ctx.Done():
			return false, false, ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
		}
	}
	return false, false, fmt.Errorf("item %s kept changing while it returned to the host: %w", it.ID, err)
}

// returnChange is the change handing an item back to the host.
func (s *Partners) returnChange(p Project, orgID string, it Item, t Transition) ItemChange {
	now := s.clock.Now()
	after := it
	after.Status, after.AssigneeID, after.OrgID, after.PendingHandoff, after.StatusSince = t.To, "", p.HostOrgID, "", now
	// Out of the leaving org's task, in a new segment the partner's work
	// stays out of.
	after.TaskID, after.TaskKind, after.ReviewerID, after.SegmentStart = "", "", "", now
	return ItemChange{Before: it, After: after, Event: &ItemEvent{ItemID: it.ID, ID: s.ids.New("ev"), From: it.Status, To: t.To,
		OrgID: orgID, At: now, Comment: "returned to the host: the partner stopped collaborating"}}
}

// ListProjectPartners lists every partner of a project: orgs attached by
// share link or as labeling companies, and workspace collaborators whose
// project access covers it. The host sees all; a partner sees itself. A
// partner whose stop has begun is no longer listed.
func (s *Partners) ListProjectPartners(ctx context.Context, c Caller, projectID string) ([]Partner, error) {
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return nil, err
	}
	partners, err := s.store.ListPartners(ctx, projectID)
	if err != nil {
		return nil, err
	}
	cols, err := s.store.ListCollaborators(ctx, a.Project.WorkspaceID)
	if err != nil {
		return nil, err
	}
	for _, col := range cols {
		if col.Access.Covers(projectID) && !slices.ContainsFunc(partners, func(p Partner) bool { return p.OrgID == col.OrgID }) {
			partners = append(partners, Partner{ProjectID: projectID, OrgID: col.OrgID, OrgName: col.OrgName, Kind: PartnerCollaborator,
				Types: col.Types, HostOrgID: a.Project.HostOrgID, AddedAt: col.AddedAt})
		}
	}
	if a.Side == SideExternal {
		partners = slices.DeleteFunc(partners, func(p Partner) bool { return p.OrgID != a.OrgID })
	}
	return partners, nil
}

// StopCollaboration ends a partner's work on a project, from either end:
// the host's owner (partners.manage), or the partner's side (its manager on
// the project, or an owner or admin of the partner org, who need no project
// standing of their own). In one transaction, with its audit entry, the
// partner is marked stopping, so its access stops at once, and the stop
// job is written; the job (stopChunk) then removes the org's group links
// and project memberships, returns its in-flight items to the host, tells
// whom it concerns and deletes the partner. Asked again while the stop is
// under way, it answers the same job (and queues a run of it again, so a
// retry finishes what a lost message left).
func (s *Partners) StopCollaboration(ctx context.Context, c Caller, projectID, orgID string) (Job, error) {
	p, hostOwner, refused, err := s.stopStanding(ctx, c, projectID, orgID)
	if err != nil {
		return Job{}, err
	}
	if refused != nil {
		// The one who started a stop (whose standing may have gone with
		// it) asks again: their job.
		if j, ok, err := s.stopStartedBy(ctx, c, projectID, orgID); err != nil || ok {
			return j, err
		}
		return Job{}, refused
	}
	return s.beginStop(ctx, c, p, orgID, hostOwner, "partner.stopped", nil)
}

// errNotNow: the partner no longer meets the condition a stop was begun
// under (beginStop's still).
var errNotNow = Errorf(CodeNotFound, "nothing to stop any more")

// beginStop marks the partner stopping and queues its stop job, recorded
// as `what` by c; hostOwner false tells the host's owners too (the partner
// side stopped, or the partnership ended by itself). A stop already under
// way answers its job. still, when given, must hold of the partner as read
// each time (the version check of the mark makes the last read the one
// stopped): otherwise nothing is stopped and the answer is errNotNow (the
// sweep's end, cleared or moved meanwhile; a rejection of a partnership
// approved meanwhile).
func (s *Partners) beginStop(ctx context.Context, c Caller, p Project, orgID string, hostOwner bool, what string, still func(Partner) bool) (Job, error) {
	for attempt := 1; ; attempt++ {
		pa, err := s.stoppablePartner(ctx, p, orgID, hostOwner)
		if err != nil {
			return Job{}, err
		}
		if pa.StoppingJob != "" {
			return s.resumeStop(ctx, pa.StoppingJob)
		}
		if still != nil && !still(pa) {
			return Job{}, errNotNow
		}
		// Whom to tell, read while the partner's people are still on the
		// project: its manager, and the host's owners when the partner stops.
		var tell []string
		for _, m := range s.stopRecipients(ctx, p, pa, hostOwner) {
			if !slices.Contains(tell, m.UserID) {
				tell = append(tell, m.UserID)
			}
		}
		now := s.clock.Now()
		j := Job{ID: s.ids.New("job"), Kind: JobStopPartner, Status: JobQueued, WorkspaceID: p.WorkspaceID, OrgID: orgID, ProjectID: p.ID,
			Targets: tell, CreatedBy: c.UserID, CreatedAt: now, UpdatedAt: now, Version: 1}
		err = s.store.MarkPartnerStopping(ctx, pa, j, s.entry(ProjectScope(p.ID), c, orgID, what, pa, map[string]any{"jobId": j.ID}))
		if err == nil {
			return s.jobs.enqueue(ctx, j)
		}
		// The partner changed meanwhile (another stop began, its manager
		// changed) or a concurrent write collided: read it again.
		if !IsCode(err, CodeConflict) || attempt == stopAttempts {
			return Job{}, err
		}
	}
}

// stopStanding is who the caller is to a stop of orgID's partnership: the
// host's owner (partners.manage), or the partner's side (its manager on the
// project, or an owner or admin of the partner org); refused says why
// anyone else may not (not found to those outside, forbidden to the host's
// other members).
func (s *Partners) stopStanding(ctx context.Context, c Caller, projectID, orgID string) (p Project, hostOwner bool, refused, err error) {
	p, st, err := s.rights.LoadStanding(ctx, projectID, c.UserID)
	if err != nil {
		return p, false, nil, err
	}
	e := st.Resolve()
	hostOwner = e.Can(ActPartnersManage) == Allow
	partnerSide := e.Side == SideExternal && e.OrgID == orgID && e.Role.Rank() >= RoleAnnotationManager.Rank()
	if !hostOwner && !partnerSide {
		ok, err := s.hasWorkforce(ctx, c, orgID)
		if err != nil {
			return p, false, nil, err
		}
		partnerSide = ok && orgID != p.HostOrgID
	}
	switch {
	case hostOwner || partnerSide:
		return p, hostOwner, nil, nil
	case e.None() || e.Side == SideExternal:
		return p, false, Errorf(CodeNotFound, "project %q not found", projectID), nil
	}
	return p, false, Errorf(CodeForbidden, "only the host's owner or the partner's manager stops a collaboration"), nil
}

// stoppablePartner reads the partner a stop ends: not found when the org is
// none (a conflict, to the host's owner, when it collaborates through the
// workspace instead). To anyone but the host's owner, not a partner reads
// as no project: an owner or admin of any org may ask for its org, and
// must not learn from the answer that a project exists (SPEC §11).
func (s *Partners) stoppablePartner(ctx context.Context, p Project, orgID string, hostOwner bool) (Partner, error) {
	pa, err := s.store.GetPartnerRecord(ctx, p.ID, orgID)
	if IsCode(err, CodeNotFound) {
		if !hostOwner {
			return pa, Errorf(CodeNotFound, "project %q not found", p.ID)
		}
		if col, cerr := s.store.GetCollaborator(ctx, p.WorkspaceID, orgID); cerr == nil && col.Access.Covers(p.ID) {
			return pa, Errorf(CodeConflict, "this org collaborates through the workspace: change its project access or remove the collaborator")
		}
		return pa, Errorf(CodeNotFound, "org %q is not a partner of this project", orgID)
	}
	return pa, err
}

// PreviewStop answers what stopping orgID's partnership would do now,
// changing nothing (DELETE …?dryRun=true): the caller may stop it, and the
// figures are those the stop job then tallies (StopTallyOf), if nothing
// changes in between. A stop under way is a conflict.
func (s *Partners) PreviewStop(ctx context.Context, c Caller, projectID, orgID string) (StopTally, error) {
	p, hostOwner, refused, err := s.stopStanding(ctx, c, projectID, orgID)
	if err == nil {
		err = refused
	}
	if err != nil {
		return StopTally{}, err
	}
	pa, err := s.stoppablePartner(ctx, p, orgID, hostOwner)
	if err != nil {
		return StopTally{}, err
	}
	if pa.StoppingJob != "" {
		return StopTally{}, Errorf(CodeConflict, "the stop of this partner is under way: see /jobs/%s", pa.StoppingJob)
	}
	out := StopTally{Items: map[ItemStatus]int{}}
	for cursor := ""; ; {
		ms, next, err := s.store.ListProjectMembers(ctx, p.ID, MemberFilter{OrgID: orgID}, Page{Limit: MaxPageLimit, Cursor: cursor})
		if err != nil {
			return StopTally{}, err
		}
		out.Members += len(ms)
		if cursor = next; cursor == "" {
			break
		}
	}
	for _, st := range returnStatuses() {
		for cursor := ""; ; {
			items, next, err := s.store.ListItems(ctx, p.ID, st, orgID, "", Page{Limit: MaxPageLimit, Cursor: cursor})
			if err != nil {
				return StopTally{}, err
			}
			for _, it := range items {
				out.Items[st]++
				if it.PendingHandoff != "" {
					out.PendingHandoffs++
				}
			}
			if cursor = next; cursor == "" {
				break
			}
		}
	}
	return out, nil
}

// StopTally is what a partner's stop does: the org's project memberships
// it ends, its in-flight items it returns to the host by status, and how
// many of those had a handoff under way (dropped).
type StopTally struct {
	Members         int
	Items           map[ItemStatus]int
	PendingHandoffs int
}

// The stop job's tallies (Job.Counts).
const (
	tallyMembers = "members"
	tallyItems   = "items."
	tallyPending = "pendingHandoffs"
)

// StopTallyOf is what a stop_partner job has done so far.
func StopTallyOf(j Job) StopTally {
	out := StopTally{Members: j.Counts[tallyMembers], Items: map[ItemStatus]int{}, PendingHandoffs: j.Counts[tallyPending]}
	for name, n := range j.Counts {
		if st, ok := strings.CutPrefix(name, tallyItems); ok {
			out.Items[ItemStatus(st)] = n
		}
	}
	return out
}

// stopAttempts bounds how often a stop reads the partner again after a
// concurrent change of it.
const stopAttempts = 3

// stopStartedBy finds the stop under way of a partner that the caller
// started, and resumes it.
func (s *Partners) stopStartedBy(ctx context.Context, c Caller, projectID, orgID string) (Job, bool, error) {
	pa, err := s.store.GetPartnerRecord(ctx, projectID, orgID)
	if IsCode(err, CodeNotFound) || err == nil && pa.StoppingJob == "" {
		return Job{}, false, nil
	}
	if err != nil {
		return Job{}, false, err
	}
	j, err := s.jobs.store.GetJob(ctx, pa.StoppingJob)
	if IsCode(err, CodeNotFound) || err == nil && (j.CreatedBy != c.UserID || j.CreatedBy == PlatformActor) {
		return Job{}, false, nil
	}
	if err != nil {
		return Job{}, false, err
	}
	j, err = s.resumeStop(ctx, j.ID)
	return j, true, err
}

// resumeStop answers a stop under way with its job, queuing a run of it
// again: a duplicate run is harmless (it finds the checkpoint moved), and
// one after a lost message or a failed run finishes the work. A job that
// ended (succeeded, or failed for good: the jobs' own retry restarts it
// from its checkpoint) is answered as it is.
func (s *Partners) resumeStop(ctx context.Context, jobID string) (Job, error) {
	j, err := s.jobs.store.GetJob(ctx, jobID)
	if err != nil || j.Status == JobSucceeded || j.Status == JobFailed {
		return j, err
	}
	return s.jobs.enqueue(ctx, j)
}

// stopRecipients: the partner's manager always; the host project's owners
// when the partner side stops.
func (s *Partners) stopRecipients(ctx context.Context, p Project, pa Partner, byHost bool) []ProjectMember {
	var out []ProjectMember
	// Only people still in their org are told: one who left keeps no
	// news of its partnerships.
	stillIn := func(orgID, userID string) bool {
		_, err := s.rights.GetOrgMembership(ctx, orgID, userID)
		return err == nil
	}
	if m, err := s.store.GetProjectMember(ctx, p.ID, pa.ManagerID); err == nil && m.OrgID == pa.OrgID && stillIn(pa.OrgID, m.UserID) {
		out = append(out, m)
	}
	if !byHost {
		owners, _, err := s.store.ListProjectMembers(ctx, p.ID, MemberFilter{OrgID: p.HostOrgID, Role: RoleOwner}, Page{Limit: MaxPageLimit})
		if err == nil {
			for _, o := range owners {
				if stillIn(p.HostOrgID, o.UserID) {
					out = append(out, o)
				}
			}
		}
	}
	return out
}

// The stop job's phases, in order. Each is done in chunks from its
// checkpoint, and every write of a chunk is safe to repeat.
const (
	stopLinks   = "links"   // the org's group links to the project go first, so no group brings anyone back
	stopPeople  = "people"  // the org's project memberships
	stopItems   = "items:"  // + a status: the org's items in it return to the host
	stopNotices = "notices" // the "collaboration stopped" mails, one id per job and recipient
	stopPartner = "partner" // last, the partner item, the stop's marker
)

// stopChunk does one chunk of a stop_partner job (JobStopPartner).
func (s *Partners) stopChunk(ctx context.Context, j *Job) (bool, error) {
	p, _, err := s.rights.LoadStanding(ctx, j.ProjectID, "")
	if IsCode(err, CodeNotFound) {
		// The project was deleted, and everything under it with it.
		return true, s.store.DeleteStoppedPartner(ctx, j.ProjectID, j.OrgID, j.ID)
	}
	if err != nil {
		return false, err
	}
	if j.Phase == jobPhaseFirst {
		j.Phase = stopLinks
	}
	switch {
	case j.Phase == stopLinks:
		links, next, err := s.store.ListOrgGroupLinks(ctx, p.ID, j.OrgID, Page{Limit: JobChunk, Cursor: j.Cursor})
		if err != nil {
			return false, err
		}
		if err := s.store.DeleteGroupLinks(ctx, links); err != nil {
			return false, err
		}
		stopProgress(j, len(links), len(links), next, stopPeople)
	case j.Phase == stopPeople:
		ms, next, err := s.store.ListProjectMembers(ctx, p.ID, MemberFilter{OrgID: j.OrgID}, Page{Limit: JobChunk, Cursor: j.Cursor})
		if err != nil {
			return false, err
		}
		if err := s.store.DeleteProjectMembers(ctx, ms); err != nil {
			return false, err
		}
		j.count(tallyMembers, len(ms))
		stopProgress(j, len(ms), len(ms), next, stopItems+string(returnStatuses()[0]))
	case strings.HasPrefix(j.Phase, stopItems):
		st := ItemStatus(strings.TrimPrefix(j.Phase, stopItems))
		statuses := returnStatuses()
		at := slices.Index(statuses, st)
		if at < 0 {
			return false, fmt.Errorf("stop job %s: unknown phase %q", j.ID, j.Phase)
		}
		listed, returned, dropped, next, err := s.returnItemsPage(ctx, p, j.OrgID, st, j.Cursor)
		if err != nil {
			return false, err
		}
		j.count(tallyItems+string(st), returned)
		j.count(tallyPending, dropped)
		then := stopNotices
		if at+1 < len(statuses) {
			then = stopItems + string(statuses[at+1])
		}
		stopProgress(j, listed, returned, next, then)
	case j.Phase == stopNotices:
		sent, err := s.stopNotices(ctx, j, p)
		if err != nil {
			return false, err
		}
		stopProgress(j, len(j.Targets), sent, "", stopPartner)
	case j.Phase == stopPartner:
		if err := s.store.DeleteStoppedPartner(ctx, p.ID, j.OrgID, j.ID); err != nil {
			return false, err
		}
		stopProgress(j, 1, 1, "", "")
		return true, nil
	default:
		return false, fmt.Errorf("stop job %s: unknown phase %q", j.ID, j.Phase)
	}
	return false, nil
}

// stopProgress counts a chunk and moves the checkpoint: to the next page,
// or, after the last, to the start of phase then.
func stopProgress(j *Job, handled, written int, next, then string) {
	j.Done += handled
	j.Total = max(j.Total, j.Done)
	j.Written += written
	j.Cursor = next
	if next == "" {
		j.Phase = then
	}
}

// stopNotices tells the job's recipients that the collaboration stopped:
// the host's owners link to the project, the partner's people to their
// org's project list. Each mail's id is the job's and the recipient's, so
// a chunk done again sends nothing twice (the mailer sends an id once). A
// recipient no longer there is not told; a mail that cannot be queued
// fails the chunk, to be tried again.
func (s *Partners) stopNotices(ctx context.Context, j *Job, p Project) (int, error) {
	pa, err := s.store.GetPartnerRecord(ctx, p.ID, j.OrgID)
	if IsCode(err, CodeNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, userID := range j.Targets {
		to, link := "", ""
		m, err := s.store.GetProjectMember(ctx, p.ID, userID)
		switch {
		case err == nil && m.Side == SideHost:
			to, link = m.Email, s.appLink("projects", p.ID)
		case err != nil && !IsCode(err, CodeNotFound):
			return sent, err
		default:
			om, err := s.rights.GetOrgMembership(ctx, j.OrgID, userID)
			if IsCode(err, CodeNotFound) {
				continue // left the org meanwhile
			}
			if err != nil {
				return sent, err
			}
			to, link = om.Email, s.appLink("orgs", j.OrgID, "projects")
		}
		e, err := ComposeNotice(NoticeStopped, "stopped-"+j.ID+"-"+userID, to, StoppedNotice{OrgName: pa.OrgName, ProjectName: p.Name, Link: link})
		if err != nil {
			return sent, err
		}
		if err := s.mailer.Send(ctx, e); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}
