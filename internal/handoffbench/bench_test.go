package handoffbench

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/devstack"
)

// phaseResult is one measured phase.
type phaseResult struct {
	alone        bool // the consumer alone: approvals queued first, pollers started after
	pollers, n   int
	approvals    []approval
	approveWall  time.Duration // first approval sent → last answered
	crossWall    time.Duration // start (first approval, or the pollers' start) → last crossing
	cross99      time.Duration // start → 99% of the items crossed (a receive lost holds its messages for the visibility timeout)
	handoffLat   []time.Duration
	cpu          map[string]float64 // CPU seconds by process over crossWall
	meterTrips   int                // the handoff pollers' context meter (ddbstore.WithMeter)
	meterRCU     float64
	meterWCU     float64
	snap         meterSnapshot
	queued       int // the handoff queue's depth when the pollers started (alone)
	leftOutbox   int
	leftMail     int
	lost         int
	doubled      int
	problems     []string
	sweepRelayed int
	ph           phase
	javaTop      float64 // CPU seconds of DynamoDB Local's busiest thread over crossWall
	javaTopName  string
}

func (r phaseResult) crossingsPerSec() float64 { return float64(r.n) / r.crossWall.Seconds() }

func (r phaseResult) crossings99PerSec() float64 {
	if r.cross99 <= 0 {
		return 0
	}
	return 0.99 * float64(r.n) / r.cross99.Seconds()
}

// at99 is when 99% of the items had crossed, from start.
func at99(crossed map[string]crossing, start time.Time) time.Duration {
	var ds []time.Duration
	for _, c := range crossed {
		if !c.First.IsZero() {
			ds = append(ds, c.First.Sub(start))
		}
	}
	return pct(ds, 0.99)
}

func (r phaseResult) approvalsPerSec() float64 {
	return float64(len(r.approvals)) / r.approveWall.Seconds()
}

func cpuDelta(a, b map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range b {
		out[k] = v - a[k]
	}
	return out
}

// TestHandoffThroughput measures the partner approvals crossing to the
// host through the handoff queue: approvals and consumer at once, then the
// consumer alone on a full queue, for each number of concurrent
// invocations; every item must cross exactly once. The key meter's tallies
// of the busiest run give the hot-key table. The report goes to stdout and
// to $HANDOFFBENCH_OUT.
func TestHandoffThroughput(t *testing.T) {
	if os.Getenv("HANDOFFBENCH") != "1" {
		t.Skip("a benchmark: HANDOFFBENCH=1 runs it")
	}
	devstack.NeedStack(t)
	p := loadParams()
	w := buildWorld(t, p)
	t.Logf("stack processes: %v", w.stackPIDs)
	floor := w.probeFloor(t, "before", 3*time.Second, []int{1, 16})
	var results []phaseResult
	for _, n := range p.Pollers {
		r := w.runTogether(t, n)
		t.Logf("approvals + consumer, %d pollers: %d approvals in %v (%.0f/s), all crossed in %v (%.1f crossings/s), lost %d, doubled %d",
			n, r.n, r.approveWall.Round(time.Millisecond), r.approvalsPerSec(), r.crossWall.Round(time.Millisecond), r.crossingsPerSec(), r.lost, r.doubled)
		logErrors(t, r)
		results = append(results, r)
	}
	for _, n := range p.Pollers {
		r := w.runAlone(t, n)
		t.Logf("consumer alone, %d pollers: %d queued crossed in %v (%.1f crossings/s), lost %d, doubled %d",
			n, r.queued, r.crossWall.Round(time.Millisecond), r.crossingsPerSec(), r.lost, r.doubled)
		logErrors(t, r)
		results = append(results, r)
	}
	floor = append(floor, w.probeFloor(t, "after", 3*time.Second, []int{1, 16})...)
	rep := w.report(results, floor)
	fmt.Println(rep)
	if out := os.Getenv("HANDOFFBENCH_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(rep), 0o644); err != nil {
			t.Error(err)
		}
	}
	for _, r := range results {
		if r.lost > 0 || r.doubled > 0 {
			t.Errorf("%d pollers (alone %v): %d lost, %d doubled: %s", r.pollers, r.alone, r.lost, r.doubled,
				strings.Join(r.problems[:min(len(r.problems), 10)], "; "))
		}
	}
}

