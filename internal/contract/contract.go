// Package contract checks HTTP requests and responses against the API's
// OpenAPI 3 document, for tests: wrap a handler in (*Checker).Middleware and
// every exchange through it is validated with kin-openapi's openapi3filter.
// Problems are recorded as Violations, never panicked, so a test helper can
// claim those of its own request (Take) and a TestMain can report the rest
// (Unclaimed).
//
// Only tests import this package, so kin-openapi stays out of the Lambda
// binaries.
//
// The rules:
//
//   - A response's status must be listed for its operation: by itself
//     ("201"), by its class ("2XX"), or, for 4xx and 5xx only, by "default".
//     "default" never covers 1xx, 2xx or 3xx: a success the document does not
//     list is a violation.
//   - A response's Content-Type must be one the listed response declares, and
//     a response declared without content must have an empty body (3xx
//     excepted: http.Redirect writes a line of HTML). JSON
//     bodies (application/json and any +json, problem+json included) are
//     validated against their schema; other media types (text/csv,
//     text/html, application/yaml, forms) are checked for their content type
//     only. Declared response headers are validated; undeclared ones are
//     allowed.
//   - The request is validated only when the answer was 2xx (the server
//     accepted it, so the document must too); a request the server refused
//     with 4xx is the test's business. Path, query and header parameters and
//     JSON bodies are validated; a query parameter the operation does not
//     declare, or a body sent to an operation without a requestBody, is a
//     violation. Security: a bearer scheme is satisfied by any
//     "Authorization: Bearer ..." header (the server checks the token); the
//     header must be there, so a public route that forgets security: [] is
//     caught. Other schemes are always satisfied.
//   - A request that matches no operation of the document is a violation,
//     unless the server answered 404 or 405, or redirected (301, 307, 308)
//     to the clean path as net/http's router does. The document's servers
//     are ignored: paths are matched from the root, on any host.
//   - HEAD is not checked: it is GET without the body (RFC 9110), which
//     net/http serves for every GET route.
package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Violation is one way an exchange departed from the document.
type Violation struct {
	Method    string
	Path      string // the request's path, as sent
	Route     string // the document's path template, "" when none matched
	Status    int
	RequestID string // the response's X-Request-Id
	Message   string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s %s -> %d (request %s): %s", v.Method, v.Path, v.Status, v.RequestID, v.Message)
}

// Checker validates exchanges against one document. It is safe for
// concurrent use.
type Checker struct {
	router routers.Router

	mu      sync.Mutex
	done    *sync.Cond // signalled on mu when a check ends
	pending map[string]int
	found   []violation
}

type violation struct {
	Violation
	claimed bool
}

// Load parses an OpenAPI 3 document (JSON or YAML), validates it and builds
// the router the checks use.
func Load(doc []byte) (*Checker, error) {
	loader := openapi3.NewLoader()
	t, err := loader.LoadFromData(doc)
	if err != nil {
		return nil, fmt.Errorf("contract: parsing the document: %w", err)
	}
	if err := t.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("contract: the document is not valid: %w", err)
	}
	// Match paths from the root on any host, whatever servers say.
	t.Servers = nil
	for _, item := range t.Paths.Map() {
		item.Servers = nil
	}
	router, err := gorillamux.NewRouter(t)
	if err != nil {
		return nil, fmt.Errorf("contract: building the router: %w", err)
	}
	c := &Checker{router: router, pending: map[string]int{}}
	c.done = sync.NewCond(&c.mu)
	return c, nil
}

// Middleware validates every exchange that goes through next. The request
// body is read whole before next runs (next sees the same bytes) and the
// response streams through to w while it is recorded.
func (c *Checker) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Body != nil && r.Body != http.NoBody {
			var err error
			body, err = io.ReadAll(r.Body)
			_ = r.Body.Close()
			var rest io.Reader = bytes.NewReader(body)
			if err != nil {
				rest = io.MultiReader(rest, errReader{err})
			}
			r.Body = io.NopCloser(rest)
		}
		req := r.Clone(context.WithoutCancel(r.Context()))
		rec := &recorder{ResponseWriter: w, started: func(h http.Header) { c.begin(h.Get("X-Request-Id")) }}
		defer func() {
			if rec.status != 0 {
				c.end(rec.header.Get("X-Request-Id"))
			}
		}()
		next.ServeHTTP(rec, r)
		rec.finish()
		c.check(req, body, rec)
	})
}

// begin marks a request's check as pending from the moment its status is
// set, before the client can see any of the response; end clears it.
func (c *Checker) begin(requestID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending[requestID]++
}

func (c *Checker) end(requestID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending[requestID]--; c.pending[requestID] == 0 {
		delete(c.pending, requestID)
	}
	c.done.Broadcast()
}

// Violations returns every violation recorded so far, claimed or not.
func (c *Checker) Violations() []Violation {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Violation, 0, len(c.found))
	for _, v := range c.found {
		out = append(out, v.Violation)
	}
	return out
}

// Take claims and returns the unclaimed violations of the request whose
// response carried X-Request-Id requestID. A client can have the whole
// response before its check has run (a body with a Content-Length, flushed),
// so Take first waits for the checks of that request id still under way.
func (c *Checker) Take(requestID string) []Violation {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.pending[requestID] > 0 {
		c.done.Wait()
	}
	var out []Violation
	for i := range c.found {
		if v := &c.found[i]; !v.claimed && v.RequestID == requestID {
			v.claimed = true
			out = append(out, v.Violation)
		}
	}
	return out
}

