package httpapi

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

type workspaceJSON struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"orgId"`
	Name      string    `json:"name"`
	Default   bool      `json:"default"`
	CreatedAt time.Time `json:"createdAt"`
}

type projectJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	WorkspaceID string    `json:"workspaceId"`
	HostOrgID   string    `json:"hostOrgId"`
	Version     int       `json:"version"`
	CreatedAt   time.Time `json:"createdAt"`
	HostBypass  bool      `json:"hostMayBypassCollaboratorReview"`
	Role        string    `json:"role,omitempty"`
	Side        string    `json:"side,omitempty"`
	OrgID       string    `json:"orgId,omitempty"`
}

func toProjectJSON(p collab.Project, e collab.Effective) projectJSON {
	return projectJSON{ID: p.ID, Name: p.Name, WorkspaceID: p.WorkspaceID, HostOrgID: p.HostOrgID, Version: p.Version,
		CreatedAt: p.CreatedAt, HostBypass: p.HostMayBypassCollaboratorReview, Role: string(e.Role), Side: string(e.Side), OrgID: e.OrgID}
}

// orgProjectJSON is a row of an org's project list: the org's own
// projects carry partnerCount, projects shared with it hostOrgName.
type orgProjectJSON struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	WorkspaceID  string `json:"workspaceId"`
	HostOrgID    string `json:"hostOrgId"`
	HostOrgName  string `json:"hostOrgName,omitempty"`
	Shared       bool   `json:"shared"`
	PartnerCount *int   `json:"partnerCount,omitempty"`
}

type memberJSON struct {
	UserID  string    `json:"userId"`
	Email   string    `json:"email"`
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	OrgID   string    `json:"orgId"`
	Side    string    `json:"side"`
	AddedAt time.Time `json:"addedAt"`
}

func toMemberJSON(m collab.ProjectMember) memberJSON {
	return memberJSON{UserID: m.UserID, Email: m.Email, Name: m.Name, Role: string(m.Role), OrgID: m.OrgID,
		Side: string(m.Side), AddedAt: m.AddedAt}
}

type roleBody struct {
	Role string `json:"role"`
}

// optionalRoleBody is a role that may be left out (the route's default).
type optionalRoleBody struct {
	Role string `json:"role,omitempty"`
}

type projectPatchBody struct {
	Name                            *string `json:"name,omitempty"`
	HostMayBypassCollaboratorReview *bool   `json:"hostMayBypassCollaboratorReview,omitempty"`
}

type projectMemberBody struct {
	Email        string `json:"email"`
	Role         string `json:"role"`
	CompanyOrgID string `json:"companyOrgId,omitempty" doc:"The labeling company the member joins for (a host manager adding a company's person)."`
}

type authorizeBody struct {
	UserID string `json:"userId,omitempty" doc:"Whose rights to check; the caller when left out."`
	Action string `json:"action"`
}

// decisionJSON is an authorization decision.
type decisionJSON struct {
	UserID  string `json:"userId"`
	Action  string `json:"action"`
	Allowed bool   `json:"allowed"`
	Role    string `json:"role"`
	Side    string `json:"side"`
	OrgID   string `json:"orgId"`
	Limit   string `json:"limit,omitempty"`
}

// permissionsJSON is what the caller may do in a project.
type permissionsJSON struct {
	ProjectID string            `json:"projectId"`
	Role      string            `json:"role"`
	Side      string            `json:"side"`
	OrgID     string            `json:"orgId"`
	Actions   []string          `json:"actions"`
	Limits    map[string]string `json:"limits"`
}

// groupMembershipJSON answers adding a user to a group: the projects the
// group's placements made them join.
type groupMembershipJSON struct {
	GroupID        string `json:"groupId"`
	UserID         string `json:"userId"`
	ProjectsJoined int    `json:"projectsJoined"`
}

// projectGroupJSON answers adding a group to a project.
type projectGroupJSON struct {
	GroupID        string `json:"groupId"`
	Role           string `json:"role"`
	Added          int    `json:"added"`
	AlreadyMembers int    `json:"alreadyMembers"`
}

// importRowJSON is one row of an import's answer.
type importRowJSON struct {
	Line   int    `json:"line"`
	Email  string `json:"email"`
	Role   string `json:"role"`
	Status string `json:"status"`
	Field  string `json:"field,omitempty"`
	Error  string `json:"error,omitempty"`
}

// importJSON answers a CSV import.
type importJSON struct {
	Total          int             `json:"total"`
	Added          int             `json:"added"`
	AlreadyMembers int             `json:"alreadyMembers"`
	Invited        int             `json:"invited"`
	Errors         int             `json:"errors"`
	Results        []importRowJSON `json:"results"`
}

// invitedJSON answers an add by email that had to invite: the invitation
// made (202).
type invitedJSON struct {
	InvitationID string     `json:"invitationId"`
	Email        string     `json:"email"`
	Role         string     `json:"role,omitempty"`
	ExpiresAt    *time.Time `json:"expiresAt"`
}

func toInvitedJSON(inv collab.Invitation) invitedJSON {
	return invitedJSON{InvitationID: inv.ID, Email: inv.Email, Role: inv.Role, ExpiresAt: expiry(inv.ExpiresAt)}
}

type nameBody struct {
	Name string `json:"name"`
}

func (a *API) changeOrgMemberRole(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in roleBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	m, err := a.svc.Orgs.ChangeOrgMemberRole(r.Context(), c, r.PathValue("orgId"), r.PathValue("userId"), collab.OrgRole(in.Role))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgMemberJSON{UserID: m.UserID, Email: m.Email, Name: m.Name, Role: string(m.Role), JoinedAt: m.JoinedAt})
	return nil
}

func (a *API) removeOrgMember(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	if err := a.svc.Orgs.RemoveOrgMember(r.Context(), c, r.PathValue("orgId"), r.PathValue("userId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) createGroup(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in nameBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	g, err := a.svc.Groups.CreateGroup(r.Context(), c, r.PathValue("orgId"), in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toGroupJSON(g))
	return nil
}

func (a *API) addGroupMember(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	joined, err := a.svc.Groups.AddGroupMember(r.Context(), c, r.PathValue("orgId"), r.PathValue("groupId"), r.PathValue("userId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, groupMembershipJSON{GroupID: r.PathValue("groupId"), UserID: r.PathValue("userId"), ProjectsJoined: joined})
	return nil
}

func (a *API) listOrgProjects(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ps, next, err := a.svc.Workspaces.ListOrgProjects(r.Context(), c, r.PathValue("orgId"), p)
	if err != nil {
		return err
	}
	org := r.PathValue("orgId")
	out := make([]orgProjectJSON, len(ps))
	for i, p := range ps {
		out[i] = orgProjectJSON{ID: p.ID, Name: p.Name, WorkspaceID: p.WorkspaceID, HostOrgID: p.HostOrgID, Shared: p.Shared}
		if p.HostOrgID == org {
			out[i].PartnerCount = &ps[i].PartnerCount
		} else {
			out[i].HostOrgName = p.HostOrgName
		}
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}

func (a *API) createWorkspace(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in nameBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ws, err := a.svc.Workspaces.CreateWorkspace(r.Context(), c, r.PathValue("orgId"), in.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/workspaces/"+ws.ID)
	writeJSON(w, http.StatusCreated, workspaceJSON{ID: ws.ID, OrgID: ws.OrgID, Name: ws.Name, Default: ws.Default, CreatedAt: ws.CreatedAt})
	return nil
}

func (a *API) listWorkspaces(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	wss, next, err := a.svc.Workspaces.ListWorkspaces(r.Context(), c, r.PathValue("orgId"), p)
	if err != nil {
		return err
	}
	out := make([]workspaceJSON, len(wss))
	for i, ws := range wss {
		out[i] = workspaceJSON{ID: ws.ID, OrgID: ws.OrgID, Name: ws.Name, Default: ws.Default, CreatedAt: ws.CreatedAt}
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}

func (a *API) renameWorkspace(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in nameBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ws, err := a.svc.Workspaces.RenameWorkspace(r.Context(), c, r.PathValue("wsId"), in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, workspaceJSON{ID: ws.ID, OrgID: ws.OrgID, Name: ws.Name, Default: ws.Default, CreatedAt: ws.CreatedAt})
	return nil
}

func (a *API) deleteWorkspace(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	if err := a.svc.Workspaces.DeleteWorkspace(r.Context(), c, r.PathValue("wsId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) createProject(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in nameBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := a.svc.Projects.CreateProject(r.Context(), c, r.PathValue("wsId"), in.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/projects/"+p.ID)
	writeJSON(w, http.StatusCreated, toProjectJSON(p, collab.Effective{Role: collab.RoleOwner, Side: collab.SideHost, OrgID: p.HostOrgID}))
	return nil
}

func (a *API) getProject(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	acc, err := a.svc.Projects.GetProject(r.Context(), c, r.PathValue("projectId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toProjectJSON(acc.Project, acc.Effective))
	return nil
}

// renameProject changes the name (project.rename) and/or the review policy
// (project.settings).
func (a *API) renameProject(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in projectPatchBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Name == nil && in.HostMayBypassCollaboratorReview == nil {
		return invalidField("name", "name or hostMayBypassCollaboratorReview is required")
	}
	var p collab.Project
	var err error
	if in.Name != nil {
		if p, err = a.svc.Projects.RenameProject(r.Context(), c, r.PathValue("projectId"), *in.Name); err != nil {
			return err
		}
	}
	if in.HostMayBypassCollaboratorReview != nil {
		if p, err = a.svc.Projects.SetReviewPolicy(r.Context(), c, r.PathValue("projectId"), *in.HostMayBypassCollaboratorReview); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, toProjectJSON(p, collab.Effective{}))
	return nil
}

func (a *API) deleteProject(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	if _, err := a.svc.Projects.DeleteProject(r.Context(), c, r.PathValue("projectId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listProjectMembers(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := collab.MemberFilter{Query: q.Get("q"), Role: collab.Role(q.Get("role")), OrgID: q.Get("orgId")}
	ms, next, err := a.svc.Members.ListProjectMembers(r.Context(), c, r.PathValue("projectId"), f, p)
	if err != nil {
		return err
	}
	out := make([]memberJSON, len(ms))
	for i, m := range ms {
		out[i] = toMemberJSON(m)
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}

func (a *API) addProjectMember(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in projectMemberBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	m, iss, err := a.svc.Members.AddProjectMember(r.Context(), c, r.PathValue("projectId"), in.Email, collab.Role(in.Role), in.CompanyOrgID)
	if err != nil {
		return err
	}
	if iss != nil {
		w.Header().Set("Location", "/invitations/"+iss.Invitation.ID)
		writeJSON(w, http.StatusAccepted, toInvitedJSON(iss.Invitation))
		return nil
	}
	writeJSON(w, http.StatusCreated, toMemberJSON(*m))
	return nil
}

func (a *API) changeProjectMemberRole(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in roleBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	m, err := a.svc.Members.ChangeProjectMemberRole(r.Context(), c, r.PathValue("projectId"), r.PathValue("userId"), collab.Role(in.Role))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toMemberJSON(m))
	return nil
}

func (a *API) removeProjectMember(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	if err := a.svc.Members.RemoveProjectMember(r.Context(), c, r.PathValue("projectId"), r.PathValue("userId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) addProjectGroup(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in roleBody
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
	}
	res, err := a.svc.Groups.AddGroupToProject(r.Context(), c, r.PathValue("projectId"), r.PathValue("groupId"), collab.Role(in.Role))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, projectGroupJSON{GroupID: res.GroupID, Role: string(res.Role), Added: res.Added, AlreadyMembers: res.AlreadyMembers})
	return nil
}

func (a *API) importTemplate(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	if _, err := a.svc.Projects.Permissions(r.Context(), c, r.PathValue("projectId")); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="members-import-template.csv"`)
	_, _ = io.WriteString(w, collab.ImportTemplate)
	return nil
}

