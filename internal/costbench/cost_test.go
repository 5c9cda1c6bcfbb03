package costbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	smithymiddleware "github.com/aws/smithy-go/middleware"
	"gopkg.in/yaml.v3"

	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/auth"
	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/config"
	"github.com/annobridge/annobridge/internal/ddbstore"
	"github.com/annobridge/annobridge/internal/devstack"
	"github.com/annobridge/annobridge/internal/lambdafn"
	"github.com/annobridge/annobridge/internal/mail"
	"github.com/annobridge/annobridge/internal/worker"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// book tallies what the tallied app does, into the operation under way
// (none during set-up: nothing is booked then).
type book struct {
	mu  sync.Mutex
	cur *opTally
}

type opTally struct {
	trips, wire   int
	rcu, wcu      float64
	fns           map[string]*Fn
	http          int
	sqs           map[string]*SQSCall // queue|action
	emptyReceives int
	mails         int
}

func (b *book) start() {
	b.mu.Lock()
	b.cur = &opTally{fns: map[string]*Fn{}, sqs: map[string]*SQSCall{}}
	b.mu.Unlock()
}

func (b *book) stop() *opTally {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.cur
	b.cur = nil
	return t
}

// with runs f on the operation under way, if any.
func (b *book) with(f func(t *opTally)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur != nil {
		f(b.cur)
	}
}

func (b *book) invocation(fn string, d time.Duration) {
	b.with(func(t *opTally) {
		f := t.fns[fn]
		if f == nil {
			f = &Fn{Function: fn}
			t.fns[fn] = f
		}
		ms := float64(d) / float64(time.Millisecond)
		f.Invocations++
		f.HandlerMs += ms
		f.BilledMs += int64(math.Ceil(ms))
		f.MaxMs = max(f.MaxMs, ms)
	})
}

func (b *book) meter(trips int, rcu, wcu float64) {
	b.with(func(t *opTally) { t.trips += trips; t.rcu += rcu; t.wcu += wcu })
}

// option is the SDK middleware on the tallied app's clients: every
// DynamoDB call (to check the meter), every SQS request by queue and
// action with its 64 KB chunks.
func (b *book) option(st *smithymiddleware.Stack) error {
	return st.Initialize.Add(smithymiddleware.InitializeMiddlewareFunc("CostBenchCalls",
		func(ctx context.Context, in smithymiddleware.InitializeInput, next smithymiddleware.InitializeHandler) (smithymiddleware.InitializeOutput, smithymiddleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			service, action := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
			switch service {
			case "DynamoDB":
				b.with(func(t *opTally) { t.wire++ })
			case "SQS":
				b.sqsCall(action, in.Parameters, out.Result)
			}
			return out, md, err
		}), smithymiddleware.After)
}

const chunk = 64 * 1024

func chunks(n int) int { return max(1, (n+chunk-1)/chunk) }

func (b *book) sqsCall(action string, params, result any) {
	var queue string
	n := 1
	switch in := params.(type) {
	case *sqs.SendMessageInput:
		queue, n = *in.QueueUrl, chunks(len(*in.MessageBody))
	case *sqs.SendMessageBatchInput:
		queue = *in.QueueUrl
		size := 0
		for _, e := range in.Entries {
			size += len(*e.MessageBody)
		}
		n = chunks(size)
	case *sqs.ReceiveMessageInput:
		queue = *in.QueueUrl
		out, _ := result.(*sqs.ReceiveMessageOutput)
		if out == nil || len(out.Messages) == 0 {
			b.with(func(t *opTally) { t.emptyReceives++ })
			return
		}
		size := 0
		for _, m := range out.Messages {
			if m.Body != nil {
				size += len(*m.Body)
			}
		}
		n = chunks(size)
	case *sqs.DeleteMessageBatchInput:
		queue = *in.QueueUrl
	case *sqs.DeleteMessageInput:
		queue = *in.QueueUrl
	case *sqs.ChangeMessageVisibilityInput:
		queue = *in.QueueUrl
	default:
		return // set-up and checks (the tallied app makes none)
	}
	name := strings.TrimPrefix(queue[strings.LastIndex(queue, "/")+1:], devstack.StackName+"-")
	b.with(func(t *opTally) {
		k := name + "|" + action
		c := t.sqs[k]
		if c == nil {
			c = &SQSCall{Queue: name, FIFO: strings.HasSuffix(name, ".fifo"), Action: action}
			t.sqs[k] = c
		}
		c.Requests++
		c.Chunks += n
	})
}

