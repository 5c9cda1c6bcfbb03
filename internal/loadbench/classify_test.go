package loadbench

// Attribution of profile samples to the categories of the report.
//
// A sample goes to the innermost frame of its stack that belongs to a
// category ("owner" attribution): the CPU (or the bytes) a frame spends in
// generic code it calls (runtime, malloc and GC assists, syscalls, sync,
// strings, crypto, bufio, reflect ...) is charged to it. So JSON encoding
// called by a handler is "JSON", the SHA-256 that signing computes is
// "SDK signing", and a write syscall of the SDK's connection is "HTTP
// client transport". Two kinds of frames are weak:
//
//   - encoding/json counts as the app's JSON only when no SDK, JWT or
//     logging frame calls it (the SDK's awsjson codec and golang-jwt decode
//     with encoding/json; that is their cost);
//   - net/http frames both sides share (headers, transfer readers) decide
//     nothing: the goroutine's root does (the server's conn.serve or the
//     client's persistConn loops).
//
// Samples with no owner at all are background GC, the scheduler and other
// runtime work.

import (
	"sort"
	"strings"
)

// Categories, in report order.
const (
	catRouting    = "routing (net/http ServeMux)"
	catHTTPServer = "HTTP server (net/http conn: read request, write response, syscalls)"
	catAppHTTP    = "app HTTP layer (internal/httpapi, internal/app: middleware, handlers, meter)"
	catJWT        = "JWT verification (internal/auth, golang-jwt)"
	catJSON       = "JSON encode/decode (encoding/json, app's own)"
	catLogging    = "logging (log/slog)"
	catDomain     = "domain (internal/collab, internal/ddbstore)"
	catMarshal    = "SDK marshalling (attributevalue, smithy awsjson serde)"
	catSigning    = "SDK signing (aws/signer/v4)"
	catSDKMW      = "SDK middleware (retry, endpoint, user agent, checksum, metrics)"
	catTransport  = "HTTP client transport (SDK to DynamoDB Local)"
	catDriver     = "bench driver (floor loop)"
	catGC         = "GC (background workers)"
	catRuntime    = "runtime (scheduler, netpoll, timers)"
	catProfiler   = "profiler (runtime/pprof, the harness's own)"
	catOther      = "other"
	catClient     = "load client (bench, excluded from the API's cost)"
)

var categories = []string{catRouting, catHTTPServer, catAppHTTP, catJWT, catJSON, catLogging, catDomain,
	catMarshal, catSigning, catSDKMW, catTransport, catDriver, catGC, catRuntime, catProfiler, catOther}

// Sides, from the pprof label "side" the load goroutines carry (child
// goroutines inherit it, so the load client's connections are its own).
const (
	labelSide  = "side"
	sideClient = "client" // the load generator of an HTTP run
	sideFloor  = "floor"  // the goroutines calling DynamoDB directly
)

const (
	generic = iota
	weak
	strong
)

// frameCategory classifies one function name.
func frameCategory(fn string) (string, int) {
	has := func(prefixes ...string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(fn, p) {
				return true
			}
		}
		return false
	}
	const mod = "github.com/annobridge/annobridge/internal/"
	switch {
	case has(mod + "loadbench."):
		return catDriver, strong
	case has(mod+"auth.", "github.com/golang-jwt/"):
		return catJWT, strong
	case has(mod+"httpapi.", mod+"app."):
		return catAppHTTP, strong
	case has(mod+"collab.", mod+"ddbstore."):
		return catDomain, strong
	case has("log/slog."):
		return catLogging, strong
	case has("encoding/json."):
		return catJSON, weak
	case has("github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue."):
		return catMarshal, strong
	case has("github.com/aws/aws-sdk-go-v2/aws/signer/", "github.com/aws/aws-sdk-go-v2/internal/v4a."):
		return catSigning, strong
	case has("github.com/aws/smithy-go/transport/http/protocol/", "github.com/aws/smithy-go/internal/serde.",
		"github.com/aws/smithy-go/encoding/", "github.com/aws/smithy-go/document",
		"github.com/aws/aws-sdk-go-v2/service/dynamodb/types.", "github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas.",
		"github.com/aws/smithy-go.", "github.com/aws/smithy-go/traits."):
		return catMarshal, strong
	case has("github.com/aws/aws-sdk-go-v2/service/dynamodb."):
		if strings.Contains(fn, "erialize") {
			return catMarshal, strong
		}
		return catSDKMW, strong
	case has("github.com/aws/aws-sdk-go-v2/aws/transport/http."):
		if strings.Contains(fn, "BuildableClient") {
			return catTransport, strong
		}
		return catSDKMW, strong
	case has("github.com/aws/smithy-go/transport/http."):
		if strings.Contains(fn, "ClientHandler") || strings.Contains(fn, "(*Request).Build") {
			return catTransport, strong
		}
		return catSDKMW, strong
	case has("github.com/aws/smithy-go/", "github.com/aws/aws-sdk-go-v2/"):
		return catSDKMW, strong
	case has("net/http."):
		return netHTTPCategory(strings.TrimPrefix(fn, "net/http."))
	}
	return "", generic
}

