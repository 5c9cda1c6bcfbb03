// Package coldstart measures the Lambda functions' cold starts and binary
// sizes against a bare aws-lambda-go handler (issue 15, "Cold start"). It is
// test code only: nothing here ships.
//
// TestColdStart builds every function in functions/ and the bare handler
// in testdata/bare with the Makefile's LAMBDA_FLAGS, once for this machine
// and once for linux/arm64, starts each native binary as a process against
// a Lambda Runtime API stand-in on loopback (runtimeapi_test.go), and times
// exec → the first GET .../next (init done) and exec → the first invocation's
// response. It runs only with COLDSTART=1:
//
//	COLDSTART=1 go test -run TestColdStart -v ./internal/coldstart/
//
// COLDSTART_RUNS sets the starts per binary (default 30, at least 20 for
// the medians); COLDSTART_OUT names a file that receives the
// Markdown report, which is also printed to stdout.
package coldstart

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/config"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

const (
	envEnable = "COLDSTART"
	envRuns   = "COLDSTART_RUNS"
	envOut    = "COLDSTART_OUT"

	defaultRuns = 30
	minRuns     = 20
	// tracedRuns are extra starts per binary with GODEBUG=inittrace=1,
	// which report the package initializers' costs (not timed with the rest).
	tracedRuns   = 5
	startTimeout = 20 * time.Second

	// The goals against the bare handler.
	goalTime = 1.3
	goalSize = 2.0

	bareName = "bare"
	barePkg  = "./internal/coldstart/testdata/bare"
	// floorName is a reference, not a goal: the bare handler plus a DynamoDB
	// and an SQS client (testdata/sdkfloor).
	floorName = "sdkfloor"
	floorPkg  = "./internal/coldstart/testdata/sdkfloor"
)

// lambdaFlags are the Makefile's LAMBDA_FLAGS; its LAMBDA_ENV adds
// CGO_ENABLED=0 (and GOOS=linux GOARCH=arm64, which build sets per target).
var lambdaFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w"}

// target is one binary under test: a function or the bare handler.
type target struct {
	Name      string
	Pkg       string
	Function  bool   // one of functions/, not a baseline
	HTTP      bool   // an HTTP function (or the bare handler)
	EventFile string // the event the first invocation gets, from the module root
	Event     []byte
	Env       []string
	Native    string // binary for this machine
	ARM64     string // linux/arm64 binary
	Size      int64  // of ARM64

	Samples []sample
	Traces  []initTrace
}

// sample is one timed start.
type sample struct {
	Init  time.Duration // exec → first GET .../next
	First time.Duration // exec → first POST .../response
	CPU   time.Duration // user + system time of the process
}

// startResult is what one start did.
type startResult struct {
	sample
	Outcome string
	Body    []byte
	Output  []byte // stdout and stderr
	// EndpointConns counts connections to the DynamoDB/SQS endpoint during
	// the start; a cold start and a health check should make none.
	EndpointConns int64
}

// harness runs starts one at a time against one Runtime API stand-in.
type harness struct {
	api      *runtimeAPI
	endpoint *endpointSentinel
	work     string
	seq      int
}