// logTap is the tallied app's log handler: each request line's DynamoDB
// meter (ddbRoundTrips, rcu, wcu, as app.DynamoDBMeter logs them) is
// booked; warnings and errors are printed.
type logTap struct {
	b     *book
	attrs []slog.Attr
	out   io.Writer
}

func (h logTap) Enabled(context.Context, slog.Level) bool { return true }

func (h logTap) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "request" {
		var trips int
		var rcu, wcu float64
		read := func(a slog.Attr) bool {
			switch a.Key {
			case "ddbRoundTrips":
				trips = int(a.Value.Int64())
			case "rcu":
				rcu = a.Value.Float64()
			case "wcu":
				wcu = a.Value.Float64()
			}
			return true
		}
		for _, a := range h.attrs {
			read(a)
		}
		r.Attrs(read)
		h.b.meter(trips, rcu, wcu)
	}
	if r.Level >= slog.LevelWarn {
		var sb strings.Builder
		fmt.Fprintf(&sb, "costbench app log: %s %s", r.Level, r.Message)
		r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&sb, " %s=%v", a.Key, a.Value); return true })
		fmt.Fprintln(h.out, sb.String())
	}
	return nil
}

func (h logTap) WithAttrs(as []slog.Attr) slog.Handler {
	return logTap{b: h.b, attrs: append(append([]slog.Attr{}, h.attrs...), as...), out: h.out}
}

func (h logTap) WithGroup(string) slog.Handler { return h }

// mailTap is the mailer's sender: it counts the mails sent and keeps the
// invitation token each one links to, by recipient.
type mailTap struct {
	next   mail.Sender
	b      *book
	mu     sync.Mutex
	tokens map[string]string
	cond   *sync.Cond
}

var linkRE = regexp.MustCompile(`/invitations/([A-Za-z0-9_-]{43})`)

func (m *mailTap) Send(ctx context.Context, id string, msg mail.Message) error {
	if err := m.next.Send(ctx, id, msg); err != nil {
		return err
	}
	m.b.with(func(t *opTally) { t.mails++ })
	if s := linkRE.FindStringSubmatch(msg.Text); s != nil {
		m.mu.Lock()
		m.tokens[strings.ToLower(msg.To)] = s[1]
		m.cond.Broadcast()
		m.mu.Unlock()
	}
	return nil
}

func (m *mailTap) token(t *testing.T, to string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	go func() { time.Sleep(within); m.mu.Lock(); m.cond.Broadcast(); m.mu.Unlock() }()
	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		if tok, ok := m.tokens[strings.ToLower(to)]; ok {
			return tok
		}
		if time.Now().After(deadline) {
			t.Fatalf("no invitation mail to %s within %v", to, within)
		}
		m.cond.Wait()
	}
}

// world is the platform: a tallied app whose every call is booked (its
// HTTP routers one server per function, its consumers under pollers), and
// an untallied one for set-up and checks.
type world struct {
	b       *book
	app     *app.App
	check   *app.App
	mails   *mailTap
	servers map[string]*httptest.Server // function → its router
	checkS  *httptest.Server            // every route, untallied
	httpc   *http.Client
	queues  []string // URLs of the queues the operations use
}

type actor struct{ id, email, token string }

var seq int

