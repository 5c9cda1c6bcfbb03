package coldstart

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The Runtime API paths aws-lambda-go's runtime client calls
// (lambda/runtime_api_client.go, v1.55.1): the client's base URL is
// "http://" + AWS_LAMBDA_RUNTIME_API + "/2018-06-01/runtime/invocation/".
const (
	pathNext      = "/2018-06-01/runtime/invocation/next"
	pathResponse  = "/2018-06-01/runtime/invocation/{id}/response"
	pathError     = "/2018-06-01/runtime/invocation/{id}/error"
	pathInitError = "/2018-06-01/runtime/init/error"
)

// Outcomes of an invocation.
const (
	outcomeResponse  = "response"
	outcomeError     = "error"
	outcomeInitError = "init/error"
)

// runtimeAPI is a minimal stand-in for the Lambda Runtime API on loopback,
// for one function process at a time and one invocation per process: the
// first GET .../next answers the armed invocation's event; a later one
// blocks, as a frozen execution environment would, until the process is
// killed. It records when the first .../next (the end of init) and the
// response or error (the end of the first invocation) arrive.
type runtimeAPI struct {
	// Addr is host:port, the value of AWS_LAMBDA_RUNTIME_API.
	Addr string

	srv *http.Server
	mu  sync.Mutex
	cur *invocation
}

// invocation is one armed event and what the process did with it.
type invocation struct {
	ID          string
	FunctionARN string
	Event       []byte

	next chan struct{} // closed at the first GET .../next
	done chan struct{} // closed at the response, the error or an init error

	// Written before next or done is closed; read after.
	served  bool
	NextAt  time.Time
	DoneAt  time.Time
	Outcome string
	Body    []byte
	// ErrorType is the Lambda-Runtime-Function-Error-Type header of an
	// error post.
	ErrorType string
}

func newInvocation(id, functionARN string, event []byte) *invocation {
	return &invocation{ID: id, FunctionARN: functionARN, Event: event, next: make(chan struct{}), done: make(chan struct{})}
}

// newRuntimeAPI listens on 127.0.0.1 on a random port until the test ends.
func newRuntimeAPI(t testing.TB) *runtimeAPI {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &runtimeAPI{Addr: ln.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathNext, a.handleNext)
	mux.HandleFunc("POST "+pathResponse, a.handlePost(outcomeResponse))
	mux.HandleFunc("POST "+pathError, a.handlePost(outcomeError))
	mux.HandleFunc("POST "+pathInitError, a.handlePost(outcomeInitError))
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("runtime API: %v", err)
		}
	}()
	t.Cleanup(func() { _ = a.srv.Close() })
	return a
}

// arm makes inv the invocation the next process receives (nil: none).
func (a *runtimeAPI) arm(inv *invocation) {
	a.mu.Lock()
	a.cur = inv
	a.mu.Unlock()
}

func (a *runtimeAPI) handleNext(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	a.mu.Lock()
	inv := a.cur
	first := inv != nil && !inv.served
	if first {
		inv.served = true
		inv.NextAt = now
	}
	a.mu.Unlock()
	if inv == nil {
		writeAPIError(w, http.StatusInternalServerError, "Runtime.NoInvocation", "no invocation is armed")
		return
	}
	if !first {
		// The invocation is over: the environment would be frozen here.
		<-r.Context().Done()
		return
	}
	close(inv.next)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.ID)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(now.Add(10*time.Second).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", inv.FunctionARN)
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.Event)
}

func (a *runtimeAPI) handlePost(outcome string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		now := time.Now()
		if err != nil {
			writeAPIError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
			return
		}
		a.mu.Lock()
		inv := a.cur
		ok := inv != nil && inv.Outcome == "" && (outcome == outcomeInitError || (inv.served && r.PathValue("id") == inv.ID))
		if ok {
			inv.Outcome, inv.Body, inv.DoneAt = outcome, body, now
			inv.ErrorType = r.Header.Get("Lambda-Runtime-Function-Error-Type")
		}
		a.mu.Unlock()
		if !ok {
			writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in progress with this request id")
			return
		}
		close(inv.done)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"OK"}`)
	}
}

func writeAPIError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}

// TestRuntimeAPI drives the stand-in as aws-lambda-go's client does: next,
// then a response, then a next that blocks; an error post and an init
// error; a post for another request id is refused.
func TestRuntimeAPI(t *testing.T) {
	api := newRuntimeAPI(t)
	base := "http://" + api.Addr
	client := &http.Client{Timeout: 5 * time.Second}
	post := func(path, body string) int {
		t.Helper()
		resp, err := client.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode
	}

	inv := newInvocation("req-1", "arn:aws:lambda:us-east-1:123456789012:function:f", []byte(`{"x":1}`))
	api.arm(inv)
	resp, err := client.Get(base + pathNext)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != `{"x":1}` {
		t.Fatalf("next: %d %s", resp.StatusCode, body)
	}
	for _, h := range []string{"Lambda-Runtime-Aws-Request-Id", "Lambda-Runtime-Deadline-Ms", "Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Trace-Id"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("next: no %s header", h)
		}
	}
	if ms, err := strconv.ParseInt(resp.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64); err != nil || time.UnixMilli(ms).Before(time.Now()) {
		t.Errorf("deadline %q is not a future epoch in ms", resp.Header.Get("Lambda-Runtime-Deadline-Ms"))
	}
	select {
	case <-inv.next:
	default:
		t.Fatal("the first next was not recorded")
	}
	if code := post("/2018-06-01/runtime/invocation/other/response", `{}`); code != http.StatusBadRequest {
		t.Errorf("response for another request id: %d, want 400", code)
	}
	if code := post("/2018-06-01/runtime/invocation/req-1/response", `{"statusCode":200}`); code != http.StatusAccepted {
		t.Fatalf("response: %d, want 202", code)
	}
	<-inv.done
	if inv.Outcome != outcomeResponse || string(inv.Body) != `{"statusCode":200}` || inv.DoneAt.Before(inv.NextAt) {
		t.Errorf("recorded %q %s at %v (next at %v)", inv.Outcome, inv.Body, inv.DoneAt, inv.NextAt)
	}
	if code := post("/2018-06-01/runtime/invocation/req-1/response", `{}`); code != http.StatusBadRequest {
		t.Errorf("a second response: %d, want 400", code)
	}
	// The next after the response blocks until the caller goes away.
	short := &http.Client{Timeout: 200 * time.Millisecond}
	if resp, err := short.Get(base + pathNext); err == nil {
		_ = resp.Body.Close()
		t.Errorf("the second next answered %d; it should block", resp.StatusCode)
	}

	inv = newInvocation("req-2", "arn", []byte(`{}`))
	api.arm(inv)
	resp, err = client.Get(base + pathNext)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if code := post("/2018-06-01/runtime/invocation/req-2/error", `{"errorType":"x"}`); code != http.StatusAccepted {
		t.Fatalf("error: %d, want 202", code)
	}
	if <-inv.done; inv.Outcome != outcomeError {
		t.Errorf("outcome %q, want %q", inv.Outcome, outcomeError)
	}

	inv = newInvocation("req-3", "arn", []byte(`{}`))
	api.arm(inv)
	if code := post(pathInitError, `{"errorType":"Runtime.ExitError"}`); code != http.StatusAccepted {
		t.Fatalf("init error: %d, want 202", code)
	}
	if <-inv.done; inv.Outcome != outcomeInitError {
		t.Errorf("outcome %q, want %q", inv.Outcome, outcomeInitError)
	}
	api.arm(nil)
}