func TestColdStart(t *testing.T) {
	if os.Getenv(envEnable) == "" {
		t.Skipf("set %s=1 to build every function and time its cold start", envEnable)
	}
	if testing.Short() {
		t.Skip("cold-start measurement skipped in -short mode")
	}
	runs := defaultRuns
	if v := os.Getenv(envRuns); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q is not a positive count", envRuns, v)
		}
		runs = n
	}
	if runs < minRuns {
		t.Logf("%s=%d: fewer than the %d starts the issue's medians call for", envRuns, runs, minRuns)
	}
	root := moduleRoot(t)
	names := functionNames(t, root)
	if want := slices.Sorted(slices.Values(lambdafn.All)); !slices.Equal(names, want) {
		t.Errorf("functions/ holds %v, internal/lambdafn lists %v", names, want)
	}
	if slices.Contains(names, bareName) || slices.Contains(names, floorName) {
		t.Fatalf("a function is named %q or %q, a baseline's name", bareName, floorName)
	}

	tmp := t.TempDir()
	h := &harness{api: newRuntimeAPI(t), endpoint: newEndpointSentinel(t), work: filepath.Join(tmp, "work")}
	if err := os.MkdirAll(h.work, 0o755); err != nil {
		t.Fatal(err)
	}

	targets := []*target{
		{Name: bareName, Pkg: barePkg, HTTP: true, EventFile: "events/membership-healthz.json"},
		{Name: floorName, Pkg: floorPkg, HTTP: true, EventFile: "events/membership-healthz.json"},
	}
	for _, fn := range names {
		tg := &target{Name: fn, Pkg: "./functions/" + fn, Function: true, HTTP: !slices.Contains(lambdafn.Consumers, fn)}
		tg.EventFile = "events/" + fn + "-healthz.json"
		if !tg.HTTP {
			tg.EventFile = "internal/coldstart/testdata/sqs-noop.json"
		}
		targets = append(targets, tg)
	}
	pkgs := make([]string, len(targets))
	for i, tg := range targets {
		pkgs[i] = tg.Pkg
		ev, err := os.ReadFile(filepath.Join(root, tg.EventFile))
		if err != nil {
			t.Fatalf("%s: event: %v", tg.Name, err)
		}
		tg.Event = ev
	}

	nativeDir, armDir := filepath.Join(tmp, "native"), filepath.Join(tmp, "linux-arm64")
	build(t, root, runtime.GOOS, runtime.GOARCH, nativeDir, lambdaFlags, pkgs...)
	build(t, root, "linux", "arm64", armDir, lambdaFlags, pkgs...)
	for _, tg := range targets {
		base := filepath.Base(tg.Pkg)
		tg.Native = filepath.Join(nativeDir, base+exeSuffix())
		tg.ARM64 = filepath.Join(armDir, base)
		fi, err := os.Stat(tg.ARM64)
		if err != nil {
			t.Fatal(err)
		}
		tg.Size = fi.Size()
		tg.Env = h.env(t, tg)
	}

	load0 := loadAverage()
	// One warm-up start each (page cache, first-run effects), checked for
	// a proper answer; then the timed starts, interleaved in a random
	// order each round so that drift on a shared machine spreads evenly.
	for _, tg := range targets {
		h.mustStart(t, tg)
	}
	for range runs {
		for _, i := range rand.Perm(len(targets)) {
			tg := targets[i]
			tg.Samples = append(tg.Samples, h.mustStart(t, tg).sample)
		}
	}
	load1 := loadAverage()
	for _, tg := range targets {
		for range tracedRuns {
			res := h.mustStart(t, tg, "GODEBUG=inittrace=1")
			tr := parseInitTrace(res.Output)
			if len(tr.Pkgs) == 0 {
				t.Fatalf("%s: GODEBUG=inittrace=1 printed no init lines:\n%s", tg.Name, res.Output)
			}
			tr.Init = res.Init
			tg.Traces = append(tg.Traces, tr)
		}
	}

	// What the arm64 code is made of: the biggest function, the reference
	// and the bare handler built without -s -w, their text symbols summed
	// by package group; and which functions make the linker keep every
	// exported method (reflect.Value.Method or MethodByName reachable).
	nmDir := filepath.Join(tmp, "nm")
	functions := slices.DeleteFunc(slices.Clone(targets), func(tg *target) bool { return !tg.Function })
	biggest := slices.MaxFunc(functions, func(a, b *target) int { return cmp.Compare(a.Size, b.Size) })
	unstripped := []string{"-tags", "lambda.norpc", "-trimpath"}
	build(t, root, "linux", "arm64", nmDir, unstripped, barePkg, floorPkg)
	deps := build(t, root, "linux", "arm64", nmDir, append(slices.Clone(unstripped), "-ldflags", "-dumpdep"), biggest.Pkg)
	reflectBy := map[string][]string{}
	for _, fn := range reflectMethodCallers(deps) {
		pkg := symbolPackage(fn)
		if _, ok := reflectBy[pkg]; !ok {
			reflectBy[pkg] = moduleImporters(t, root, biggest.Pkg, pkg)
		}
	}
	code := map[string]map[string]int64{}
	for _, pkg := range []string{biggest.Pkg, floorPkg, barePkg} {
		code[pkg] = codeByGroup(t, filepath.Join(nmDir, filepath.Base(pkg)))
	}

	report := renderReport(reportInput{
		Targets: targets, Runs: runs, LoadBefore: load0, LoadAfter: load1,
		CodeOf: biggest.Name, FnCode: code[biggest.Pkg], FloorCode: code[floorPkg], BareCode: code[barePkg],
		ReflectMethod: reflectMethodCallers(deps), ReflectBy: reflectBy,
	})
	fmt.Print(report)
	if out := os.Getenv(envOut); out != "" {
		if err := os.WriteFile(out, []byte(report), 0o644); err != nil {
			t.Fatalf("%s: %v", envOut, err)
		}
		t.Logf("wrote %s", out)
	}
}

