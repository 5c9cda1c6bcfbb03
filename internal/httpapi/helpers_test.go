package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/auth"
	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/config"
	"github.com/annobridge/annobridge/internal/contract"
	"github.com/annobridge/annobridge/internal/devstack"
	"github.com/annobridge/annobridge/internal/httpapi"
	"github.com/annobridge/annobridge/internal/lambdafn"
	"github.com/annobridge/annobridge/internal/streampoll"
	"github.com/annobridge/annobridge/internal/worker"
)

var (
	stack  *devstack.Stack
	server *httptest.Server
	outbox string
	theApp *app.App
)

// TestMain runs the tests, then fails the run if a call no test claimed
// (the browser's, a walkthrough's) broke the OpenAPI document.
func TestMain(m *testing.M) {
	code := devstack.RunTests(m, &stack)
	// Every audit entry the suite wrote is an event of the catalogue.
	if theApp != nil {
		for what, n := range theApp.Uncatalogued.Counts() {
			fmt.Fprintf(os.Stderr, "audit entry %q (%d) has no event type in collab.EventCatalogue\n", what, n)
			code = 1
		}
	}
	if vs := contractChecker.Unclaimed(); len(vs) > 0 {
		fmt.Fprintf(os.Stderr, "%d calls no test claimed do not match the OpenAPI document:\n", len(vs))
		for _, v := range vs {
			fmt.Fprintf(os.Stderr, "  %s\n", v)
		}
		code = 1
	}
	os.Exit(code)
}

// contractChecker checks every request a test server answers and every
// answer against the OpenAPI document (internal/contract): an answer must
// be listed and match its schema; a request the server accepted must
// match the document too.
var contractChecker = func() *contract.Checker {
	c, err := contract.Load([]byte(httpapi.OpenAPI()))
	if err != nil {
		panic(err)
	}
	return c
}()

// checked wraps a test server's handler in the contract check.
func checked(h http.Handler) http.Handler { return contractChecker.Middleware(h) }

// claimContract fails the test for the violations of its call.
func claimContract(t testing.TB, res *http.Response) {
	t.Helper()
	for _, v := range contractChecker.Take(res.Header.Get("X-Request-Id")) {
		t.Errorf("contract: %s", v)
	}
}

// api returns the test server serving every function's routes against the
// local stack, started once.
func api(t testing.TB) *httptest.Server {
	t.Helper()
	if server != nil {
		return server
	}
	// Errors only: an internal error in a test shows its cause.
	log := slog.New(usageLog{next: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}), seen: usages})
	dir, err := os.MkdirTemp("", "annobridge-outbox-")
	if err != nil {
		t.Fatal(err)
	}
	outbox = dir
	server = httptest.NewUnstartedServer(nil)
	base := "http://" + server.Listener.Addr().String()
	a, err := app.New(context.Background(), stack.Config(map[string]string{"MAIL_OUTBOX_DIR": outbox, "PUBLIC_BASE_URL": base, "WEBHOOK_RETRY_DELAY": "1s", "WEBHOOK_DISABLE_AFTER": "3"}), log)
	if err != nil {
		t.Fatal(err)
	}
	theApp = a
	server.Config.Handler = checked(a.Router(lambdafn.HTTP...))
	server.Start()
	// The queue consumers run as cmd/local runs them: the mailer writes
	// the outbox, the jobs consumer works on background jobs and fails
	// those whose run messages reach its dead-letter queue.
	retryNow := time.Duration(0) // failures come back at once, not after the visibility timeout
	for _, src := range []struct {
		fn, queue string
		retry     *time.Duration // nil: a dead letter that fails waits for the visibility timeout
	}{{lambdafn.Mailer, "MailQueue", &retryNow}, {lambdafn.Jobs, "JobsQueue", &retryNow},
		{lambdafn.Jobs, "JobsDLQ", nil}, {lambdafn.Handoff, "ReviewHandoffQueue", &retryNow},
		{lambdafn.Webhooks, "WebhookQueue", nil}} { // deliveries keep their own backoff
		consumer, err := a.Consumer(src.fn)
		if err != nil {
			t.Fatal(err)
		}
		q := stack.Queues[src.queue]
		p := &worker.Poller{Client: a.SQS, QueueURL: q.URL, QueueARN: q.ARN, BatchSize: 10, Handle: consumer.Handle, Log: log,
			RetryDelay: src.retry}
		go p.Run(context.Background())
	}
	// The table's stream, as the events function's event source reads it.
	awsCfg, err := a.Config.AWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	events, err := streampoll.ForTable(context.Background(), a.DB, awsCfg, a.Config.DynamoDBEndpoint, a.Config.TableName, log, a.EventsHandler)
	if err != nil {
		t.Fatal(err)
	}
	go events.Run(context.Background())
	// The sweep (the outbox, partnership ends), as the handoff function's
	// schedule runs it.
	go func() {
		for range time.Tick(time.Second) {
			_, _, _ = a.Sweep(context.Background())
		}
	}()
	return server
}

