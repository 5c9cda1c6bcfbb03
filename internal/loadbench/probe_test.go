package loadbench

// The SDK probe: middleware installed on every DynamoDB client of the run
// (the API's, through config.Config.APIOptions, and the floor's, built
// from the same configuration) that counts calls per operation and new
// TCP connections, and captures one call's exact input, request and
// response when armed.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// capturedCall is one DynamoDB call as the SDK sent it.
type capturedCall struct {
	op          string
	input       any
	reqHeader   http.Header
	reqBody     []byte
	status      int
	respHeader  http.Header
	respBody    []byte
	connReused  bool
	connWasIdle bool
}

type probe struct {
	mu       sync.Mutex
	calls    map[string]*atomic.Int64
	newConns atomic.Int64
	gotConns atomic.Int64
	attempts atomic.Int64
	// failed counts attempts DynamoDB answered with an error, by error
	// type (retried by the SDK or not).
	failedMu sync.Mutex
	failed   map[string]int64
	armed    atomic.Pointer[captureSlot]
	trace    *httptrace.ClientTrace
	// override, when on, sends every call through client instead of the
	// client's own HTTP client (a variant of the API's configuration
	// without changing the app).
	override atomic.Bool
	// lat collects each call's duration as the SDK's caller sees it
	// (retries included).
	lat    latencies
	client interface {
		Do(*http.Request) (*http.Response, error)
	}
}

// captureSlot takes the calls of one armed window, the first of each
// operation.
type captureSlot struct {
	mu    sync.Mutex
	calls map[string]*capturedCall
}

type captureKey struct{}

func newProbe() *probe {
	p := &probe{calls: map[string]*atomic.Int64{}, failed: map[string]int64{}}
	p.trace = &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		p.gotConns.Add(1)
		if !info.Reused {
			p.newConns.Add(1)
		}
	}}
	return p
}

func (p *probe) counter(op string) *atomic.Int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.calls[op]
	if !ok {
		c = &atomic.Int64{}
		p.calls[op] = c
	}
	return c
}

// snapshot reads the counters.
func (p *probe) snapshot() probeCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := probeCounts{calls: map[string]int64{}, newConns: p.newConns.Load(), gotConns: p.gotConns.Load(),
		attempts: p.attempts.Load(), failed: map[string]int64{}}
	for k, v := range p.calls {
		s.calls[k] = v.Load()
	}
	p.failedMu.Lock()
	for k, v := range p.failed {
		s.failed[k] = v
	}
	p.failedMu.Unlock()
	return s
}

type probeCounts struct {
	calls                        map[string]int64
	newConns, gotConns, attempts int64
	failed                       map[string]int64
}

func (a probeCounts) sub(b probeCounts) probeCounts {
	d := probeCounts{calls: map[string]int64{}, newConns: a.newConns - b.newConns, gotConns: a.gotConns - b.gotConns,
		attempts: a.attempts - b.attempts, failed: map[string]int64{}}
	for k, v := range a.calls {
		if x := v - b.calls[k]; x != 0 {
			d.calls[k] = x
		}
	}
	for k, v := range a.failed {
		if x := v - b.failed[k]; x != 0 {
			d.failed[k] = x
		}
	}
	return d
}

func (a probeCounts) add(b probeCounts) probeCounts {
	d := probeCounts{calls: map[string]int64{}, newConns: a.newConns + b.newConns, gotConns: a.gotConns + b.gotConns,
		attempts: a.attempts + b.attempts, failed: map[string]int64{}}
	for _, m := range []probeCounts{a, b} {
		for k, v := range m.calls {
			d.calls[k] += v
		}
		for k, v := range m.failed {
			d.failed[k] += v
		}
	}
	return d
}

func (a probeCounts) total() int64 {
	var n int64
	for _, v := range a.calls {
		n += v
	}
	return n
}

