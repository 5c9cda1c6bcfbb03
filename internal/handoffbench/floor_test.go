package handoffbench

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The floor: what DynamoDB Local itself serves on this machine, with the
// app out of the way: a crossing-shaped transaction and a get sent straight
// from concurrent clients, with DynamoDB Local's CPU (in all, and its
// busiest thread) over each probe.

type floorResult struct {
	when        string // "before" or "after" the phases (the table grown)
	what        string
	clients     int
	perSec      float64
	cores       float64 // DynamoDB Local's CPU over the probe, in cores
	topThread   float64 // its busiest thread, in cores
	topName     string
	meanLatency time.Duration
	machine     float64 // every process's CPU, in cores
}

// threadCPU reads the CPU seconds of each thread of a process, by
// "tid name".
func threadCPU(pid int) map[string]float64 {
	out := map[string]float64{}
	dir := filepath.Join("/proc", strconv.Itoa(pid), "task")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return out
	}
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(raw)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closing < open {
			continue
		}
		f := strings.Fields(s[closing+1:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		out[e.Name()+" "+s[open+1:closing]] = (u + st) / 100
	}
	return out
}

// busiestThread is the thread that took the most CPU between two readings.
func busiestThread(before, after map[string]float64) (name string, seconds float64) {
	for k, v := range after {
		if d := v - before[k]; d > seconds {
			name, seconds = k, d
		}
	}
	return name, seconds
}

// probeFloor runs each probe for d at each client count.
func (w *world) probeFloor(t *testing.T, when string, d time.Duration, clients []int) []floorResult {
	t.Helper()
	ctx := context.Background()
	db, table := w.check.DB, stack.TableName
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	doc := &types.AttributeValueMemberB{Value: annotationDoc(w.p.AnnotationBytes)}
	item := func(pk, sk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"PK": s(pk), "SK": s(sk), "typ": s("probe"), "status": s("waiting_for_owner_review"),
			"GSI1PK": s("PROBE#ST"), "GSI1SK": s(sk), "GSI2PK": s("PROBE#ORG#ST"), "GSI2SK": s(sk), "annotation": doc}
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item("PROBE#get", "META")}); err != nil {
		t.Fatal(err)
	}
	var seq atomic.Int64
	probes := []struct {
		what string
		op   func(client int) error
	}{
		{"GetItem of a 2 KB item", func(int) error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{"PK": s("PROBE#get"), "SK": s("META")}})
			return err
		}},
		{"TransactWriteItems shaped as a crossing (item put with 2 index writes, event, audit, outbox, 2 counter ADDs)", func(client int) error {
			n := strconv.FormatInt(seq.Add(1), 10)
			small := func(pk string) types.TransactWriteItem {
				return types.TransactWriteItem{Put: &types.Put{TableName: &table, Item: map[string]types.AttributeValue{"PK": s(pk), "SK": s(n), "typ": s("probe")}}}
			}
			counter := func(pk string) types.TransactWriteItem {
				return types.TransactWriteItem{Update: &types.Update{TableName: &table, Key: map[string]types.AttributeValue{"PK": s(pk), "SK": s("DAY")},
					UpdateExpression: aws.String("ADD c :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}}}}
			}
			c := strconv.Itoa(client)
			_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: &table, Item: item("PROBE#items", "ITEM#"+n)}},
				small("PROBE#ev#" + n), small("PROBE#audit"), small("PROBE#outbox#" + c), counter("PROBE#stats#" + c), counter("PROBE#taskstats#" + c),
			}})
			return err
		}},
		{"TransactWriteItems of one Delete (an outbox row relayed)", func(int) error {
			n := strconv.FormatInt(seq.Add(1), 10)
			_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Delete: &types.Delete{TableName: &table, Key: map[string]types.AttributeValue{"PK": s("PROBE#outbox"), "SK": s(n)}}},
			}})
			return err
		}},
	}
	var out []floorResult
	pid := w.stackPIDs["dynamodb-local"]
	for _, p := range probes {
		for _, n := range clients {
			var done atomic.Int64
			var busy atomic.Int64
			var failed atomic.Value
			cpu0, th0 := w.cpuNow(), threadCPU(pid)
			start := time.Now()
			deadline := start.Add(d)
			var wg sync.WaitGroup
			for c := range n {
				wg.Go(func() {
					for time.Now().Before(deadline) {
						t0 := time.Now()
						if err := p.op(c); err != nil {
							failed.Store(err)
							return
						}
						busy.Add(int64(time.Since(t0)))
						done.Add(1)
					}
				})
			}
			wg.Wait()
			wall := time.Since(start).Seconds()
			if err, _ := failed.Load().(error); err != nil {
				t.Fatalf("floor probe %s: %v", p.what, err)
			}
			cpu1, th1 := w.cpuNow(), threadCPU(pid)
			name, top := busiestThread(th0, th1)
			r := floorResult{when: when, what: p.what, clients: n, perSec: float64(done.Load()) / wall,
				cores: (cpu1["dynamodb-local"] - cpu0["dynamodb-local"]) / wall, topThread: top / wall, topName: name,
				machine: (cpu1["machine"] - cpu0["machine"]) / wall}
			if k := done.Load(); k > 0 {
				r.meanLatency = time.Duration(busy.Load() / k)
			}
			t.Logf("floor %s: %s, %d clients: %.0f/s, DynamoDB Local %.2f cores (busiest thread %s %.2f)", when, p.what, n, r.perSec, r.cores, name, r.topThread)
			out = append(out, r)
		}
	}
	return out
}