// userToken mints a local token for email.
func userToken(t testing.TB, email string) string {
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

func call(t testing.TB, method, path, token string, body any, headers ...string) response {
	t.Helper()
	return callOn(t, api(t).URL, method, path, token, body, headers...)
}

// callOn calls the server at base.
func callOn(t testing.TB, base, method, path, token string, body any, headers ...string) response {
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
	req, err := http.NewRequest(method, base+path, rd)
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
	claimContract(t, res)
	r := response{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &r.body)
	}
	return r
}

func (r response) want(t testing.TB, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// problem checks r is a problem document with the status and, if field is
// not empty, an error naming that field.
func (r response) problem(t testing.TB, status int, field string) {
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
func uniqueEmail(t testing.TB, who string) string {
	return strings.ToLower(who+"."+strings.NewReplacer("/", ".", "_", ".").Replace(t.Name())) + "." +
		time.Now().Format("150405.000000") + "@example.com"
}

// emailsTo returns the bodies of the outbox messages sent to addr.
func emailsTo(t testing.TB, addr string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
	modTime := func(f string) time.Time {
		st, err := os.Stat(f)
		if err != nil {
			return time.Time{}
		}
		return st.ModTime()
	}
	sort.Slice(files, func(i, j int) bool { return modTime(files[i]).Before(modTime(files[j])) })
	var out []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil || !strings.EqualFold(msg.Header.Get("To"), addr) {
			continue
		}
		var rd io.Reader = msg.Body
		if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			rd = quotedprintable.NewReader(msg.Body)
		}
		body, _ := io.ReadAll(rd)
		out = append(out, string(body))
	}
	return out
}

var linkRE = regexp.MustCompile(`/invitations/([A-Za-z0-9_-]{43})`)

// tokenMailedTo waits for the n-th invitation email to addr and returns the
// token of its link.
func tokenMailedTo(t testing.TB, addr string, n int) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var tokens []string
		for _, body := range emailsTo(t, addr) {
			if m := linkRE.FindStringSubmatch(body); m != nil {
				tokens = append(tokens, m[1])
			}
		}
		if len(tokens) >= n {
			return tokens[n-1] // oldest first
		}
		if time.Now().After(deadline) {
			t.Fatalf("no invitation email #%d to %s (have %d)", n, addr, len(tokens))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type shiftedClock struct{ by time.Duration }

func (c shiftedClock) Now() time.Time { return time.Now().UTC().Add(c.by) }

// apiLater serves the same store as api() with a clock moved forward, to see
// what expiry does.
func apiLater(t testing.TB, by time.Duration) string {
	t.Helper()
	api(t)
	svc, err := collab.NewService(theApp.Store.Ports(), collab.Deps{Clock: shiftedClock{by}, IDs: collab.RandomIDs{},
		Mailer: theApp.MailQueue, Jobs: theApp.JobQueue, Publisher: theApp.Outbox, Config: collab.Config{PublicBaseURL: server.URL}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(checked(httpapi.New(httpapi.Deps{Service: svc, Auth: theApp.Auth, Idempotency: theApp.Store,
		Page: theApp.Page, Log: slog.New(slog.DiscardHandler)}, lambdafn.HTTP...)))
	t.Cleanup(srv.Close)
	return srv.URL
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sqsEvent(body string) events.SQSEvent {
	return events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-" + fmt.Sprint(time.Now().UnixNano()), Body: body,
		Attributes: map[string]string{"ApproximateReceiveCount": "1"}}}}
}
