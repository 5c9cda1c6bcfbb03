package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

type itemJSON struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	FileRef        string          `json:"fileRef,omitempty"`
	Status         string          `json:"status"`
	Version        int             `json:"version"`
	AssigneeID     string          `json:"assigneeId"`
	OrgID          string          `json:"orgId"`
	TaskID         string          `json:"taskId"`
	HandoffPending bool            `json:"handoffPending"`
	Annotation     json.RawMessage `json:"annotation,omitempty"`
}

func toItemJSON(it collab.Item) itemJSON {
	return itemJSON{ID: it.ID, Name: it.Name, FileRef: it.FileRef, Status: string(it.Status), Version: it.Version,
		AssigneeID: it.AssigneeID, OrgID: it.OrgID, TaskID: it.TaskID, HandoffPending: it.PendingHandoff != "", Annotation: it.Annotation}
}

func (a *API) registerItem(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in itemBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	it, err := a.svc.Review.RegisterItem(r.Context(), c, r.PathValue("projectId"), in.Name, in.FileRef)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/projects/"+it.ProjectID+"/items/"+it.ID)
	writeJSON(w, http.StatusCreated, toItemJSON(it))
	return nil
}

func (a *API) listItems(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	st := collab.ItemStatus(r.URL.Query().Get("status"))
	if st == "" {
		st = collab.StNew
	}
	items, next, err := a.svc.Review.ListItems(r.Context(), c, r.PathValue("projectId"), st, p)
	if err != nil {
		return err
	}
	out := make([]itemJSON, len(items))
	for i, it := range items {
		out[i] = toItemJSON(it)
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}

func (a *API) getItem(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	it, err := a.svc.Review.GetItem(r.Context(), c, r.PathValue("projectId"), r.PathValue("itemId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toItemJSON(it))
	return nil
}

// assignBody names the item's new assignee, or null to unassign. It is
// the item's assigneeId; userId is its older name, still accepted.
type assignBody struct {
	AssigneeID json.RawMessage `json:"assigneeId,omitempty" doc:"The user to assign (a string), or null to unassign."`
	UserID     json.RawMessage `json:"userId,omitempty" deprecated:"true" doc:"The older name of assigneeId."`
}

// assignItem assigns the item to {"assigneeId": "u"}, or unassigns it with
// {"assigneeId": null}; userId is accepted for assigneeId.
func (a *API) assignItem(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in assignBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	field, raw := "assigneeId", in.AssigneeID
	if in.UserID != nil {
		if in.AssigneeID != nil {
			return invalidField("userId", "name the assignee once, as assigneeId (userId is its older name)")
		}
		field, raw = "userId", in.UserID
	}
	userID, present, null, err := nullable(field, raw)
	if err != nil {
		return err
	}
	if !present || (!null && userID == "") {
		return invalidField("assigneeId", "is required; null unassigns")
	}
	// "" unassigns.
	it, err := a.svc.Review.AssignItem(r.Context(), c, r.PathValue("projectId"), r.PathValue("itemId"), userID)
	if err != nil {
		return renameField(err, "userId", field) // the name the caller used
	}
	writeJSON(w, http.StatusOK, toItemJSON(it))
	return nil
}

func (a *API) saveAnnotation(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, collab.MaxAnnotationBytes+1))
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) || len(body) > collab.MaxAnnotationBytes {
		return collab.Errorf(collab.CodeTooLarge, "the annotation document is larger than %d bytes", collab.MaxAnnotationBytes)
	}
	if err != nil {
		return invalidField("body", "could not be read")
	}
	version := 0
	if m := strings.Trim(r.Header.Get("If-Match"), `W/"`); m != "" {
		if version, err = strconv.Atoi(m); err != nil {
			return invalidField("If-Match", "must be the item's version")
		}
	}
	it, err := a.svc.Review.SaveAnnotation(r.Context(), c, r.PathValue("projectId"), r.PathValue("itemId"), body, version)
	if err != nil {
		return err
	}
	it.Annotation = nil
	writeJSON(w, http.StatusOK, toItemJSON(it))
	return nil
}

func (a *API) submitItem(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	it, err := a.svc.Review.SubmitItem(r.Context(), c, r.PathValue("projectId"), r.PathValue("itemId"))
	if err != nil {
		return err
	}
	it.Annotation = nil
	writeJSON(w, http.StatusOK, toItemJSON(it))
	return nil
}