func (a *API) importMembers(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "text/csv" {
		return collab.Errorf(collab.CodeUnsupported, "the body must be text/csv")
	}
	cr := csv.NewReader(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	var records [][]string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			return collab.Errorf(collab.CodeTooLarge, "the file is larger than %d bytes", MaxBodyBytes)
		}
		if err != nil {
			return invalidField("file", fmt.Sprintf("is not valid CSV: %v", err))
		}
		records = append(records, rec)
	}
	res, err := a.svc.Members.ImportMembers(r.Context(), c, r.PathValue("projectId"), records)
	if err != nil {
		return err
	}
	rows := make([]importRowJSON, len(res.Rows))
	for i, row := range res.Rows {
		rows[i] = importRowJSON{Line: row.Line, Email: row.Email, Role: string(row.Role), Status: row.Status, Field: row.Field, Error: row.Error}
	}
	writeJSON(w, http.StatusOK, importJSON{Total: res.Total, Added: res.Added, AlreadyMembers: res.AlreadyMembers, Invited: res.Invited,
		Errors: res.Errors, Results: rows})
	return nil
}

func (a *API) projectPermissions(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	v, err := a.svc.Projects.Permissions(r.Context(), c, r.PathValue("projectId"))
	if err != nil {
		return err
	}
	limits := map[string]string{}
	for act, g := range v.Limits {
		limits[string(act)] = string(g)
	}
	actions := make([]string, len(v.Actions))
	for i, act := range v.Actions {
		actions[i] = string(act)
	}
	writeJSON(w, http.StatusOK, permissionsJSON{ProjectID: v.ProjectID, Role: string(v.Role), Side: string(v.Side), OrgID: v.OrgID,
		Actions: actions, Limits: limits})
	return nil
}

func (a *API) authorize(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in authorizeBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := a.svc.Projects.Authorize(r.Context(), c, r.PathValue("projectId"), in.UserID, collab.Action(in.Action))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, decisionJSON{UserID: d.UserID, Action: string(d.Action), Allowed: d.Allowed, Role: string(d.Role),
		Side: string(d.Side), OrgID: d.OrgID, Limit: string(d.Limit)})
	return nil
}