func netHTTPCategory(fn string) (string, int) {
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.HasPrefix(fn, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("(*ServeMux)", "(*routingNode)", "(*routingIndex)", "(*pattern)", "parsePattern", "(*mapping[", "cleanPath", "stripHostPort"):
		return catRouting, strong
	case has("(*Transport)", "(*persistConn)", "persistConnWriter", "(*Client)", "send", "setRequestCancel", "ReadResponse",
		"(*Request).write", "(*transferWriter)", "(*bodyEOFSignal)", "(*wantConn)", "(*gzipReader)", "(*connectMethod",
		"(*cancelTimerBody)", "(*readTrackingBody)", "(*http2"):
		return catTransport, strong
	case has("(*conn)", "(*response)", "(*chunkWriter)", "(*connReader)", "(*Server)", "serverHandler", "readRequest",
		"(*expectContinueReader)", "checkConnErrorWriter", "(*onceCloseListener)"):
		return catHTTPServer, strong
	}
	return "", generic
}

// sdkOrOwnerOfJSON are the categories whose use of encoding/json is their
// own cost, not the app's JSON.
var sdkOrOwnerOfJSON = map[string]bool{catMarshal: true, catSigning: true, catSDKMW: true, catTransport: true, catJWT: true, catLogging: true}

// classify returns the category of a stack (leaf first).
func classify(frames []string) string {
	c, _ := classifyOwner(frames)
	return c
}

// classifyOwner returns the category of a stack and the frame that
// decided it (the leaf when none did).
func classifyOwner(frames []string) (string, string) {
	weakCat, weakFrame := "", ""
	for _, f := range frames {
		c, s := frameCategory(f)
		switch s {
		case weak:
			if weakCat == "" {
				weakCat, weakFrame = c, f
			}
		case strong:
			if weakCat != "" && !sdkOrOwnerOfJSON[c] {
				return weakCat, weakFrame
			}
			return c, f
		}
	}
	if weakCat != "" {
		return weakCat, weakFrame
	}
	leaf := ""
	if len(frames) > 0 {
		leaf = frames[0]
	}
	for _, f := range frames {
		if strings.HasPrefix(f, "runtime/pprof.") {
			return catProfiler, f
		}
	}
	for _, f := range frames {
		if isGCFrame(f) && !strings.HasPrefix(f, "runtime.gcAssistAlloc") && !strings.HasPrefix(f, "runtime.mallocgc") {
			return catGC, leaf
		}
	}
	for _, f := range frames {
		if strings.HasPrefix(f, "runtime.") || strings.HasPrefix(f, "internal/runtime/") {
			return catRuntime, leaf
		}
	}
	return catOther, leaf
}

func isGCFrame(f string) bool {
	for _, p := range []string{"runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge", "runtime.gcAssistAlloc",
		"runtime.gcStart", "runtime.gcMarkDone", "runtime.gcMarkTermination", "runtime.forEachP", "runtime.gcDrain"} {
		if strings.HasPrefix(f, p) {
			return true
		}
	}
	return false
}

// Cross-cutting shares, counted on whole stacks (a sample may be in
// several): memory allocation, GC (background and assists) and syscalls.
const (
	crossMalloc  = "in malloc (runtime.mallocgc)"
	crossGC      = "in GC (background marking, sweeping, assists)"
	crossSyscall = "in syscalls and futex/epoll"
)

var crossCuts = []string{crossMalloc, crossGC, crossSyscall}

