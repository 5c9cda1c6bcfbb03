package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The goals (issue 15), against which the summary reads the run.
const (
	goalThroughput = 0.75 // GET permissions: at least this share of the floor's throughput
	goalP99        = 1.3  // GET permissions and a review transition: p99 at most this multiple of the floor's
	goalCrossings  = 200  // crossings a second
	goalColdStart  = 1.3  // first response, × the bare handler
	goalSize       = 2.0  // arm64 binary, × the bare handler's
)

// cells splits a markdown table row into its trimmed cells.
func cells(row string) []string {
	parts := strings.Split(strings.Trim(strings.TrimSpace(row), "|"), "|")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

// rowOf is the first table row of text whose first cell starts with name.
func rowOf(text, name string) []string {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "| ") {
			if c := cells(line); len(c) > 0 && strings.HasPrefix(c[0], name) {
				return c
			}
		}
	}
	return nil
}

// ratio reads "1.16×" as 1.16.
func ratio(cell string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(cell), "×"), 64)
	return v, err == nil
}

var (
	reBestCrossings = regexp.MustCompile(`Best consumer-alone rate: \*\*([0-9.]+) crossings/s\*\*`)
	reBound         = regexp.MustCompile(`At ([0-9.]+) ms of its CPU per crossing, one core is \*\*([0-9.]+) crossings/s\*\*`)
	reKeyVerdict    = regexp.MustCompile(`(?m)^(No key over [^\n]*|Over the limit of [^\n]*)$`)
	reDoubleBilled  = regexp.MustCompile(`(?m)^Also over if DynamoDB bills [^\n]*$`)
)

// verdict says whether a figure meets its goal.
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// glance is the summary of the run against the goals, read from
// the parts; a figure a part does not have is said as not measured.
func glance(load, handoff, coldstart string, overBudget int, haveRoundTrips bool) string {
	var b strings.Builder
	b.WriteString("## At a glance\n\nThe goals of issue 15 against this run's figures (each from its section below).\n\n| Goal | This run | Verdict |\n|---|---|---|\n")
	row := func(goal, got, v string) { fmt.Fprintf(&b, "| %s | %s | %s |\n", goal, got, v) }
	notMeasured := func(goal string) { row(goal, "not measured in this run", "—") }

	if a := rowOf(load, "Load A:"); len(a) >= 2 {
		tp, ok1 := ratio(a[len(a)-2])
		p99, ok2 := ratio(a[len(a)-1])
		if ok1 && ok2 {
			row(fmt.Sprintf("GET permissions: throughput ≥ %.2f× the floor's", goalThroughput), fmt.Sprintf("%.2f×", tp), verdict(tp >= goalThroughput))
			row(fmt.Sprintf("GET permissions: p99 ≤ %.1f× the floor's", goalP99), fmt.Sprintf("%.2f×", p99), verdict(p99 <= goalP99))
		}
	} else {
		notMeasured("GET permissions against the floor")
	}
	if r := rowOf(load, "Load B:"); len(r) >= 1 {
		if p99, ok := ratio(r[len(r)-1]); ok {
			row(fmt.Sprintf("Review transition: p99 ≤ %.1f× the floor's", goalP99), fmt.Sprintf("%.2f×", p99), verdict(p99 <= goalP99))
		}
	} else {
		notMeasured("Review transition against the floor")
	}

	if m := reBestCrossings.FindStringSubmatch(handoff); m != nil {
		got := m[1] + " crossings/s, the consumer alone, none lost or doubled (checked by every run)"
		if bound := reBound.FindStringSubmatch(handoff); bound != nil {
			got += fmt.Sprintf("; bound: DynamoDB Local's one core, %s ms of its CPU per crossing = %s/s", bound[1], bound[2])
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		row(fmt.Sprintf("Handoff: ≥ %d crossings/s", goalCrossings), got, verdict(v >= goalCrossings))
	} else {
		notMeasured("Handoff throughput")
	}
	if ks := reKeyVerdict.FindAllString(handoff, 2); len(ks) > 0 {
		over := false
		for _, k := range ks {
			over = over || strings.HasPrefix(k, "Over")
		}
		got := strings.Join(ks, " ")
		if d := reDoubleBilled.FindString(handoff); d != "" {
			got += " (" + d + ")"
		}
		row("Hot keys at the issue's scale: every key within 1,000 WCU/s and 3,000 RCU/s", got, verdict(!over))
	} else {
		notMeasured("Hot keys")
	}

	worstTime, worstSize, fn := 0.0, 0.0, 0
	for _, line := range strings.Split(coldstart, "\n") {
		c := cells(line)
		if !strings.HasPrefix(line, "| `") || len(c) < 9 || strings.Contains(c[0], "sdkfloor") {
			continue
		}
		_, first, _ := strings.Cut(c[5], "/")
		if t, ok := ratio(first); ok {
			worstTime = max(worstTime, t)
		}
		if s, ok := ratio(c[8]); ok {
			worstSize = max(worstSize, s)
		}
		fn++
	}
	if fn > 0 {
		row(fmt.Sprintf("Cold start: first response ≤ %.1f× a bare handler's", goalColdStart), fmt.Sprintf("worst of %d functions %.2f×", fn, worstTime), verdict(worstTime <= goalColdStart))
		row(fmt.Sprintf("Binary size (arm64): ≤ %.0f× a bare handler's", goalSize), fmt.Sprintf("worst of %d functions %.2f×", fn, worstSize), verdict(worstSize <= goalSize))
	} else {
		notMeasured("Cold start")
	}
	if haveRoundTrips {
		row("Round trips: ≤ 2 for every single-entity request", fmt.Sprintf("%d single-entity routes over", overBudget), verdict(overBudget == 0))
	} else {
		notMeasured("Round trips per route")
	}
	b.WriteString("\n")
	return b.String()
}