// Unclaimed returns the violations no Take has claimed.
func (c *Checker) Unclaimed() []Violation {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Violation
	for _, v := range c.found {
		if !v.claimed {
			out = append(out, v.Violation)
		}
	}
	return out
}

func (c *Checker) record(v Violation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.found = append(c.found, violation{Violation: v})
}

// check validates one finished exchange and records what it finds.
func (c *Checker) check(req *http.Request, body []byte, rec *recorder) {
	status := rec.status
	report := func(route, msg string) {
		c.record(Violation{
			Method:    req.Method,
			Path:      req.URL.Path,
			Route:     route,
			Status:    status,
			RequestID: rec.header.Get("X-Request-Id"),
			Message:   msg,
		})
	}

	if req.Method == http.MethodHead {
		return // GET without the body (RFC 9110), which net/http serves for every GET route
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		switch status {
		case http.StatusNotFound, http.StatusMethodNotAllowed,
			http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			// refused, or redirected to the clean path by the router itself
		default:
			report("", "route not in the document: "+err.Error())
		}
		return
	}
	ctx := req.Context()
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options:    options(),
	}

	for _, msg := range checkResponse(ctx, in, status, rec.header, rec.body.Bytes()) {
		report(route.Path, msg)
	}
	if status >= 200 && status < 300 {
		for _, msg := range checkRequest(ctx, in, body) {
			report(route.Path, msg)
		}
	}
}

func options() *openapi3filter.Options {
	return &openapi3filter.Options{
		MultiError:                        true,
		SkipSettingDefaults:               true,
		RejectWhenRequestBodyNotSpecified: true,
		AuthenticationFunc:                bearerPresent,
		SchemaValidationOptions:           []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
	}
}

// bearerPresent satisfies a bearer scheme with any bearer token (the server
// checks it) and any other scheme always.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	if s == nil || s.Type != "http" || !strings.EqualFold(s.Scheme, "bearer") {
		return nil
	}
	scheme, token, _ := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
		return errors.New("no bearer token, yet the operation requires one and the server answered 2xx (public operations need security: [])")
	}
	return nil
}

func checkResponse(ctx context.Context, in *openapi3filter.RequestValidationInput, status int, header http.Header, body []byte) []string {
	responses := in.Route.Operation.Responses
	ref := responses.Value(strconv.Itoa(status))
	if ref == nil {
		ref = responses.Value(strconv.Itoa(status/100) + "XX")
	}
	if ref == nil && status >= 400 {
		ref = responses.Default()
	}
	if ref == nil {
		return []string{fmt.Sprintf("status %d is not listed for %s %s (listed: %s)",
			status, in.Route.Method, in.Route.Path, strings.Join(slices.Sorted(maps.Keys(responses.Map())), ", "))}
	}

	var msgs []string
	ct := header.Get("Content-Type")
	content := ref.Value.Content
	opts := in.Options
	switch {
	case len(content) == 0:
		// A redirect's body (http.Redirect writes a line of HTML) is not
		// part of the contract.
		if len(body) > 0 && status/100 != 3 {
			msgs = append(msgs, fmt.Sprintf("response has a body (%q) but the document declares no content for status %d", ct, status))
		}
	case !isJSON(ct):
		if content.Get(ct) == nil {
			msgs = append(msgs, fmt.Sprintf("response Content-Type %q is not one the document lists (%s)", ct, mediaTypes(content)))
		}
		o := *opts
		o.ExcludeResponseBody = true
		opts = &o
	}
	err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                opts,
	})
	if err != nil {
		msgs = append(msgs, "response: "+err.Error())
	}
	return msgs
}

func checkRequest(ctx context.Context, in *openapi3filter.RequestValidationInput, body []byte) []string {
	var msgs []string
	req := in.Request
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }

	ct := req.Header.Get("Content-Type")
	op := in.Route.Operation
	if len(body) > 0 && !isJSON(ct) {
		switch {
		case op.RequestBody == nil:
			msgs = append(msgs, fmt.Sprintf("request has a body (%q) but the operation declares no requestBody", ct))
		case op.RequestBody.Value.Content.Get(ct) == nil:
			msgs = append(msgs, fmt.Sprintf("request Content-Type %q is not one the document lists (%s)", ct, mediaTypes(op.RequestBody.Value.Content)))
		}
		o := *in.Options
		o.ExcludeRequestBody = true
		in.Options = &o
	}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		msgs = append(msgs, "request: "+err.Error())
	}

	declared := map[string]bool{}
	for _, params := range []openapi3.Parameters{in.Route.PathItem.Parameters, op.Parameters} {
		for _, p := range params {
			if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
				declared[p.Value.Name] = true
			}
		}
	}
	var unknown []string
	for name := range req.URL.Query() {
		if !declared[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		msgs = append(msgs, fmt.Sprintf("request: query parameters %q are not in the document", unknown))
	}
	return msgs
}

// isJSON reports whether a Content-Type is application/json or a +json type.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func mediaTypes(content openapi3.Content) string {
	return strings.Join(slices.Sorted(maps.Keys(content)), ", ")
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
