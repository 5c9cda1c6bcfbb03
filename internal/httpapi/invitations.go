package httpapi

import (
	"net/http"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// invitationJSON is an invitation as its managers see it (never its token).
type invitationJSON struct {
	ID            string     `json:"id"`
	Kind          string     `json:"kind"`
	Status        string     `json:"status"`
	Email         string     `json:"email,omitempty"`
	Role          string     `json:"role,omitempty"`
	ProjectID     string     `json:"projectId,omitempty"`
	WorkspaceID   string     `json:"workspaceId,omitempty"`
	OrgID         string     `json:"orgId,omitempty"`
	CompanyName   string     `json:"companyName,omitempty"`
	CompanyOrgID  string     `json:"companyOrgId,omitempty"`
	InvitedBy     string     `json:"invitedBy"`
	CreatedAt     time.Time  `json:"createdAt"`
	ExpiresAt     *time.Time `json:"expiresAt"`
	AcceptedCount int        `json:"acceptedCount"`
}

func expiry(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toInvitationJSON(inv collab.Invitation) invitationJSON {
	return invitationJSON{ID: inv.ID, Kind: string(inv.Kind), Status: string(inv.Status), Email: inv.Email, Role: inv.Role,
		ProjectID: inv.ProjectID, WorkspaceID: inv.WorkspaceID, OrgID: inv.OrgID, CompanyName: inv.CompanyName,
		CompanyOrgID: inv.CompanyOrgID, InvitedBy: inv.InvitedBy, CreatedAt: inv.CreatedAt, ExpiresAt: expiry(inv.ExpiresAt),
		AcceptedCount: inv.AcceptCount}
}

// enableShareLink: PUT answers the active link again (200) or makes one
// (201); ?rotate=true replaces an active link with a new one (201).
func (a *API) enableShareLink(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in struct {
		ExpiresInDays *int `json:"expiresInDays"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
	}
	rotate := false
	switch v := r.URL.Query().Get("rotate"); v {
	case "", "false":
	case "true":
		rotate = true
	default:
		return invalidField("rotate", "must be true or false")
	}
	var expiresIn *time.Duration
	if in.ExpiresInDays != nil {
		if *in.ExpiresInDays < 0 || *in.ExpiresInDays > 365 {
			return invalidField("expiresInDays", "must be between 0 (never) and 365")
		}
		d := time.Duration(*in.ExpiresInDays) * 24 * time.Hour
		expiresIn = &d
	}
	iss, err := a.svc.Invitations.EnableShareLink(r.Context(), c, r.PathValue("projectId"), expiresIn, rotate)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if iss.Reused {
		status = http.StatusOK
	}
	writeJSON(w, status, shareLinkJSON(iss))
	return nil
}

// shareLinkJSON is a share link as its managers see it; url only for the
// project's owner (collab.Invitations.ShareLink decides).
func shareLinkJSON(iss collab.Issued) map[string]any {
	inv := iss.Invitation
	out := map[string]any{"enabled": inv.Status == collab.InvPending, "status": inv.Status,
		"invitationId": inv.ID, "createdAt": inv.CreatedAt, "expiresAt": expiry(inv.ExpiresAt), "acceptedCount": inv.AcceptCount}
	if iss.URL != "" {
		out["url"] = iss.URL
	}
	return out
}

func (a *API) getShareLink(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	iss, err := a.svc.Invitations.ShareLink(r.Context(), c, r.PathValue("projectId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, shareLinkJSON(iss))
	return nil
}

func (a *API) disableShareLink(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	if err := a.svc.Invitations.DisableShareLink(r.Context(), c, r.PathValue("projectId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) inviteLabelingCompany(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in struct {
		Name       string `json:"name"`
		AdminEmail string `json:"adminEmail"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	iss, err := a.svc.Invitations.InviteLabelingCompany(r.Context(), c, r.PathValue("projectId"), in.Name, in.AdminEmail)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toInvitationJSON(iss.Invitation))
	return nil
}

func (a *API) inviteOrgMember(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	iss, err := a.svc.Invitations.InviteOrgMember(r.Context(), c, r.PathValue("orgId"), in.Email, collab.OrgRole(in.Role))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toInvitationJSON(iss.Invitation))
	return nil
}

func (a *API) listInvitations(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var scopes []collab.InvitationScope
	for _, k := range []struct{ param, kind string }{{"projectId", "project"}, {"workspaceId", "workspace"}, {"orgId", "org"}} {
		if v := q.Get(k.param); v != "" {
			scopes = append(scopes, collab.InvitationScope{Kind: k.kind, ID: v})
		}
	}
	if len(scopes) != 1 {
		return invalidField("projectId", "name exactly one of projectId, workspaceId, orgId")
	}
	invs, next, err := a.svc.Invitations.ListInvitations(r.Context(), c, scopes[0], p)
	if err != nil {
		return err
	}
	out := make([]invitationJSON, len(invs))
	for i, inv := range invs {
		out[i] = toInvitationJSON(inv)
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}

func (a *API) resendInvitation(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	iss, err := a.svc.Invitations.ResendInvitation(r.Context(), c, r.PathValue("ref"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toInvitationJSON(iss.Invitation))
	return nil
}

func (a *API) revokeInvitation(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	if err := a.svc.Invitations.RevokeInvitation(r.Context(), c, r.PathValue("ref")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// previewJSON is what a token shows to anyone holding it.
type previewJSON struct {
	Kind          string     `json:"kind"`
	Status        string     `json:"status"`
	ExpiresAt     *time.Time `json:"expiresAt"`
	ProjectName   string     `json:"projectName,omitempty"`
	WorkspaceName string     `json:"workspaceName,omitempty"`
	OrgName       string     `json:"orgName,omitempty"`
	InvitedBy     string     `json:"invitedBy"`
	Role          string     `json:"role,omitempty"`
	CompanyName   string     `json:"companyName,omitempty"`
	Email         string     `json:"email,omitempty"`
}

func toPreview(inv collab.Invitation) previewJSON {
	return previewJSON{Kind: string(inv.Kind), Status: string(collab.InvPending), ExpiresAt: expiry(inv.ExpiresAt),
		ProjectName: inv.ProjectName, WorkspaceName: inv.WorkspaceName, OrgName: inv.OrgName, InvitedBy: inv.InvitedByName,
		Role: inv.Role, CompanyName: inv.CompanyName, Email: inv.Email}
}

func (a *API) previewInvitation(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("ref")
	if a.page != nil && prefersHTML(r) {
		a.page.Land(w, r, token)
		return nil
	}
	inv, err := a.svc.Invitations.PreviewInvitation(r.Context(), collab.Asker{Addr: a.addr(r)}, token)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPreview(inv))
	return nil
}

// orgPickOf reads an acceptance's body: {orgId?} or {newOrgName?}, not
// both (400 naming newOrgName).
func orgPickOf(r *http.Request) (collab.OrgPick, error) {
	var in struct {
		OrgID      string `json:"orgId"`
		NewOrgName string `json:"newOrgName"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in); err != nil {
			return collab.OrgPick{}, err
		}
	}
	if in.OrgID != "" && in.NewOrgName != "" {
		return collab.OrgPick{}, invalidField("newOrgName", "name either orgId (one of your organizations) or newOrgName (a new one), not both")
	}
	return collab.OrgPick{OrgID: in.OrgID, NewOrgName: in.NewOrgName}, nil
}

func (a *API) acceptInvitation(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	pick, err := orgPickOf(r)
	if err != nil {
		return err
	}
	res, err := a.svc.Invitations.AcceptInvitation(r.Context(), c, r.PathValue("ref"), pick)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, acceptedJSON(res))
	return nil
}

// acceptedJSON: {kind, orgId, orgName?, orgCreated?, projectId?,
// workspaceId?, role}; orgCreated when the accepter founded orgId.
func acceptedJSON(res collab.Accepted) map[string]any {
	out := map[string]any{"kind": res.Kind, "orgId": res.OrgID, "role": res.Role}
	if res.OrgName != "" {
		out["orgName"] = res.OrgName
	}
	if res.OrgCreated {
		out["orgCreated"] = true
	}
	if res.ProjectID != "" {
		out["projectId"] = res.ProjectID
	}
	if res.WorkspaceID != "" {
		out["workspaceId"] = res.WorkspaceID
	}
	return out
}

func (a *API) declineInvitation(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	if err := a.svc.Invitations.DeclineInvitation(r.Context(), c, r.PathValue("ref")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": string(collab.InvDeclined)})
	return nil
}

func (a *API) inviteCollaborator(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in struct {
		OrgID         string              `json:"orgId"`
		Email         string              `json:"email"`
		Types         []collab.CollabType `json:"types"`
		Role          string              `json:"role"`
		ProjectAccess struct {
			Mode       string   `json:"mode"`
			ProjectIDs []string `json:"projectIds"`
		} `json:"projectAccess"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	access := collab.ProjectAccess{Mode: in.ProjectAccess.Mode, ProjectIDs: in.ProjectAccess.ProjectIDs}
	if in.OrgID != "" {
		if in.Email != "" || in.Role != "" {
			return invalidField("orgId", "name either orgId (an org you administer, added at once) or email")
		}
		col, err := a.svc.Collaborators.AddCollaboratorOrg(r.Context(), c, r.PathValue("wsId"), in.OrgID, in.Types, access)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, toCollaboratorJSON(col))
		return nil
	}
	iss, err := a.svc.Invitations.InviteCollaborator(r.Context(), c, r.PathValue("wsId"), in.Email, in.Types, collab.WorkspaceRole(in.Role),
		access)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/invitations/"+iss.Invitation.ID)
	writeJSON(w, http.StatusAccepted, map[string]any{"invitationId": iss.Invitation.ID, "email": iss.Invitation.Email,
		"expiresAt": iss.Invitation.ExpiresAt})
	return nil
}
