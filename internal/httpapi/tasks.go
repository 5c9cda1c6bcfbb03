package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// taskJSON is a task as the API answers it. The progress members (status,
// total, counts, byAssignee) are left out of list answers.
type taskJSON struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	OrgID     string     `json:"orgId"`
	DueAt     *time.Time `json:"dueAt,omitempty"`
	AllowPull bool       `json:"allowPull"`
	CreatedBy string     `json:"createdBy"`
	CreatedAt time.Time  `json:"createdAt"`
	Version   int        `json:"version"`
	*taskProgressJSON
}

// taskProgressJSON is a task's progress: its status, and its items counted
// per status and per holder ("" is unassigned).
type taskProgressJSON struct {
	Status     string                    `json:"status"`
	Total      int                       `json:"total"`
	Counts     map[string]int            `json:"counts"`
	ByAssignee map[string]map[string]int `json:"byAssignee"`
}

func toTaskJSON(t collab.Task) taskJSON {
	out := taskJSON{ID: t.ID, Name: t.Name, Kind: string(t.Kind), OrgID: t.OrgID, AllowPull: t.AllowPull,
		CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, Version: t.Version}
	if !t.DueAt.IsZero() {
		due := t.DueAt
		out.DueAt = &due
	}
	return out
}

// toTaskProgressJSON is toTaskJSON with the task's progress (the zero
// progress of a task with no items yet answers open, total 0).
func toTaskProgressJSON(t collab.Task, p collab.TaskProgress) taskJSON {
	out := toTaskJSON(t)
	counts := func(m map[collab.ItemStatus]int) map[string]int {
		c := make(map[string]int, len(m))
		for st, n := range m {
			c[string(st)] = n
		}
		return c
	}
	by := make(map[string]map[string]int, len(p.ByHolder))
	for holder, m := range p.ByHolder {
		by[holder] = counts(m)
	}
	out.taskProgressJSON = &taskProgressJSON{Status: p.Status(), Total: p.Total, Counts: counts(p.ByStatus), ByAssignee: by}
	return out
}

type taskBody struct {
	Name      string  `json:"name"`
	Kind      string  `json:"kind" enum:"annotation,review"`
	OrgID     string  `json:"orgId,omitempty" doc:"The org that works the task; the caller's side when left out."`
	DueAt     *string `json:"dueAt,omitempty" doc:"An RFC 3339 time."`
	AllowPull bool    `json:"allowPull,omitempty"`
}

type taskPatchBody struct {
	Name      *string         `json:"name,omitempty"`
	DueAt     json.RawMessage `json:"dueAt,omitempty" doc:"An RFC 3339 time, or null to clear it."`
	AllowPull *bool           `json:"allowPull,omitempty"`
}

type taskItemsBody struct {
	ItemIDs []string `json:"itemIds"`
}

// skippedJSON is an item a task change left alone, and why.
type skippedJSON struct {
	ItemID string `json:"itemId"`
	Reason string `json:"reason"`
}

// taskItemsJSON answers adding items to a task.
type taskItemsJSON struct {
	Added   []string      `json:"added"`
	Skipped []skippedJSON `json:"skipped"`
}

type distributeBody struct {
	UserIDs []string `json:"userIds,omitempty"`
	GroupID *string  `json:"groupId,omitempty"`
	Mode    string   `json:"mode,omitempty" enum:"even"`
}

// taskAnalyticsJSON is a task's analytics: its total and each member's.
type taskAnalyticsJSON struct {
	Total   analyticsJSON            `json:"total"`
	Members map[string]analyticsJSON `json:"members"`
}

// parseDueAt reads a due date given as an RFC 3339 time.
func parseDueAt(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, invalidField("dueAt", "must be an RFC 3339 time like 2026-11-22T17:00:00Z")
	}
	return t, nil
}

// nullable reads a member that may be absent, null or a JSON string.
func nullable(field string, raw json.RawMessage) (s string, present, null bool, err error) {
	if raw == nil {
		return "", false, false, nil
	}
	if bytes.Equal(raw, []byte("null")) {
		return "", true, true, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, false, invalidField(field, "must be a JSON string or null")
	}
	return s, true, false, nil
}

func (a *API) createTask(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in taskBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	nt := collab.NewTask{Name: in.Name, Kind: collab.TaskKind(in.Kind), OrgID: in.OrgID, AllowPull: in.AllowPull}
	if in.DueAt != nil {
		due, err := parseDueAt(*in.DueAt)
		if err != nil {
			return err
		}
		nt.DueAt = due
	}
	projectID := r.PathValue("projectId")
	t, err := a.svc.Tasks.CreateTask(r.Context(), c, projectID, nt)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/projects/"+projectID+"/tasks/"+t.ID)
	writeJSON(w, http.StatusCreated, toTaskProgressJSON(t, collab.TaskProgress{}))
	return nil
}

