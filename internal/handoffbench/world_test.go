package handoffbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/auth"
	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/config"
	"github.com/annobridge/annobridge/internal/ddbstore"
	"github.com/annobridge/annobridge/internal/lambdafn"
	"github.com/annobridge/annobridge/internal/worker"
)

// params are the bench's knobs (see the package comment).
type params struct {
	N, Clients, Annotators, AnnotationBytes int
	Pollers                                 []int
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func loadParams() params {
	p := params{N: envInt("HANDOFF_N", 2000), Clients: envInt("HANDOFF_CLIENTS", 32),
		Annotators: envInt("HANDOFF_ANNOTATORS", 100), AnnotationBytes: envInt("HANDOFF_ANNOTATION_BYTES", 1024)}
	list := os.Getenv("HANDOFF_POLLERS")
	if list == "" {
		list = "1,4,8"
	}
	for _, f := range strings.Split(list, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			p.Pollers = append(p.Pollers, n)
		}
	}
	if len(p.Pollers) == 0 {
		p.Pollers = []int{1, 4, 8}
	}
	return p
}

// world is the platform under load: one app per function role, all on one
// table and the stack's queues, each with the key meter as its source:
//   - check: set-up, seeding and the checks (its calls are not tallied),
//   - api: the HTTP routes the approvals go through (the review function),
//   - handoff: the handoff consumer (its pollers play the event source
//     mapping, one poller per concurrent invocation),
//   - sweeper: the handoff function's scheduled outbox sweep,
//   - mailer: the mail consumer (the review digest of each crossing).
type world struct {
	p                                    params
	rec                                  *recorder
	check, api, handoff, sweeper, mailer *app.App
	srv                                  *httptest.Server
	httpc                                *http.Client
	owner, manager                       actor
	host, ws, lc                         string
	annotators                           []string
	log                                  *slog.Logger
	handoffQueue, handoffQueueARN        string
	mailQueue                            string
	backgroundDone                       sync.WaitGroup
	sweepEvery                           time.Duration
	sweepMu                              sync.Mutex
	sweeps, sweepRelayed, sweepErrs      int
	outboxDir                            string
	phaseSeq                             int
	stackPIDs                            map[string]int
	mailPollers                          int
	handoffRetry                         time.Duration
}

type actor struct{ id, email, token string }

func newActor(t *testing.T, who string) actor {
	t.Helper()
	email := fmt.Sprintf("%s.%d@handoffbench.example", who, time.Now().UnixNano())
	tok, err := auth.MintHS256(config.DefaultDevJWTSecret, config.DefaultJWTIssuer, config.DefaultJWTAudience,
		auth.Claims{Subject: auth.DevSubject(email), Email: email, Name: who}, 2*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return actor{id: auth.DevSubject(email), email: email, token: tok}
}

func buildWorld(t *testing.T, p params) *world {
	t.Helper()
	w := &world{p: p, rec: newRecorder(), log: slog.New(slog.DiscardHandler), outboxDir: t.TempDir(),
		sweepEvery: time.Second, mailPollers: 2, handoffRetry: time.Second}
	mk := func(source string) *app.App {
		cfg := stack.Config(map[string]string{"MAIL_OUTBOX_DIR": w.outboxDir})
		cfg.APIOptions = append(cfg.APIOptions, w.rec.option(source))
		a, err := app.New(context.Background(), cfg, w.log)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	w.check, w.api, w.handoff, w.sweeper, w.mailer = mk("check"), mk("api"), mk("handoff"), mk("sweeper"), mk("mailer")
	w.srv = httptest.NewServer(w.api.Router(lambdafn.HTTP...))
	t.Cleanup(w.srv.Close)
	w.httpc = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: 4 * p.Clients, MaxIdleConnsPerHost: 4 * p.Clients}}
	hq, mq := stack.Queues["ReviewHandoffQueue"], stack.Queues["MailQueue"]
	w.handoffQueue, w.handoffQueueARN, w.mailQueue = hq.URL, hq.ARN, mq.URL

	w.owner, w.manager = newActor(t, "owner"), newActor(t, "lcm")
	org := w.call(t, "POST", "/orgs", w.owner.token, map[string]string{"name": "Host"}).want(t, 201)
	w.host, w.ws = org.str("id"), org.str("defaultWorkspaceId")
	w.lc = w.call(t, "POST", "/orgs", w.manager.token, map[string]string{"name": "Label Co"}).want(t, 201).str("id")
	for i := range p.Annotators {
		w.annotators = append(w.annotators, fmt.Sprintf("u-hb-%05d", i))
	}
	w.stackPIDs = stackProcesses()

	// The background consumers: the mailer's pollers and the outbox
	// sweep, for the whole run (a poller stopped mid long poll can hold a
	// message for the queue's visibility timeout).
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); w.backgroundDone.Wait() })
	mailer, err := w.mailer.Consumer(lambdafn.Mailer)
	if err != nil {
		t.Fatal(err)
	}
	retry := time.Second
	for range w.mailPollers {
		p := &worker.Poller{Client: w.mailer.SQS, QueueURL: mq.URL, QueueARN: mq.ARN, BatchSize: 10, Handle: mailer.Handle, Log: w.log, RetryDelay: &retry}
		w.backgroundDone.Go(func() { p.Run(ctx) })
	}
	// The sweep relays what the requests' own publishing left behind, as
	// the handoff function's schedule does (older than app.RelayAge); it
	// runs every second here instead of every minute.
	w.backgroundDone.Go(func() {
		tick := time.NewTicker(w.sweepEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				rep, err := w.sweeper.SweepOutbox(ctx)
				w.sweepMu.Lock()
				w.sweeps++
				w.sweepRelayed += rep.Relayed
				if err != nil || rep.Failed > 0 {
					w.sweepErrs++
				}
				w.sweepMu.Unlock()
			}
		}
	})
	return w
}