func newActor(t *testing.T, who string) actor {
	t.Helper()
	seq++
	email := fmt.Sprintf("%s.%d.%d@costbench.example", who, time.Now().UnixNano(), seq)
	tok, err := auth.MintHS256(config.DefaultDevJWTSecret, config.DefaultJWTIssuer, config.DefaultJWTAudience,
		auth.Claims{Subject: auth.DevSubject(email), Email: email, Name: who}, 3*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return actor{id: auth.DevSubject(email), email: email, token: tok}
}

func buildWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{b: &book{}, servers: map[string]*httptest.Server{},
		httpc: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	outbox := t.TempDir()
	cfg := stack.Config(map[string]string{"MAIL_OUTBOX_DIR": outbox})
	cfg.APIOptions = append(cfg.APIOptions, w.b.option)
	var err error
	if w.app, err = app.New(ctx, cfg, slog.New(logTap{b: w.b, out: os.Stderr})); err != nil {
		t.Fatal(err)
	}
	if w.check, err = app.New(ctx, stack.Config(map[string]string{"MAIL_OUTBOX_DIR": outbox}), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	w.mails = &mailTap{next: w.app.Mailer, b: w.b, tokens: map[string]string{}}
	w.mails.cond = sync.NewCond(&w.mails.mu)
	w.app.Mailer = w.mails
	for _, fn := range lambdafn.HTTP {
		h := w.app.Router(fn)
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			start := time.Now()
			h.ServeHTTP(rw, r)
			w.b.invocation(fn, time.Since(start))
			w.b.with(func(t *opTally) { t.http++ })
		}))
		t.Cleanup(srv.Close)
		w.servers[fn] = srv
	}
	w.checkS = httptest.NewServer(w.check.Router(lambdafn.HTTP...))
	t.Cleanup(w.checkS.Close)

	// The consumers, as the template's event source mappings run them:
	// one poller per concurrent invocation, the template's batch sizes.
	bg, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	retry := time.Second
	for _, c := range []struct {
		fn, queue      string
		batch, pollers int
	}{{lambdafn.Handoff, "ReviewHandoffQueue", 10, 2}, {lambdafn.Mailer, "MailQueue", 10, 1}, {lambdafn.Jobs, "JobsQueue", 1, 1}} {
		consumer, err := w.app.Consumer(c.fn)
		if err != nil {
			t.Fatal(err)
		}
		q := stack.Queues[c.queue]
		w.queues = append(w.queues, q.URL)
		fn := c.fn
		handle := func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			mctx, m := ddbstore.WithMeter(ctx)
			start := time.Now()
			res, err := consumer.Handle(mctx, ev)
			w.b.invocation(fn, time.Since(start))
			w.b.meter(m.Totals())
			return res, err
		}
		for range c.pollers {
			p := &worker.Poller{Client: w.app.SQS, QueueURL: q.URL, QueueARN: q.ARN, BatchSize: c.batch, Handle: handle, Log: w.app.Log, RetryDelay: &retry}
			wg.Go(func() { p.Run(bg) })
		}
	}
	return w
}

type reply struct {
	status int
	body   map[string]any
	raw    []byte
}

func (r reply) str(k string) string { s, _ := r.body[k].(string); return s }

// call sends a request to a function's server ("" = the untallied one).
func (w *world) call(t *testing.T, fn, method, path, token string, body any) reply {
	t.Helper()
	base := w.checkS.URL
	if fn != "" {
		base = w.servers[fn].URL
	}
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
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
	res, err := w.httpc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{status: res.StatusCode, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (r reply) want(t *testing.T, what string, status int) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: %d, want %d: %.400s", what, r.status, status, r.raw)
	}
	return r
}

