package contract

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func load(t *testing.T) *Checker {
	t.Helper()
	doc, err := os.ReadFile("testdata/api.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(doc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// exchange is one request and the answer a fake server gives it.
type exchange struct {
	method, path string
	reqCT, body  string
	noAuth       bool
	status       int
	respCT, resp string
	respHeader   http.Header
}

// do sends x through the checker's middleware and returns the violations of
// that one request.
func (x exchange) do(t *testing.T, c *Checker, id string) []Violation {
	t.Helper()
	h := c.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err := io.ReadAll(r.Body)
		if err != nil || string(got) != x.body {
			t.Errorf("the handler read %q, %v; want %q", got, err, x.body)
		}
		w.Header().Set("X-Request-Id", id)
		for k, v := range x.respHeader {
			w.Header()[k] = v
		}
		if x.respCT != "" {
			w.Header().Set("Content-Type", x.respCT)
		}
		w.WriteHeader(x.status)
		_, _ = io.WriteString(w, x.resp)
	}))
	var body io.Reader
	if x.body != "" {
		body = strings.NewReader(x.body)
	}
	r := httptest.NewRequest(x.method, x.path, body)
	if x.reqCT != "" {
		r.Header.Set("Content-Type", x.reqCT)
	}
	if !x.noAuth {
		r.Header.Set("Authorization", "Bearer any.jwt.here")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != x.status || w.Body.String() != x.resp {
		t.Errorf("the client got %d %q; want %d %q", w.Code, w.Body, x.status, x.resp)
	}
	return c.Take(id)
}

const (
	problemCT = "application/problem+json"
	jsonCT    = "application/json"
)

func org(extra string) string {
	return `{"id":"o1","name":"Acme","createdAt":"` + time.Now().Format(time.RFC3339Nano) + `","parentId":null` + extra + `}`
}

func problem(status int, extra string) string {
	return fmt.Sprintf(`{"type":"about:blank","title":"t","status":%d%s}`, status, extra)
}

