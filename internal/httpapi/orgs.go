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

func (a *API) renameOrg(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in nameBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	org, role, err := a.svc.Orgs.RenameOrg(r.Context(), c, r.PathValue("orgId"), in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgJSON{ID: org.ID, Name: org.Name, Role: string(role), CreatedAt: org.CreatedAt})
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
