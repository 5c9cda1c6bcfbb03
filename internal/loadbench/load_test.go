package loadbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/auth"
	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/config"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

type settings struct {
	clients          int
	duration, warmup time.Duration
	variants         bool
	rounds           int // measured rounds of each group's runs, in turn
	stackWarmup      time.Duration
	profileHz        int
	profDir, out     string
}

func loadSettings(t *testing.T) settings {
	s := settings{clients: 20, duration: 10 * time.Second, warmup: 2 * time.Second, variants: true, rounds: 2, profileHz: 100, stackWarmup: 12 * time.Second,
		profDir: os.Getenv("LOADBENCH_PROFILES"), out: os.Getenv("LOADBENCH_OUT")}
	for _, n := range []struct {
		env string
		to  *int
	}{{"LOADBENCH_CLIENTS", &s.clients}, {"LOADBENCH_ROUNDS", &s.rounds}, {"LOADBENCH_PROFILE_HZ", &s.profileHz}} {
		if v := os.Getenv(n.env); v != "" {
			x, err := strconv.Atoi(v)
			if err != nil || x < 1 {
				t.Fatalf("%s=%q: want a positive number", n.env, v)
			}
			*n.to = x
		}
	}
	for _, d := range []struct {
		env string
		to  *time.Duration
	}{{"LOADBENCH_DURATION", &s.duration}, {"LOADBENCH_WARMUP", &s.warmup}, {"LOADBENCH_STACK_WARMUP", &s.stackWarmup}} {
		if v := os.Getenv(d.env); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil || x < 0 {
				t.Fatalf("%s=%q: want a duration such as 10s", d.env, v)
			}
			*d.to = x
		}
	}
	s.variants = os.Getenv("LOADBENCH_VARIANTS") != "0"
	return s
}

// bench is one run's state.
type bench struct {
	t       *testing.T
	s       settings
	ctx     context.Context
	probe   *probe
	ddbPid  int
	profDir string
	cfg     config.Config
	app     *app.App
	db      *dynamodb.Client // the floor's client: the app's SDK configuration
	pooled  *dynamodb.Client // the same with the other idle pool (altPool)
	// appPool is the idle connections per host the app's HTTP client
	// keeps; altPool the variants'.
	appPool, altPool int
	api              *httptest.Server
	trivial          *httptest.Server
	ownerID          string
	token            string
	project          string
	org              string

	permBody  []byte // the API's answer to GET permissions
	permInput *dynamodb.BatchGetItemInput
	tmpl      itemTemplate
	captures  []capturePair
	runs      []*run
	serverLat latencies // the API handler's time per request
	files     []string  // the profiles written
	started   time.Time
}

// capturePair is one DynamoDB call as the API sent it and as the floor did.
type capturePair struct {
	what       string
	api, floor *capturedCall
}

// run is one measured load.
type run struct {
	name  string
	group string // "A" (GET permissions) or "B" (review transition)
	kind  string // kindAPI, kindFloor, kindHTTP
	floor bool   // the floor the group's API run is compared with
	// variant changes one setting against the group's floor or API run.
	variant bool
	// rawCalls is the DynamoDB calls per request of a run that bypasses
	// the SDK (and its probe).
	rawCalls float64
	note     string
	res      loadResult
	win      window
	warm     loadResult
	// rounds are the measured runs merged into this one (in order).
	rounds    []loadResult
	winRounds []window
}

const (
	kindAPI   = "api"
	kindFloor = "floor"
	kindHTTP  = "http"
)

func TestLoadAgainstFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("a load run; skipped under -short")
	}
	if !enabled() {
		t.Skip("set LOADBENCH=1 to run the load against the floor")
	}
	if stack == nil {
		t.Fatal("the local stack did not start")
	}
	b := &bench{t: t, s: loadSettings(t), ctx: context.Background(), probe: newProbe(), started: time.Now()}
	b.setup()
	defer b.api.Close()
	defer b.trivial.Close()

	apiHost := b.api.Listener.Addr().String()
	trivialHost := b.trivial.Listener.Addr().String()
	permReq := request(nil, "GET", apiHost, "/projects/"+b.project+"/permissions", b.token, nil)
	httpWorker := func(host string, req []byte) func(int) *worker {
		return func(i int) *worker { return &worker{id: i, client: &rawClient{addr: host}, buf: req} }
	}
	floorWorker := func(i int) *worker { return &worker{id: i} }

	// A: GET /projects/{id}/permissions against its one BatchGetItem.
	permOp := func(ctx context.Context, w *worker) error { return expect(w, 200) }
	batchOp := func(db *dynamodb.Client, rcc types.ReturnConsumedCapacity) op {
		return func(ctx context.Context, w *worker) error {
			in := *b.permInput
			in.ReturnConsumedCapacity = rcc
			_, err := db.BatchGetItem(ctx, &in)
			return err
		}
	}
	ddbHost := strings.TrimPrefix(stack.DynamoDBEndpoint, "http://")
	permCall := b.captures[0].api
	pooled := func(on bool) func() { return func() { b.probe.override.Store(on) } }
	gogc := func(on bool) func() {
		return func() {
			if on {
				debug.SetGCPercent(400)
			} else {
				debug.SetGCPercent(100)
			}
		}
	}
	// The pool variants switch the idle connections per host between
	// the app's setting and the other side of the clients' count: the
	// SDK's default 10 when the app keeps enough, enough when it keeps 10.
	alt := fmt.Sprintf("%d idle connections per host (the app's client keeps %d)", b.altPool, b.appPool)
	groupA := []scenario{
		{run: run{name: "Floor A: BatchGetItem (4 keys), app's SDK config", group: "A", kind: kindFloor, floor: true,
			note: "the rights check's exact input, replayed through a client built like the app's"},
			mk: floorWorker, build: fixed(batchOp(b.db, b.permInput.ReturnConsumedCapacity))},
		{run: run{name: "Load A: GET permissions via the API", group: "A", kind: kindAPI},
			mk: httpWorker(apiHost, permReq), build: fixed(permOp)},
		{run: run{name: "Load A': API, " + alt, group: "A", kind: kindAPI, variant: true,
			note: "the API's DynamoDB calls sent through another HTTP client (test middleware)"},
			mk: httpWorker(apiHost, permReq), build: fixed(permOp), before: pooled(true), after: pooled(false)},
		{run: run{name: "Load A*: API, GOGC=400", group: "A", kind: kindAPI, variant: true,
			note: "the collector run 4x less often (debug.SetGCPercent(400) for the run)"},
			mk: httpWorker(apiHost, permReq), build: fixed(permOp), before: gogc(true), after: gogc(false)},
		{run: run{name: "Floor A': same, " + alt, group: "A", kind: kindFloor, variant: true},
			mk: floorWorker, build: fixed(batchOp(b.pooled, b.permInput.ReturnConsumedCapacity))},
		{run: run{name: "Floor A'': same, no ReturnConsumedCapacity", group: "A", kind: kindFloor, variant: true,
			note: "the app's client, without the capacity in the answer"},
			mk: floorWorker, build: fixed(batchOp(b.db, ""))},
		{run: run{name: "Raw floor A: the API's request bytes to DynamoDB Local, no SDK", group: "A", kind: kindFloor, variant: true, rawCalls: 1,
			note: "the captured signed request replayed by the minimal HTTP client: DynamoDB Local's own cost"},
			mk: httpWorker(ddbHost, rawDynamoDBRequest(permCall, ddbHost, permCall.reqBody)), build: fixed(permOp)},
		{run: run{name: "Raw floor A'': the same without ReturnConsumedCapacity", group: "A", kind: kindFloor, variant: true, rawCalls: 1,
			note: "as the raw floor, the body without ReturnConsumedCapacity"},
			mk: httpWorker(ddbHost, rawDynamoDBRequest(permCall, ddbHost, withoutKey(permCall.reqBody, "ReturnConsumedCapacity"))), build: fixed(permOp)},
		{run: run{name: "HTTP floor: trivial handler, same answer", group: "A", kind: kindHTTP, variant: true,
			note: "net/http server and the same load client, the API's answer bytes written by a bare handler"},
			mk: httpWorker(trivialHost, request(nil, "GET", trivialHost, "/projects/"+b.project+"/permissions", b.token, nil)), build: fixed(permOp), once: true},
	}
	// B: a review approval (one BatchGetItem, one TransactWriteItems)
	// against the same two raw calls, each request on its own prepared
	// item.
	reviewWorker := func(i int) *worker { return &worker{id: i, client: &rawClient{addr: apiHost}} }
	groupB := []scenario{
		{run: run{name: "Floor B: BatchGetItem + TransactWriteItems, app's SDK config", group: "B", kind: kindFloor, floor: true,
			note: "the approval's exact inputs with the item, event and audit ids replaced, on items prepared alike"},
			mk: floorWorker, build: b.floorReview(b.db)},
		{run: run{name: "Load B: POST review approve via the API", group: "B", kind: kindAPI},
			mk: reviewWorker, build: b.apiReview(apiHost)},
		{run: run{name: "Load B': API, " + alt, group: "B", kind: kindAPI, variant: true, note: "as Load A'"},
			mk: reviewWorker, build: b.apiReview(apiHost), before: pooled(true), after: pooled(false)},
		{run: run{name: "Floor B': same, " + alt, group: "B", kind: kindFloor, variant: true},
			mk: floorWorker, build: b.floorReview(b.pooled)},
	}

	// The stack's JIT and caches warm on both paths before anything is
	// measured.
	if b.s.stackWarmup > 0 {
		t.Logf("warming the stack up for %v", b.s.stackWarmup)
		for _, sc := range []scenario{groupA[0], groupA[1], groupB[0], groupB[1]} {
			runLoad(b.s.clients, b.s.stackWarmup/4, sc.run.labelSide(), sc.mk, sc.build(b.s.clients*20+int(300*b.s.stackWarmup.Seconds()/4)))
		}
	}
	for _, group := range [][]scenario{groupA, groupB} {
		for round := range b.s.rounds {
			for _, sc := range group {
				if (sc.run.variant && !b.s.variants) || (sc.once && round > 0) {
					continue
				}
				if sc.before != nil {
					sc.before()
				}
				r := sc.run
				b.load(&r, sc.mk, sc.build)
				if sc.after != nil {
					sc.after()
				}
			}
		}
	}

	b.runs = mergeRuns(b.runs)
	report := b.report()
	fmt.Println(report)
	if b.s.out != "" {
		if err := os.WriteFile(b.s.out, []byte(report), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range b.runs {
		if r.res.errors > 0 {
			t.Errorf("%s: %d of %d requests failed, first: %s", r.name, r.res.errors, r.res.n, r.res.firstErr)
		}
	}
}

// scenario is one kind of run: its workers, its load, and what to switch
// around it.
type scenario struct {
	run           run
	mk            func(int) *worker
	build         func(n int) op
	before, after func()
	once          bool // not repeated in later rounds
}

// rawDynamoDBRequest renders a captured DynamoDB call as the bytes of an
// HTTP/1.1 request with body (the signature is not checked by DynamoDB
// Local, so a replay and an edited body are accepted).
func rawDynamoDBRequest(c *capturedCall, host string, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST / HTTP/1.1\r\nHost: %s\r\n", host)
	for _, k := range headerNames(c.reqHeader, nil) {
		if k == "Host" || k == "Content-Length" {
			continue
		}
		for _, v := range c.reqHeader.Values(k) {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
	b.Write(body)
	return b.Bytes()
}

// withoutKey drops a top-level key of a JSON object.
func withoutKey(raw []byte, key string) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return raw
	}
	delete(m, key)
	out, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}

// expect sends the worker's prepared request and checks the status.
func expect(w *worker, status int) error {
	got, err := w.client.do(w.buf)
	if err != nil {
		return err
	}
	if got != status {
		return fmt.Errorf("status %d: %.300s", got, w.client.body)
	}
	return nil
}

// fixed is a load that needs no prepared items.
func fixed(o op) func(n int) op { return func(int) op { return o } }

// load warms up, sizes the load's pool of items from the warm-up's rate
// (build(n) prepares n), and measures.
func (b *bench) load(r *run, mk func(int) *worker, build func(n int) op) {
	t := b.t
	t.Logf("%s: warming up", r.name)
	warmN := b.s.clients*20 + int(500*b.s.warmup.Seconds())
	r.warm = runLoad(b.s.clients, b.s.warmup, r.labelSide(), mk, build(warmN))
	n := int(r.warm.rate()*b.s.duration.Seconds()*1.6) + b.s.clients*20
	o := build(n)
	t.Logf("%s: measuring %v (warm-up %.0f/s)", r.name, b.s.duration, r.warm.rate())
	round := 1
	for _, o := range b.runs {
		if o.name == r.name {
			round++
		}
	}
	win, err := b.measure(fmt.Sprintf("%s round %d", shortName(r.name), round), func() { r.res = runLoad(b.s.clients, b.s.duration, r.labelSide(), mk, o) })
	if err != nil {
		t.Fatalf("%s: %v", r.name, err)
	}
	r.win = win
	b.files = append(b.files, win.cpuFile, win.heapFile)
	t.Logf("%s: %d requests, %.0f/s, p50 %v p99 %v, %d errors %s", r.name, r.res.n, r.res.rate(),
		r.res.pct(.5), r.res.pct(.99), r.res.errors, r.res.firstErr)
	if r.res.stopped {
		t.Logf("%s: the prepared items ran out before the end", r.name)
	}
	b.runs = append(b.runs, r)
}

func (r *run) labelSide() string {
	if r.kind == kindFloor {
		return sideFloor
	}
	return sideClient
}

// setup starts the API in process on a loopback listener, wired as the
// tests wire it, with the log at Info into a discarding JSON handler (the
// per-request line and the meter run as in production), seeds a project
// and captures the DynamoDB calls the floor replays.
func (b *bench) setup() {
	t, ctx := b.t, b.ctx
	var err error
	if b.ddbPid, err = findDynamoDBLocal(stack.DynamoDBEndpoint); err != nil {
		t.Fatal(err)
	}
	b.profDir = b.s.profDir
	if b.profDir == "" {
		if b.profDir, err = os.MkdirTemp("", "loadbench-profiles-"); err != nil {
			t.Fatal(err)
		}
	} else if err := os.MkdirAll(b.profDir, 0o755); err != nil {
		t.Fatal(err)
	}

	b.api = httptest.NewUnstartedServer(nil)
	base := "http://" + b.api.Listener.Addr().String()
	b.cfg = stack.Config(map[string]string{"PUBLIC_BASE_URL": base})
	b.cfg.APIOptions = append(b.cfg.APIOptions, b.probe.apiOption)
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: b.cfg.LogLevel})).With("function", "api")
	if b.app, err = app.New(ctx, b.cfg, log); err != nil {
		t.Fatal(err)
	}
	router := b.app.Router(lambdafn.HTTP...)
	b.api.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		router.ServeHTTP(w, r)
		b.serverLat.add(time.Since(t0))
	})
	b.api.Start()

	awsCfg, err := b.cfg.AWS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b.db = b.cfg.DynamoDB(awsCfg)
	b.appPool = awshttp.DefaultHTTPTransportMaxIdleConnsPerHost
	if bc, ok := awsCfg.HTTPClient.(*awshttp.BuildableClient); ok {
		if n := bc.GetTransport().MaxIdleConnsPerHost; n > 0 {
			b.appPool = n
		}
	}
	b.altPool = max(64, 2*b.s.clients)
	if b.appPool >= b.s.clients {
		b.altPool = awshttp.DefaultHTTPTransportMaxIdleConnsPerHost
	}
	pool := func(tr *http.Transport) {
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = max(tr.MaxIdleConns, b.altPool), b.altPool
	}
	pooledCfg := awsCfg.Copy()
	pooledCfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(pool)
	b.pooled = b.cfg.DynamoDB(pooledCfg)
	b.probe.client = awshttp.NewBuildableClient().WithTransportOptions(pool)

	email := "loadbench-owner@example.com"
	b.ownerID = auth.DevSubject(email)
	if b.token, err = auth.MintHS256(config.DefaultDevJWTSecret, config.DefaultJWTIssuer, config.DefaultJWTAudience,
		auth.Claims{Subject: b.ownerID, Email: email, Name: "Loadbench Owner"}, 2*time.Hour, time.Now()); err != nil {
		t.Fatal(err)
	}
	var org struct {
		ID                 string `json:"id"`
		DefaultWorkspaceID string `json:"defaultWorkspaceId"`
	}
	b.call("POST", "/orgs", `{"name":"Loadbench Org"}`, 201, &org)
	var proj struct {
		ID string `json:"id"`
	}
	b.call("POST", "/workspaces/"+org.DefaultWorkspaceID+"/projects", `{"name":"Loadbench"}`, 201, &proj)
	b.org, b.project = org.ID, proj.ID
	// The first sight of a project costs the store a second batch; from
	// then on a rights check is one.
	b.permBody = b.call("GET", "/projects/"+b.project+"/permissions", "", 200, nil)

	slot := b.probe.arm()
	b.call("GET", "/projects/"+b.project+"/permissions", "", 200, nil)
	b.probe.disarm()
	b.onlyCalls(slot, "GET permissions", "BatchGetItem")
	permCall := slot.get("BatchGetItem")
	b.permInput = permCall.input.(*dynamodb.BatchGetItemInput)
	slot = b.probe.arm()
	in := *b.permInput
	if _, err := b.db.BatchGetItem(ctx, &in); err != nil {
		t.Fatal(err)
	}
	b.probe.disarm()
	b.captures = append(b.captures, capturePair{what: "GET permissions: the rights check's BatchGetItem", api: permCall, floor: slot.get("BatchGetItem")})

	b.trivial = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(200)
		_, _ = w.Write(b.permBody)
	}))

	b.prepareTemplate()
}