// phase is one project's worth of items waiting for the partner's review.
type phase struct {
	name, project, task string
	ids                 []string
}

// newPhase makes a project with the labeling company as its partner (its
// manager approving), the annotators as members, a task of the company's,
// and p.N items in the task, each submitted by an annotator and waiting for
// the company's review, holding an annotation document.
func (w *world) newPhase(t *testing.T, name string) phase {
	t.Helper()
	ctx := context.Background()
	w.phaseSeq++
	ph := phase{name: name}
	ph.project = w.call(t, "POST", "/workspaces/"+w.ws+"/projects", w.owner.token, map[string]string{"name": "Bench " + name}).want(t, 201).str("id")
	p, _, err := w.check.Store.LoadStanding(ctx, ph.project, "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	pm := collab.ProjectMember{ProjectID: ph.project, UserID: w.manager.id, Email: w.manager.email, Role: collab.RoleAnnotationManager,
		OrgID: w.lc, Side: collab.SideExternal, AddedAt: now, Version: 1}
	if err := w.check.Store.AddPartner(ctx, p, collab.Partner{ProjectID: ph.project, OrgID: w.lc, OrgName: "Label Co", Kind: collab.PartnerLabelingCompany,
		Types: []collab.CollabType{collab.CollabAnnotationPartner}, ManagerID: w.manager.id, HostOrgID: w.host, AddedAt: now, Version: 1}, &pm); err != nil {
		t.Fatal(err)
	}
	var pms []collab.ProjectMember
	for _, id := range w.annotators {
		pms = append(pms, collab.ProjectMember{ProjectID: ph.project, UserID: id, Email: id + "@labelco.example", Role: collab.RoleAnnotator,
			OrgID: w.lc, Side: collab.SideExternal, AddedAt: now, Version: 1})
	}
	for from := 0; from < len(pms); from += 50 {
		if err := w.check.Store.AddProjectMembers(ctx, ph.project, pms[from:min(from+50, len(pms))]); err != nil {
			t.Fatal(err)
		}
	}
	ph.task = w.call(t, "POST", "/projects/"+ph.project+"/tasks", w.owner.token,
		map[string]any{"name": "Batch " + name, "kind": "annotation", "orgId": w.lc}).want(t, 201).str("id")
	doc := annotationDoc(w.p.AnnotationBytes)
	var items []collab.Item
	for i := range w.p.N {
		id := fmt.Sprintf("itm_hb%d_%06d", w.phaseSeq, i)
		ph.ids = append(ph.ids, id)
		ann := w.annotators[i%len(w.annotators)]
		submitted := now.Add(-time.Duration(i%600) * time.Second)
		items = append(items, collab.Item{ID: id, ProjectID: ph.project, Name: id + ".jpg", FileRef: "s3://bench/" + id + ".jpg",
			Status: collab.StWaitingCollabReview, AssigneeID: ann, LastAnnotator: ann, OrgID: w.lc, TaskID: ph.task, TaskKind: collab.TaskAnnotation,
			SegmentStart: now.Add(-time.Hour), Annotation: doc, StatusSince: submitted, CreatedAt: now.Add(-2 * time.Hour), CreatedBy: w.owner.id, Version: 4})
	}
	for from := 0; from < len(items); from += 500 {
		if err := w.check.Store.SeedItems(ctx, items[from:min(from+500, len(items))]); err != nil {
			t.Fatal(err)
		}
	}
	return ph
}

