// Package httpapi holds the HTTP routers of every function: strict JSON
// decoding, problem+json errors, request ids, JSON logs and authentication.
// Handlers decode, call one use case and encode.
package httpapi

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/annobridge/annobridge/internal/collab"
)

// Deps are what the routers need.
type Deps struct {
	Service *collab.Service
	Auth    Authenticator
	// Idempotency keeps answers of POSTs sent with an Idempotency-Key.
	Idempotency collab.IdempotencyStore
	// Page configures the acceptance page (nil: JSON only).
	Page *PageConfig
	// Meter, when set, logs each request's store round trips and capacity.
	Meter Meter
	Log   *slog.Logger
	// ClientAddr names the client of a request for the limit on invitation
	// tokens that match nothing, when no one is signed in: in Lambda the
	// source IP API Gateway saw. Nil: the TCP peer (RemoteAddr). Never a
	// header the client sets.
	ClientAddr func(*http.Request) string
}

// API serves the routes of one or more functions.
type API struct {
	svc  *collab.Service
	auth Authenticator
	idem collab.IdempotencyStore
	page *Page
	mux  *http.ServeMux
	addr func(*http.Request) string
}

// handler is an authenticated endpoint: it gets the verified caller and
// returns an error to be answered as problem+json.
type handler func(w http.ResponseWriter, r *http.Request, c collab.Caller) error

// publicHandler is an endpoint open without a token.
type publicHandler func(w http.ResponseWriter, r *http.Request) error

// New returns the router serving the routes of the named functions (see
// routes.go), wrapped in request ids, logs and panic recovery.
func New(d Deps, functions ...string) http.Handler {
	a := &API{svc: d.Service, auth: d.Auth, idem: d.Idempotency, mux: http.NewServeMux(), addr: d.ClientAddr}
	if a.addr == nil {
		a.addr = peerAddr
	}
	if d.Page != nil {
		a.page = &Page{svc: d.Service, cfg: *d.Page, addr: a.addr}
	}
	seen := map[string]bool{}
	for _, fn := range functions {
		for _, rt := range a.routes(fn) {
			if seen[rt.pattern] {
				continue
			}
			seen[rt.pattern] = true
			a.mux.Handle(rt.pattern, rt.h)
		}
	}
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	return observe(log, d.Meter, http.HandlerFunc(a.serve))
}

// MaxPathSegment bounds one segment of a request path (ids, tokens).
const MaxPathSegment = 256

// serve routes the request; the mux's own 404 and 405 answers are turned into
// problem documents.
func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	// No id, token or name in a path is ever this long: such a path is not
	// found, before any lookup could hit the table's key-size limits.
	for _, seg := range strings.Split(r.URL.Path, "/") {
		if len(seg) > MaxPathSegment {
			writeProblem(w, r, http.StatusNotFound, string(collab.CodeNotFound), "no such resource: a path segment is too long", nil)
			return
		}
	}
	h, pattern := a.mux.Handler(r)
	if pattern != "" {
		a.mux.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if allow := rec.Header().Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	if rec.Code == http.StatusMethodNotAllowed {
		writeProblem(w, r, rec.Code, "method_not_allowed", r.Method+" is not allowed on "+r.URL.Path, nil)
		return
	}
	writeProblem(w, r, http.StatusNotFound, string(collab.CodeNotFound), "no route for "+r.Method+" "+r.URL.Path, nil)
}

// authed wraps an endpoint with authentication: the caller comes from the
// Authenticator, is recorded as a user, and is put in the context.
func (a *API) authed(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := a.auth.Authenticate(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), keyCaller, c)
		r = r.WithContext(ctx)
		if err := a.svc.Orgs.EnsureUser(ctx, c); err != nil {
			writeError(w, r, err)
			return
		}
		if r.Method == http.MethodPost && a.idem != nil && r.Header.Get("Idempotency-Key") != "" {
			a.idempotent(w, r, c, h)
			return
		}
		if err := h(w, r, c); err != nil {
			writeError(w, r, err)
		}
	})
}

func public(h publicHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, err)
		}
	})
}

// peerAddr is the TCP peer's host: the client, when nothing stands between.
func peerAddr(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
