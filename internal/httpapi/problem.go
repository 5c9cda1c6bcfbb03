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

// problemMembers renders the typed facts a domain error carries as the
// extra members of its problem document, and the Retry-After seconds (0:
// no header). It is the one place they become JSON:
//
//	rate_limited   retryAfterSeconds: whole seconds of RetryAfter, plus one
//	               (rounds up; an exact second waits one more)
//	gone           reason: "used" | "revoked" | "expired" | "declined"
//	unavailable    invitationId | jobId: the record saved before the failure
//	unprocessable  orgs: [{"id", "name"}], empty when the caller has none
//	conflict       manager: {"userId", "name"}, orgId: the partnering org
func problemMembers(de *collab.Error) (members map[string]any, retryAfter int) {
	members = map[string]any{}
	if de.RetryAfter > 0 {
		retryAfter = int(de.RetryAfter.Seconds()) + 1
		members["retryAfterSeconds"] = retryAfter
	}
	if de.Reason != "" {
		members["reason"] = string(de.Reason)
	}
	if s := de.Saved; s != nil {
		members[string(s.Kind)+"Id"] = s.ID
	}
	if c := de.OrgChoice; c != nil {
		type orgChoice struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		orgs := make([]orgChoice, len(c.Orgs))
		for i, o := range c.Orgs {
			orgs[i] = orgChoice{ID: o.ID, Name: o.Name}
		}
		members["orgs"] = orgs
	}
	if m := de.Manager; m != nil {
		members["manager"] = map[string]string{"userId": m.UserID, "name": m.Name}
		members["orgId"] = m.OrgID
	}
	return members, retryAfter
}

// problem is an RFC 9457 problem document.
type problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail,omitempty"`
	Instance  string              `json:"instance,omitempty"`
	RequestID string              `json:"requestId,omitempty"`
	Errors    []collab.FieldError `json:"errors,omitempty"`
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
	members, retryAfter := problemMembers(de)
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	writeProblem(w, r, status, string(de.Code), de.Message, de.Fields, members)
}

// writeProblem writes one problem document; extra members never replace the
// standard ones.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, code, detail string, fields []collab.FieldError, extra map[string]any) {
	p := problem{
		Type:      problemTypeBase + code,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  r.URL.Path,
		RequestID: requestID(r.Context()),
		Errors:    fields,
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="annobridge"`)
	}
	body := map[string]any{}
	raw, _ := json.Marshal(p)
	_ = json.Unmarshal(raw, &body)
	for k, v := range extra {
		if _, taken := body[k]; !taken {
			body[k] = v
		}
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// writeJSON answers v as JSON with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
