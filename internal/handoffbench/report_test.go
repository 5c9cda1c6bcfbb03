package handoffbench

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/annobridge/annobridge/internal/ddbstore"
)

// The scale: 1,000 tenants, a project of 1,000,000 items worked by
// 10,000 annotators, 500 crossings a second; DynamoDB's per-partition
// limits.
const (
	scaleTenants    = 1000
	scaleItems      = 1_000_000
	scaleAnnotators = 10_000
	scaleCrossings  = 500.0
	limitWCU        = 1000.0
	limitRCU        = 3000.0
)

// Key patterns: a key with its ids replaced by what they stand for.
var (
	reItem      = regexp.MustCompile(`itm_hb[0-9]+_[0-9]+`)
	reAnnotator = regexp.MustCompile(`u-hb-[0-9]+`)
	reID        = regexp.MustCompile(`\b[a-z]{2,5}_[0-9A-Za-z]{16,}`)
	reDay       = regexp.MustCompile(`[0-9]{4}-[0-9]{2}-[0-9]{2}`)
	reHour      = regexp.MustCompile(`\b[0-9]{10}\b`)
	reShard     = regexp.MustCompile(`^OUTBOX#[0-9]{2}$`)
	reSpread    = regexp.MustCompile(`#S[0-9]{2}$`)
)

// patternOf turns a key into its pattern, given the ids the world made.
func patternOf(key string, known *strings.Replacer) string {
	if reShard.MatchString(key) {
		return "OUTBOX#{nn}"
	}
	k := reItem.ReplaceAllString(key, "{item}")
	k = known.Replace(k)
	k = reAnnotator.ReplaceAllString(k, "{annotator}")
	k = reID.ReplaceAllString(k, "{id}")
	k = reDay.ReplaceAllString(k, "{day}")
	k = reSpread.ReplaceAllString(k, "#S{nn}")
	return reHour.ReplaceAllString(k, "{hour}")
}

// scopeOf says how a pattern's keys divide the load at the scale,
// and the factor from a key's share in this run to its share there: what
// the run had of the scope's keys over what the scale has.
//   - item: one key per item; 1,000,000 items share the crossings.
//   - annotator: one key per annotator; 10,000 share them.
//   - message: one key per message (a transition, a mail): written once or
//     twice in its life, no sustained rate.
//   - shard: the outbox's 16 partitions, platform-wide, or the
//     ddbstore.SpreadShards partitions a project-wide key is spread over
//     (by item, entry or member): the hottest shard's share is kept.
//   - one: one key for the project, its task, its partner org or its
//     reviewer: at the scale, every crossing of the project (worst case:
//     the 500 a second are all that project's, in one task).
func scopeOf(pattern string, n, annotators int) (string, float64) {
	switch {
	case strings.Contains(pattern, "{item}"):
		return "item", float64(n) / scaleItems
	case strings.Contains(pattern, "{id}"):
		return "message", 0
	case strings.Contains(pattern, "{annotator}"):
		return "annotator", float64(annotators) / scaleAnnotators
	case pattern == "OUTBOX#{nn}":
		return fmt.Sprintf("shard (%d)", ddbstore.OutboxShards), 1
	case strings.HasSuffix(pattern, "#S{nn}"):
		return fmt.Sprintf("shard (%d)", ddbstore.SpreadShards), 1
	}
	return "one", 1
}

// keyRow is one key pattern of one index.
type keyRow struct {
	index, pattern, scope string
	factor                float64
	keys, n               int
	units                 float64
	hotKey                string
	hotN                  int
	hotUnits              float64
	by                    map[string]int
}

func (k keyRow) atScale(crossings int) (perSec, unitsPerSec float64) {
	per := scaleCrossings / float64(crossings) * k.factor
	return float64(k.hotN) * per, k.hotUnits * per
}

