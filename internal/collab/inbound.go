package collab

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Inbound approval (SPEC §14): the receiving org decides. An org may
// require that the partnerships its admins accept (a share link, a
// labeling-company invitation) wait for an owner's or admin's approval;
// until then the partnership grants nothing (partnerLive) and takes no
// work (the store reads a waiting partner as none). Trusted hosts'
// partnerships never wait. Rejecting ends the partnership with the same
// stop as any other.

// InboundPolicy is a change of an org's inbound approval settings (nil:
// unchanged).
type InboundPolicy struct {
	Approval          *InboundApproval
	TrustedHostOrgIDs *[]string
}

// MaxTrustedHosts bounds an org's list of trusted hosts.
const MaxTrustedHosts = 100

// SetInboundPolicy changes an org's inbound approval settings (its owners
// and admins).
func (s *Orgs) SetInboundPolicy(ctx context.Context, c Caller, orgID string, in InboundPolicy) (Org, OrgRole, error) {
	var v Validation
	if in.Approval != nil && *in.Approval != InboundAuto && *in.Approval != InboundRequired {
		v.Add("inboundApproval", "must be auto or required")
	}
	if in.TrustedHostOrgIDs != nil {
		if len(*in.TrustedHostOrgIDs) > MaxTrustedHosts {
			v.Add("trustedHostOrgIds", "at most 100 orgs")
		}
		for _, id := range *in.TrustedHostOrgIDs {
			if id == "" || len(id) > 64 {
				v.Add("trustedHostOrgIds", "must be org ids")
				break
			}
		}
	}
	if err := v.Err(); err != nil {
		return Org{}, "", err
	}
	m, err := s.orgPermit(ctx, c, orgID, OrgInboundManage)
	if err != nil {
		return Org{}, "", err
	}
	org, err := s.store.GetOrg(ctx, orgID)
	if err != nil {
		return Org{}, "", err
	}
	next := org
	if in.Approval != nil {
		next.InboundApproval = *in.Approval
	}
	if in.TrustedHostOrgIDs != nil {
		next.TrustedHostOrgIDs = slices.Compact(slices.Sorted(slices.Values(*in.TrustedHostOrgIDs)))
	}
	if next.InboundApproval == "" {
		next.InboundApproval = InboundAuto
	}
	audit := s.entry(OrgScope(orgID), c, orgID, "org.inbound_policy_set",
		map[string]any{"inboundApproval": org.InboundApproval, "trustedHostOrgIds": org.TrustedHostOrgIDs},
		map[string]any{"inboundApproval": next.InboundApproval, "trustedHostOrgIds": next.TrustedHostOrgIDs})
	if err := s.store.SetOrgInbound(ctx, org, next.InboundApproval, next.TrustedHostOrgIDs, audit); err != nil {
		return Org{}, "", err
	}
	next.Version++
	return next, m.Role, nil
}

// InboundPartnership is a partnership waiting for the org's approval.
type InboundPartnership struct {
	ID          string // the project's id (a collaboration: its workspace's): one per org and project or workspace
	ProjectID   string
	ProjectName string
	// A workspace collaboration's workspace.
	WorkspaceID   string
	WorkspaceName string
	HostOrgID     string
	ManagerID     string // who accepted it for the org
	AcceptedAt    time.Time
	Kind          PartnerKind
}

// ListInbound lists the partnerships waiting for the org's approval (its
// owners and admins).
func (s *Partners) ListInbound(ctx context.Context, c Caller, orgID string) ([]InboundPartnership, error) {
	if _, err := s.orgPermit(ctx, c, orgID, OrgInboundManage); err != nil {
		return nil, err
	}
	ps, err := s.store.ListPendingPartners(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]InboundPartnership, len(ps))
	for i, p := range ps {
		out[i] = inboundOf(p)
	}
	cols, err := s.collaborators.pendingInbound(ctx, orgID)
	return append(out, cols...), err
}

func inboundOf(p PendingPartner) InboundPartnership {
	return InboundPartnership{ID: p.ProjectID, ProjectID: p.ProjectID, ProjectName: p.ProjectName, HostOrgID: p.HostOrgID,
		ManagerID: p.ManagerID, AcceptedAt: p.AddedAt, Kind: p.Kind}
}

// PendingPartner is a partner waiting for approval, with its project's
// name (the store keeps it on the partner).
type PendingPartner struct {
	Partner
	ProjectName string
}

// waitingPartner reads the partnership of the org on the project that
// waits for approval, after checking the caller may decide it.
func (s *Partners) waitingPartner(ctx context.Context, c Caller, orgID, projectID string) (Partner, error) {
	if _, err := s.orgPermit(ctx, c, orgID, OrgInboundManage); err != nil {
		return Partner{}, err
	}
	pa, err := s.store.GetPartnerRecord(ctx, projectID, orgID)
	if IsCode(err, CodeNotFound) || err == nil && (!pa.PendingApproval || pa.StoppingJob != "") {
		return Partner{}, Errorf(CodeNotFound, "no partnership of this org on %q waits for approval", projectID)
	}
	return pa, err
}