func (a *API) skipItem(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	it, err := a.svc.Review.SkipItem(r.Context(), c, r.PathValue("projectId"), r.PathValue("itemId"))
	if err != nil {
		return err
	}
	it.Annotation = nil
	writeJSON(w, http.StatusOK, toItemJSON(it))
	return nil
}

func (a *API) reviewItem(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in reviewBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := a.svc.Review.ReviewItem(r.Context(), c, r.PathValue("projectId"), r.PathValue("itemId"), in.Decision, in.Comment)
	if err != nil {
		return err
	}
	res.Item.Annotation = nil
	status := http.StatusOK
	if res.Pending {
		status = http.StatusAccepted
	}
	writeJSON(w, status, toItemJSON(res.Item))
	return nil
}

func (a *API) itemHistory(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	evs, next, err := a.svc.Review.History(r.Context(), c, r.PathValue("projectId"), r.PathValue("itemId"), p)
	if err != nil {
		return err
	}
	out := make([]historyEventJSON, len(evs))
	for i, e := range evs {
		out[i] = historyEventJSON{From: string(e.From), To: string(e.To), ActorID: e.ActorID, OrgID: e.OrgID, At: e.At, Comment: e.Comment}
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}

type itemBody struct {
	Name    string `json:"name"`
	FileRef string `json:"fileRef,omitempty"`
}

type reviewBody struct {
	Decision string `json:"decision" enum:"approve,reject"`
	Comment  string `json:"comment,omitempty"`
}

type commentBody struct {
	Text string `json:"text"`
}

// historyEventJSON is one transition of an item's history.
type historyEventJSON struct {
	From    string    `json:"from"`
	To      string    `json:"to"`
	ActorID string    `json:"actorId"`
	OrgID   string    `json:"orgId"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment,omitempty"`
}

// auditJSON is one audit entry.
type auditJSON struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actorId"`
	OrgID  string    `json:"orgId"`
	What   string    `json:"what"`
	Before any       `json:"before"`
	After  any       `json:"after"`
}

// memberAnalyticsJSON is one member's analytics over a range of days.
type memberAnalyticsJSON struct {
	UserID string `json:"userId"`
	From   string `json:"from"`
	To     string `json:"to"`
	analyticsJSON
}

type commentJSON struct {
	ID       string    `json:"id"`
	AuthorID string    `json:"authorId"`
	OrgID    string    `json:"orgId"`
	Text     string    `json:"text"`
	At       time.Time `json:"at"`
}

func (a *API) addComment(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in commentBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	cm, err := a.svc.Review.AddComment(r.Context(), c, r.PathValue("projectId"), r.PathValue("itemId"), in.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, commentJSON{ID: cm.ID, AuthorID: cm.AuthorID, OrgID: cm.OrgID, Text: cm.Text, At: cm.At})
	return nil
}

func (a *API) listComments(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	cs, next, err := a.svc.Review.ListComments(r.Context(), c, r.PathValue("projectId"), r.PathValue("itemId"), p)
	if err != nil {
		return err
	}
	out := make([]commentJSON, len(cs))
	for i, cm := range cs {
		out[i] = commentJSON{ID: cm.ID, AuthorID: cm.AuthorID, OrgID: cm.OrgID, Text: cm.Text, At: cm.At}
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}

func (a *API) projectAudit(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	return a.auditList(w, r, func(p collab.Page) ([]collab.AuditEntry, string, error) {
		return a.svc.Projects.ProjectAudit(r.Context(), c, r.PathValue("projectId"), p)
	})
}

func (a *API) workspaceAudit(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	return a.auditList(w, r, func(p collab.Page) ([]collab.AuditEntry, string, error) {
		return a.svc.Collaborators.WorkspaceAudit(r.Context(), c, r.PathValue("wsId"), p)
	})
}

// auditList answers one page of audit entries.
func (a *API) auditList(w http.ResponseWriter, r *http.Request, list func(collab.Page) ([]collab.AuditEntry, string, error)) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	es, next, err := list(p)
	if err != nil {
		return err
	}
	out := make([]auditJSON, len(es))
	for i, e := range es {
		out[i] = auditJSON{At: e.At, Actor: e.Actor, OrgID: e.OrgID, What: e.What, Before: e.Before, After: e.After}
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}

// analyticsRange reads the from and to dates of an analytics query; absent
// dates are the zero time, the use case's to default (the last 30 days).
func analyticsRange(r *http.Request) (from, to time.Time, err error) {
	q := r.URL.Query()
	parse := func(name string) (time.Time, error) {
		s := q.Get(name)
		if s == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return t, invalidField(name, "must be a date like 2026-11-22")
		}
		return t, nil
	}
	if from, err = parse("from"); err != nil {
		return from, to, err
	}
	to, err = parse("to")
	return from, to, err
}

