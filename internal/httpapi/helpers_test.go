package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/auth"
	"github.com/annobridge/annobridge/internal/config"
	"github.com/annobridge/annobridge/internal/devstack"
	"github.com/annobridge/annobridge/internal/httpapi"
)

var (
	stack  *devstack.Stack
	server *httptest.Server
)

func TestMain(m *testing.M) { os.Exit(devstack.RunTests(m, &stack)) }

// api returns the test server serving every function's routes against the
// local stack, started once.
func api(t *testing.T) *httptest.Server {
	t.Helper()
	if server != nil {
		return server
	}
	// Errors only: an internal error in a test shows its cause.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.New(context.Background(), stack.Config(), log)
	if err != nil {
		t.Fatal(err)
	}
	server = httptest.NewServer(a.Router(httpapi.Functions...))
	return server
}

// userToken mints a local token for email.
func userToken(t *testing.T, email string) string {
	t.Helper()
	tok, err := auth.MintHS256(config.DefaultDevJWTSecret, config.DefaultJWTIssuer, config.DefaultJWTAudience,
		auth.Claims{Subject: auth.DevSubject(email), Email: email, Name: "Name of " + email}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func call(t *testing.T, method, path, token string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, api(t).URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &r.body)
	}
	return r
}

func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// problem checks r is a problem document with the status and, if field is
// not empty, an error naming that field.
func (r response) problem(t *testing.T, status int, field string) {
	t.Helper()
	r.want(t, status)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json", ct)
	}
	for _, k := range []string{"type", "title", "status", "detail"} {
		if _, ok := r.body[k]; !ok {
			t.Fatalf("problem lacks %q: %s", k, r.raw)
		}
	}
	if int(r.body["status"].(float64)) != status {
		t.Fatalf("problem status %v, want %d", r.body["status"], status)
	}
	if field == "" {
		return
	}
	errs, _ := r.body["errors"].([]any)
	for _, e := range errs {
		if e.(map[string]any)["field"] == field {
			return
		}
	}
	t.Fatalf("problem names no field %q: %s", field, r.raw)
}

func (r response) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

func (r response) items() []map[string]any {
	raw, _ := r.body["items"].([]any)
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i] = v.(map[string]any)
	}
	return out
}

// uniqueEmail gives each test its own users.
func uniqueEmail(t *testing.T, who string) string {
	return strings.ToLower(who+"."+strings.NewReplacer("/", ".", "_", ".").Replace(t.Name())) + "." +
		time.Now().Format("150405.000000") + "@example.com"
}
