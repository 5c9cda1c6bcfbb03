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
}

type orgMemberJSON struct {
	UserID   string    `json:"userId"`
	Email    string    `json:"email"`
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	JoinedAt time.Time `json:"joinedAt"`
}

func (a *API) createOrg(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in struct {
		Name string `json:"name"`
	}
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
	writeJSON(w, http.StatusOK, orgJSON{ID: org.ID, Name: org.Name, Role: string(role), CreatedAt: org.CreatedAt})
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