// env is the process environment of a start: what the Lambda runtime sets
// on provided.al2023, and for a function the variables template.yaml sets
// for it (config.FunctionVars) with local values, so that it gets through
// its cold start without the network: the secrets as plain values instead
// of ARNs (app.New would read those from Secrets Manager), no JWKS_URL
// (auth.NewJWKS fetches the key set at init), and DynamoDB and SQS
// endpoints on loopback, which only count connections (app.New builds the
// clients and never calls them).
func (h *harness) env(t *testing.T, tg *target) []string {
	t.Helper()
	vars := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          h.api.Addr,
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
		"LANG":                            "en_US.UTF-8",
		"TZ":                              ":UTC",
		"HOME":                            h.work,
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                filepath.Dir(tg.Native),
		"LAMBDA_RUNTIME_DIR":              "/var/runtime",
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"AWS_LAMBDA_FUNCTION_NAME":        "annobridge-" + tg.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/annobridge-" + tg.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      "2026/01/01/[$LATEST]coldstart",
		"AWS_REGION":                      "us-east-1",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"AWS_ACCESS_KEY_ID":               "AKIACOLDSTARTEXAMPLE",
		"AWS_SECRET_ACCESS_KEY":           "coldstart-secret-access-key",
		"AWS_SESSION_TOKEN":               "coldstart-session-token",
		// No shared config files, as in Lambda; never the host's.
		"AWS_CONFIG_FILE":             filepath.Join(h.work, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(h.work, "no-aws-credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	}
	if tg.Function {
		queue := func(name string) string { return h.endpoint.URL + "/123456789012/" + name }
		local := map[string]string{
			"AWS_REGION":         "us-east-1",
			"TABLE_NAME":         "annobridge-coldstart",
			"LOG_LEVEL":          "INFO",
			"PUBLIC_BASE_URL":    "https://api.annobridge.example",
			"APP_BASE_URL":       "https://app.annobridge.example",
			"AUTH_MODE":          config.AuthGateway,
			"HANDOFF_QUEUE_URL":  queue("annobridge-review-handoff.fifo"),
			"JOBS_QUEUE_URL":     queue("annobridge-jobs"),
			"MAIL_QUEUE_URL":     queue("annobridge-mail"),
			"CURSOR_SECRET_ARN":  "", // → CURSOR_SECRET below
			"SHARE_LINK_KEY_ARN": "", // → SHARE_LINK_KEY below
			"SIGNIN_URL":         "https://auth.annobridge.example/oauth2/authorize",
			"JWKS_URL":           "", // fetched at init: left out
			"JWT_ISSUER":         "https://auth.annobridge.example",
			"JWT_AUDIENCE":       "annobridge",
			"MAIL_FROM":          "annobridge <no-reply@annobridge.example>",
			"DYNAMODB_ENDPOINT":  h.endpoint.URL,
			"SQS_ENDPOINT":       h.endpoint.URL,
		}
		names := config.FunctionVars(tg.Name)
		for _, v := range config.Vars {
			if v.Runtime {
				names = append(names, v.Name)
			}
		}
		for _, name := range names {
			value, ok := local[name]
			if !ok {
				t.Fatalf("%s reads %s (config.Vars): give it a local value in the cold-start harness", tg.Name, name)
			}
			if value != "" {
				vars[name] = value
			}
		}
		if slices.Contains(names, "CURSOR_SECRET_ARN") {
			vars["CURSOR_SECRET"] = "coldstart-cursor-secret-0123456789"
		}
		if slices.Contains(names, "SHARE_LINK_KEY_ARN") {
			key := sha256.Sum256([]byte("annobridge coldstart share-link key"))
			vars["SHARE_LINK_KEY"] = base64.StdEncoding.EncodeToString(key[:])
		}
		vars["DYNAMODB_ENDPOINT"] = h.endpoint.URL
		vars["SQS_ENDPOINT"] = h.endpoint.URL
		vars["MAIL_OUTBOX_DIR"] = filepath.Join(h.work, "outbox")

		cfg, err := config.LoadFunction(tg.Name, func(k string) string { return vars[k] })
		if err != nil {
			t.Fatalf("%s: the harness's environment does not load: %v", tg.Name, err)
		}
		if cfg.NeedsSecrets() || cfg.JWKSURL != "" || cfg.SMTPAddr != "" {
			t.Fatalf("%s: the harness's environment would make network calls at init", tg.Name)
		}
	}
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return env
}

// mustStart starts tg once and checks that its first invocation answered:
// a 200 for an HTTP function, a batch response for a queue consumer, and no
// connection to the DynamoDB/SQS endpoint.
func (h *harness) mustStart(t *testing.T, tg *target, extraEnv ...string) startResult {
	t.Helper()
	res, err := h.start(tg, extraEnv...)
	if res.EndpointConns > 0 {
		t.Fatalf("%s: %d connections to the DynamoDB/SQS endpoint during a cold start and a no-op first invocation (%v)\noutput:\n%s",
			tg.Name, res.EndpointConns, err, res.Output)
	}
	if err != nil {
		t.Fatalf("%s: %v\noutput:\n%s", tg.Name, err, res.Output)
	}
	if res.Outcome != outcomeResponse {
		t.Fatalf("%s: the first invocation ended in %s: %s\noutput:\n%s", tg.Name, res.Outcome, res.Body, res.Output)
	}
	if tg.HTTP {
		var resp struct {
			StatusCode int `json:"statusCode"`
		}
		if err := json.Unmarshal(res.Body, &resp); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: the health check answered %s (%v)\noutput:\n%s", tg.Name, res.Body, err, res.Output)
		}
	} else {
		var resp struct {
			BatchItemFailures []json.RawMessage `json:"batchItemFailures"`
		}
		if err := json.Unmarshal(res.Body, &resp); err != nil {
			t.Fatalf("%s: the SQS batch answered %s (%v)\noutput:\n%s", tg.Name, res.Body, err, res.Output)
		}
	}
	return res
}

// start runs tg's native binary until its first invocation is answered,
// then kills it.
func (h *harness) start(tg *target, extraEnv ...string) (startResult, error) {
	h.seq++
	inv := newInvocation(fmt.Sprintf("coldstart-%s-%d", tg.Name, h.seq),
		"arn:aws:lambda:us-east-1:123456789012:function:annobridge-"+tg.Name, tg.Event)
	h.api.arm(inv)
	defer h.api.arm(nil)

	var out bytes.Buffer
	cmd := exec.Command(tg.Native)
	cmd.Env = append(slices.Clone(tg.Env), extraEnv...)
	cmd.Dir = h.work
	cmd.Stdout, cmd.Stderr = &out, &out
	conns := h.endpoint.conns.Load()

	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return startResult{}, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	var failure error
	waited := false
	select {
	case <-inv.done:
	case err := <-exited:
		waited = true
		failure = fmt.Errorf("the process exited before its first invocation was answered: %v", err)
	case <-timer.C:
		failure = fmt.Errorf("no answer to the first invocation within %v", startTimeout)
	}
	_ = cmd.Process.Kill()
	if !waited {
		<-exited
	}
	h.api.arm(nil) // no handler writes inv after this
	res := startResult{Output: out.Bytes(), EndpointConns: h.endpoint.conns.Load() - conns}
	if failure != nil {
		return res, failure
	}
	res.Outcome, res.Body = inv.Outcome, inv.Body
	res.Init, res.First = inv.NextAt.Sub(t0), inv.DoneAt.Sub(t0)
	res.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return res, nil
}

// endpointSentinel stands in for the DynamoDB and SQS endpoints: it answers
// every request with a 503 and counts the connections made to it.
type endpointSentinel struct {
	URL   string
	conns atomic.Int64
}

func newEndpointSentinel(t *testing.T) *endpointSentinel {
	s := &endpointSentinel{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "the cold-start harness has no AWS endpoint", http.StatusServiceUnavailable)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// build runs go build with flags for goos/goarch (CGO_ENABLED=0, as the
// Makefile's LAMBDA_ENV), writes each package's binary into dir and returns
// the build's output.
func build(t *testing.T, root, goos, goarch, dir string, flags []string, pkgs ...string) []byte {
	t.Helper()
	args := append([]string{"build"}, flags...)
	args = append(args, "-o", dir+string(filepath.Separator))
	args = append(args, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("GOOS=%s GOARCH=%s go %s: %v\n%s", goos, goarch, strings.Join(args, " "), err, out)
	}
	t.Logf("built %d packages for %s/%s in %v", len(pkgs), goos, goarch, time.Since(start).Round(time.Millisecond))
	return out
}

// reflectMethodCallers lists the functions the linker's -dumpdep output
// marks <ReflectMethod>: while one is reachable, the linker keeps every
// exported method of every type in the binary (the AWS SDK clients' every
// operation, with its serializers), not only the methods that are called.
func reflectMethodCallers(dumpdep []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(dumpdep))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		from, _, ok := strings.Cut(sc.Text(), " <ReflectMethod> -> ")
		// reflect's own methods are marked too once reflect.Value is kept
		// whole; what matters is who calls them from outside.
		if ok && !strings.HasPrefix(from, "reflect.") && !slices.Contains(out, from) {
			out = append(out, from)
		}
	}
	return out
}