// annotationDoc is a JSON annotation document of about n bytes.
func annotationDoc(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"boxes":[`)
	for i := 0; b.Len() < n-40; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"label":"car","x":%d,"y":%d,"w":64,"h":48}`, 10+i%900, 20+i%700)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// startPollers starts n handoff pollers, each one concurrent invocation of
// the handoff function (BatchSize 10, the app's consumer with its
// app.BatchLanes lanes), with a DynamoDB meter on their context. stop
// ends them and waits out their last long poll, so no message is taken by
// a poller that is gone.
func (w *world) startPollers(t *testing.T, n int) (stop func(), m *ddbstore.Meter) {
	t.Helper()
	consumer, err := w.handoff.Consumer(lambdafn.Handoff)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	mctx, m := ddbstore.WithMeter(ctx)
	var wg sync.WaitGroup
	retry := w.handoffRetry
	for range n {
		p := &worker.Poller{Client: w.handoff.SQS, QueueURL: w.handoffQueue, QueueARN: w.handoffQueueARN, BatchSize: 10,
			Handle: consumer.Handle, Log: w.log, RetryDelay: &retry}
		wg.Go(func() { p.Run(mctx) })
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			time.Sleep(3 * time.Second) // longer than a long poll (2 s)
		})
	}, m
}

// queueDepth is a queue's messages, visible and in flight.
func (w *world) queueDepth(t *testing.T, url string) int {
	t.Helper()
	out, err := w.check.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible, sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range out.Attributes {
		k, _ := strconv.Atoi(v)
		n += k
	}
	return n
}

