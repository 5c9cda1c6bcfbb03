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
	var in shareLinkBody
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
	writeJSON(w, status, toShareLinkJSON(iss))
	return nil
}

type shareLinkBody struct {
	ExpiresInDays *int `json:"expiresInDays,omitempty" doc:"Days until the link expires, 0 for never (default 30)."`
}

// shareLinkJSON is a share link as its managers see it; url only for the
// project's owner (collab.Invitations.ShareLink decides).
type shareLinkJSON struct {
	Enabled       bool       `json:"enabled"`
	Status        string     `json:"status"`
	InvitationID  string     `json:"invitationId"`
	CreatedAt     time.Time  `json:"createdAt"`
	ExpiresAt     *time.Time `json:"expiresAt"`
	AcceptedCount int        `json:"acceptedCount"`
	URL           string     `json:"url,omitempty"`
}

func toShareLinkJSON(iss collab.Issued) shareLinkJSON {
	inv := iss.Invitation
	return shareLinkJSON{Enabled: inv.Status == collab.InvPending, Status: string(inv.Status), InvitationID: inv.ID,
		CreatedAt: inv.CreatedAt, ExpiresAt: expiry(inv.ExpiresAt), AcceptedCount: inv.AcceptCount, URL: iss.URL}
}

func (a *API) getShareLink(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	iss, err := a.svc.Invitations.ShareLink(r.Context(), c, r.PathValue("projectId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toShareLinkJSON(iss))
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
	var in labelingCompanyBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	email := in.Email
	if in.AdminEmail != "" {
		if in.Email != "" {
			return invalidField("adminEmail", "name the admin's email once, as email (adminEmail is its older name)")
		}
		email = in.AdminEmail
	}
	iss, err := a.svc.Invitations.InviteLabelingCompany(r.Context(), c, r.PathValue("projectId"), in.Name, email)
	if err != nil {
		if in.AdminEmail != "" {
			return renameField(err, "email", "adminEmail") // the name the caller used
		}
		return err
	}
	writeJSON(w, http.StatusCreated, toInvitationJSON(iss.Invitation))
	return nil
}

func (a *API) inviteOrgMember(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in emailRoleBody
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
	var in orgPickBody
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
	writeJSON(w, http.StatusOK, toAcceptedJSON(res))
	return nil
}

// acceptedJSON answers an acceptance; orgCreated when the accepter founded
// orgId.
type acceptedJSON struct {
	Kind        string `json:"kind"`
	OrgID       string `json:"orgId"`
	OrgName     string `json:"orgName,omitempty"`
	OrgCreated  bool   `json:"orgCreated,omitempty"`
	ProjectID   string `json:"projectId,omitempty"`
	WorkspaceID string `json:"workspaceId,omitempty"`
	Role        string `json:"role"`
	// PendingApproval: the org requires approving the partnerships it
	// accepts; this one grants nothing until an owner or admin approves.
	PendingApproval bool `json:"pendingApproval,omitempty" doc:"The org requires approving the partnerships it accepts: this one grants nothing until an owner or admin of the org approves it (POST /orgs/{orgId}/inbound/{projectId}/approve)."`
}

func toAcceptedJSON(res collab.Accepted) acceptedJSON {
	return acceptedJSON{Kind: string(res.Kind), OrgID: res.OrgID, OrgName: res.OrgName, OrgCreated: res.OrgCreated,
		ProjectID: res.ProjectID, WorkspaceID: res.WorkspaceID, Role: res.Role, PendingApproval: res.PendingApproval}
}

// orgPickBody names the org an acceptance attaches: one of the caller's,
// or a new one they found.
type orgPickBody struct {
	OrgID      string `json:"orgId,omitempty" doc:"One of your organizations to accept for."`
	NewOrgName string `json:"newOrgName,omitempty" doc:"Found a new organization of this name while accepting."`
}

// labelingCompanyBody invites a labeling company: its name and its
// admin's email, the invitation's addressee (email, as in every invitation;
// adminEmail is its older name, still accepted).
type labelingCompanyBody struct {
	Name       string `json:"name"`
	Email      string `json:"email,omitempty" doc:"The company admin's email: the invitation's addressee."`
	AdminEmail string `json:"adminEmail,omitempty" deprecated:"true" doc:"The older name of email."`
}

type emailRoleBody struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

// statusJSON answers a change that has only a status to tell.
type statusJSON struct {
	Status string `json:"status"`
}

// collaboratorInviteBody adds a collaborator org: an org the caller
// administers at once (orgId), or by inviting an email.
type collaboratorInviteBody struct {
	OrgID         string     `json:"orgId,omitempty"`
	Email         string     `json:"email,omitempty"`
	Types         []string   `json:"types"`
	Role          string     `json:"role,omitempty"`
	ProjectAccess accessJSON `json:"projectAccess,omitzero"`
}

func (a *API) declineInvitation(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	if err := a.svc.Invitations.DeclineInvitation(r.Context(), c, r.PathValue("ref")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, statusJSON{Status: string(collab.InvDeclined)})
	return nil
}

func (a *API) inviteCollaborator(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in collaboratorInviteBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	access := collab.ProjectAccess{Mode: in.ProjectAccess.Mode, ProjectIDs: in.ProjectAccess.ProjectIDs}
	types := collabTypes(in.Types)
	if in.OrgID != "" {
		if in.Email != "" || in.Role != "" {
			return invalidField("orgId", "name either orgId (an org you administer, added at once) or email")
		}
		col, err := a.svc.Collaborators.AddCollaboratorOrg(r.Context(), c, r.PathValue("wsId"), in.OrgID, types, access)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, toCollaboratorJSON(col))
		return nil
	}
	iss, err := a.svc.Invitations.InviteCollaborator(r.Context(), c, r.PathValue("wsId"), in.Email, types, collab.WorkspaceRole(in.Role),
		access)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/invitations/"+iss.Invitation.ID)
	writeJSON(w, http.StatusAccepted, toInvitedJSON(iss.Invitation))
	return nil
}