// moduleImporters lists the packages outside the standard library in
// main's linux/arm64 dependencies that import pkg directly or through
// standard-library packages only (html/template → text/template).
func moduleImporters(t *testing.T, root, main, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", main)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", main, err)
	}
	importers := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		for _, imp := range f[min(1, len(f)):] {
			importers[imp] = append(importers[imp], f[0])
		}
	}
	std := func(p string) bool { return !strings.Contains(strings.Split(p, "/")[0], ".") }
	var found []string
	seen := map[string]bool{pkg: true}
	for queue := []string{pkg}; len(queue) > 0; queue = queue[1:] {
		for _, by := range importers[queue[0]] {
			if seen[by] {
				continue
			}
			seen[by] = true
			if std(by) {
				queue = append(queue, by)
			} else {
				found = append(found, by)
			}
		}
	}
	slices.Sort(found)
	return found
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

// moduleRoot is the directory of the go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// functionNames lists functions/*/ with a main.go, sorted.
func functionNames(t *testing.T, root string) []string {
	t.Helper()
	mains, err := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	if err != nil || len(mains) == 0 {
		t.Fatalf("no functions/*/main.go under %s (%v)", root, err)
	}
	var names []string
	for _, m := range mains {
		names = append(names, filepath.Base(filepath.Dir(m)))
	}
	slices.Sort(names)
	return names
}

