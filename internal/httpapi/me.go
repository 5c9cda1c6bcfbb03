package httpapi

import (
	"net/http"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// The invitee's own view (GET /me, GET /me/invitations, POST
// /me/invitations/{invitationId}/accept): who the caller is, their orgs,
// and the invitations bound to their verified email, accepted by id (the
// token is never shown again).

// maxMeOrgPages bounds how many pages of orgs GET /me reads.
const maxMeOrgPages = 5

type meOrgJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

// meJSON is the caller and their orgs.
type meJSON struct {
	UserID string      `json:"userId"`
	Email  string      `json:"email"`
	Name   string      `json:"name"`
	Orgs   []meOrgJSON `json:"orgs"`
}

func (a *API) getMe(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	orgs := []meOrgJSON{}
	p := collab.Page{Limit: collab.MaxPageLimit}
	for range maxMeOrgPages {
		ms, next, err := a.svc.Orgs.ListOrgs(r.Context(), c, p)
		if err != nil {
			return err
		}
		for _, m := range ms {
			orgs = append(orgs, meOrgJSON{ID: m.OrgID, Name: m.OrgName, Role: string(m.Role)})
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	writeJSON(w, http.StatusOK, meJSON{UserID: c.UserID, Email: c.Email, Name: c.Name, Orgs: orgs})
	return nil
}

// myInvitationJSON is an invitation as its addressee sees it in their list:
// what it offers, never its token.
type myInvitationJSON struct {
	ID            string     `json:"id"`
	Kind          string     `json:"kind"`
	ProjectName   string     `json:"projectName,omitempty"`
	WorkspaceName string     `json:"workspaceName,omitempty"`
	OrgName       string     `json:"orgName,omitempty"`
	CompanyName   string     `json:"companyName,omitempty"`
	Role          string     `json:"role,omitempty"`
	InvitedBy     string     `json:"invitedBy"`
	ExpiresAt     *time.Time `json:"expiresAt"`
}

func (a *API) listMyInvitations(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	invs, next, err := a.svc.Invitations.MyInvitations(r.Context(), c, p)
	if err != nil {
		return err
	}
	out := make([]myInvitationJSON, len(invs))
	for i, inv := range invs {
		out[i] = myInvitationJSON{ID: inv.ID, Kind: string(inv.Kind), ProjectName: inv.ProjectName, WorkspaceName: inv.WorkspaceName,
			OrgName: inv.OrgName, CompanyName: inv.CompanyName, Role: inv.Role, InvitedBy: inv.InvitedByName, ExpiresAt: expiry(inv.ExpiresAt)}
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}

func (a *API) acceptMyInvitation(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	pick, err := orgPickOf(r)
	if err != nil {
		return err
	}
	res, err := a.svc.Invitations.AcceptInvitationByID(r.Context(), c, r.PathValue("invitationId"), pick)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAcceptedJSON(res))
	return nil
}
