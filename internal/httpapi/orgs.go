package httpapi

import (
	"net/http"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

type orgJSON struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	Role               string    `json:"role"`
	CreatedAt          time.Time `json:"createdAt,omitzero"`
	DefaultWorkspaceID string    `json:"defaultWorkspaceId,omitempty"`
	InboundApproval    string    `json:"inboundApproval,omitempty" enum:"auto,required" doc:"Whether partnerships the org accepts wait for an owner's or admin's approval (absent: auto)."`
	TrustedHostOrgIDs  []string  `json:"trustedHostOrgIds,omitempty" doc:"Hosts whose partnerships never wait for approval."`
}

func toOrgJSON(org collab.Org, role collab.OrgRole) orgJSON {
	return orgJSON{ID: org.ID, Name: org.Name, Role: string(role), CreatedAt: org.CreatedAt,
		InboundApproval: string(org.InboundApproval), TrustedHostOrgIDs: org.TrustedHostOrgIDs}
}

// orgPatchBody renames an org or sets its inbound approval; at least one
// field.
type orgPatchBody struct {
	Name              *string   `json:"name,omitempty"`
	InboundApproval   *string   `json:"inboundApproval,omitempty" enum:"auto,required" doc:"required: partnerships the org's admins accept (a share link, a labeling-company invitation) wait for an owner's or admin's approval."`
	TrustedHostOrgIDs *[]string `json:"trustedHostOrgIds,omitempty" doc:"Hosts whose partnerships never wait (replaces the list)."`
}

// inboundJSON is a partnership waiting for the org's approval.
type inboundJSON struct {
	ID            string    `json:"id" doc:"The partnership's id: its project's, or for a workspace collaboration its workspace's."`
	Kind          string    `json:"kind" enum:"share_link,labeling_company,collaborator"`
	ProjectID     string    `json:"projectId,omitempty"`
	ProjectName   string    `json:"projectName,omitempty"`
	WorkspaceID   string    `json:"workspaceId,omitempty" doc:"A workspace collaboration's workspace."`
	WorkspaceName string    `json:"workspaceName,omitempty"`
	HostOrgID     string    `json:"hostOrgId"`
	ManagerID     string    `json:"managerId" doc:"Who accepted it for the org."`
	AcceptedAt    time.Time `json:"acceptedAt"`
}

func toInboundJSON(p collab.InboundPartnership) inboundJSON {
	return inboundJSON{ID: p.ID, Kind: string(p.Kind), ProjectID: p.ProjectID, ProjectName: p.ProjectName, WorkspaceID: p.WorkspaceID,
		WorkspaceName: p.WorkspaceName, HostOrgID: p.HostOrgID, ManagerID: p.ManagerID, AcceptedAt: p.AcceptedAt}
}

func (a *API) listInbound(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	ps, err := a.svc.Partners.ListInbound(r.Context(), c, r.PathValue("orgId"))
	if err != nil {
		return err
	}
	out := make([]inboundJSON, len(ps))
	for i, p := range ps {
		out[i] = toInboundJSON(p)
	}
	writeJSON(w, http.StatusOK, newList(out, ""))
	return nil
}