// loadAverage is the 1-minute load average, or "" where /proc has none.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// --- GODEBUG=inittrace=1 -----------------------------------------------------

// initTrace is one traced start: the runtime's line per package initializer.
type initTrace struct {
	Pkgs []pkgInit
	Init time.Duration // exec → first GET .../next of the traced start
}

type pkgInit struct {
	Pkg           string
	At, Clock     float64 // ms since the runtime started; ms of wall clock
	Bytes, Allocs int64
}

var initLine = regexp.MustCompile(`^init (\S+) @([0-9.]+) ms, ([0-9.]+) ms clock, ([0-9]+) bytes, ([0-9]+) allocs`)

func parseInitTrace(out []byte) initTrace {
	var tr initTrace
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m := initLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		p := pkgInit{Pkg: m[1]}
		p.At, _ = strconv.ParseFloat(m[2], 64)
		p.Clock, _ = strconv.ParseFloat(m[3], 64)
		p.Bytes, _ = strconv.ParseInt(m[4], 10, 64)
		p.Allocs, _ = strconv.ParseInt(m[5], 10, 64)
		tr.Pkgs = append(tr.Pkgs, p)
	}
	return tr
}

// initSummary is the median over a target's traced starts.
type initSummary struct {
	Count       int
	ClockMS     float64 // sum of the initializers' clock
	HeapKB      float64 // sum of the bytes they allocated
	EndMS       float64 // when the last initializer ended, since runtime start
	MainToNext  float64 // traced exec → first next, minus EndMS: main's share, about
	Top         []pkgInit
	TopGroupsMS map[string]float64
}

func summarizeInits(traces []initTrace) initSummary {
	var s initSummary
	var counts, clocks, heaps, ends, mains []float64
	perPkg := map[string][]float64{}
	for _, tr := range traces {
		var clock, heap, end float64
		for _, p := range tr.Pkgs {
			clock += p.Clock
			heap += float64(p.Bytes) / 1024
			end = max(end, p.At+p.Clock)
			perPkg[p.Pkg] = append(perPkg[p.Pkg], p.Clock)
		}
		counts = append(counts, float64(len(tr.Pkgs)))
		clocks, heaps, ends = append(clocks, clock), append(heaps, heap), append(ends, end)
		mains = append(mains, ms(tr.Init)-end)
	}
	s.Count = int(median(counts))
	s.ClockMS, s.HeapKB, s.EndMS, s.MainToNext = median(clocks), median(heaps), median(ends), median(mains)
	for pkg, cs := range perPkg {
		s.Top = append(s.Top, pkgInit{Pkg: pkg, Clock: median(cs)})
	}
	slices.SortFunc(s.Top, func(a, b pkgInit) int { return cmp.Or(cmp.Compare(b.Clock, a.Clock), strings.Compare(a.Pkg, b.Pkg)) })
	s.TopGroupsMS = map[string]float64{}
	for _, p := range s.Top {
		s.TopGroupsMS[packageGroup(p.Pkg)] += p.Clock
	}
	return s
}

// --- binary contents ---------------------------------------------------------

// codeByGroup sums the text symbols of an unstripped binary (go tool nm
// -size) by package group.
func codeByGroup(t *testing.T, bin string) map[string]int64 {
	t.Helper()
	out, err := exec.Command("go", "tool", "nm", "-size", bin).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go tool nm %s: %v\n%s", bin, err, ee.Stderr)
		}
		t.Fatalf("go tool nm %s: %v", bin, err)
	}
	groups := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || (f[2] != "T" && f[2] != "t") {
			continue
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		groups[packageGroup(symbolPackage(strings.Join(f[3:], " ")))] += size
	}
	return groups
}

// symbolPackage is the import path of a symbol's package
// ("github.com/x/y.(*T).M" → "github.com/x/y").
func symbolPackage(sym string) string {
	if i := strings.IndexByte(sym, '['); i >= 0 {
		sym = sym[:i]
	}
	slash := strings.LastIndexByte(sym, '/')
	dot := strings.IndexByte(sym[slash+1:], '.')
	if dot < 0 {
		return sym
	}
	return sym[:slash+1+dot]
}