func crossCutsOf(frames []string) []string {
	var out []string
	malloc, gc, sys := false, false, false
	for _, f := range frames {
		switch {
		case strings.HasPrefix(f, "runtime.mallocgc"):
			malloc = true
		case isGCFrame(f):
			gc = true
		case strings.HasPrefix(f, "syscall.") || strings.HasPrefix(f, "internal/runtime/syscall.") ||
			strings.HasPrefix(f, "runtime.futex") || strings.HasPrefix(f, "runtime.netpoll") || strings.HasPrefix(f, "runtime.epollwait"):
			sys = true
		}
	}
	if malloc {
		out = append(out, crossMalloc)
	}
	if gc {
		out = append(out, crossGC)
	}
	if sys {
		out = append(out, crossSyscall)
	}
	return out
}

// attribution is a profile split by side and category.
type attribution struct {
	bySide  map[string]map[string]int64 // side ("" for the unlabeled) -> category -> value
	cross   map[string]map[string]int64 // side -> cross cut -> value
	leaf    map[string]map[string]int64 // side -> leaf function -> value (flat)
	owner   map[string]map[string]int64 // side -> owner frame (classifyOwner) -> value
	cum     map[string]map[string]int64 // side -> function -> value of the samples it is on (cumulative)
	total   map[string]int64            // side -> value
	samples int
}

// sideOf names a sample's side: the client's work, or the system under
// test (everything else: the API or the floor, with unlabeled background
// work such as GC).
func sideOf(s profSample) string {
	if s.labels[labelSide] == sideClient {
		return sideClient
	}
	return "sut"
}

// attribute splits samples' values (index vi) by side and category.
func attribute(samples []profSample, vi int) attribution {
	a := attribution{bySide: map[string]map[string]int64{}, cross: map[string]map[string]int64{},
		leaf: map[string]map[string]int64{}, owner: map[string]map[string]int64{}, cum: map[string]map[string]int64{},
		total: map[string]int64{}}
	for _, s := range samples {
		if vi >= len(s.values) || s.values[vi] == 0 {
			continue
		}
		v := s.values[vi]
		side := sideOf(s)
		cat, owner := catClient, ""
		if side != sideClient {
			cat, owner = classifyOwner(s.frames)
		}
		add(a.bySide, side, cat, v)
		add(a.owner, side, owner, v)
		seen := map[string]bool{}
		for _, f := range s.frames {
			if !seen[f] {
				seen[f] = true
				add(a.cum, side, f, v)
			}
		}
		for _, c := range crossCutsOf(s.frames) {
			add(a.cross, side, c, v)
		}
		if len(s.frames) > 0 {
			add(a.leaf, side, s.frames[0], v)
		}
		a.total[side] += v
		a.samples++
	}
	return a
}

func add(m map[string]map[string]int64, k1, k2 string, v int64) {
	if m[k1] == nil {
		m[k1] = map[string]int64{}
	}
	m[k1][k2] += v
}

// topN returns the n largest entries of m.
func topN(m map[string]int64, n int) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].v != out[j].v {
			return out[i].v > out[j].v
		}
		return out[i].k < out[j].k
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

type kv struct {
	k string
	v int64
}

// diffSamples subtracts the samples of before from after by stack (for
// the cumulative allocation profile: what a run allocated). The runtime
// keeps one record per stack and allocation size, so samples are summed
// by stack on both sides first.
func diffSamples(before, after *profile) []profSample {
	sum := func(p *profile) (map[string]*profSample, []string) {
		m := map[string]*profSample{}
		var order []string
		for _, s := range p.samples {
			k := s.stackKey()
			if acc, ok := m[k]; ok {
				for i := range acc.values {
					if i < len(s.values) {
						acc.values[i] += s.values[i]
					}
				}
				continue
			}
			c := s
			c.values = append([]int64(nil), s.values...)
			m[k] = &c
			order = append(order, k)
		}
		return m, order
	}
	prev, _ := sum(before)
	cur, order := sum(after)
	out := make([]profSample, 0, len(order))
	for _, k := range order {
		d := *cur[k]
		if p, ok := prev[k]; ok {
			for i := range d.values {
				if i < len(p.values) {
					d.values[i] = max(0, d.values[i]-p.values[i])
				}
			}
		}
		out = append(out, d)
	}
	return out
}
