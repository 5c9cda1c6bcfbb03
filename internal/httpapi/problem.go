package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/annobridge/annobridge/internal/collab"
)

// statusOf is the one table from domain error codes to HTTP statuses.
var statusOf = map[collab.Code]int{
	collab.CodeInvalid:         http.StatusBadRequest,
	collab.CodeUnauthenticated: http.StatusUnauthorized,
	collab.CodeForbidden:       http.StatusForbidden,
	collab.CodeNotFound:        http.StatusNotFound,
	collab.CodeConflict:        http.StatusConflict,
	collab.CodeGone:            http.StatusGone,
	collab.CodeUnprocessable:   http.StatusUnprocessableEntity,
	collab.CodeTooLarge:        http.StatusRequestEntityTooLarge,
	collab.CodeUnsupported:     http.StatusUnsupportedMediaType,
	collab.CodeInternal:        http.StatusInternalServerError,
	collab.CodeRateLimited:     http.StatusTooManyRequests,
	collab.CodeUnavailable:     http.StatusServiceUnavailable,
}

// problemMembers fills in the typed facts a domain error carries as the
// extra members of its problem document, and answers the Retry-After
// seconds (0: no header). It is the one place they become JSON:
//
//	rate_limited   retryAfterSeconds: whole seconds of RetryAfter, plus one
//	               (rounds up; an exact second waits one more)
//	gone           reason: "used" | "revoked" | "expired" | "declined"
//	unavailable    invitationId | jobId: the record saved before the failure
//	unprocessable  orgs: [{"id", "name"}], empty when the caller has none
//	conflict       manager: {"userId", "name"}, orgId: the partnering org
func problemMembers(de *collab.Error, p *problem) (retryAfter int) {
	if de.RetryAfter > 0 {
		retryAfter = int(de.RetryAfter.Seconds()) + 1
		p.RetryAfterSeconds = retryAfter
	}
	p.Reason = string(de.Reason)
	if s := de.Saved; s != nil {
		switch s.Kind {
		case collab.RecordInvitation:
			p.InvitationID = s.ID
		case collab.RecordJob:
			p.JobID = s.ID
		}
	}
	if c := de.OrgChoice; c != nil {
		orgs := make([]orgChoiceJSON, len(c.Orgs))
		for i, o := range c.Orgs {
			orgs[i] = orgChoiceJSON{ID: o.ID, Name: o.Name}
		}
		p.Orgs = &orgs
	}
	if m := de.Manager; m != nil {
		p.Manager = &managerJSON{UserID: m.UserID, Name: m.Name}
		p.OrgID = m.OrgID
	}
	return retryAfter
}

// orgChoiceJSON is an org the caller may name.
type orgChoiceJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// managerJSON is the person who manages a partnering org's side.
type managerJSON struct {
	UserID string `json:"userId"`
	Name   string `json:"name"`
}

// problem is an RFC 9457 problem document, with the extra members an
// error may carry (problemMembers).
type problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail,omitempty"`
	Instance  string              `json:"instance,omitempty"`
	RequestID string              `json:"requestId,omitempty"`
	Errors    []collab.FieldError `json:"errors,omitempty" doc:"The fields at fault, each with what is wrong."`

	RetryAfterSeconds int              `json:"retryAfterSeconds,omitempty" doc:"rate_limited: seconds until a retry may pass."`
	Reason            string           `json:"reason,omitempty" enum:"used,revoked,expired,declined" doc:"gone: why the invitation is no longer usable."`
	InvitationID      string           `json:"invitationId,omitempty" doc:"unavailable: the invitation saved before the failure."`
	JobID             string           `json:"jobId,omitempty" doc:"unavailable: the job saved before the failure."`
	Orgs              *[]orgChoiceJSON `json:"orgs,omitempty" doc:"unprocessable: the orgs to choose from (empty when the caller has none)."`
	Manager           *managerJSON     `json:"manager,omitempty" doc:"conflict: who manages the partnering org's side."`
	OrgID             string           `json:"orgId,omitempty" doc:"conflict: the partnering org."`
}

const problemTypeBase = "https://annobridge.dev/problems/"

// writeError answers err as problem+json. Internal errors are logged with
// their cause and shown to the caller only as "internal error".
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var de *collab.Error
	if !errors.As(err, &de) {
		de = &collab.Error{Code: collab.CodeInternal, Err: err}
	}
	status, ok := statusOf[de.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status == http.StatusInternalServerError {
		de = &collab.Error{Code: collab.CodeInternal, Message: "internal error"}
		logger(r.Context()).ErrorContext(r.Context(), "internal error", slog.Any("err", err))
	}
	p := newProblem(r, status, string(de.Code), de.Message, de.Fields)
	if retryAfter := problemMembers(de, &p); retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	sendProblem(w, p)
}

// writeProblem writes one problem document.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, code, detail string, fields []collab.FieldError) {
	sendProblem(w, newProblem(r, status, code, detail, fields))
}

func newProblem(r *http.Request, status int, code, detail string, fields []collab.FieldError) problem {
	return problem{
		Type:      problemTypeBase + code,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  r.URL.Path,
		RequestID: requestID(r.Context()),
		Errors:    fields,
	}
}

func sendProblem(w http.ResponseWriter, p problem) {
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="annobridge"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeJSON answers v as JSON with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