func (a *API) approveInbound(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	p, err := a.svc.Partners.ApproveInbound(r.Context(), c, r.PathValue("orgId"), r.PathValue("partnershipId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toInboundJSON(p))
	return nil
}

func (a *API) rejectInbound(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	j, err := a.svc.Partners.RejectInbound(r.Context(), c, r.PathValue("orgId"), r.PathValue("partnershipId"))
	if err != nil {
		return err
	}
	writeJob(w, j)
	return nil
}

type orgMemberJSON struct {
	UserID   string    `json:"userId"`
	Email    string    `json:"email"`
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	JoinedAt time.Time `json:"joinedAt"`
}

func (a *API) createOrg(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in nameBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	org, ws, err := a.svc.Orgs.CreateOrg(r.Context(), c, in.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/orgs/"+org.ID)
	writeJSON(w, http.StatusCreated, orgJSON{ID: org.ID, Name: org.Name, Role: string(collab.OrgOwner),
		CreatedAt: org.CreatedAt, DefaultWorkspaceID: ws.ID})
	return nil
}

func (a *API) listOrgs(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ms, next, err := a.svc.Orgs.ListOrgs(r.Context(), c, p)
	if err != nil {
		return err
	}
	out := make([]orgJSON, len(ms))
	for i, m := range ms {
		out[i] = orgJSON{ID: m.OrgID, Name: m.OrgName, Role: string(m.Role)}
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}

func (a *API) getOrg(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	org, role, err := a.svc.Orgs.GetOrg(r.Context(), c, r.PathValue("orgId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toOrgJSON(org, role))
	return nil
}

func (a *API) listOrgMembers(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ms, next, err := a.svc.Orgs.ListOrgMembers(r.Context(), c, r.PathValue("orgId"), p)
	if err != nil {
		return err
	}
	out := make([]orgMemberJSON, len(ms))
	for i, m := range ms {
		out[i] = orgMemberJSON{UserID: m.UserID, Email: m.Email, Name: m.Name, Role: string(m.Role), JoinedAt: m.JoinedAt}
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}

func (a *API) updateOrg(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in orgPatchBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Name == nil && in.InboundApproval == nil && in.TrustedHostOrgIDs == nil {
		return invalidField("name", "name one of name, inboundApproval, trustedHostOrgIds")
	}
	var (
		org  collab.Org
		role collab.OrgRole
		err  error
	)
	if in.Name != nil {
		if org, role, err = a.svc.Orgs.RenameOrg(r.Context(), c, r.PathValue("orgId"), *in.Name); err != nil {
			return err
		}
	}
	if in.InboundApproval != nil || in.TrustedHostOrgIDs != nil {
		pol := collab.InboundPolicy{TrustedHostOrgIDs: in.TrustedHostOrgIDs}
		if in.InboundApproval != nil {
			v := collab.InboundApproval(*in.InboundApproval)
			pol.Approval = &v
		}
		if org, role, err = a.svc.Orgs.SetInboundPolicy(r.Context(), c, r.PathValue("orgId"), pol); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, toOrgJSON(org, role))
	return nil
}

func (a *API) deleteOrg(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	if err := a.svc.Orgs.DeleteOrg(r.Context(), c, r.PathValue("orgId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type groupMemberJSON struct {
	UserID string `json:"userId"`
	Email  string `json:"email"`
	Name   string `json:"name"`
}

type groupJSON struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"orgId"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	Deleting  bool      `json:"deleting,omitempty"`
}

func toGroupJSON(g collab.Group) groupJSON {
	return groupJSON{ID: g.ID, OrgID: g.OrgID, Name: g.Name, CreatedAt: g.CreatedAt, Deleting: g.Deleting}
}

func (a *API) listGroups(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	gs, next, err := a.svc.Groups.ListGroups(r.Context(), c, r.PathValue("orgId"), p)
	if err != nil {
		return err
	}
	out := make([]groupJSON, len(gs))
	for i, g := range gs {
		out[i] = toGroupJSON(g)
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}

func (a *API) renameGroup(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in nameBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	g, err := a.svc.Groups.RenameGroup(r.Context(), c, r.PathValue("orgId"), r.PathValue("groupId"), in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toGroupJSON(g))
	return nil
}

func (a *API) deleteGroup(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	if err := a.svc.Groups.DeleteGroup(r.Context(), c, r.PathValue("orgId"), r.PathValue("groupId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listGroupMembers(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ms, next, err := a.svc.Groups.ListGroupMembers(r.Context(), c, r.PathValue("orgId"), r.PathValue("groupId"), p)
	if err != nil {
		return err
	}
	out := make([]groupMemberJSON, len(ms))
	for i, m := range ms {
		out[i] = groupMemberJSON{UserID: m.UserID, Email: m.Email, Name: m.Name}
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}

func (a *API) removeGroupMember(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	if err := a.svc.Groups.RemoveGroupMember(r.Context(), c, r.PathValue("orgId"), r.PathValue("groupId"), r.PathValue("userId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