func (a *API) listTasks(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ts, next, err := a.svc.Tasks.ListTasks(r.Context(), c, r.PathValue("projectId"), p)
	if err != nil {
		return err
	}
	out := make([]taskJSON, len(ts))
	for i, t := range ts {
		out[i] = toTaskJSON(t)
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}

func (a *API) getTask(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	t, p, err := a.svc.Tasks.GetTask(r.Context(), c, r.PathValue("projectId"), r.PathValue("taskId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toTaskProgressJSON(t, p))
	return nil
}

// updateTask renames a task, sets or clears (null) its due date, or turns
// pulling on or off.
func (a *API) updateTask(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in taskPatchBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	due, hasDue, clearDue, err := nullable("dueAt", in.DueAt)
	if err != nil {
		return err
	}
	if in.Name == nil && !hasDue && in.AllowPull == nil {
		return invalidField("name", "name, dueAt or allowPull is required")
	}
	p := collab.TaskPatch{Name: in.Name, AllowPull: in.AllowPull}
	if hasDue {
		var t time.Time // the zero time clears the due date
		if !clearDue {
			if t, err = parseDueAt(due); err != nil {
				return err
			}
		}
		p.DueAt = &t
	}
	t, err := a.svc.Tasks.UpdateTask(r.Context(), c, r.PathValue("projectId"), r.PathValue("taskId"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toTaskProgressJSON(t, collab.TaskProgress{}))
	return nil
}

func (a *API) deleteTask(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	if err := a.svc.Tasks.DeleteTask(r.Context(), c, r.PathValue("projectId"), r.PathValue("taskId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) addTaskItems(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in taskItemsBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if len(in.ItemIDs) == 0 || len(in.ItemIDs) > collab.MaxTaskItemsPerCall {
		return invalidField("itemIds", fmt.Sprintf("must list 1 to %d item ids", collab.MaxTaskItemsPerCall))
	}
	for _, id := range in.ItemIDs {
		if id == "" {
			return invalidField("itemIds", "must not hold an empty id")
		}
	}
	res, err := a.svc.Tasks.AddTaskItems(r.Context(), c, r.PathValue("projectId"), r.PathValue("taskId"), in.ItemIDs)
	if err != nil {
		return err
	}
	added := res.Added
	if added == nil {
		added = []string{}
	}
	skipped := make([]skippedJSON, len(res.Skipped))
	for i, s := range res.Skipped {
		skipped[i] = skippedJSON{ItemID: s.ItemID, Reason: s.Reason}
	}
	writeJSON(w, http.StatusOK, taskItemsJSON{Added: added, Skipped: skipped})
	return nil
}

func (a *API) removeTaskItem(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	it, err := a.svc.Tasks.RemoveTaskItem(r.Context(), c, r.PathValue("projectId"), r.PathValue("taskId"), r.PathValue("itemId"))
	if err != nil {
		return err
	}
	it.Annotation = nil
	writeJSON(w, http.StatusOK, toItemJSON(it))
	return nil
}

// distributeTask starts spreading the task's unassigned items evenly over
// the annotators named, one by one (userIds) or as a group (groupId).
func (a *API) distributeTask(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in distributeBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if (in.UserIDs != nil) == (in.GroupID != nil) {
		return invalidField("userIds", "name exactly one of userIds, groupId")
	}
	if in.UserIDs != nil && len(in.UserIDs) == 0 {
		return invalidField("userIds", "must list at least one user")
	}
	for _, id := range in.UserIDs {
		if id == "" {
			return invalidField("userIds", "must not hold an empty id")
		}
	}
	if in.GroupID != nil && *in.GroupID == "" {
		return invalidField("groupId", "must not be empty")
	}
	if in.Mode != "" && in.Mode != "even" {
		return invalidField("mode", `must be "even" (the default)`)
	}
	d := collab.Distribution{UserIDs: in.UserIDs}
	if in.GroupID != nil {
		d.GroupID = *in.GroupID
	}
	j, err := a.svc.Tasks.Distribute(r.Context(), c, r.PathValue("projectId"), r.PathValue("taskId"), d)
	if err != nil {
		return err
	}
	writeJob(w, j)
	return nil
}

// nextTaskItem gives the caller the next item of the task (assigning it to
// them), or 204 when nothing is left.
func (a *API) nextTaskItem(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	it, ok, err := a.svc.Tasks.NextItem(r.Context(), c, r.PathValue("projectId"), r.PathValue("taskId"))
	if err != nil {
		return err
	}
	if !ok {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, toItemJSON(it))
	return nil
}

func (a *API) taskAnalytics(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	from, to, err := analyticsRange(r)
	if err != nil {
		return err
	}
	total, members, err := a.svc.Tasks.TaskAnalytics(r.Context(), c, r.PathValue("projectId"), r.PathValue("taskId"), from, to)
	if err != nil {
		return err
	}
	byMember := make(map[string]analyticsJSON, len(members))
	for u, an := range members {
		byMember[u] = toAnalyticsJSON(an)
	}
	writeJSON(w, http.StatusOK, taskAnalyticsJSON{Total: toAnalyticsJSON(total), Members: byMember})
	return nil
}
