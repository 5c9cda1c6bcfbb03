package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

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
	writeProblem(w, r, status, string(de.Code), de.Message, de.Fields, de.Extra)
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
	if secs, ok := extra["retryAfterSeconds"].(int); ok {
		w.Header().Set("Retry-After", fmt.Sprint(secs))
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
