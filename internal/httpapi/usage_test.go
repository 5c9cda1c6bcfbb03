package httpapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
)

// usage is what one request cost DynamoDB, from its request log line.
type usage struct {
	trips    int
	rcu, wcu float64
}

// usageLog is the test server's log handler: errors go to next (stderr),
// and each request line's DynamoDB round trips and capacity are kept by
// request id, for the route table of docs/benchmarks.md.
type usageLog struct {
	next  slog.Handler
	attrs []slog.Attr
	seen  *usageBook
}

type usageBook struct {
	mu   sync.Mutex
	byID map[string]usage
}

var usages = &usageBook{byID: map[string]usage{}}

// usageOf is the DynamoDB usage of the request with that id.
func usageOf(requestID string) (usage, bool) {
	usages.mu.Lock()
	defer usages.mu.Unlock()
	u, ok := usages.byID[requestID]
	return u, ok
}

func (h usageLog) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo
}

func (h usageLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "request" {
		var id string
		var u usage
		read := func(a slog.Attr) bool {
			switch a.Key {
			case "requestId":
				id = a.Value.String()
			case "ddbRoundTrips":
				u.trips = int(a.Value.Int64())
			case "rcu":
				u.rcu = a.Value.Float64()
			case "wcu":
				u.wcu = a.Value.Float64()
			}
			return true
		}
		for _, a := range h.attrs {
			read(a)
		}
		r.Attrs(read)
		if id != "" {
			h.seen.mu.Lock()
			h.seen.byID[id] = u
			h.seen.mu.Unlock()
		}
	}
	if r.Level >= slog.LevelError {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h usageLog) WithAttrs(as []slog.Attr) slog.Handler {
	return usageLog{next: h.next.WithAttrs(as), attrs: append(append([]slog.Attr{}, h.attrs...), as...), seen: h.seen}
}

func (h usageLog) WithGroup(name string) slog.Handler {
	return usageLog{next: h.next.WithGroup(name), attrs: h.attrs, seen: h.seen}
}

// routeUsage collects, per route, the most a successful call cost.
type routeUsage struct {
	mu   sync.Mutex
	rows map[string]usage
}

func (ru *routeUsage) add(pattern string, u usage) {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	if ru.rows == nil {
		ru.rows = map[string]usage{}
	}
	prev := ru.rows[pattern]
	ru.rows[pattern] = usage{trips: max(prev.trips, u.trips), rcu: max(prev.rcu, u.rcu), wcu: max(prev.wcu, u.wcu)}
}

// markdown renders the table: route, round trips, RCU, WCU.
func (ru *routeUsage) markdown() string {
	var b strings.Builder
	b.WriteString("| Route | Round trips | RCU | WCU |\n|---|---:|---:|---:|\n")
	keys := make([]string, 0, len(ru.rows))
	for k := range ru.rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		u := ru.rows[k]
		fmt.Fprintf(&b, "| `%s` | %d | %.1f | %.1f |\n", k, u.trips, u.rcu, u.wcu)
	}
	return b.String()
}

// writeUsage writes the table to $ROUNDTRIPS_OUT when it is set.
func (ru *routeUsage) writeUsage() error {
	out := os.Getenv("ROUNDTRIPS_OUT")
	if out == "" {
		return nil
	}
	return os.WriteFile(out, []byte(ru.markdown()), 0o644)
}