func TestExchanges(t *testing.T) {
	c := load(t)
	for _, tc := range []struct {
		name string
		x    exchange
		want []string // one substring per expected violation, in order
	}{
		// Responses.
		{"correct response", exchange{method: "GET", path: "/orgs/o1", status: 200, respCT: jsonCT, resp: org("")}, nil},
		{"extra response field", exchange{method: "GET", path: "/orgs/o1", status: 200, respCT: jsonCT, resp: org(`,"owner":"u1"`)},
			[]string{`property "owner" is unsupported`}},
		{"wrong field type", exchange{method: "GET", path: "/orgs/o1", status: 200, respCT: jsonCT,
			resp: `{"id":"o1","name":5,"createdAt":"2024-01-02T03:04:05Z"}`}, []string{`"/name": value must be a string`}},
		{"missing required field", exchange{method: "GET", path: "/orgs/o1", status: 200, respCT: jsonCT,
			resp: `{"id":"o1","createdAt":"2024-01-02T03:04:05Z"}`}, []string{`property "name" is missing`}},
		{"not a date-time", exchange{method: "GET", path: "/orgs/o1", status: 200, respCT: jsonCT,
			resp: `{"id":"o1","name":"n","createdAt":"2024-01-02 03:04:05"}`}, []string{`"/createdAt"`}},
		{"status not listed", exchange{method: "GET", path: "/orgs/o1", status: 202, respCT: jsonCT, resp: org("")},
			[]string{"status 202 is not listed for GET /orgs/{orgId} (listed: 200, 4XX)"}},
		{"default does not cover 2xx", exchange{method: "POST", path: "/orgs", reqCT: jsonCT, body: `{"name":"a"}`, status: 200, respCT: jsonCT, resp: org("")},
			[]string{"status 200 is not listed"}},
		{"default covers 5xx", exchange{method: "POST", path: "/orgs", reqCT: jsonCT, body: `{"name":"a"}`, status: 503, respCT: problemCT, resp: problem(503, "")}, nil},
		{"4XX covers 404", exchange{method: "GET", path: "/orgs/o1", status: 404, respCT: problemCT, resp: problem(404, "")}, nil},
		{"no default, no 5XX", exchange{method: "GET", path: "/orgs/o1", status: 500, respCT: problemCT, resp: problem(500, "")},
			[]string{"status 500 is not listed"}},
		{"problem with an extra field", exchange{method: "DELETE", path: "/orgs/o1", status: 409, respCT: problemCT, resp: problem(409, `,"reason":"x"`)},
			[]string{`property "reason" is unsupported`}},
		{"problem missing its status", exchange{method: "DELETE", path: "/orgs/o1", status: 409, respCT: problemCT, resp: `{"type":"about:blank","title":"t"}`},
			[]string{`property "status" is missing`}},
		{"problem as plain JSON", exchange{method: "DELETE", path: "/orgs/o1", status: 409, respCT: jsonCT, resp: problem(409, "")},
			[]string{`Content-Type has unexpected value: "application/json"`}},
		{"body where none is declared", exchange{method: "DELETE", path: "/orgs/o1", status: 202, respCT: jsonCT, resp: `{"jobId":"j1"}`},
			[]string{`response has a body ("application/json") but the document declares no content for status 202`}},
		{"no body where one is declared", exchange{method: "GET", path: "/orgs/o1", status: 200},
			[]string{`Content-Type "" is not one the document lists (application/json)`}},
		{"html page, literal path before template", exchange{method: "GET", path: "/invitations/page", noAuth: true, status: 200, respCT: "text/html; charset=utf-8", resp: "<p>hi</p>"}, nil},
		{"html where JSON is declared", exchange{method: "GET", path: "/invitations/abc", noAuth: true, status: 200, respCT: "text/html", resp: "<p>hi</p>"},
			[]string{`Content-Type "text/html" is not one the document lists`}},
		{"redirect", exchange{method: "GET", path: "/invitations/page/callback?code=c&state=s", noAuth: true, status: 303,
			respHeader: http.Header{"Location": {"/invitations/page"}}, respCT: "text/html; charset=utf-8", resp: `<a href="/invitations/page">See Other</a>.`}, nil},
		{"redirect without its Location", exchange{method: "GET", path: "/invitations/page/callback?code=c&state=s", noAuth: true, status: 303},
			[]string{`response header "Location" missing`}},
		{"yaml document", exchange{method: "GET", path: "/openapi.yaml", noAuth: true, status: 200, respCT: "application/yaml", resp: "openapi: 3.0.3\n"}, nil},

		// Requests, checked on 2xx only.
		{"unknown request field, accepted", exchange{method: "POST", path: "/orgs", reqCT: jsonCT, body: `{"name":"a","color":"red"}`, status: 201, respCT: jsonCT, resp: org("")},
			[]string{`request body has an error: doesn't match schema #/components/schemas/CreateOrg: property "color" is unsupported`}},
		{"unknown request field, refused", exchange{method: "POST", path: "/orgs", reqCT: jsonCT, body: `{"name":"a","color":"red"}`, status: 400, respCT: problemCT, resp: problem(400, "")}, nil},
		{"missing body, accepted", exchange{method: "POST", path: "/orgs", status: 201, respCT: jsonCT, resp: org("")},
			[]string{"value is required but missing"}},
		{"no bearer token, accepted", exchange{method: "POST", path: "/orgs", reqCT: jsonCT, body: `{"name":"a"}`, noAuth: true, status: 201, respCT: jsonCT, resp: org("")},
			[]string{"no bearer token"}},
		{"public route, no token", exchange{method: "GET", path: "/invitations/abc", noAuth: true, status: 200, respCT: jsonCT, resp: `{"ref":"abc"}`}, nil},
		{"csv upload", exchange{method: "POST", path: "/projects/p1/members/import", reqCT: "text/csv", body: "email,role\na@example.com,annotator\n", status: 200, respCT: jsonCT, resp: `{}`}, nil},
		{"csv sent as JSON, accepted", exchange{method: "POST", path: "/projects/p1/members/import", reqCT: jsonCT, body: `{}`, status: 200, respCT: jsonCT, resp: `{}`},
			[]string{`request body has an error: header Content-Type has unexpected value "application/json"`}},
		{"query parameter out of range", exchange{method: "GET", path: "/orgs?limit=500", status: 200, respCT: jsonCT, resp: `{"items":[]}`},
			[]string{`parameter "limit" in query has an error`}},
		{"undeclared query parameter", exchange{method: "GET", path: "/orgs?limit=5&color=red", status: 200, respCT: jsonCT, resp: `{"items":[]}`},
			[]string{`query parameters ["color"] are not in the document`}},
		{"request body where none is declared", exchange{method: "DELETE", path: "/orgs/o1", reqCT: jsonCT, body: `{"force":true}`, status: 204},
			[]string{"request body not allowed"}},
		{"non-JSON request body where none is declared", exchange{method: "DELETE", path: "/orgs/o1", reqCT: "text/plain", body: `force`, status: 204},
			[]string{"the operation declares no requestBody"}},

		// Routes.
		{"unknown path", exchange{method: "GET", path: "/nope", status: 200, respCT: jsonCT, resp: `{}`}, []string{"route not in the document: no matching operation was found"}},
		{"unknown path, 404", exchange{method: "GET", path: "/nope", status: 404, respCT: problemCT, resp: problem(404, "")}, nil},
		{"unknown method", exchange{method: "PUT", path: "/orgs", status: 204}, []string{"route not in the document: method not allowed"}},
		{"unknown method, 405", exchange{method: "PUT", path: "/orgs", status: 405}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.x.do(t, c, t.Name())
			for _, v := range got {
				t.Log(v)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d violations, want %d: %v", len(got), len(tc.want), got)
			}
			for i, v := range got {
				if !strings.Contains(v.Message, tc.want[i]) {
					t.Errorf("violation %d = %q; want it to say %q", i, v.Message, tc.want[i])
				}
				if v.Method != tc.x.method || v.Status != tc.x.status || v.RequestID != t.Name() || !strings.HasPrefix(tc.x.path, v.Path) {
					t.Errorf("violation %d = %+v; want it to name %s %s -> %d, request %s", i, v, tc.x.method, tc.x.path, tc.x.status, t.Name())
				}
			}
		})
	}
	if left := c.Unclaimed(); len(left) > 0 {
		t.Errorf("unclaimed: %v", left)
	}
}