// waitQuiet waits until the outbox is empty and the mail queue drained
// (so the tallies hold a crossing's whole aftermath), at most within.
func (w *world) waitQuiet(t *testing.T, within time.Duration) (outbox, mail int) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		msgs, err := w.check.Store.ListOutbox(context.Background(), time.Now().Add(time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		outbox, mail = len(msgs), w.queueDepth(t, w.mailQueue)
		if outbox == 0 && mail == 0 || time.Now().After(deadline) {
			return outbox, mail
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitCrossed waits until every watched item crossed once.
func (w *world) waitCrossed(t *testing.T, n int, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got, last := w.rec.crossings()
		if got >= n {
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d items crossed within %v", got, n, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// approval is one partner approval as its client saw it.
type approval struct {
	id             string
	sent, answered time.Time
	status, tries  int
}

// approve sends the partner manager's approval of every item from
// clients at once, each retried on a failure, as the company's reviewers
// work: 202 (crossing) or, after a retry whose first answer was lost, 409.
func (w *world) approve(t *testing.T, ph phase, clients int) []approval {
	t.Helper()
	out := make([]approval, len(ph.ids))
	next := make(chan int)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := range next {
				a := approval{id: ph.ids[i], sent: time.Now()}
				for a.tries = 1; a.tries <= 10; a.tries++ {
					r, err := w.post("/projects/"+ph.project+"/items/"+a.id+"/review", w.manager.token, map[string]string{"decision": "approve"})
					if err == nil {
						a.status = r.status
						if r.status == 202 || a.tries > 1 && r.status == 409 {
							break
						}
					}
					time.Sleep(50 * time.Millisecond)
				}
				a.answered = time.Now()
				out[i] = a
			}
		})
	}
	for i := range ph.ids {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, a := range out {
		if a.status != 202 && a.status != 409 {
			t.Fatalf("approval of %s: status %d after %d tries", a.id, a.status, a.tries)
		}
	}
	return out
}

// verify reads every item back: crossed (in the host's review, no handoff
// pending) and exactly one history event into the host's review.
func (w *world) verify(t *testing.T, ph phase) (lost, doubled int, problems []string) {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	next := make(chan string)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for id := range next {
				it, err := w.check.Store.GetItem(ctx, ph.project, id)
				hist, _, herr := w.check.Store.ListHistory(ctx, id, time.Time{}, collab.Page{Limit: 100})
				crossings := 0
				for _, e := range hist {
					if e.To == collab.StWaitingOwnerReview {
						crossings++
					}
				}
				mu.Lock()
				switch {
				case err != nil || herr != nil:
					lost++
					problems = append(problems, fmt.Sprintf("%s: %v %v", id, err, herr))
				case it.Status != collab.StWaitingOwnerReview || it.PendingHandoff != "" || crossings == 0:
					lost++
					problems = append(problems, fmt.Sprintf("%s: %s pending %q, %d crossings", id, it.Status, it.PendingHandoff, crossings))
				case crossings > 1:
					doubled++
					problems = append(problems, fmt.Sprintf("%s crossed %d times", id, crossings))
				}
				mu.Unlock()
			}
		})
	}
	for _, id := range ph.ids {
		next <- id
	}
	close(next)
	wg.Wait()
	for id, c := range w.rec.crossingsOf() {
		if c.N > 1 {
			doubled++
			problems = append(problems, fmt.Sprintf("%s: %d crossing transactions committed", id, c.N))
		}
	}
	return lost, doubled, problems
}

type response struct {
	status int
	body   map[string]any
	raw    []byte
}

func (w *world) post(path, token string, body any) (response, error) {
	return w.do("POST", path, token, body)
}

func (w *world) do(method, path, token string, body any) (response, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, w.srv.URL+path, rd)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := w.httpc.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r, nil
}

func (w *world) call(t *testing.T, method, path, token string, body any) response {
	t.Helper()
	r, err := w.do(method, path, token, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

func (r response) str(k string) string { s, _ := r.body[k].(string); return s }

// CPU time of the processes doing the work: this test binary (the apps,
// the HTTP server and clients, the pollers), DynamoDB Local (java) and the
// SQS emulator (node), from /proc.

// stackProcesses finds the stack's processes: this process's children.
func stackProcesses() map[string]int {
	out := map[string]int{"go": os.Getpid()}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, ppid, _, ok := procStat(pid)
		if !ok || ppid != os.Getpid() {
			continue
		}
		switch comm {
		case "java":
			out["dynamodb-local"] = pid
		case "node":
			out["sqs-emulator"] = pid
		}
	}
	return out
}

// procStat reads a process's name, parent and CPU seconds (user + system).
func procStat(pid int) (comm string, ppid int, cpu float64, ok bool) {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return "", 0, 0, false
	}
	s := string(raw)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return "", 0, 0, false
	}
	comm = s[open+1 : closing]
	f := strings.Fields(s[closing+1:])
	if len(f) < 13 {
		return "", 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return comm, ppid, (utime + stime) / 100, true // USER_HZ
}

// machineCPU reads the CPU seconds every process on the machine took
// (/proc/stat: all but idle and iowait).
func machineCPU() float64 {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	busy := 0.0
	for i, v := range f[1:] {
		n, _ := strconv.ParseFloat(v, 64)
		if i != 3 && i != 4 && i < 8 { // user nice system (idle iowait) irq softirq steal
			busy += n
		}
	}
	return busy / 100
}

// cpuNow reads the CPU seconds of each stack process, and the machine's
// ("machine").
func (w *world) cpuNow() map[string]float64 {
	out := map[string]float64{"machine": machineCPU()}
	for name, pid := range w.stackPIDs {
		if _, _, c, ok := procStat(pid); ok {
			out[name] = c
		}
	}
	return out
}
