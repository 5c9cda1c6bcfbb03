// Command benchreport writes docs/benchmarks.md from the parts a make bench
// run leaves in one folder (each written by its harness):
//
//	load.md        request overhead against the raw DynamoDB floor (internal/loadbench)
//	handoff.md     handoff throughput and the measured hot keys (internal/handoffbench)
//	roundtrips.md  DynamoDB round trips and capacity per route (the route matrix)
//	coldstart.md   cold start and binary sizes (internal/coldstart)
//	gobench.txt    go test -bench output (internal/httpapi)
//	cost.json      units measured per operation, priced here (internal/costbench)
//
// A missing part is said as missing, never filled in.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/annobridge/annobridge/internal/costbench"
)

func main() {
	in := flag.String("in", ".local/build/bench", "the folder of the run's parts")
	out := flag.String("out", "docs/benchmarks.md", "the report to write")
	flag.Parse()
	var b bytes.Buffer
	write(&b, *in)
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

func part(dir, name string) (string, bool) {
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(raw)), true
}

func missing(b *bytes.Buffer, what string) {
	fmt.Fprintf(b, "_Not measured in this run (%s missing)._\n\n", what)
}

func write(b *bytes.Buffer, dir string) {
	fmt.Fprintf(b, "# Benchmarks\n\nWritten by `make bench` on %s from one run on this machine: %d CPUs, %s %s/%s, the local stack "+
		"(DynamoDB Local 3.3.0 in memory, the fauxqs SQS emulator), all traffic on loopback. Figures from another run differ: "+
		"the machine is shared, so ratios between figures of the same run mean more than the figures themselves.\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if v := cpuModel(); v != "" {
		fmt.Fprintf(b, "CPU: %s.\n\n", v)
	}
	load, _ := part(dir, "load.md")
	handoff, _ := part(dir, "handoff.md")
	coldstart, _ := part(dir, "coldstart.md")
	trips, haveTrips := part(dir, "roundtrips.md")
	_, over := budgeted(trips)
	b.WriteString(glance(load, handoff, coldstart, over, haveTrips))

	b.WriteString("## Request overhead against the floor\n\n")
	if s, ok := part(dir, "load.md"); ok {
		b.WriteString(s + "\n\n")
	} else {
		missing(b, "load.md")
	}

	b.WriteString("## Review handoff throughput and hot keys\n\n")
	if s, ok := part(dir, "handoff.md"); ok {
		b.WriteString(s + "\n\n")
	} else {
		missing(b, "handoff.md")
	}

	b.WriteString("## DynamoDB round trips and capacity per route\n\n")
	if s, ok := part(dir, "roundtrips.md"); ok {
		b.WriteString("Each route's most costly successful call in the route matrix (every route × 15 kinds of caller), from the " +
			"per-request meter the request log line carries (`ddbRoundTrips`, `rcu`, `wcu`). The budget: at most 2 round trips " +
			"for a single-entity request, 3 with a new Idempotency-Key (the matrix sends none). Lists, jobs and fan-out routes are marked as such.\n\n")
		table, _ := budgeted(s)
		b.WriteString(table + "\n")
	} else {
		missing(b, "roundtrips.md")
	}

	b.WriteString("## Cold start and binary size\n\n")
	if s, ok := part(dir, "coldstart.md"); ok {
		b.WriteString(s + "\n\n")
	} else {
		missing(b, "coldstart.md")
	}

	b.WriteString("## Per operation (`go test -bench`, internal/httpapi)\n\n")
	if s, ok := part(dir, "gobench.txt"); ok {
		b.WriteString(benchTable(s) + "\n")
	} else {
		missing(b, "gobench.txt")
	}
	b.WriteString("## Cost per operation\n\n")
	if s, ok := part(dir, "cost.json"); ok {
		if run, err := costbench.Parse([]byte(s)); err != nil {
			fmt.Fprintf(b, "_Not priced in this run (cost.json unreadable: %v)._\n\n", err)
		} else {
			b.WriteString(costbench.Render(run) + "\n")
		}
	} else {
		missing(b, "cost.json")
	}
	b.WriteString("## Scale runs\n\nThe scale runs (10,000 users added and removed, 10,000 items handed over and distributed) run in " +
		"`make test-scale` and in CI; their figures and the decisions they led to are in [performance.md](performance.md).\n")
}

// budgeted adds a verdict column to the round-trip table: within budget,
// over it, or not a single-entity request.
func budgeted(table string) (string, int) {
	var out strings.Builder
	over := 0
	sc := bufio.NewScanner(strings.NewReader(table))
	for sc.Scan() {
		line := sc.Text()
		cells := strings.Split(strings.Trim(line, "|"), "|")
		switch {
		case strings.HasPrefix(line, "| Route"):
			out.WriteString(line + " Budget |\n")
		case strings.HasPrefix(line, "|---"):
			out.WriteString(line + "---|\n")
		case len(cells) >= 2:
			route := strings.Trim(strings.TrimSpace(cells[0]), "`")
			trips, _ := strconv.Atoi(strings.TrimSpace(cells[1]))
			verdict := verdictOf(route, trips)
			if strings.HasPrefix(verdict, "over") {
				over++
			}
			out.WriteString(line + " " + verdict + " |\n")
		default:
			out.WriteString(line + "\n")
		}
	}
	return out.String() + fmt.Sprintf("\n%d single-entity routes are over the budget.\n", over), over
}

func verdictOf(route string, trips int) string {
	method, path, _ := strings.Cut(route, " ")
	switch {
	case method == "GET" && !strings.HasSuffix(path, "}") && !strings.HasSuffix(path, "/permissions") &&
		!strings.HasSuffix(path, "/next") && path != "/me":
		return "list"
	case strings.HasSuffix(path, "/distribute") || strings.HasSuffix(path, "/add-all-users") || strings.HasSuffix(path, "/import") ||
		(method == "DELETE" && (strings.Contains(path, "/collaborators/") || strings.Contains(path, "/partners/"))) ||
		(method == "DELETE" && (path == "/orgs/{orgId}" || path == "/workspaces/{wsId}" || path == "/projects/{projectId}")):
		return "fan-out"
	}
	const budget = 2 // the matrix sends no Idempotency-Key, whose claim would add one
	if trips <= budget {
		return "ok"
	}
	return fmt.Sprintf("over (%d > %d)", trips, budget)
}

// benchTable turns go test -bench lines into a table.
func benchTable(out string) string {
	var b strings.Builder
	b.WriteString("| Benchmark | Iterations | Time per op | Other metrics |\n|---|---:|---:|---|\n")
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		var rest []string
		for i := 4; i+1 < len(f); i += 2 {
			rest = append(rest, f[i]+" "+f[i+1])
		}
		fmt.Fprintf(&b, "| %s | %s | %s %s | %s |\n", f[0], f[1], f[2], f[3], strings.Join(rest, ", "))
	}
	return b.String()
}

func cpuModel() string {
	out, err := exec.Command("sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
