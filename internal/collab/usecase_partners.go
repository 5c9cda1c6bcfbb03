package collab

import (
	"context"
	"slices"
	"strconv"
)

// Partners lists a project's partners and stops collaborations.
type Partners struct {
	base
	store  PartnerStore
	mailer Mailer
}

// PartnerStore is what the partner use cases need.
type PartnerStore interface {
	GetProjectMember(ctx context.Context, projectID, userID string) (ProjectMember, error)
	ListProjectMembers(ctx context.Context, projectID string, f MemberFilter, p Page) ([]ProjectMember, string, error)
	ListPartners(ctx context.Context, projectID string) ([]Partner, error)
	GetPartner(ctx context.Context, projectID, orgID string) (Partner, error)
	DeletePartner(ctx context.Context, p Partner, audit ...AuditEntry) error
	// RemoveOrgFromProject deletes every project membership of an org's
	// people on a project, and its partner item; it returns how many items
	// went.
	RemoveOrgFromProject(ctx context.Context, projectID, orgID string) (int, error)
	ListCollaborators(ctx context.Context, wsID string) ([]Collaborator, error)
	GetCollaborator(ctx context.Context, wsID, orgID string) (Collaborator, error)
	// ListOrgItems lists one org's items in every non-final status.
	ListOrgItems(ctx context.Context, projectID, orgID string) ([]Item, error)
	ApplyItemChange(ctx context.Context, ch ItemChange) error
}

// returnItemsToHost hands a leaving org's in-flight items back to the
// host: each goes back to new, unassigned, owned by the host org; a pending
// handoff is dropped (its message then finds the item moved on).
func (s *Partners) returnItemsToHost(ctx context.Context, projectID, orgID string) error {
	items, err := s.store.ListOrgItems(ctx, projectID, orgID)
	if err != nil || len(items) == 0 {
		return err
	}
	p, _, err := s.rights.LoadStanding(ctx, projectID, "")
	if err != nil {
		return err
	}
	now := s.clock.Now()
	for _, it := range items {
		t, ok := ReturnToHost(it.Status)
		if !ok || it.OrgID == p.HostOrgID {
			continue // final, or already the host's
		}
		after := it
		after.Status, after.AssigneeID, after.OrgID, after.PendingHandoff, after.StatusSince = t.To, "", p.HostOrgID, "", now
		// Out of the leaving org's task, in a new segment the partner's
		// work stays out of.
		after.TaskID, after.TaskKind, after.ReviewerID, after.SegmentStart = "", "", "", now
		ch := ItemChange{Before: it, After: after, Event: &ItemEvent{ItemID: it.ID, ID: s.ids.New("ev"), From: it.Status, To: t.To,
			OrgID: orgID, At: now, Comment: "returned to the host: the partner stopped collaborating"}}
		if err := s.store.ApplyItemChange(ctx, ch); err != nil && !IsCode(err, CodeConflict) {
			return err
		}
	}
	return nil
}

// ListProjectPartners lists every partner of a project: orgs attached by
// share link or as labeling companies, and workspace collaborators whose
// project access covers it. The host sees all; a partner sees itself.
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
// standing of their own). The partner item goes first, with its audit
// entry, so access stops at once; then the partner's project memberships
// and group links; their in-flight items return to the host.
func (s *Partners) StopCollaboration(ctx context.Context, c Caller, projectID, orgID string) error {
	p, st, err := s.rights.LoadStanding(ctx, projectID, c.UserID)
	if err != nil {
		return err
	}
	e := st.Resolve()
	hostOwner := e.Can(ActPartnersManage) == Allow
	partnerSide := e.Side == SideExternal && e.OrgID == orgID && e.Role.Rank() >= RoleAnnotationManager.Rank()
	if !hostOwner && !partnerSide {
		ok, err := s.hasWorkforce(ctx, c, orgID)
		if err != nil {
			return err
		}
		partnerSide = ok && orgID != p.HostOrgID
	}
	if !hostOwner && !partnerSide {
		if e.None() || e.Side == SideExternal {
			return Errorf(CodeNotFound, "project %q not found", projectID)
		}
		return Errorf(CodeForbidden, "only the host's owner or the partner's manager stops a collaboration")
	}
	pa, err := s.store.GetPartner(ctx, projectID, orgID)
	if IsCode(err, CodeNotFound) {
		if col, cerr := s.store.GetCollaborator(ctx, p.WorkspaceID, orgID); cerr == nil && col.Access.Covers(projectID) && hostOwner {
			return Errorf(CodeConflict, "this org collaborates through the workspace: change its project access or remove the collaborator")
		}
		return Errorf(CodeNotFound, "org %q is not a partner of this project", orgID)
	}
	if err != nil {
		return err
	}
	// Whom to tell, read while the partner's people are still on the
	// project: its manager, and the host's owners when the partner stops.
	tell := s.stopRecipients(ctx, p, pa, hostOwner)
	if err := s.store.DeletePartner(ctx, pa, s.entry(ProjectScope(projectID), c, orgID, "partner.stopped", pa, nil)); err != nil {
		return err
	}
	if _, err := s.store.RemoveOrgFromProject(ctx, projectID, orgID); err != nil {
		return err
	}
	if err := s.returnItemsToHost(ctx, projectID, orgID); err != nil {
		return err
	}
	now := s.clock.Now()
	for _, m := range tell {
		link := s.appLink("projects", projectID)
		if m.Side == SideExternal {
			link = s.appLink("orgs", m.OrgID, "projects")
		}
		e, err := ComposeNotice(NoticeStopped, "stopped-"+projectID+"-"+orgID+"-"+strconv.FormatInt(now.UnixNano(), 10)+"-"+m.UserID, m.Email,
			StoppedNotice{OrgName: pa.OrgName, ProjectName: p.Name, Link: link})
		if err == nil {
			_ = s.mailer.Send(ctx, e) // a lost note never undoes the stop
		}
	}
	return nil
}

// stopRecipients: the partner's manager always; the host project's owners
// when the partner side stops.
func (s *Partners) stopRecipients(ctx context.Context, p Project, pa Partner, byHost bool) []ProjectMember {
	var out []ProjectMember
	if m, err := s.store.GetProjectMember(ctx, p.ID, pa.ManagerID); err == nil && m.OrgID == pa.OrgID {
		out = append(out, m)
	}
	if !byHost {
		owners, _, err := s.store.ListProjectMembers(ctx, p.ID, MemberFilter{OrgID: p.HostOrgID, Role: RoleOwner}, Page{Limit: MaxPageLimit})
		if err == nil {
			out = append(out, owners...)
		}
	}
	return out
}
