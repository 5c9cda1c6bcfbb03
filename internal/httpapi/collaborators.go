package httpapi

import (
	"net/http"
	"slices"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

type accessJSON struct {
	Mode       string   `json:"mode"`
	ProjectIDs []string `json:"projectIds,omitempty"`
}

type collaboratorJSON struct {
	OrgID           string     `json:"orgId"`
	OrgName         string     `json:"orgName"`
	Types           []string   `json:"types"`
	ProjectAccess   accessJSON `json:"projectAccess"`
	AutoInvite      bool       `json:"autoInvite"`
	AutoInviteRole  string     `json:"autoInviteRole,omitempty"`
	Owner           bool       `json:"owner"`
	Removing        bool       `json:"removing"`
	PendingApproval bool       `json:"pendingApproval,omitempty" doc:"Accepted for an org that requires approving it: it grants nothing until one of that org's owners or admins approves (POST /orgs/{orgId}/inbound/{wsId}/approve)."`
	AddedAt         time.Time  `json:"addedAt,omitzero" doc:"When the org was added; absent on the owner's row."`
	Version         int        `json:"version,omitempty" doc:"Absent on the owner's row."`
	EndsAt          *time.Time `json:"endsAt,omitempty" doc:"When the collaboration ends by itself (absent: open-ended)."`
	EndSetBy        string     `json:"endSetBy,omitempty" enum:"host,partner" doc:"Which side set the end (host: the workspace's org; partner: the collaborator org)."`
}

// collabTypes are the collaboration types named in a request.
func collabTypes(in []string) []collab.CollabType {
	if in == nil {
		return nil
	}
	out := make([]collab.CollabType, len(in))
	for i, t := range in {
		out[i] = collab.CollabType(t)
	}
	return out
}

func toCollaboratorJSON(c collab.Collaborator) collaboratorJSON {
	types := make([]string, len(c.Types))
	for i, t := range c.Types {
		types[i] = string(t)
	}
	out := collaboratorJSON{OrgID: c.OrgID, OrgName: c.OrgName, Types: types,
		ProjectAccess: accessJSON{Mode: c.Access.Mode, ProjectIDs: c.Access.ProjectIDs}, AutoInvite: c.AutoInvite,
		AutoInviteRole: string(c.AutoInviteRole), Removing: c.RemovingJob != "", PendingApproval: c.PendingApproval, AddedAt: c.AddedAt, Version: c.Version}
	if !c.EndsAt.IsZero() {
		out.EndsAt, out.EndSetBy = &c.EndsAt, c.EndSetBy
	}
	return out
}

func (a *API) listCollaborators(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	cols, err := a.svc.Collaborators.ListCollaborators(r.Context(), c, r.PathValue("wsId"))
	if err != nil {
		return err
	}
	// The owning org's row: type owner, implicit, every project.
	out := make([]collaboratorJSON, len(cols))
	for i, col := range cols {
		if slices.Contains(col.Types, collab.CollabOwner) {
			out[i] = collaboratorJSON{OrgID: col.OrgID, OrgName: col.OrgName, Types: []string{string(collab.CollabOwner)}, Owner: true,
				ProjectAccess: accessJSON{Mode: col.Access.Mode}}
			continue
		}
		out[i] = toCollaboratorJSON(col)
	}
	writeJSON(w, http.StatusOK, newList(out, ""))
	return nil
}

func (a *API) listWorkspaceMembers(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ms, next, err := a.svc.WorkspaceMembers.ListWorkspaceMembers(r.Context(), c, r.PathValue("wsId"), p)
	if err != nil {
		return err
	}
	out := make([]wsMemberJSON, len(ms))
	for i, m := range ms {
		out[i] = toWSMemberJSON(m)
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}

func (a *API) updateCollaborator(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in collaboratorPatchBody
	named, err := decodeNamed(r, &in)
	if err != nil {
		return err
	}
	if named["endsAt"] {
		// The end alone: whoever may remove the collaborator sets it.
		if len(named) != 1 {
			return invalidField("endsAt", "is set on its own, in a request with no other field")
		}
		var endsAt time.Time
		if in.EndsAt != nil {
			endsAt = *in.EndsAt
		}
		col, err := a.svc.Collaborators.SetCollaboratorEnd(r.Context(), c, r.PathValue("wsId"), r.PathValue("orgId"), endsAt)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, collaboratorChangeJSON{Collaborator: toCollaboratorJSON(col), RemovedRoles: []removedRoleJSON{}})
		return nil
	}
	p := collab.CollaboratorPatch{Types: collabTypes(in.Types), AutoInvite: in.AutoInvite, DryRun: in.DryRun}
	if in.ProjectAccess != nil {
		p.Access = &collab.ProjectAccess{Mode: in.ProjectAccess.Mode, ProjectIDs: in.ProjectAccess.ProjectIDs}
	}
	if in.AutoInviteRole != nil {
		role := collab.WorkspaceRole(*in.AutoInviteRole)
		p.AutoInviteRole = &role
	}
	col, removed, err := a.svc.Collaborators.UpdateCollaborator(r.Context(), c, r.PathValue("wsId"), r.PathValue("orgId"), p)
	if err != nil {
		return err
	}
	rm := make([]removedRoleJSON, len(removed))
	for i, x := range removed {
		rm[i] = removedRoleJSON{UserID: x.UserID, Email: x.Email, Role: string(x.Role)}
	}
	writeJSON(w, http.StatusOK, collaboratorChangeJSON{Collaborator: toCollaboratorJSON(col), RemovedRoles: rm, DryRun: in.DryRun})
	return nil
}

type collaboratorPatchBody struct {
	Types          []string    `json:"types,omitempty"`
	ProjectAccess  *accessJSON `json:"projectAccess,omitempty"`
	AutoInvite     *bool       `json:"autoInvite,omitempty"`
	AutoInviteRole *string     `json:"autoInviteRole,omitempty"`
	DryRun         bool        `json:"dryRun,omitempty" doc:"Answer what the change would do without making it."`
	EndsAt         *time.Time  `json:"endsAt,omitempty" doc:"On its own: when the collaboration ends by itself (its removal then begins; both orgs are told a day before); null: no end. Set by whoever may remove the collaborator."`
}

// removedRoleJSON is a workspace role a collaborator change removes.
type removedRoleJSON struct {
	UserID string `json:"userId"`
	Email  string `json:"email"`
	Role   string `json:"role"`
}

// collaboratorChangeJSON answers a collaborator change (or its dry run).
type collaboratorChangeJSON struct {
	Collaborator collaboratorJSON  `json:"collaborator"`
	RemovedRoles []removedRoleJSON `json:"removedRoles"`
	DryRun       bool              `json:"dryRun"`
}

// jobRefJSON answers a change that runs as a background job (202).
type jobRefJSON struct {
	JobID string `json:"jobId"`
}

func writeJob(w http.ResponseWriter, j collab.Job) {
	w.Header().Set("Location", "/jobs/"+j.ID)
	writeJSON(w, http.StatusAccepted, jobRefJSON{JobID: j.ID})
}

// jobJSON is a background job's progress.
type jobJSON struct {
	ID          string         `json:"id"`
	Kind        string         `json:"kind"`
	Status      string         `json:"status"`
	Done        int            `json:"done"`
	Total       int            `json:"total"`
	Written     int            `json:"written"`
	Errors      []string       `json:"errors"`
	WorkspaceID string         `json:"workspaceId"`
	OrgID       string         `json:"orgId"`
	ProjectID   string         `json:"projectId,omitempty"`
	TaskID      string         `json:"taskId,omitempty"`
	Reason      string         `json:"reason,omitempty" doc:"Why a failed job failed."`
	UpdatedAt   time.Time      `json:"updatedAt"`
	Result      *stopTallyJSON `json:"result,omitempty" doc:"A partner's stop (stop_partner): what it has done so far, in the shape of its dry run."`
}

// stopTallyJSON is what a partner's stop does (its dry run) or did (its
// job's result).
type stopTallyJSON struct {
	Members         int            `json:"members" doc:"The org's project memberships that end."`
	Items           map[string]int `json:"items" doc:"The org's in-flight items that return to the host, by status."`
	PendingHandoffs int            `json:"pendingHandoffs" doc:"Of those, items whose handoff was under way (dropped: the item returns instead)."`
	// With inFlight=finish only.
	Finishing  *int   `json:"finishing,omitempty" doc:"inFlight=finish: the org's items at the collaborator stage, which finish their review with it; the partnership ends when none is left."`
	HandedOver *int   `json:"handedOver,omitempty" doc:"inFlight=finish: the org's items in the host's final review, handed to the host as they stand (status and annotation kept)."`
	JobID      string `json:"jobId,omitempty" doc:"inFlight=finish, nothing left to finish: the stop began at once, as this job."`
}

func toFinishTallyJSON(t collab.FinishTally) stopTallyJSON {
	out := toStopTallyJSON(t.StopTally)
	out.Finishing, out.HandedOver = &t.Finishing, &t.HandedOver
	return out
}

func toStopTallyJSON(t collab.StopTally) stopTallyJSON {
	out := stopTallyJSON{Members: t.Members, Items: map[string]int{}, PendingHandoffs: t.PendingHandoffs}
	for st, n := range t.Items {
		if n > 0 {
			out.Items[string(st)] = n
		}
	}
	return out
}

func (a *API) addAllUsers(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in roleBody
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
	}
	j, err := a.svc.Collaborators.StartAddAllUsers(r.Context(), c, r.PathValue("wsId"), r.PathValue("orgId"), collab.WorkspaceRole(in.Role))
	if err != nil {
		return err
	}
	writeJob(w, j)
	return nil
}