// keyRows groups tallies by index and pattern; the hottest key of each
// is the one with the most units.
func keyRows(tallies map[keyRef]tally, known *strings.Replacer, n, annotators int) []keyRow {
	rows := map[[2]string]*keyRow{}
	for ref, t := range tallies {
		pat := patternOf(ref.PK, known)
		r, ok := rows[[2]string{ref.Index, pat}]
		if !ok {
			scope, f := scopeOf(pat, n, annotators)
			r = &keyRow{index: ref.Index, pattern: pat, scope: scope, factor: f, by: map[string]int{}}
			rows[[2]string{ref.Index, pat}] = r
		}
		r.keys++
		r.n += t.N
		for c, v := range t.By {
			r.by[c] += v
		}
		r.units += t.Units
		if t.Units > r.hotUnits || t.Units == r.hotUnits && ref.PK < r.hotKey {
			r.hotKey, r.hotN, r.hotUnits = ref.PK, t.N, t.Units
		}
	}
	out := make([]keyRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	return out
}

func (w *world) replacer(ph phase) *strings.Replacer {
	return strings.NewReplacer(ph.project, "{project}", ph.task, "{task}", w.host, "{hostOrg}", w.lc, "{partnerOrg}",
		w.ws, "{workspace}", w.owner.id, "{hostReviewer}", w.manager.id, "{partnerManager}")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func sumValues[M ~map[K]V, K comparable, V int | float64](m M) V {
	var s V
	for _, v := range m {
		s += v
	}
	return s
}

// byService sums a source's counts by service ("DynamoDB", "SQS").
func byService(m map[string]int, svc string) int {
	n := 0
	for k, v := range m {
		if strings.HasPrefix(k, svc+".") {
			n += v
		}
	}
	return n
}

// report writes the Markdown report.
func (w *world) report(results []phaseResult, floor []floorResult) string {
	var b strings.Builder
	p := w.p
	f := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	var together, alone []phaseResult
	for _, r := range results {
		if r.alone {
			alone = append(alone, r)
		} else {
			together = append(together, r)
		}
	}
	itemBytes := w.rec.sizeOf("ITEM#"+results[0].ph.ids[0], "PROJ#"+results[0].ph.project)

	f("# Review handoff: throughput and hot keys\n\n")
	f("Generated by `internal/handoffbench` (TestHandoffThroughput) on %s, %s/%s, %d CPUs, against DynamoDB Local and the SQS emulator on loopback (internal/devstack).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	f("Each run: a new project with a labeling company as partner, one task of the company's, %d annotators, and %d items in the task waiting for the company's review (each item %d bytes as stored, with a %d-byte annotation document). The company's annotation manager approves every item through the HTTP API (`POST /projects/{p}/items/{i}/review`, `approve`) from %d clients at once; each approval writes the item and its outbox message in one transaction and publishes to the FIFO handoff queue (message group = the item). The handoff consumer (`app.Consumer(lambdafn.Handoff)`, %d lanes) runs under `worker.Poller`s, one poller per concurrent Lambda invocation (batch size 10); the outbox sweep runs every %v (messages older than 5 s), the mail consumer under %d pollers. Every item must end in `waiting_for_owner_review` with no pending handoff and exactly one history event into it.\n\n",
		p.Annotators, p.N, itemBytes, p.AnnotationBytes, p.Clients, 10, w.sweepEvery, w.mailPollers)

	f("## 1. Handoff throughput\n\n")
	f("### Approvals and consumer at once\n\n")
	f("Timed from the first approval sent to the last item crossed (seen committed by the key meter), and to 99%% of them crossed: a receive whose answer is lost hides its messages for the queue's visibility timeout (180 s), which the last item's time then shows; the failed calls of each run are listed under it when any.\n\n")
	f("| invocations (pollers) | approvals/s (HTTP) | approval p50 / p99 | first approval → last crossing | crossings/s | first approval → 99%% crossed (crossings/s) | approval answered → crossed p50 / p99 / max | lost | doubled |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range together {
		var lat []time.Duration
		for _, a := range r.approvals {
			lat = append(lat, a.answered.Sub(a.sent))
		}
		f("| %d | %.0f | %s / %s | %.1f s | **%.1f** | %.1f s (%.1f) | %s / %s / %s | %d | %d |\n", r.pollers, r.approvalsPerSec(), ms(pct(lat, 0.5)), ms(pct(lat, 0.99)),
			r.crossWall.Seconds(), r.crossingsPerSec(), r.cross99.Seconds(), r.crossings99PerSec(),
			ms(pct(r.handoffLat, 0.5)), ms(pct(r.handoffLat, 0.99)), ms(pct(r.handoffLat, 1)), r.lost, r.doubled)
	}
	f("\n### The consumer alone\n\n")
	f("All %d approvals queued first (no poller running; the approvals ran at the rate in the second column), then the pollers started: timed from their start to the last item crossed. CPU over that window, from /proc, in milliseconds per crossing and as cores busy (the machine has %d).\n\n", p.N, runtime.NumCPU())
	f("| invocations (pollers) | approvals/s with no consumer | queued | drain | crossings/s | 99%% crossed (crossings/s) | messages per receive | DynamoDB round trips / crossing | SQS calls / crossing | CPU ms / crossing: Go · DynamoDB Local · SQS emulator | cores busy: Go · DDB Local · emulator · whole machine | DDB Local's busiest thread, cores | lost | doubled |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range alone {
		h := r.snap.Sources["handoff"]
		if h == nil {
			h = newCallStats()
		}
		n := float64(r.n)
		recv := float64(sumValues(h.Received)) / float64(max(1, sumValues(h.Receives)))
		wall := r.crossWall.Seconds()
		goC, ddbC, sqsC := r.cpu["go"], r.cpu["dynamodb-local"], r.cpu["sqs-emulator"]
		f("| %d | %.0f | %d | %.1f s | **%.1f** | %.1f s (%.1f) | %.1f | %.1f | %.2f | %.1f · %.1f · %.1f | %.2f · %.2f · %.2f · %.2f | %.2f (`%s`) | %d | %d |\n",
			r.pollers, r.approvalsPerSec(), r.queued, wall, r.crossingsPerSec(), r.cross99.Seconds(), r.crossings99PerSec(), recv,
			float64(byService(h.Attempts, "DynamoDB"))/n, float64(byService(h.Attempts, "SQS"))/n,
			1000*goC/n, 1000*ddbC/n, 1000*sqsC/n, goC/wall, ddbC/wall, sqsC/wall, r.cpu["machine"]/wall, r.javaTop/wall, r.javaTopName, r.lost, r.doubled)
	}

	// Round trips per crossing and per approval, by call.
	if len(alone) > 0 {
		r := alone[len(alone)-1]
		f("\n### Round trips per crossing (consumer alone, %d invocations)\n\n", r.pollers)
		f("Counted by the key meter on the handoff app's clients (calls, and attempts with the SDK's retries), and the handoff context's own `ddbstore` meter (what `app.DynamoDBMeter` logs per request): %.2f round trips, %.2f RCU and %.2f WCU per crossing as DynamoDB Local reports them.\n\n",
			float64(r.meterTrips)/float64(r.n), r.meterRCU/float64(r.n), r.meterWCU/float64(r.n))
		w.callTable(&b, r.snap.Sources["handoff"], r.n, "crossing")
		if s := r.snap.Sources["mailer"]; s != nil {
			f("\nThe mail consumer, per crossing (each crossing mails the review digest to every host reviewer; one digest id per task, reviewer and hour, claimed once):\n\n")
			w.callTable(&b, s, r.n, "crossing")
		}
	}
	if len(together) > 0 {
		r := together[len(together)-1]
		f("\n### Round trips per approval (approvals and consumer at once, %d invocations)\n\n", r.pollers)
		w.callTable(&b, r.snap.Sources["api"], r.n, "approval")
		if r.sweepRelayed > 0 {
			f("\nThe sweep relayed %d messages during the run (published again by the sweep, not by the request).\n", r.sweepRelayed)
		}
	}
	if len(floor) > 0 {
		f("\n### The floor: DynamoDB Local alone\n\n")
		f("The same DynamoDB Local, called straight from concurrent clients (no app, no HTTP API, no queue), 3 s per probe, the item %d bytes of annotation like the bench's; before the phases (a near-empty table) and after them (the table holding every phase's items, history, audit and counters):\n\n", p.AnnotationBytes)
		f("| when | probe | clients | calls/s | mean latency | DynamoDB Local cores | its busiest thread, cores | whole machine, cores |\n|---|---|---|---|---|---|---|---|\n")
		for _, r := range floor {
			f("| %s | %s | %d | %.0f | %s | %.2f | %.2f (`%s`) | %.2f |\n", r.when, r.what, r.clients, r.perSec, ms(r.meanLatency), r.cores, r.topThread, r.topName, r.machine)
		}
	}
	w.boundSection(&b, together, alone, floor)
	w.sweepMu.Lock()
	f("\nOutbox sweeps during the bench: %d, %d of them with a message they could not relay or a failed read; they relayed %d messages the requests' own publishing had left.\n",
		w.sweeps, w.sweepErrs, w.sweepRelayed)
	w.sweepMu.Unlock()

	if len(together) > 0 {
		best := together[0]
		for _, r := range together {
			if r.crossingsPerSec() > best.crossingsPerSec() {
				best = r
			}
		}
		w.hotKeySection(&b, best)
	}
	return b.String()
}

// lateFloor is the floor measured after the phases, else all of it.
func lateFloor(floor []floorResult) []floorResult {
	var out []floorResult
	for _, r := range floor {
		if r.when == "after" {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return floor
	}
	return out
}

// callTable lists a source's calls per unit of work, with the failed
// attempts.
func (w *world) callTable(b *strings.Builder, s *callStats, n int, per string) {
	if s == nil {
		fmt.Fprintf(b, "(no calls)\n")
		return
	}
	fmt.Fprintf(b, "| call | calls / %s | attempts / %s |\n|---|---|---|\n", per, per)
	ops := slices.Sorted(maps.Keys(s.Attempts))
	for _, op := range ops {
		fmt.Fprintf(b, "| %s | %.2f | %.2f |\n", op, float64(s.Calls[op])/float64(n), float64(s.Attempts[op])/float64(n))
	}
	fmt.Fprintf(b, "| **DynamoDB total** | **%.2f** | **%.2f** |\n", float64(byService(s.Calls, "DynamoDB"))/float64(n), float64(byService(s.Attempts, "DynamoDB"))/float64(n))
	if len(s.Errors) > 0 {
		var errs []string
		for _, k := range slices.Sorted(maps.Keys(s.Errors)) {
			errs = append(errs, fmt.Sprintf("%s × %d", k, s.Errors[k]))
		}
		fmt.Fprintf(b, "\nFailed attempts: %s.\n", strings.Join(errs, "; "))
		for _, k := range slices.Sorted(maps.Keys(s.ErrorSample)) {
			if !strings.Contains(k, "ConditionalCheckFailed") {
				fmt.Fprintf(b, "\n- %s: `%s`\n", k, s.ErrorSample[k])
			}
		}
	}
}

// boundSection names what bounds the crossings, from the figures.
func (w *world) boundSection(b *strings.Builder, together, alone []phaseResult, floor []floorResult) {
	f := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	f("\n### The bound\n\n")
	if len(alone) == 0 {
		return
	}
	best := alone[0]
	for _, r := range alone {
		if r.crossingsPerSec() > best.crossingsPerSec() {
			best = r
		}
	}
	n := float64(best.n)
	wall := best.crossWall.Seconds()
	total := best.cpu["go"] + best.cpu["dynamodb-local"] + best.cpu["sqs-emulator"]
	cores := float64(runtime.NumCPU())
	f("- Best consumer-alone rate: **%.1f crossings/s** with %d invocations", best.crossingsPerSec(), best.pollers)
	var rates []string
	for _, r := range alone {
		rates = append(rates, fmt.Sprintf("%d → %.1f/s", r.pollers, r.crossingsPerSec()))
	}
	f(" (%s).\n", strings.Join(rates, ", "))
	f("- CPU per crossing, all three processes: %.1f ms (Go %.1f, DynamoDB Local %.1f, SQS emulator %.1f); over the drain they kept %.2f of %.0f cores busy (the whole machine %.2f). Were all of it usable, %.1f ms per crossing on %0.f cores would allow about %.0f crossings/s.\n",
		1000*total/n, 1000*best.cpu["go"]/n, 1000*best.cpu["dynamodb-local"]/n, 1000*best.cpu["sqs-emulator"]/n, total/wall, cores, best.cpu["machine"]/wall,
		1000*total/n, cores, cores*n/total)
	f("- **DynamoDB Local is held to about one core**: %.2f cores over the drain (its busiest thread, `%s`, %.2f) while the machine had %.1f of %.0f cores idle. At %.1f ms of its CPU per crossing, one core is **%.0f crossings/s**; %.1f/s measured.\n",
		best.cpu["dynamodb-local"]/wall, best.javaTopName, best.javaTop/wall, cores-best.cpu["machine"]/wall, cores,
		1000*best.cpu["dynamodb-local"]/n, n/best.cpu["dynamodb-local"], best.crossingsPerSec())
	if h := best.snap.Sources["handoff"]; h != nil {
		f("- Each crossing costs %.1f DynamoDB round trips and %.2f SQS calls in the consumer (plus the mailer's), each a full HTTP request that DynamoDB Local parses, runs and answers on this machine's CPU.\n",
			float64(byService(h.Attempts, "DynamoDB"))/n, float64(byService(h.Attempts, "SQS"))/n)
		var get, tx, del floorResult
		for _, r := range lateFloor(floor) {
			switch {
			case strings.HasPrefix(r.what, "GetItem") && r.perSec > get.perSec:
				get = r
			case strings.Contains(r.what, "crossing") && r.perSec > tx.perSec:
				tx = r
			case strings.Contains(r.what, "one Delete") && r.perSec > del.perSec:
				del = r
			}
		}
		if get.perSec > 0 && tx.perSec > 0 && del.perSec > 0 {
			reads := float64(h.Calls["DynamoDB.GetItem"]+h.Calls["DynamoDB.BatchGetItem"]+h.Calls["DynamoDB.Query"]) / n
			if m := best.snap.Sources["mailer"]; m != nil {
				reads += float64(byService(m.Calls, "DynamoDB")) / n
			}
			f("- From the floor after the phases: DynamoDB Local serves at best %.0f crossing-shaped transactions/s, %.0f one-delete transactions/s and %.0f gets/s, and no more with 16 clients than with 1 by much: its CPU stays near one core (%.2f with 16 clients) while the machine has %.0f. A crossing is one crossing transaction, one delete transaction (the relayed digest mail) and %.1f other calls (the mailer's claim included): that predicts roughly **%.0f crossings/s** (a rough guide: the probes are short, their transaction only shaped like the app's); the crossing transaction alone would cap it at %.0f/s.\n",
				tx.perSec, del.perSec, get.perSec, tx.cores, cores, reads, 1/(1/tx.perSec+1/del.perSec+reads/get.perSec), tx.perSec)
		}
	}
	if len(alone) > 1 {
		first, last := alone[0], alone[len(alone)-1]
		f("- Concurrency: one invocation works its batch's 10 items at once (receive → 10 crossings in parallel → delete; the batches were full); %d invocation(s) gave %.1f/s, %d gave %.1f/s: more concurrent crossings only queue at DynamoDB Local.\n",
			first.pollers, first.crossingsPerSec(), last.pollers, last.crossingsPerSec())
	}
	if len(together) > 0 {
		r := together[len(together)-1]
		f("- With the approvals at once (%d invocations) the same DynamoDB Local serves both: %.0f approvals/s and %.1f crossings/s.", r.pollers, r.approvalsPerSec(), r.crossingsPerSec())
		var get, tx, del floorResult
		for _, fr := range lateFloor(floor) {
			switch {
			case strings.HasPrefix(fr.what, "GetItem") && fr.perSec > get.perSec:
				get = fr
			case strings.Contains(fr.what, "crossing") && fr.perSec > tx.perSec:
				tx = fr
			case strings.Contains(fr.what, "one Delete") && fr.perSec > del.perSec:
				del = fr
			}
		}
		var txs, singles, others int
		for name, s := range r.snap.Sources {
			if name == "check" {
				continue
			}
			txs += s.Calls["DynamoDB.TransactWriteItems"]
			singles += s.SingleTx
			others += byService(s.Calls, "DynamoDB") - s.Calls["DynamoDB.TransactWriteItems"]
		}
		if get.perSec > 0 && tx.perSec > 0 && del.perSec > 0 {
			n := float64(r.n)
			big, one, rest := float64(txs-singles)/n, float64(singles)/n, float64(others)/n
			f(" An approval and its crossing make %.1f multi-item transactions, %.1f one-write transactions and %.1f other calls: from the floor, roughly **%.0f approvals and crossings/s** together.",
				big, one, rest, 1/(big/tx.perSec+one/del.perSec+rest/get.perSec))
		}
		f("\n")
	}
}

// hotKeySection is part 2: the key distribution of one run, extrapolated.
func (w *world) hotKeySection(b *strings.Builder, r phaseResult) {
	f := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	known := w.replacer(r.ph)
	wall := r.crossWall.Seconds()
	rate := r.crossingsPerSec()
	f("\n## 2. Hot keys, measured\n\n")
	f("The key meter (an AWS SDK middleware on every DynamoDB client of the apps) booked every write and read the run made, per partition key of the table and of each index, during the approvals-and-consumer run with %d invocations (%d approvals and %d crossings in %.1f s, %.1f crossings/s), the sweep and the mailer included, until the outbox and the mail queue were empty.\n\n",
		r.pollers, r.n, r.n, wall, rate)
	f("Capacity per key is computed from the requests (DynamoDB reports capacity per table and index, never per key): 1 WCU per KB of the larger item image, 2 in a transaction, a failed condition billed too; GSI1/GSI2 (projection ALL) one index write on the kept key, or a delete on the old key and a put on the new when the index key changes (the old key from the meter's record of every row it saw written, seeding included: a request never carries it); GSI3 (KEYS_ONLY) only when its key changes; reads from the capacity DynamoDB Local reports per call (a query or a get is one partition), batch gets by item size.\n\n")
	est, rep := map[string]float64{}, map[string]float64{}
	for name, src := range r.snap.Sources {
		if name == "check" {
			continue
		}
		for k, v := range src.Estimated {
			est[k] += v
		}
		for k, v := range src.ReportedBy {
			rep[k] += v
		}
	}
	f("Check of the estimate against DynamoDB Local's own figures (the meter asks for ReturnConsumedCapacity INDEXES on every write; the app's TOTAL figure is unchanged), WCU during the run by call and index:\n\n")
	f("| call | index | estimated (the rules above) | reported by DynamoDB Local |\n|---|---|---|---|\n")
	keys := slices.Sorted(maps.Keys(est))
	for k := range rep {
		if _, ok := est[k]; !ok {
			keys = append(keys, k)
		}
	}
	var te, tr float64
	for _, k := range keys {
		call, index, _ := strings.Cut(k, ":")
		f("| %s | %s | %.0f | %.0f |\n", strings.TrimPrefix(call, "DynamoDB."), index, est[k], rep[k])
		te += est[k]
		tr += rep[k]
	}
	f("| **all** | | **%.0f** | **%.0f** |\n\n", te, tr)
	f("Updates booked without a known row (counter rows created by their first ADD): %d.\n\n", r.snap.Approx)
	f("Scale: %d tenants, one project of %d items worked by %d annotators, %.0f crossings/s (and as many approvals), worst case all in that project and one task of it, against %.0f WCU/s and %.0f RCU/s per partition. A key's rate there is its hottest key's units per crossing × %.0f × (its scope's keys in this run / at the scale): scope *one* (the project, its task, the partner org, the reviewer) keeps every crossing; *annotator* keys divide them by %d, *item* keys by %d; *shard* keys are the outbox's %d partitions, or the %d a project-wide key is spread over (by item, entry or member), and keep the hottest shard's share; *message* keys are written once or twice in their life.\n\n",
		scaleTenants, scaleItems, scaleAnnotators, scaleCrossings, limitWCU, limitRCU, scaleCrossings, scaleAnnotators, scaleItems, ddbstore.OutboxShards, ddbstore.SpreadShards)
	w.keyTable(b, "Writes", r.snap.Writes, known, r, limitWCU, "WCU")
	w.keyTable(b, "Reads", r.snap.Reads, known, r, limitRCU, "RCU")
}

func (w *world) keyTable(b *strings.Builder, title string, tallies map[keyRef]tally, known *strings.Replacer, r phaseResult, limit float64, unit string) {
	f := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	rows := keyRows(tallies, known, r.n, w.p.Annotators)
	slices.SortFunc(rows, func(x, y keyRow) int {
		_, ux := x.atScale(r.n)
		_, uy := y.atScale(r.n)
		return cmp.Or(cmp.Compare(uy, ux), cmp.Compare(y.units, x.units), strings.Compare(x.pattern, y.pattern))
	})
	wall := r.crossWall.Seconds()
	writes := unit == "WCU"
	f("### %s per key\n\n", title)
	extra, extraSep := "", ""
	if writes {
		extra, extraSep = " if index writes in a transaction cost double (DynamoDB Local's billing) |", "---|"
	}
	f("| index | key pattern | scope | keys (hottest's share) | %s | %s | hottest key: %s / crossing | hottest key in this run: %s/s (%s/s) | hottest key at the scale: %s/s (%s/s) | share of the limit |%s by (app:call × %s) |\n|---|---|---|---|---|---|---|---|---|---|%s---|\n",
		strings.ToLower(title), unit, unit, unit, strings.ToLower(title), unit, strings.ToLower(title), extra, strings.ToLower(title), extraSep)
	var over, overDoubled []string
	for _, k := range rows {
		perSec, unitsPerSec := k.atScale(r.n)
		scale := fmt.Sprintf("%.0f (%.0f)", unitsPerSec, perSec)
		flag := fmt.Sprintf("%.0f%%", 100*unitsPerSec/limit)
		if unitsPerSec > limit {
			flag = fmt.Sprintf("**OVER ×%.1f**", unitsPerSec/limit)
			over = append(over, fmt.Sprintf("%s `%s` (%.0f %s/s, ×%.1f)", k.index, k.pattern, unitsPerSec, unit, unitsPerSec/limit))
		}
		doubled := ""
		if writes {
			d := unitsPerSec
			if k.index != "table" && k.n > 0 {
				d *= 1 + float64(k.by["api:TransactWriteItems"]+k.by["handoff:TransactWriteItems"])/float64(k.n)
			}
			doubled = fmt.Sprintf(" %.0f%% |", 100*d/limit)
			if d > limit {
				doubled = fmt.Sprintf(" **OVER ×%.1f** |", d/limit)
				if unitsPerSec <= limit {
					overDoubled = append(overDoubled, fmt.Sprintf("%s `%s` (%.0f WCU/s)", k.index, k.pattern, d))
				}
			}
		}
		if k.scope == "message" {
			scale, flag = "— (no sustained rate)", "—"
			if writes {
				doubled = " — |"
			}
		}
		var by []string
		for _, c := range slices.Sorted(maps.Keys(k.by)) {
			by = append(by, fmt.Sprintf("%s × %d", c, k.by[c]))
		}
		share := ""
		switch {
		case k.keys > 1 && k.units > 0 && strings.HasPrefix(k.scope, "shard"):
			share = fmt.Sprintf(" (`%s` %.0f%%)", k.hotKey, 100*k.hotUnits/k.units)
		case k.keys > 1 && k.units > 0:
			share = fmt.Sprintf(" (%.1f%%)", 100*k.hotUnits/k.units)
		}
		f("| %s | `%s` | %s | %d%s | %d | %.0f | %.2f | %.1f (%.1f) | %s | %s |%s %s |\n", k.index, k.pattern, k.scope, k.keys, share, k.n, k.units,
			k.hotUnits/float64(r.n), k.hotUnits/wall, float64(k.hotN)/wall, scale, flag, doubled, strings.Join(by, ", "))
	}
	if len(over) > 0 {
		f("\nOver the limit of %.0f %s/s per partition at the scale: %s.\n", limit, unit, strings.Join(over, "; "))
	} else {
		f("\nNo key over %.0f %s/s per partition at the scale.\n", limit, unit)
	}
	if len(overDoubled) > 0 {
		f("\nAlso over if DynamoDB bills a transaction's index writes double, as DynamoDB Local reports them: %s.\n", strings.Join(overDoubled, "; "))
	}
	if writes && len(r.snap.OutboxIDs) > 0 {
		rows, ids := 0, 0
		top, topN := "", 0
		for id, c := range r.snap.OutboxIDs {
			rows += c
			ids++
			if c > topN || c == topN && id < top {
				top, topN = id, c
			}
		}
		f("\nOutbox rows written: %d, with %d distinct message ids; the most written id, `%s`, %d times (the shard is a hash of the time and id, so its rows spread over the shards).\n",
			rows, ids, patternOf(top, known), topN)
	}
	f("\n")
}