// call makes one setup request with net/http and decodes the answer.
func (b *bench) call(method, path, body string, want int, out any) []byte {
	b.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(b.ctx, method, b.api.URL+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		b.t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			b.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return raw
}

func (b *bench) onlyCalls(slot *captureSlot, what string, ops ...string) {
	b.t.Helper()
	slot.mu.Lock()
	defer slot.mu.Unlock()
	var got []string
	for op := range slot.calls {
		got = append(got, op)
	}
	if len(got) != len(ops) {
		b.t.Fatalf("%s made the DynamoDB calls %v, want %v", what, got, ops)
	}
	for _, op := range ops {
		if slot.calls[op] == nil {
			b.t.Fatalf("%s made the DynamoDB calls %v, want %v", what, got, ops)
		}
	}
}

// itemTemplate is a prepared item and the calls its approval made.
type itemTemplate struct {
	id, assignee string
	row          map[string]types.AttributeValue // as stored before the approval
	read         *dynamodb.BatchGetItemInput
	tx           *dynamodb.TransactWriteItemsInput
	fresh        []string // ids the approval minted (event, audit): new ones per replay
	seq          atomic.Int64
}

// annotationDoc is every prepared item's annotation: 1 KiB of boxes.
var annotationDoc = func() []byte {
	var b bytes.Buffer
	b.WriteString(`{"objects":[`)
	for i := 0; b.Len() < 1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"label":"car","bbox":[%d,%d,%d,%d]}`, 10+i, 20+i, 110+i, 220+i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}()

// prepareTemplate creates one item waiting for the host's review, as a
// submitted annotated item is, reads its stored row back, approves it
// through the API with the probe armed, and keeps the two calls.
func (b *bench) prepareTemplate() {
	t, ctx := b.t, b.ctx
	now := time.Now().UTC()
	ids := collab.RandomIDs{}
	it := collab.Item{ID: ids.New("itm"), ProjectID: b.project, Name: "loadbench item 000000",
		FileRef: "s3://annobridge-loadbench/items/000000.jpg", Status: collab.StWaitingReview,
		AssigneeID: ids.New("usr"), OrgID: b.org, Annotation: annotationDoc,
		StatusSince: now.Add(-10 * time.Minute), CreatedAt: now.Add(-time.Hour), CreatedBy: b.ownerID, Version: 3}
	it.LastAnnotator = it.AssigneeID
	if err := b.app.Store.CreateItem(ctx, it); err != nil {
		t.Fatal(err)
	}
	got, err := b.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(b.cfg.TableName), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "ITEM#" + it.ID},
			"SK": &types.AttributeValueMemberS{Value: "PROJ#" + b.project}}})
	if err != nil || got.Item == nil {
		t.Fatalf("read the template item back: %v", err)
	}
	b.tmpl.id, b.tmpl.assignee, b.tmpl.row = it.ID, it.AssigneeID, got.Item

	slot := b.probe.arm()
	b.call("POST", "/projects/"+b.project+"/items/"+it.ID+"/review", `{"decision":"approve"}`, 200, nil)
	b.probe.disarm()
	b.onlyCalls(slot, "POST review approve", "BatchGetItem", "TransactWriteItems")
	read, tx := slot.get("BatchGetItem"), slot.get("TransactWriteItems")
	b.tmpl.read = read.input.(*dynamodb.BatchGetItemInput)
	b.tmpl.tx = tx.input.(*dynamodb.TransactWriteItemsInput)
	for _, w := range b.tmpl.tx.TransactItems {
		if w.Put == nil {
			continue
		}
		if s, ok := w.Put.Item["id"].(*types.AttributeValueMemberS); ok && s.Value != it.ID {
			b.tmpl.fresh = append(b.tmpl.fresh, s.Value)
		}
	}

	// The floor's own calls, captured once for the comparison.
	items := b.prepareItems(1)
	fr := b.floorInputs(items[0])
	slot = b.probe.arm()
	if _, err := b.db.BatchGetItem(ctx, fr.read); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.TransactWriteItems(ctx, fr.txCopy()); err != nil {
		t.Fatal(err)
	}
	b.probe.disarm()
	b.captures = append(b.captures,
		capturePair{what: "review approve: the read batch", api: read, floor: slot.get("BatchGetItem")},
		capturePair{what: "review approve: the transaction", api: tx, floor: slot.get("TransactWriteItems")})
}

type prepItem struct{ id, assignee string }

// sameLength returns an id shaped like tmpl (its prefix up to '_'), made
// of tag and the number k, so every prepared item and id has the
// template's sizes.
func sameLength(tmpl, tag string, k int64) string {
	i := strings.IndexByte(tmpl, '_') + 1
	width := len(tmpl) - i - len(tag)
	return tmpl[:i] + tag + fmt.Sprintf("%0*d", width, k)
}

// prepareItems writes n copies of the template row (new item id and
// assignee, so each approval writes its own counter row) with
// BatchWriteItem.
func (b *bench) prepareItems(n int) []prepItem {
	items := make([]prepItem, n)
	reqs := make([]types.WriteRequest, n)
	for i := range items {
		k := b.tmpl.seq.Add(1)
		items[i] = prepItem{id: sameLength(b.tmpl.id, "lb", k), assignee: sameLength(b.tmpl.assignee, "lb", k)}
		r := strings.NewReplacer(b.tmpl.id, items[i].id, b.tmpl.assignee, items[i].assignee)
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: replaceMap(b.tmpl.row, r)}}
	}
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	chunks := make(chan []types.WriteRequest)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for chunk := range chunks {
				for tries := 0; len(chunk) > 0; tries++ {
					res, err := b.db.BatchWriteItem(b.ctx, &dynamodb.BatchWriteItemInput{
						RequestItems: map[string][]types.WriteRequest{b.cfg.TableName: chunk}})
					if err != nil || tries > 20 {
						if err == nil {
							err = fmt.Errorf("items still unprocessed")
						}
						failed.Store(&err)
						break
					}
					chunk = res.UnprocessedItems[b.cfg.TableName]
				}
			}
		}()
	}
	for i := 0; i < n; i += 25 {
		chunks <- reqs[i:min(n, i+25)]
	}
	close(chunks)
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.t.Fatalf("prepare items: %v", *err)
	}
	return items
}

// floorReq is the floor's two calls for one prepared item.
type floorReq struct {
	read *dynamodb.BatchGetItemInput
	tx   *dynamodb.TransactWriteItemsInput
}

// txCopy is a fresh copy of the transaction input for one call: the SDK
// fills the idempotency token in the input it is given.
func (f floorReq) txCopy() *dynamodb.TransactWriteItemsInput {
	in := *f.tx
	in.ClientRequestToken = nil
	return &in
}

// floorInputs replays the API's two calls on item it: the template's item
// id and assignee become the item's, the ids the approval minted become
// new ones of the same length.
func (b *bench) floorInputs(it prepItem) floorReq {
	pairs := []string{b.tmpl.id, it.id, b.tmpl.assignee, it.assignee}
	k := b.tmpl.seq.Add(1)
	for _, id := range b.tmpl.fresh {
		pairs = append(pairs, id, sameLength(id, "lb", k))
	}
	r := strings.NewReplacer(pairs...)
	read := *b.tmpl.read
	read.RequestItems = map[string]types.KeysAndAttributes{}
	for table, ka := range b.tmpl.read.RequestItems {
		ka.Keys = make([]map[string]types.AttributeValue, len(b.tmpl.read.RequestItems[table].Keys))
		for i, key := range b.tmpl.read.RequestItems[table].Keys {
			ka.Keys[i] = replaceMap(key, r)
		}
		read.RequestItems[table] = ka
	}
	tx := *b.tmpl.tx
	tx.ClientRequestToken = nil
	tx.TransactItems = make([]types.TransactWriteItem, len(b.tmpl.tx.TransactItems))
	for i, w := range b.tmpl.tx.TransactItems {
		var c types.TransactWriteItem
		switch {
		case w.Put != nil:
			p := *w.Put
			p.Item, p.ExpressionAttributeValues = replaceMap(p.Item, r), replaceMap(p.ExpressionAttributeValues, r)
			c.Put = &p
		case w.Update != nil:
			u := *w.Update
			u.Key, u.ExpressionAttributeValues = replaceMap(u.Key, r), replaceMap(u.ExpressionAttributeValues, r)
			c.Update = &u
		case w.Delete != nil:
			d := *w.Delete
			d.Key, d.ExpressionAttributeValues = replaceMap(d.Key, r), replaceMap(d.ExpressionAttributeValues, r)
			c.Delete = &d
		case w.ConditionCheck != nil:
			cc := *w.ConditionCheck
			cc.Key, cc.ExpressionAttributeValues = replaceMap(cc.Key, r), replaceMap(cc.ExpressionAttributeValues, r)
			c.ConditionCheck = &cc
		}
		tx.TransactItems[i] = c
	}
	return floorReq{read: &read, tx: &tx}
}

func replaceMap(m map[string]types.AttributeValue, r *strings.Replacer) map[string]types.AttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		out[k] = replaceAV(v, r)
	}
	return out
}

func replaceAV(v types.AttributeValue, r *strings.Replacer) types.AttributeValue {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return &types.AttributeValueMemberS{Value: r.Replace(x.Value)}
	case *types.AttributeValueMemberSS:
		out := make([]string, len(x.Value))
		for i, s := range x.Value {
			out[i] = r.Replace(s)
		}
		return &types.AttributeValueMemberSS{Value: out}
	case *types.AttributeValueMemberM:
		return &types.AttributeValueMemberM{Value: replaceMap(x.Value, r)}
	case *types.AttributeValueMemberL:
		out := make([]types.AttributeValue, len(x.Value))
		for i, e := range x.Value {
			out[i] = replaceAV(e, r)
		}
		return &types.AttributeValueMemberL{Value: out}
	}
	return v
}

// apiReview approves prepared items through the API, one each.
func (b *bench) apiReview(host string) func(n int) op {
	return func(n int) op {
		items := b.prepareItems(n)
		var next atomic.Int64
		body := []byte(`{"decision":"approve"}`)
		return func(ctx context.Context, w *worker) error {
			i := next.Add(1) - 1
			if i >= int64(len(items)) {
				return errStop
			}
			w.buf = request(w.buf[:0], "POST", host, "/projects/"+b.project+"/items/"+items[i].id+"/review", b.token, body)
			return expect(w, 200)
		}
	}
}

// floorReview sends the approval's two raw calls for prepared items, one
// each, the inputs built before the load.
func (b *bench) floorReview(db *dynamodb.Client) func(n int) op {
	return func(n int) op {
		items := b.prepareItems(n)
		reqs := make([]floorReq, n)
		for i, it := range items {
			reqs[i] = b.floorInputs(it)
		}
		var next atomic.Int64
		return func(ctx context.Context, w *worker) error {
			i := next.Add(1) - 1
			if i >= int64(len(reqs)) {
				return errStop
			}
			if _, err := db.BatchGetItem(ctx, reqs[i].read); err != nil {
				return err
			}
			_, err := db.TransactWriteItems(ctx, reqs[i].txCopy())
			return err
		}
	}
}
