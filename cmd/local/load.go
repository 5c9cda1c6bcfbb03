package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/auth"
	"github.com/annobridge/annobridge/internal/config"
	"github.com/annobridge/annobridge/internal/ddbstore"
	"github.com/annobridge/annobridge/internal/devstack"
	"github.com/annobridge/annobridge/internal/httpapi"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

// load runs a bounded load against a fresh local stack and a server on a
// free loopback port: it seeds a project and fires a mix of requests,
// then prints throughput, latency percentiles and DynamoDB round trips per
// request. Traffic never leaves 127.0.0.1.
func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	total := fs.Int("n", 2000, "requests")
	workers := fs.Int("c", 8, "concurrent clients")
	limit := fs.Duration("d", 2*time.Minute, "stop after this long whatever -n says")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	stack, err := devstack.Start(ctx, devstack.Options{})
	if err != nil {
		return err
	}
	defer stack.Stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	a, err := app.New(ctx, stack.Config(map[string]string{"PUBLIC_BASE_URL": base}), quiet)
	if err != nil {
		return err
	}
	var trips, requests atomic.Int64
	meter := func(ctx context.Context) (context.Context, func() []slog.Attr) {
		ctx, m := ddbstore.WithMeter(ctx)
		return ctx, func() []slog.Attr {
			t, _, _ := m.Totals()
			trips.Add(int64(t))
			requests.Add(1)
			return nil
		}
	}
	router := httpapi.New(httpapi.Deps{Service: a.Service, Auth: a.Auth, Idempotency: a.Store, Page: a.Page, Meter: meter, Log: quiet},
		lambdafn.HTTP...)
	srv := &http.Server{Handler: router, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	token := func(email string) string {
		t, _ := auth.MintHS256(config.DefaultDevJWTSecret, config.DefaultJWTIssuer, config.DefaultJWTAudience,
			auth.Claims{Subject: auth.DevSubject(email), Email: email, Name: email}, time.Hour, time.Now())
		return t
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *workers}}
	do := func(method, path, tok string, body any) (int, map[string]any, error) {
		var rd io.Reader
		if body != nil {
			raw, _ := json.Marshal(body)
			rd = bytes.NewReader(raw)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out, nil
	}
	owner := token("load-owner@example.com")
	_, org, err := do("POST", "/orgs", owner, map[string]string{"name": "Load Org"})
	if err != nil {
		return err
	}
	_, proj, err := do("POST", fmt.Sprintf("/workspaces/%s/projects", org["defaultWorkspaceId"]), owner, map[string]string{"name": "Load"})
	if err != nil {
		return err
	}
	pid, _ := proj["id"].(string)
	if pid == "" {
		return errors.New("seeding failed")
	}
	var items []string
	for i := range 50 {
		_, it, err := do("POST", "/projects/"+pid+"/items", owner, map[string]string{"name": fmt.Sprintf("item-%d", i)})
		if err != nil {
			return err
		}
		items = append(items, it["id"].(string))
	}
	trips.Store(0)
	requests.Store(0)

	type result struct {
		op  string
		d   time.Duration
		bad bool
	}
	ops := []struct {
		name string
		run  func(i int) (int, error)
	}{
		{"GET permissions", func(int) (int, error) {
			s, _, err := do("GET", "/projects/"+pid+"/permissions", owner, nil)
			return s, err
		}},
		{"GET members", func(int) (int, error) {
			s, _, err := do("GET", "/projects/"+pid+"/members?limit=50", owner, nil)
			return s, err
		}},
		{"GET items", func(int) (int, error) {
			s, _, err := do("GET", "/projects/"+pid+"/items?status=in_progress", owner, nil)
			return s, err
		}},
		{"PUT annotation", func(i int) (int, error) {
			s, _, err := do("PUT", "/projects/"+pid+"/items/"+items[i%len(items)]+"/annotation", owner, map[string]any{"n": i})
			if s == http.StatusConflict {
				s = http.StatusOK // a concurrent save of the same item: expected under load
			}
			return s, err
		}},
	}
	results := make(chan result, *total)
	var next atomic.Int64
	deadline := time.Now().Add(*limit)
	start := time.Now()
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *total || time.Now().After(deadline) {
					return
				}
				op := ops[i%len(ops)]
				t0 := time.Now()
				status, err := op.run(i)
				results <- result{op: op.name, d: time.Since(t0), bad: err != nil || status >= 300}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(results)
	byOp := map[string][]time.Duration{}
	errs := map[string]int{}
	n := 0
	for r := range results {
		byOp[r.op] = append(byOp[r.op], r.d)
		if r.bad {
			errs[r.op]++
		}
		n++
	}
	fmt.Printf("load: %d requests, %d clients, %v, %.0f req/s, %.2f DynamoDB round trips per request\n",
		n, *workers, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), float64(trips.Load())/float64(max(1, requests.Load())))
	names := make([]string, 0, len(byOp))
	for k := range byOp {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		ds := byOp[k]
		slices.Sort(ds)
		pct := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
		fmt.Printf("  %-16s n=%-5d errors=%-3d p50=%-8v p95=%-8v p99=%v\n", k, len(ds), errs[k],
			pct(.50).Round(10*time.Microsecond), pct(.95).Round(10*time.Microsecond), pct(.99).Round(10*time.Microsecond))
	}
	if e := errs["GET permissions"] + errs["GET members"] + errs["GET items"] + errs["PUT annotation"]; e > 0 {
		return fmt.Errorf("%d requests failed", e)
	}
	return nil
}