// packageGroup folds an import path into the group the report shows:
// the standard library, each AWS SDK service, the rest of the SDK, each of
// annobridge's packages, and every other module.
func packageGroup(pkg string) string {
	const (
		sdk  = "github.com/aws/aws-sdk-go-v2"
		self = "github.com/annobridge/annobridge/"
	)
	parts := strings.Split(pkg, "/")
	switch {
	case pkg == "main":
		return "main"
	case strings.HasPrefix(pkg, "type:") || strings.HasPrefix(pkg, "go:"):
		return "(compiler-generated)"
	case !strings.Contains(parts[0], "."):
		return "standard library"
	case strings.HasPrefix(pkg, sdk+"/service/") && len(parts) >= 5:
		return strings.Join(parts[:5], "/")
	case pkg == sdk || strings.HasPrefix(pkg, sdk+"/"):
		return sdk + " (core, config, credentials, feature)"
	case strings.HasPrefix(pkg, self) && len(parts) >= 5:
		return strings.Join(parts[:5], "/")
	case len(parts) >= 3:
		return strings.Join(parts[:3], "/")
	}
	return pkg
}

// --- report ------------------------------------------------------------------

type reportInput struct {
	Targets                     []*target
	Runs                        int
	LoadBefore, LoadAfter       string
	CodeOf                      string // the function whose code is broken down
	FnCode, FloorCode, BareCode map[string]int64
	ReflectMethod               []string
	// ReflectBy names, for the package of each ReflectMethod caller, the
	// first packages outside the standard library that bring it in.
	ReflectBy map[string][]string
}