// quiet waits until every queue the operations use is empty (nothing
// visible, in flight or delayed) and the outbox holds nothing, twice in a
// row: the operation's aftermath is over.
func (w *world) quiet(t *testing.T, within time.Duration) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(within)
	calm := 0
	for calm < 2 {
		busy := 0
		for _, url := range w.queues {
			out, err := w.check.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
					sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible, sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed}})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range out.Attributes {
				n, _ := strconv.Atoi(v)
				busy += n
			}
		}
		msgs, err := w.check.Store.ListOutbox(ctx, time.Now().Add(time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		busy += len(msgs)
		if busy == 0 {
			calm++
		} else {
			calm = 0
		}
		if time.Now().After(deadline) {
			t.Fatalf("not quiet within %v: %d messages queued or in the outbox", within, busy)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// parallel runs f(i) for i < n from clients goroutines; a client that
// fails the test ends, and the others stop taking work.
func parallel(t *testing.T, n, clients int, f func(i int)) {
	t.Helper()
	next := make(chan int)
	gone := make(chan struct{})
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	go func() { wg.Wait(); close(gone) }()
feed:
	for i := range n {
		if t.Failed() {
			break
		}
		select {
		case next <- i:
		case <-gone:
			break feed
		}
	}
	close(next)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
}

// measure runs op as the operation under way and returns its tally.
func (w *world) measure(t *testing.T, op func()) (*opTally, time.Duration) {
	t.Helper()
	w.quiet(t, 2*time.Minute)
	w.b.start()
	start := time.Now()
	op()
	w.quiet(t, 10*time.Minute)
	elapsed := time.Since(start)
	return w.b.stop(), elapsed
}

func (t *opTally) op(key, name, unit, priced string, measured, target int, elapsed time.Duration) Op {
	o := Op{Key: key, Name: name, Unit: unit, Priced: priced, Measured: measured, Target: target, Elapsed: elapsed.Seconds(),
		RoundTrips: t.trips, WireCalls: t.wire, RCU: t.rcu, WCU: t.wcu, HTTPRequests: t.http, EmptyReceives: t.emptyReceives, Mails: t.mails}
	for _, f := range t.fns {
		o.Lambda = append(o.Lambda, *f)
	}
	sort.Slice(o.Lambda, func(i, j int) bool { return o.Lambda[i].Function < o.Lambda[j].Function })
	for _, c := range t.sqs {
		o.SQS = append(o.SQS, *c)
	}
	sort.Slice(o.SQS, func(i, j int) bool { return o.SQS[i].Queue+o.SQS[i].Action < o.SQS[j].Queue+o.SQS[j].Action })
	return o
}

// memorySizes reads each function's MemorySize from template.yaml (the
// Globals' unless the function sets its own).
func memorySizes(t *testing.T) map[string]int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Globals struct {
			Function struct {
				MemorySize int `yaml:"MemorySize"`
			} `yaml:"Function"`
		} `yaml:"Globals"`
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				MemorySize    int      `yaml:"MemorySize"`
				Architectures []string `yaml:"Architectures"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, fn := range lambdafn.All {
		r, ok := tpl.Resources[lambdafn.LogicalID(fn)]
		if !ok {
			t.Fatalf("template.yaml has no %s", lambdafn.LogicalID(fn))
		}
		out[fn] = tpl.Globals.Function.MemorySize
		if r.Properties.MemorySize > 0 {
			out[fn] = r.Properties.MemorySize
		}
		if out[fn] == 0 {
			t.Fatalf("no MemorySize for %s", fn)
		}
	}
	return out
}

func TestCostPerOperation(t *testing.T) {
	if stack == nil {
		t.Skip("the cost harness runs only with COSTBENCH=1 (make bench)")
	}
	reviews, invites, users, clients := envInt("COSTBENCH_REVIEWS", 1000), envInt("COSTBENCH_INVITES", 1000),
		envInt("COSTBENCH_USERS", 10000), envInt("COSTBENCH_CLIENTS", 4)
	w := buildWorld(t)
	run := Run{When: time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Host: fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()), MemoryMB: memorySizes(t)}

	run.Ops = append(run.Ops, w.reviewTransitions(t, reviews, clients))
	run.Ops = append(run.Ops, w.acceptedInvitations(t, invites, clients))
	run.Ops = append(run.Ops, w.addAll(t, users))
	for _, o := range run.Ops {
		if o.WireCalls != o.RoundTrips {
			run.Notes = append(run.Notes, fmt.Sprintf("%s: the meter booked %d DynamoDB round trips where the wire saw %d calls: "+
				"the capacity of the %d the meter did not see is not in the figures.", o.Name, o.RoundTrips, o.WireCalls, o.WireCalls-o.RoundTrips))
		}
	}
	run.Notes = append(run.Notes, fmt.Sprintf("Clients at once: %d for the approvals, the host's approvals and the invitations; "+
		"pollers: 2 on the handoff queue (batch 10), 1 on the mail queue (batch 10), 1 on the jobs queue (batch 1). "+
		"Fewer messages per batch than 10 mean more invocations than a busier queue would take.", clients))

	raw, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", raw)
	t.Logf("\n%s", Render(run))
	if out := os.Getenv("COSTBENCH_OUT"); out != "" {
		if err := os.WriteFile(out, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// reviewTransitions: n items of a partner's, each approved by the
// partner's manager (POST .../review, 202), crossed to the host through
// the FIFO handoff queue (the handoff consumer, and the review digest the
// crossing mails), and approved by the host (POST .../review, 200).
func (w *world) reviewTransitions(t *testing.T, n, clients int) Op {
	ctx := context.Background()
	owner, manager := newActor(t, "owner"), newActor(t, "lcm")
	org := w.call(t, "", "POST", "/orgs", owner.token, map[string]string{"name": "Host"}).want(t, "host org", 201)
	host, ws := org.str("id"), org.str("defaultWorkspaceId")
	lc := w.call(t, "", "POST", "/orgs", manager.token, map[string]string{"name": "Label Co"}).want(t, "partner org", 201).str("id")
	project := w.call(t, "", "POST", "/workspaces/"+ws+"/projects", owner.token, map[string]string{"name": "Cost bench"}).want(t, "project", 201).str("id")
	p, _, err := w.check.Store.LoadStanding(ctx, project, "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	pm := collab.ProjectMember{ProjectID: project, UserID: manager.id, Email: manager.email, Role: collab.RoleAnnotationManager,
		OrgID: lc, Side: collab.SideExternal, AddedAt: now, Version: 1}
	if err := w.check.Store.AddPartner(ctx, p, collab.Partner{ProjectID: project, OrgID: lc, OrgName: "Label Co", Kind: collab.PartnerLabelingCompany,
		Types: []collab.CollabType{collab.CollabAnnotationPartner}, ManagerID: manager.id, HostOrgID: host, AddedAt: now, Version: 1}, &pm); err != nil {
		t.Fatal(err)
	}
	var annotators []collab.ProjectMember
	for i := range 20 {
		id := fmt.Sprintf("u-cb-%03d", i)
		annotators = append(annotators, collab.ProjectMember{ProjectID: project, UserID: id, Email: id + "@labelco.example", Role: collab.RoleAnnotator,
			OrgID: lc, Side: collab.SideExternal, AddedAt: now, Version: 1})
	}
	if err := w.check.Store.AddProjectMembers(ctx, project, annotators); err != nil {
		t.Fatal(err)
	}
	task := w.call(t, "", "POST", "/projects/"+project+"/tasks", owner.token,
		map[string]any{"name": "Batch", "kind": "annotation", "orgId": lc}).want(t, "task", 201).str("id")
	doc := []byte(`{"boxes":[` + strings.Repeat(`{"label":"car","x":10,"y":20,"w":64,"h":48},`, 22) + `{"label":"car","x":1,"y":2,"w":3,"h":4}]}`)
	ids := make([]string, n)
	var items []collab.Item
	for i := range n {
		ids[i] = fmt.Sprintf("itm_cb_%06d", i)
		ann := annotators[i%len(annotators)].UserID
		items = append(items, collab.Item{ID: ids[i], ProjectID: project, Name: ids[i] + ".jpg", FileRef: "s3://bench/" + ids[i] + ".jpg",
			Status: collab.StWaitingCollabReview, AssigneeID: ann, LastAnnotator: ann, OrgID: lc, TaskID: task, TaskKind: collab.TaskAnnotation,
			SegmentStart: now.Add(-time.Hour), Annotation: doc, StatusSince: now.Add(-time.Minute), CreatedAt: now.Add(-2 * time.Hour), CreatedBy: owner.id, Version: 4})
	}
	for from := 0; from < len(items); from += 500 {
		if err := w.check.Store.SeedItems(ctx, items[from:min(from+500, len(items))]); err != nil {
			t.Fatal(err)
		}
	}
	P := "/projects/" + project + "/items/"
	tally, elapsed := w.measure(t, func() {
		parallel(t, n, clients, func(i int) {
			w.call(t, lambdafn.Review, "POST", P+ids[i]+"/review", manager.token, map[string]string{"decision": "approve"}).want(t, "partner approval", 202)
		})
		w.quiet(t, 10*time.Minute) // every crossing done
		parallel(t, n, clients, func(i int) {
			w.call(t, lambdafn.Review, "POST", P+ids[i]+"/review", owner.token, map[string]string{"decision": "approve"}).want(t, "host approval", 200)
		})
	})
	for _, id := range []string{ids[0], ids[n-1]} {
		it, err := w.check.Store.GetItem(ctx, project, id)
		if err != nil {
			t.Fatal(err)
		}
		if it.Status != collab.StDone {
			t.Fatalf("item %s ended %s, want done", id, it.Status)
		}
	}
	return tally.op("review", "Review transition", "transitions", "1,000 review transitions", n, 1000, elapsed)
}

// acceptedInvitations: n invitations to join an org (POST
// /orgs/{org}/invitations), each mailed through the mail queue and the
// mailer, and accepted by the invitee from the mail's link (POST
// /invitations/{token}/accept). The rate limits (per inviter and per org
// an hour) are kept: 50 invitations per org, one inviter each.
func (w *world) acceptedInvitations(t *testing.T, n, clients int) Op {
	const perOrg = 50
	type inviter struct {
		owner actor
		org   string
	}
	var inviters []inviter
	for i := 0; i < n; i += perOrg {
		o := newActor(t, "inviter")
		org := w.call(t, "", "POST", "/orgs", o.token, map[string]string{"name": fmt.Sprintf("Inviting %d", i/perOrg)}).want(t, "org", 201).str("id")
		inviters = append(inviters, inviter{o, org})
	}
	invitees := make([]actor, n)
	for i := range invitees {
		invitees[i] = newActor(t, "invitee")
	}
	tally, elapsed := w.measure(t, func() {
		parallel(t, n, clients, func(i int) {
			in := inviters[i/perOrg]
			w.call(t, lambdafn.Invite, "POST", "/orgs/"+in.org+"/invitations", in.owner.token,
				map[string]string{"email": invitees[i].email, "role": "member"}).want(t, "invitation", 201)
			tok := w.mails.token(t, invitees[i].email, time.Minute)
			w.call(t, lambdafn.Accept, "POST", "/invitations/"+tok+"/accept", invitees[i].token, nil).want(t, "accept", 200)
		})
	})
	return tally.op("invitation", "Accepted invitation", "invitations", "1,000 accepted invitations", n, 1000, elapsed)
}

// addAll: an org of users members (seeded), collaborating on a workspace;
// the host's owner adds all of them (POST .../add-all-users, 202) and the
// jobs worker writes the memberships, run after run.
func (w *world) addAll(t *testing.T, users int) Op {
	ctx := context.Background()
	owner := newActor(t, "addall")
	ws := w.call(t, "", "POST", "/orgs", owner.token, map[string]string{"name": "Add-all host"}).want(t, "host", 201).str("defaultWorkspaceId")
	vendor := w.call(t, "", "POST", "/orgs", owner.token, map[string]string{"name": "Add-all vendor"}).want(t, "vendor", 201).str("id")
	batch := make([]collab.OrgMembership, 0, users)
	for i := range users {
		batch = append(batch, collab.OrgMembership{OrgID: vendor, OrgName: "Add-all vendor", UserID: fmt.Sprintf("cb-%s-%05d", vendor, i),
			Email: fmt.Sprintf("worker%05d@vendor.example.com", i), Name: fmt.Sprintf("Worker %d", i), Role: collab.OrgMember,
			JoinedAt: time.Now().UTC(), Version: 1})
	}
	if err := w.check.Store.SeedOrgMembers(ctx, batch); err != nil {
		t.Fatal(err)
	}
	C := "/workspaces/" + ws + "/collaborators"
	w.call(t, "", "POST", C, owner.token, map[string]any{"orgId": vendor, "types": []string{"annotation_partner"}}).want(t, "collaborator", 201)
	var job reply
	tally, elapsed := w.measure(t, func() {
		id := w.call(t, lambdafn.Collaborators, "POST", C+"/"+vendor+"/add-all-users", owner.token, nil).want(t, "add-all", 202).str("jobId")
		deadline := time.Now().Add(10 * time.Minute)
		for {
			job = w.call(t, "", "GET", "/jobs/"+id, owner.token, nil).want(t, "job", 200)
			if s := job.str("status"); s == "succeeded" {
				break
			} else if s == "failed" || time.Now().After(deadline) {
				t.Fatalf("add-all job: %s", job.raw)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	if written, _ := job.body["written"].(float64); int(written) != users+1 {
		t.Fatalf("add-all wrote %v memberships, want %d: %s", job.body["written"], users+1, job.raw)
	}
	return tally.op("addall", "Add-all of an org's users", "users", "one 10,000-user add-all", users, 10000, elapsed)
}