func TestTakeAndUnclaimed(t *testing.T) {
	c := load(t)
	bad := exchange{method: "GET", path: "/orgs/o1", status: 200, respCT: jsonCT, resp: org(`,"owner":"u1"`)}
	good := exchange{method: "GET", path: "/orgs/o1", status: 200, respCT: jsonCT, resp: org("")}
	h := c.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", r.URL.Query().Get("id"))
		w.Header().Set("Content-Type", jsonCT)
		_, _ = io.WriteString(w, bad.resp)
	}))
	// Two bad answers, left unclaimed.
	for _, id := range []string{"r1", "r2"} {
		r := httptest.NewRequest("GET", "/orgs/o1?id="+id, nil)
		r.Header.Set("Authorization", "Bearer x")
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	if got := c.Violations(); len(got) != 4 { // each: the extra field and the undeclared query parameter
		t.Fatalf("Violations() = %v; want 4", got)
	}
	if got := good.do(t, c, "r3"); len(got) != 0 {
		t.Fatalf("Take(r3) = %v; want none", got)
	}
	got := c.Take("r1")
	if len(got) != 2 || got[0].RequestID != "r1" || got[1].RequestID != "r1" {
		t.Fatalf("Take(r1) = %v; want r1's two", got)
	}
	if again := c.Take("r1"); len(again) != 0 {
		t.Errorf("a second Take(r1) = %v; want none, they were claimed", again)
	}
	left := c.Unclaimed()
	if len(left) != 2 || left[0].RequestID != "r2" || left[1].RequestID != "r2" {
		t.Errorf("Unclaimed() = %v; want r2's two", left)
	}
	if len(c.Unclaimed()) != 2 {
		t.Error("Unclaimed claimed what it returned")
	}
	if all := c.Violations(); len(all) != 4 {
		t.Errorf("Violations() = %d after Take; want all 4, claimed or not", len(all))
	}
	if got := bad.do(t, c, "r4"); len(got) != 1 {
		t.Errorf("Take(r4) = %v; want the extra field", got)
	}
}

func TestConcurrent(t *testing.T) {
	c := load(t)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			x := exchange{method: "GET", path: "/orgs/o1", status: 200, respCT: jsonCT, resp: org("")}
			if i%2 == 1 {
				x.resp = org(`,"owner":"u1"`)
			}
			id := fmt.Sprint("r", i)
			if got := x.do(t, c, id); len(got) != i%2 {
				t.Errorf("Take(%s) = %v; want %d", id, got, i%2)
			}
		})
	}
	wg.Wait()
	if n := len(c.Violations()); n != 20 {
		t.Errorf("%d violations; want 20", n)
	}
	if left := c.Unclaimed(); len(left) != 0 {
		t.Errorf("unclaimed: %v", left)
	}
}

// The response streams through to the client as the handler writes and
// flushes it, and is validated whole at the end. Take waits for that check
// even when the client already has the whole body.
func TestStreams(t *testing.T) {
	c := load(t)
	const first, second = `{"id":"o1",`, `"name":"Acme","createdAt":"2024-01-02T03:04:05.123456789+02:00","x":1}`
	half := make(chan struct{})
	srv := httptest.NewServer(c.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "s1")
		w.Header().Set("Content-Type", jsonCT)
		w.Header().Set("Content-Length", fmt.Sprint(len(first+second)))
		_, _ = io.WriteString(w, first)
		w.(http.Flusher).Flush()
		<-half
		_, _ = io.WriteString(w, second)
		http.NewResponseController(w).Flush() // through Unwrap
		time.Sleep(100 * time.Millisecond)    // the client has it all; the check has not run
	})))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/orgs/o1", nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := make([]byte, len(first))
	if _, err := io.ReadFull(resp.Body, got); err != nil {
		t.Fatalf("the first half did not arrive before the second was written: %v", err)
	}
	close(half)
	if rest, err := io.ReadAll(resp.Body); err != nil || string(got)+string(rest) != first+second {
		t.Fatalf("the client read %q, %v", string(got)+string(rest), err)
	}
	v := c.Take("s1")
	if len(v) != 1 || !strings.Contains(v[0].Message, `property "x" is unsupported`) {
		t.Errorf("Take(s1) = %v; want the extra field x", v)
	}
}

func TestLoadRefusesABadDocument(t *testing.T) {
	for name, doc := range map[string]string{
		"not a document": `{`,
		"no responses":   `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{}}}}`,
		"dangling $ref": `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"d",
			"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Nope"}}}}}}}}}`,
	} {
		if _, err := Load([]byte(doc)); err == nil || !strings.HasPrefix(err.Error(), "contract: ") {
			t.Errorf("%s: Load() = %v; want a contract error", name, err)
		}
	}
}
