package main

import (
	"strings"
	"testing"
)

// The summary reads each part's figures and judges them against the goals;
// a part that is missing is said as not measured.
func TestGlance(t *testing.T) {
	load := "| run | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | req/s vs floor | p99 vs floor |\n" +
		"| Load A: GET permissions via the API | 29444 | 1471 | 12.87 | 18.18 | 24.80 | 41.85 | 0 | 0.70× | 1.16× |\n" +
		"| Load B: POST review approve via the API | 2494 | 123 | 160.66 | 201.47 | 223.12 | 257.18 | 0 | 0.92× | 1.40× |\n"
	handoff := "- Best consumer-alone rate: **210.5 crossings/s** with 4 invocations\n" +
		"- **DynamoDB Local is held to about one core**: At 8.4 ms of its CPU per crossing, one core is **119 crossings/s**; measured.\n" +
		"Over the limit of 1000 WCU/s per partition at the scale: table `X` (2000 WCU/s, ×2.0).\n\nNo key over 3000 RCU/s per partition at the scale.\n"
	cold := "| `accept` | 6.0 | 7.7 | 6.9 | 8.7 | 1.98× / 1.25× | 8.3 | 11.13 | 1.90× | ok |\n" +
		"| `sdkfloor` (bare + clients) | 4.7 | 5.6 | 5.5 | 6.3 | 1.55× / 1.46× | 6.7 | 7.69 | 2.38× | reference |\n"
	got := glance(load, handoff, cold, 0, true)
	for _, want := range []string{
		"| GET permissions: throughput ≥ 0.75× the floor's | 0.70× | **missed** |",
		"| GET permissions: p99 ≤ 1.3× the floor's | 1.16× | met |",
		"| Review transition: p99 ≤ 1.3× the floor's | 1.40× | **missed** |",
		"210.5 crossings/s", "8.4 ms of its CPU per crossing = 119/s | met |",
		"Over the limit of 1000 WCU/s", "| **missed** |\n| Cold start",
		"worst of 1 functions 1.25× | met |", "worst of 1 functions 1.90× | met |",
		"| Round trips: ≤ 2 for every single-entity request | 0 single-entity routes over | met |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if none := glance("", "", "", 0, false); strings.Count(none, "not measured in this run") != 6 {
		t.Errorf("a run with no parts:\n%s", none)
	}
}