func renderReport(in reportInput) string {
	var b strings.Builder
	bare := in.Targets[0]
	bareInit, bareFirst := medianDur(bare.Samples, initOf), medianDur(bare.Samples, firstOf)
	fmt.Fprintf(&b, "## Cold start\n\n")
	fmt.Fprintf(&b, "Measured %s on %s/%s (%d CPUs, %s", time.Now().UTC().Format("2006-01-02 15:04 MST"),
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	if in.LoadBefore != "" {
		fmt.Fprintf(&b, ", load average %s before the timed starts and %s after", in.LoadBefore, in.LoadAfter)
	}
	fmt.Fprintf(&b, ") by `COLDSTART=1 go test -run TestColdStart ./internal/coldstart/`: %d timed starts of each binary "+
		"after one warm-up start, interleaved in a random order each round.\n\n", in.Runs)
	b.WriteString("Each function in `functions/` and a bare aws-lambda-go handler (`internal/coldstart/testdata/bare`: " +
		"`lambda.Start` with a handler that returns a 200 `APIGatewayV2HTTPResponse`) are built for this machine with the " +
		"Makefile's `LAMBDA_FLAGS` (`-tags lambda.norpc -trimpath -ldflags \"-s -w\"`, `CGO_ENABLED=0`) and started as " +
		"processes against a Lambda Runtime API stand-in on loopback. *Init* is exec → the runtime client's first " +
		"`GET /2018-06-01/runtime/invocation/next`; *first response* is exec → the first invocation's `POST .../response`; " +
		"*CPU* is the process's user + system time until it was killed right after. HTTP functions get " +
		"their `events/<function>-healthz.json` (the baselines membership's); the queue consumers get one SQS record of an unknown kind " +
		"(`internal/coldstart/testdata/sqs-noop.json`), refused without a network call. The environment is the Lambda " +
		"runtime's plus the template's variables for the function with local values: `CURSOR_SECRET` and `SHARE_LINK_KEY` " +
		"as values instead of the `*_ARN`s (which `app.New` would read from Secrets Manager at init, one round trip each), " +
		"no `JWKS_URL` (which `auth.NewJWKS` fetches at init), and DynamoDB and SQS endpoints on loopback to which no start " +
		"connected. The ratios are to the bare handler; the goals are ≤ 1.3× its first response and ≤ 2× its linux/arm64 " +
		"size (same flags). `sdkfloor` is a reference, not a goal: the bare handler plus a DynamoDB and an SQS client " +
		"holding the operations the store and the queues call. Medians; p90 is the nearest rank.\n\n")

	b.WriteString("| function | init median ms | init p90 ms | first response median ms | first response p90 ms | ratio to bare (init / first response) | CPU median ms | arm64 size MiB | size ratio | goals |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, tg := range in.Targets {
		initMed, firstMed := medianDur(tg.Samples, initOf), medianDur(tg.Samples, firstOf)
		timeRatio := firstMed / bareFirst
		sizeRatio := float64(tg.Size) / float64(bare.Size)
		name, goals := "`"+tg.Name+"`", "—"
		switch {
		case tg.Name == bareName:
			name = "bare aws-lambda-go handler"
		case !tg.Function:
			name, goals = "`"+tg.Name+"` (bare + DynamoDB and SQS clients)", "reference"
		default:
			var missed []string
			if timeRatio > goalTime {
				missed = append(missed, fmt.Sprintf("time %.2f× > %.1f×", timeRatio, goalTime))
			}
			if sizeRatio > goalSize {
				missed = append(missed, fmt.Sprintf("size %.2f× > %.0f×", sizeRatio, goalSize))
			}
			goals = "met"
			if len(missed) > 0 {
				goals = "**missed**: " + strings.Join(missed, ", ")
			}
		}
		fmt.Fprintf(&b, "| %s | %.1f | %.1f | %.1f | %.1f | %.2f× / %.2f× | %.1f | %.2f | %.2f× | %s |\n",
			name, initMed, p90Dur(tg.Samples, initOf), firstMed, p90Dur(tg.Samples, firstOf),
			initMed/bareInit, timeRatio, medianDur(tg.Samples, cpuOf), mib(tg.Size), sizeRatio, goals)
	}

	fmt.Fprintf(&b, "\n### Where init goes (GODEBUG=inittrace=1, median of %d traced starts)\n\n", tracedRuns)
	b.WriteString("*Package inits* is the sum of the package initializers' clock time as the runtime traces it; " +
		"*inits end* is when the last one finished, in ms since the runtime started; *main → first next* is the traced " +
		"start's exec → first `/next` minus that: about what `main` does before it asks for an event (for a function: " +
		"`config.FromEnv`, `app.New`, the router or the consumer, then the runtime client's first request). The trace " +
		"itself slows a start a little.\n\n")
	b.WriteString("| function | initializers | package inits ms | heap allocated in inits KiB | inits end @ ms | main → first next ≈ ms | costliest initializers (ms) |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|---|\n")
	var first *target
	for _, tg := range in.Targets {
		if first == nil && tg.Function {
			first = tg
		}
		s := summarizeInits(tg.Traces)
		var top []string
		for _, p := range s.Top[:min(4, len(s.Top))] {
			top = append(top, fmt.Sprintf("`%s` %.2f", p.Pkg, p.Clock))
		}
		fmt.Fprintf(&b, "| %s | %d | %.2f | %.0f | %.2f | %.2f | %s |\n", tg.Name, s.Count, s.ClockMS, s.HeapKB, s.EndMS, s.MainToNext, strings.Join(top, ", "))
	}
	if first != nil {
		s := summarizeInits(first.Traces)
		type group struct {
			name string
			ms   float64
		}
		var gs []group
		for n, v := range s.TopGroupsMS {
			gs = append(gs, group{n, v})
		}
		slices.SortFunc(gs, func(a, b group) int { return cmp.Or(cmp.Compare(b.ms, a.ms), strings.Compare(a.name, b.name)) })
		fmt.Fprintf(&b, "\nPackage init time of `%s` by package group (every function links the same packages through `internal/app`):\n\n", first.Name)
		b.WriteString("| package group | init ms | share |\n|---|--:|--:|\n")
		var rest float64
		for i, g := range gs {
			if i >= 12 {
				rest += g.ms
				continue
			}
			fmt.Fprintf(&b, "| `%s` | %.2f | %.0f%% |\n", g.name, g.ms, 100*g.ms/s.ClockMS)
		}
		if rest > 0 {
			fmt.Fprintf(&b, "| the other %d groups | %.2f | %.0f%% |\n", len(gs)-12, rest, 100*rest/s.ClockMS)
		}
	}

	fmt.Fprintf(&b, "\n### What the arm64 code is made of (`go tool nm -size`: text symbols, built without `-s -w`)\n\n")
	if len(in.ReflectMethod) > 0 {
		fmt.Fprintf(&b, "The linker keeps every exported method of the types it keeps in `%s` (all of each AWS SDK client's operations "+
			"and their serializers, not only those called) because its `-ldflags=-dumpdep` marks %s `<ReflectMethod>` "+
			"(a reachable `reflect.Value.Method`/`MethodByName` with a name not known at link time).\n\n",
			in.CodeOf, "`"+strings.Join(in.ReflectMethod, "`, `")+"`")
		for _, pkg := range slices.Sorted(maps.Keys(in.ReflectBy)) {
			if by := in.ReflectBy[pkg]; len(by) > 0 {
				fmt.Fprintf(&b, "`%s` comes in through %s.\n\n", pkg, "`"+strings.Join(by, "`, `")+"`")
			}
		}
	} else {
		fmt.Fprintf(&b, "No function the linker marks `<ReflectMethod>` is reachable in `%s`: unused methods are dropped.\n\n", in.CodeOf)
	}
	sum := func(m map[string]int64) (n int64) {
		for _, v := range m {
			n += v
		}
		return n
	}
	fnTotal := sum(in.FnCode)
	type group struct {
		name            string
		fn, floor, bare int64
	}
	byName := map[string]*group{}
	for _, src := range []struct {
		m   map[string]int64
		set func(*group, int64)
	}{
		{in.FnCode, func(g *group, v int64) { g.fn = v }},
		{in.FloorCode, func(g *group, v int64) { g.floor = v }},
		{in.BareCode, func(g *group, v int64) { g.bare = v }},
	} {
		for n, v := range src.m {
			if byName[n] == nil {
				byName[n] = &group{name: n}
			}
			src.set(byName[n], v)
		}
	}
	var gs []group
	for _, g := range byName {
		gs = append(gs, *g)
	}
	slices.SortFunc(gs, func(a, b group) int {
		return cmp.Or(cmp.Compare(b.fn, a.fn), cmp.Compare(b.floor, a.floor), strings.Compare(a.name, b.name))
	})
	fmt.Fprintf(&b, "| package group | `%s` code MiB | share | `%s` code MiB | bare handler code MiB |\n|---|--:|--:|--:|--:|\n", in.CodeOf, floorName)
	const shown = 16
	var rest group
	for i, g := range gs {
		if i >= shown {
			rest.fn, rest.floor, rest.bare = rest.fn+g.fn, rest.floor+g.floor, rest.bare+g.bare
			continue
		}
		fmt.Fprintf(&b, "| `%s` | %.2f | %.0f%% | %.2f | %.2f |\n", g.name, mib(g.fn), 100*float64(g.fn)/float64(fnTotal), mib(g.floor), mib(g.bare))
	}
	if len(gs) > shown {
		fmt.Fprintf(&b, "| the other %d groups | %.2f | %.0f%% | %.2f | %.2f |\n", len(gs)-shown, mib(rest.fn), 100*float64(rest.fn)/float64(fnTotal), mib(rest.floor), mib(rest.bare))
	}
	fmt.Fprintf(&b, "| **all code** | **%.2f** | 100%% | **%.2f** | **%.2f** |\n", mib(fnTotal), mib(sum(in.FloorCode)), mib(sum(in.BareCode)))
	b.WriteString("\nCode is a little under half of a stripped binary; the rest (type data, strings, and the pclntab that " +
		"`-s -w` keeps) grows with it.\n")
	return b.String()
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func initOf(s sample) time.Duration  { return s.Init }
func firstOf(s sample) time.Duration { return s.First }
func cpuOf(s sample) time.Duration   { return s.CPU }

func medianDur(ss []sample, f func(sample) time.Duration) float64 {
	return median(msOf(ss, f))
}

func p90Dur(ss []sample, f func(sample) time.Duration) float64 {
	return percentile(msOf(ss, f), 0.9)
}

func msOf(ss []sample, f func(sample) time.Duration) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = ms(f(s))
	}
	return out
}