func (a *API) removeCollaborator(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	j, err := a.svc.Collaborators.StartRemoveCollaborator(r.Context(), c, r.PathValue("wsId"), r.PathValue("orgId"))
	if err != nil {
		return err
	}
	writeJob(w, j)
	return nil
}

func (a *API) getJob(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	j, err := a.svc.Jobs.GetJob(r.Context(), c, r.PathValue("jobId"))
	if err != nil {
		return err
	}
	errs := j.Errors
	if errs == nil {
		errs = []string{}
	}
	out := jobJSON{ID: j.ID, Kind: string(j.Kind), Status: string(j.Status), Done: j.Done, Total: j.Total, Written: j.Written,
		Errors: errs, WorkspaceID: j.WorkspaceID, OrgID: j.OrgID, Reason: j.Reason, UpdatedAt: j.UpdatedAt}
	if j.TaskID != "" {
		out.ProjectID, out.TaskID = j.ProjectID, j.TaskID
	}
	if j.Kind == collab.JobStopPartner {
		res := toStopTallyJSON(collab.StopTallyOf(j))
		out.ProjectID, out.Result = j.ProjectID, &res
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type partnerJSON struct {
	OrgID     string     `json:"orgId"`
	OrgName   string     `json:"orgName"`
	Kind      string     `json:"kind"`
	Types     []string   `json:"types"`
	ManagerID string     `json:"managerId,omitempty"`
	AddedAt   time.Time  `json:"addedAt"`
	EndsAt    *time.Time `json:"endsAt,omitempty" doc:"When the partnership ends by itself (absent: open-ended)."`
	EndSetBy  string     `json:"endSetBy,omitempty" enum:"host,partner" doc:"Which side set the end: only the host's owner or that side moves it later or clears it."`
	Status    string     `json:"status" enum:"active,ending" doc:"ending: stopped with inFlight=finish; its items at the collaborator stage finish their review, it takes no new work or people, and its stop begins when none is left."`
	// EndingSince is set while it is ending.
	EndingSince *time.Time `json:"endingSince,omitempty" doc:"When the partnership began ending (inFlight=finish)."`
}

func toPartnerJSON(p collab.Partner) partnerJSON {
	types := make([]string, len(p.Types))
	for k, t := range p.Types {
		types[k] = string(t)
	}
	out := partnerJSON{OrgID: p.OrgID, OrgName: p.OrgName, Kind: string(p.Kind), Types: types, ManagerID: p.ManagerID, AddedAt: p.AddedAt}
	if !p.EndsAt.IsZero() {
		out.EndsAt, out.EndSetBy = &p.EndsAt, p.EndSetBy
	}
	out.Status = "active"
	if p.Ending() {
		out.Status, out.EndingSince = "ending", &p.EndingSince
	}
	return out
}

// partnerPatchBody time-boxes a partnership.
type partnerPatchBody struct {
	EndsAt *time.Time `json:"endsAt" doc:"When the partnership ends by itself: its stop then begins, and both sides are told a day before. null: no end."`
}

func (a *API) updatePartner(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in partnerPatchBody
	named, err := decodeNamed(r, &in)
	if err != nil {
		return err
	}
	if !named["endsAt"] {
		return invalidField("endsAt", "is required: a time, or null for no end")
	}
	var endsAt time.Time
	if in.EndsAt != nil {
		endsAt = *in.EndsAt
	}
	p, err := a.svc.Partners.SetPartnerEnd(r.Context(), c, r.PathValue("projectId"), r.PathValue("orgId"), endsAt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPartnerJSON(p))
	return nil
}

type wsMemberJSON struct {
	WorkspaceID string `json:"workspaceId"`
	UserID      string `json:"userId"`
	Email       string `json:"email"`
	Name        string `json:"name"`
	Role        string `json:"role"`
	OrgID       string `json:"orgId"`
	External    bool   `json:"external"`
}

func toWSMemberJSON(m collab.WorkspaceMember) wsMemberJSON {
	return wsMemberJSON{WorkspaceID: m.WorkspaceID, UserID: m.UserID, Email: m.Email, Name: m.Name, Role: string(m.Role),
		OrgID: m.OrgID, External: m.External}
}

func (a *API) getWorkspaceMember(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	m, err := a.svc.WorkspaceMembers.GetWorkspaceMember(r.Context(), c, r.PathValue("wsId"), r.PathValue("userId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toWSMemberJSON(m))
	return nil
}

func (a *API) putWorkspaceMember(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in roleBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	m, err := a.svc.WorkspaceMembers.PutWorkspaceMember(r.Context(), c, r.PathValue("wsId"), r.PathValue("userId"), collab.WorkspaceRole(in.Role))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toWSMemberJSON(m))
	return nil
}

func (a *API) deleteWorkspaceMember(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	if err := a.svc.WorkspaceMembers.DeleteWorkspaceMember(r.Context(), c, r.PathValue("wsId"), r.PathValue("userId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listPartners(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	ps, err := a.svc.Partners.ListProjectPartners(r.Context(), c, r.PathValue("projectId"))
	if err != nil {
		return err
	}
	out := make([]partnerJSON, len(ps))
	for i, p := range ps {
		out[i] = toPartnerJSON(p)
	}
	writeJSON(w, http.StatusOK, newList(out, ""))
	return nil
}

// stopPartner answers 202 with the stop job (the same job while a stop is
// under way).
//
// With inFlight=finish it answers 200 with what it did at once (the
// partnership is ending: see collab.FinishCollaboration).
func (a *API) stopPartner(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	q := r.URL.Query()
	dry := false
	switch q.Get("dryRun") {
	case "", "false":
	case "true":
		dry = true
	default:
		return invalidField("dryRun", "must be true or false")
	}
	finish := false
	switch q.Get("inFlight") {
	case "", collab.InFlightReturn:
	case collab.InFlightFinish:
		finish = true
	default:
		return invalidField("inFlight", "must be return or finish")
	}
	projectID, orgID := r.PathValue("projectId"), r.PathValue("orgId")
	switch {
	case dry && finish:
		t, err := a.svc.Partners.PreviewFinish(r.Context(), c, projectID, orgID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, toFinishTallyJSON(t))
		return nil
	case dry:
		t, err := a.svc.Partners.PreviewStop(r.Context(), c, projectID, orgID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, toStopTallyJSON(t))
		return nil
	case finish:
		f, err := a.svc.Partners.FinishCollaboration(r.Context(), c, projectID, orgID)
		if err != nil {
			return err
		}
		out := toFinishTallyJSON(f.Tally)
		if f.Job != nil {
			out.JobID = f.Job.ID
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	j, err := a.svc.Partners.StopCollaboration(r.Context(), c, projectID, orgID)
	if err != nil {
		return err
	}
	writeJob(w, j)
	return nil
}