// ApproveInbound approves a waiting partnership: from now on it grants
// what any partnership does.
func (s *Partners) ApproveInbound(ctx context.Context, c Caller, orgID, partnershipID string) (InboundPartnership, error) {
	if isWorkspaceID(partnershipID) {
		return s.collaborators.approveInbound(ctx, c, orgID, partnershipID)
	}
	pa, err := s.waitingPartner(ctx, c, orgID, partnershipID)
	if err != nil {
		return InboundPartnership{}, err
	}
	audit := s.entry(ProjectScope(pa.ProjectID), c, orgID, "partner.joined", map[string]any{"pendingApproval": true},
		map[string]any{"approvedBy": c.UserID, "orgId": orgID, "projectId": pa.ProjectID})
	if err := s.store.ApprovePartner(ctx, pa, audit); err != nil {
		return InboundPartnership{}, err
	}
	return inboundOf(PendingPartner{Partner: pa}), nil
}

// RejectInbound rejects a waiting partnership: it ends with the same stop
// as any partnership (its manager's membership goes, the host's owners and
// the manager are told).
func (s *Partners) RejectInbound(ctx context.Context, c Caller, orgID, partnershipID string) (Job, error) {
	if isWorkspaceID(partnershipID) {
		return s.collaborators.rejectInbound(ctx, c, orgID, partnershipID)
	}
	pa, err := s.waitingPartner(ctx, c, orgID, partnershipID)
	if err != nil {
		return Job{}, err
	}
	p, _, err := s.rights.LoadStanding(ctx, pa.ProjectID, "")
	if err != nil {
		return Job{}, err
	}
	j, err := s.beginStop(ctx, c, p, orgID, false, "partner.rejected", func(pa Partner) bool { return pa.PendingApproval })
	if err == errNotNow {
		return Job{}, Errorf(CodeNotFound, "no partnership of this org on %q waits for approval", partnershipID)
	}
	return j, err
}

// A workspace collaboration waits the same way (a collaborator invitation
// accepted for an org that requires approval). Its id in the inbound list
// is its workspace's: an org collaborates in a workspace once.

// KindCollaboration is the inbound kind of a workspace collaboration.
const KindCollaboration PartnerKind = "collaborator"

func isWorkspaceID(id string) bool { return strings.HasPrefix(id, "ws_") }

// pendingInbound lists the org's collaborations waiting for its approval.
func (s *Collaborators) pendingInbound(ctx context.Context, orgID string) ([]InboundPartnership, error) {
	cols, err := s.store.ListOrgCollaborations(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var out []InboundPartnership
	for _, col := range cols {
		if !col.PendingApproval || col.RemovingJob != "" {
			continue
		}
		ws, err := s.store.GetWorkspace(ctx, col.WorkspaceID)
		if IsCode(err, CodeNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, collabInbound(col, ws))
	}
	return out, nil
}

func collabInbound(col Collaborator, ws Workspace) InboundPartnership {
	return InboundPartnership{ID: col.WorkspaceID, WorkspaceID: col.WorkspaceID, WorkspaceName: ws.Name, HostOrgID: ws.OrgID,
		ManagerID: col.AcceptedBy, AcceptedAt: col.AddedAt, Kind: KindCollaboration}
}

// waitingCollaboration reads the org's collaboration in the workspace that
// waits for approval, after checking the caller may decide it.
func (s *Collaborators) waitingCollaboration(ctx context.Context, c Caller, orgID, wsID string) (Collaborator, error) {
	if _, err := s.orgPermit(ctx, c, orgID, OrgInboundManage); err != nil {
		return Collaborator{}, err
	}
	col, err := s.store.GetCollaborator(ctx, wsID, orgID)
	if IsCode(err, CodeNotFound) || err == nil && (!col.PendingApproval || col.RemovingJob != "") {
		return Collaborator{}, Errorf(CodeNotFound, "no collaboration of this org in %q waits for approval", wsID)
	}
	return col, err
}

// approveInbound approves a waiting collaboration: from now on it grants
// what any collaboration does.
func (s *Collaborators) approveInbound(ctx context.Context, c Caller, orgID, wsID string) (InboundPartnership, error) {
	col, err := s.waitingCollaboration(ctx, c, orgID, wsID)
	if err != nil {
		return InboundPartnership{}, err
	}
	ws, err := s.store.GetWorkspace(ctx, wsID)
	if err != nil {
		return InboundPartnership{}, err
	}
	audit := s.entry(WorkspaceScope(wsID), c, orgID, "collaborator.added", map[string]any{"pendingApproval": true},
		map[string]any{"approvedBy": c.UserID, "orgId": orgID, "workspaceId": wsID})
	if err := s.store.ApproveCollaborator(ctx, col, audit); err != nil {
		return InboundPartnership{}, err
	}
	return collabInbound(col, ws), nil
}

// rejectInbound rejects a waiting collaboration: it ends with the same
// removal job as any collaboration.
func (s *Collaborators) rejectInbound(ctx context.Context, c Caller, orgID, wsID string) (Job, error) {
	col, err := s.waitingCollaboration(ctx, c, orgID, wsID)
	if err != nil {
		return Job{}, err
	}
	j, err := s.beginRemoval(ctx, c, col, "collaborator.rejected", func(col Collaborator) bool { return col.PendingApproval })
	if err == errNotNow {
		return Job{}, Errorf(CodeNotFound, "no collaboration of this org in %q waits for approval", wsID)
	}
	return j, err
}