// analyticsJSON is one set of analytics figures: the counters, the
// rejection rate (rejected / decisions) and the time in each stage.
type analyticsJSON struct {
	Assigned      int                           `json:"assigned"`
	Submitted     int                           `json:"submitted"`
	Approved      int                           `json:"approved"`
	Rejected      int                           `json:"rejected"`
	RejectionRate float64                       `json:"rejectionRate"`
	TimeInStage   map[string]map[string]float64 `json:"timeInStage"`
}

func toAnalyticsJSON(an collab.Analytics) analyticsJSON {
	reviewed := an.Approved + an.Rejected
	rate := 0.0
	if reviewed > 0 {
		rate = float64(an.Rejected) / float64(reviewed)
	}
	stages := map[string]map[string]float64{}
	for st, secs := range an.SecondsIn {
		n := an.TimesIn[st]
		avg := 0.0
		if n > 0 {
			avg = float64(secs) / float64(n)
		}
		stages[string(st)] = map[string]float64{"totalSeconds": float64(secs), "count": float64(n), "averageSeconds": avg}
	}
	return analyticsJSON{Assigned: an.Assigned, Submitted: an.Submitted, Approved: an.Approved, Rejected: an.Rejected,
		RejectionRate: rate, TimeInStage: stages}
}

func (a *API) memberAnalytics(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	from, to, err := analyticsRange(r)
	if err != nil {
		return err
	}
	an, err := a.svc.Review.MemberAnalytics(r.Context(), c, r.PathValue("projectId"), r.PathValue("userId"), from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, memberAnalyticsJSON{r.PathValue("userId"), from.Format("2006-01-02"), to.Format("2006-01-02"), toAnalyticsJSON(an)})
	return nil
}

// reviewMetricsJSON is a project's review metrics per partner org over a
// range of days.
type reviewMetricsJSON struct {
	From  string                 `json:"from"`
	To    string                 `json:"to"`
	Items []orgReviewMetricsJSON `json:"items"`
}

// orgReviewMetricsJSON is one org's row; a rate is null when nothing was
// reviewed (approved) to divide by.
type orgReviewMetricsJSON struct {
	OrgID              string   `json:"orgId"`
	OrgName            string   `json:"orgName"`
	ReviewedAtOwnStage int      `json:"reviewedAtOwnStage" doc:"Items the org's reviewers approved or rejected at its own review stage."`
	ApprovedAtOwnStage int      `json:"approvedAtOwnStage" doc:"Of those, approved (and so sent to the host's final review)."`
	ApprovalRate       *float64 `json:"approvalRate" doc:"approvedAtOwnStage / reviewedAtOwnStage; null when nothing was reviewed."`
	OverturnedByHost   int      `json:"overturnedByHost" doc:"Items the org approved that the host rejected at its final review."`
	OverturnRate       *float64 `json:"overturnRate" doc:"overturnedByHost / approvedAtOwnStage; null when nothing was approved."`
}

func (a *API) reviewMetrics(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	from, to, err := analyticsRange(r)
	if err != nil {
		return err
	}
	from, to, rows, err := a.svc.Review.ReviewMetrics(r.Context(), c, r.PathValue("projectId"), from, to)
	if err != nil {
		return err
	}
	out := reviewMetricsJSON{From: from.Format("2006-01-02"), To: to.Format("2006-01-02"), Items: make([]orgReviewMetricsJSON, len(rows))}
	for i, m := range rows {
		out.Items[i] = orgReviewMetricsJSON{OrgID: m.OrgID, OrgName: m.OrgName, ReviewedAtOwnStage: m.ReviewedAtOwnStage,
			ApprovedAtOwnStage: m.ApprovedAtOwnStage, ApprovalRate: m.ApprovalRate, OverturnedByHost: m.OverturnedByHost, OverturnRate: m.OverturnRate}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