func (a probeCounts) String() string {
	var parts []string
	for k, v := range a.calls {
		parts = append(parts, k+" "+itoa(v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// arm captures the first call of each operation until disarm.
func (p *probe) arm() *captureSlot {
	s := &captureSlot{calls: map[string]*capturedCall{}}
	p.armed.Store(s)
	return s
}

func (p *probe) disarm() { p.armed.Store(nil) }

// apiOption installs the probe on a client's stack.
func (p *probe) apiOption(stack *middleware.Stack) error {
	if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("loadbenchCount",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			op := awsmiddleware.GetOperationName(ctx)
			p.counter(op).Add(1)
			t0 := time.Now()
			defer func() { p.lat.add(time.Since(t0)) }()
			ctx = httptrace.WithClientTrace(ctx, p.trace)
			if slot := p.armed.Load(); slot != nil {
				slot.mu.Lock()
				if _, taken := slot.calls[op]; !taken {
					c := &capturedCall{op: op, input: in.Parameters}
					slot.calls[op] = c
					ctx = context.WithValue(ctx, captureKey{}, c)
					ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
						c.connReused, c.connWasIdle = info.Reused, info.WasIdle
					}})
				}
				slot.mu.Unlock()
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before); err != nil {
		return err
	}
	// Last of finalize: after signing, just before the transport.
	if err := stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("loadbenchCaptureRequest",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if c, ok := ctx.Value(captureKey{}).(*capturedCall); ok {
				if req, ok := in.Request.(*smithyhttp.Request); ok {
					c.reqHeader = req.Header.Clone()
					if s := req.GetStream(); s != nil {
						c.reqBody, _ = io.ReadAll(s)
						_ = req.RewindStream()
					}
				}
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After); err != nil {
		return err
	}
	// Innermost deserialize: the raw response.
	if err := stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("loadbenchCaptureResponse",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if c, ok := ctx.Value(captureKey{}).(*capturedCall); ok {
				if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp != nil {
					c.status = resp.StatusCode
					c.respHeader = resp.Header.Clone()
					if resp.Body != nil {
						body, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						c.respBody = body
						resp.Body = io.NopCloser(bytes.NewReader(body))
					}
				}
			}
			return out, md, err
		}), middleware.After); err != nil {
		return err
	}
	// Innermost of all: the transport override.
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("loadbenchTransport",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			p.attempts.Add(1)
			req, ok := in.Request.(*smithyhttp.Request)
			if !p.override.Load() || !ok || p.client == nil {
				out, md, err := next.HandleDeserialize(ctx, in)
				p.noteFailure(out, err)
				return out, md, err
			}
			built := req.Build(ctx)
			resp, err := p.client.Do(built)
			if built.Body != nil {
				_ = built.Body.Close()
			}
			if resp == nil {
				resp = &http.Response{Header: http.Header{}, Body: http.NoBody}
			}
			if err != nil {
				err = &smithyhttp.RequestSendError{Err: err}
			}
			out := middleware.DeserializeOutput{RawResponse: &smithyhttp.Response{Response: resp}}
			p.noteFailure(out, err)
			return out, middleware.Metadata{}, err
		}), middleware.After)
}

// noteFailure counts an attempt DynamoDB refused, by its error type
// (the x-amzn-ErrorType header DynamoDB Local sets, else the status).
func (p *probe) noteFailure(out middleware.DeserializeOutput, err error) {
	kind := ""
	if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp != nil && resp.StatusCode >= 300 {
		kind = resp.Header.Get("X-Amzn-Errortype")
		if i := strings.LastIndexByte(kind, '#'); i >= 0 {
			kind = kind[i+1:]
		}
		if kind == "" {
			kind = "HTTP " + itoa(int64(resp.StatusCode))
		}
	} else if err != nil {
		kind = "transport error"
	}
	if kind == "" {
		return
	}
	p.failedMu.Lock()
	p.failed[kind]++
	p.failedMu.Unlock()
}

// latencies collects durations from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// take returns the durations collected since the last take, sorted.
func (l *latencies) take() []time.Duration {
	l.mu.Lock()
	d := l.d
	l.d = nil
	l.mu.Unlock()
	slices.Sort(d)
	return d
}

func pctOf(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(int(p*float64(len(d))), len(d)-1)]
}

func (s *captureSlot) get(op string) *capturedCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}
