package costbench

import (
	"math"
	"strings"
	"testing"
)

// The pricing arithmetic, on round numbers: no stack needed.
func TestPriceScalesAndSums(t *testing.T) {
	o := Op{Name: "x", Unit: "things", Measured: 100, Target: 1000, RCU: 2e6, WCU: 1e6, HTTPRequests: 100, Mails: 10,
		Lambda: []Fn{{Function: "review", Invocations: 100, BilledMs: 100_000}},
		SQS:    []SQSCall{{Queue: "q.fifo", FIFO: true, Action: "SendMessage", Requests: 100, Chunks: 100}, {Queue: "m", Action: "SendMessage", Requests: 10, Chunks: 10}}}
	c := o.Price(map[string]int{"review": 512})
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	near("scale", c.Scale, 10)
	near("reads", c.DDBRead, 20e6*0.125e-6)
	near("writes", c.DDBWrite, 10e6*0.625e-6)
	near("GB-s", c.GBs, 100*0.5*10) // 100 s billed at 0.5 GB, ×10
	near("lambda duration", c.LambdaDur, 500*0.0000133334)
	near("lambda requests", c.LambdaReq, 1000*0.20e-6)
	near("http", c.HTTPCost, 1000*1e-6)
	near("fifo", c.SQSFIFOCost, 1000*0.50e-6)
	near("standard", c.SQSStdCost, 100*0.40e-6)
	near("ses", c.SESCost, 100*0.10e-3)
	near("total", c.Total, c.DDBRead+c.DDBWrite+c.LambdaDur+c.LambdaReq+c.HTTPCost+c.SQSFIFOCost+c.SQSStdCost+c.SESCost)
	out := Render(Run{When: "now", Host: "here", MemoryMB: map[string]int{"review": 512}, Ops: []Op{o}})
	for _, want := range []string{"$0.625 per million WRU", "scaled ×10", "2 units per KB", "**$"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