// median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile of xs by the nearest-rank method.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(xs))
	rank := int(math.Ceil(p * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

func TestStats(t *testing.T) {
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median odd = %v", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median even = %v", got)
	}
	xs := make([]float64, 30)
	for i := range xs {
		xs[i] = float64(30 - i)
	}
	if got := percentile(xs, 0.9); got != 27 {
		t.Errorf("p90 of 1..30 = %v, want 27", got)
	}
	for sym, want := range map[string]string{
		"github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas.init.0":    "github.com/aws/aws-sdk-go-v2/service/dynamodb",
		"github.com/annobridge/annobridge/internal/httpapi.(*API).routes": "github.com/annobridge/annobridge/internal/httpapi",
		"net/http.(*conn).serve":                                   "standard library",
		"slices.SortFunc[go.shape.string]":                         "standard library",
		"github.com/aws/aws-sdk-go-v2/aws/retry.(*Standard).Retry": "github.com/aws/aws-sdk-go-v2 (core, config, credentials, feature)",
		"github.com/aws/smithy-go/middleware.(*Stack).Initialize":  "github.com/aws/smithy-go",
		"type:.eq.[2]interface {}":                                 "(compiler-generated)",
		"main.main":                                                "main",
	} {
		if got := packageGroup(symbolPackage(sym)); got != want {
			t.Errorf("group of %s = %q, want %q", sym, got, want)
		}
	}
	tr := parseInitTrace([]byte("init runtime @0.010 ms, 0.004 ms clock, 0 bytes, 0 allocs\n{\"level\":\"INFO\"}\ninit net/http @1.4 ms, 0.036 ms clock, 4712 bytes, 49 allocs\n"))
	if len(tr.Pkgs) != 2 || tr.Pkgs[1].Pkg != "net/http" || tr.Pkgs[1].At != 1.4 || tr.Pkgs[1].Bytes != 4712 {
		t.Errorf("parsed %+v", tr.Pkgs)
	}
}