// runTogether: the pollers run, the approvals go out from the clients;
// timed from the first approval to the last item crossed.
func (w *world) runTogether(t *testing.T, pollers int) phaseResult {
	t.Helper()
	ph := w.newPhase(t, fmt.Sprintf("together-%d", pollers))
	w.rec.watch(ph.ids)
	stop, m := w.startPollers(t, pollers)
	defer stop()
	time.Sleep(time.Second) // the pollers are polling
	w.sweepMu.Lock()
	relayed0 := w.sweepRelayed
	w.sweepMu.Unlock()
	w.rec.reset()
	cpu0, th0 := w.cpuNow(), threadCPU(w.stackPIDs["dynamodb-local"])
	start := time.Now()
	apps := w.approve(t, ph, w.p.Clients)
	approved := time.Now()
	last := w.waitCrossed(t, len(ph.ids), 10*time.Minute)
	cpu1, th1 := w.cpuNow(), threadCPU(w.stackPIDs["dynamodb-local"])
	r := phaseResult{pollers: pollers, n: len(ph.ids), approvals: apps, approveWall: approved.Sub(start), crossWall: last.Sub(start),
		cpu: cpuDelta(cpu0, cpu1), ph: ph}
	r.javaTopName, r.javaTop = busiestThread(th0, th1)
	firsts := w.rec.crossingsOf()
	r.cross99 = at99(firsts, start)
	for _, a := range apps {
		if c := firsts[a.id]; !c.First.IsZero() {
			r.handoffLat = append(r.handoffLat, c.First.Sub(a.answered))
		}
	}
	r.leftOutbox, r.leftMail = w.waitQuiet(t, time.Minute)
	r.snap = w.rec.snapshot()
	r.meterTrips, r.meterRCU, r.meterWCU = m.Totals()
	w.sweepMu.Lock()
	r.sweepRelayed = w.sweepRelayed - relayed0
	w.sweepMu.Unlock()
	stop()
	r.lost, r.doubled, r.problems = w.verify(t, ph)
	return r
}

// runAlone: every approval is queued first with no poller running; then
// the pollers start and drain the queue; timed from their start to the
// last item crossed.
func (w *world) runAlone(t *testing.T, pollers int) phaseResult {
	t.Helper()
	ph := w.newPhase(t, fmt.Sprintf("alone-%d", pollers))
	w.rec.watch(ph.ids)
	start := time.Now()
	apps := w.approve(t, ph, w.p.Clients)
	r := phaseResult{alone: true, pollers: pollers, n: len(ph.ids), approvals: apps, approveWall: time.Since(start), ph: ph}
	w.waitQuiet(t, 30*time.Second) // nothing left in the outbox
	r.queued = w.queueDepth(t, w.handoffQueue)
	w.sweepMu.Lock()
	relayed0 := w.sweepRelayed
	w.sweepMu.Unlock()
	w.rec.reset()
	cpu0, th0 := w.cpuNow(), threadCPU(w.stackPIDs["dynamodb-local"])
	start = time.Now()
	stop, m := w.startPollers(t, pollers)
	defer stop()
	last := w.waitCrossed(t, len(ph.ids), 10*time.Minute)
	r.crossWall = last.Sub(start)
	r.cross99 = at99(w.rec.crossingsOf(), start)
	r.cpu = cpuDelta(cpu0, w.cpuNow())
	r.javaTopName, r.javaTop = busiestThread(th0, threadCPU(w.stackPIDs["dynamodb-local"]))
	r.leftOutbox, r.leftMail = w.waitQuiet(t, time.Minute)
	r.snap = w.rec.snapshot()
	r.meterTrips, r.meterRCU, r.meterWCU = m.Totals()
	w.sweepMu.Lock()
	r.sweepRelayed = w.sweepRelayed - relayed0
	w.sweepMu.Unlock()
	stop()
	r.lost, r.doubled, r.problems = w.verify(t, ph)
	return r
}

// logErrors logs the failed calls of a phase but the expected ones (the
// mail claims of a digest already sent).
func logErrors(t *testing.T, r phaseResult) {
	for src, s := range r.snap.Sources {
		for k, n := range s.Errors {
			if !strings.Contains(k, "ConditionalCheckFailed") {
				t.Logf("  %s: %s × %d: %s", src, k, n, s.ErrorSample[k])
			}
		}
	}
}

// pct is the q-quantile of ds (0 for none).
func pct(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}
