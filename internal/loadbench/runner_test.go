package loadbench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// rawClient is a minimal HTTP/1.1 keep-alive client on one connection,
// so that the in-process load generator costs as little as wrk or hey
// would, runs in its own goroutine only (no transport goroutines), and is
// told apart in the profiles by its frames and its pprof label.
type rawClient struct {
	addr string
	conn net.Conn
	br   *bufio.Reader
	body []byte // the last response body
}

func (c *rawClient) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// do sends req (a complete HTTP/1.1 request) and reads the response; the
// body is kept in c.body.
func (c *rawClient) do(req []byte) (int, error) {
	if c.conn == nil {
		conn, err := net.Dial("tcp", c.addr)
		if err != nil {
			return 0, err
		}
		c.conn = conn
		if c.br == nil {
			c.br = bufio.NewReaderSize(conn, 16<<10)
		} else {
			c.br.Reset(conn)
		}
	}
	status, err := c.roundTrip(req)
	if err != nil {
		c.close()
	}
	return status, err
}

func (c *rawClient) roundTrip(req []byte) (int, error) {
	if _, err := c.conn.Write(req); err != nil {
		return 0, err
	}
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, closing := -1, false, false
	for {
		h, err := c.br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, _ := bytes.Cut(h, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case asciiEqualFold(name, "content-length"):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return 0, fmt.Errorf("bad content-length %q", value)
			}
		case asciiEqualFold(name, "transfer-encoding"):
			chunked = asciiEqualFold(value, "chunked")
		case asciiEqualFold(name, "connection"):
			closing = asciiEqualFold(value, "close")
		}
	}
	c.body = c.body[:0]
	switch {
	case chunked:
		for {
			l, err := c.br.ReadSlice('\n')
			if err != nil {
				return 0, err
			}
			size, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.SplitN(l, []byte(";"), 2)[0])), 16, 64)
			if err != nil {
				return 0, fmt.Errorf("bad chunk size %q", l)
			}
			if size == 0 {
				for { // trailers
					t, err := c.br.ReadSlice('\n')
					if err != nil {
						return 0, err
					}
					if len(bytes.TrimRight(t, "\r\n")) == 0 {
						break
					}
				}
				break
			}
			if err := c.readBody(int(size)); err != nil {
				return 0, err
			}
			if _, err := c.br.Discard(2); err != nil {
				return 0, err
			}
		}
	case length >= 0:
		if err := c.readBody(length); err != nil {
			return 0, err
		}
	default:
		return 0, errors.New("response without length")
	}
	if closing {
		c.close()
	}
	return status, nil
}

func (c *rawClient) readBody(n int) error {
	start := len(c.body)
	c.body = slices.Grow(c.body, n)[:start+n]
	_, err := io.ReadFull(c.br, c.body[start:])
	return err
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// request renders an HTTP/1.1 request.
func request(dst []byte, method, host, path, token string, body []byte) []byte {
	dst = append(dst, method...)
	dst = append(dst, ' ')
	dst = append(dst, path...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, host...)
	dst = append(dst, "\r\nUser-Agent: loadbench\r\n"...)
	if token != "" {
		dst = append(dst, "Authorization: Bearer "...)
		dst = append(dst, token...)
		dst = append(dst, "\r\n"...)
	}
	if body != nil {
		dst = append(dst, "Content-Type: application/json\r\nContent-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(body)), 10)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "\r\n"...)
	return append(dst, body...)
}

// worker is one load goroutine's state.
type worker struct {
	id     int
	client *rawClient // for HTTP runs
	buf    []byte
}

// op is one request of a load: nil error for a success. errStop ends the
// worker (its pool of prepared items is used up).
type op func(ctx context.Context, w *worker) error

var errStop = errors.New("stop")

// loadResult is what one run measured.
type loadResult struct {
	n, errors int
	firstErr  string
	elapsed   time.Duration
	lat       []time.Duration // sorted
	stopped   bool            // a worker ran out of prepared items
}

func (r loadResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.n) / r.elapsed.Seconds()
}

func (r loadResult) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(p * float64(len(r.lat)))
	return r.lat[min(i, len(r.lat)-1)]
}

// runLoad runs clients goroutines calling do back to back for d, each
// under the pprof label side=label (their child goroutines inherit it).
func runLoad(clients int, d time.Duration, label string, mk func(i int) *worker, do op) loadResult {
	type part struct {
		lat      []time.Duration
		errs     int
		firstErr error
		stopped  bool
	}
	parts := make([]part, clients)
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	startGate := make(chan struct{})
	var deadline atomic.Int64
	ready.Add(clients)
	for i := range clients {
		wg.Add(1)
		go pprof.Do(context.Background(), pprof.Labels(labelSide, label), func(ctx context.Context) {
			defer wg.Done()
			w := mk(i)
			if w.client != nil {
				defer w.client.close()
			}
			p := &parts[i]
			p.lat = make([]time.Duration, 0, 1<<14)
			ready.Done()
			<-startGate
			end := time.Unix(0, deadline.Load())
			for {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				err := do(ctx, w)
				if errors.Is(err, errStop) {
					p.stopped = true
					return
				}
				p.lat = append(p.lat, time.Since(t0))
				if err != nil {
					p.errs++
					if p.firstErr == nil {
						p.firstErr = err
					}
				}
			}
		})
	}
	ready.Wait()
	start := time.Now()
	deadline.Store(start.Add(d).UnixNano())
	close(startGate)
	wg.Wait()
	res := loadResult{elapsed: time.Since(start)}
	for _, p := range parts {
		res.lat = append(res.lat, p.lat...)
		res.errors += p.errs
		if p.firstErr != nil && res.firstErr == "" {
			res.firstErr = p.firstErr.Error()
		}
		res.stopped = res.stopped || p.stopped
	}
	res.n = len(res.lat)
	slices.Sort(res.lat)
	return res
}
