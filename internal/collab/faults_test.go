package collab

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// --- the outbox relay past a message it cannot publish, on fakes -------------

type fakeOutbox struct {
	RelayStore
	rows     []OutboxMessage
	attempts map[string]int
	parked   []string
}

func (f *fakeOutbox) ListOutbox(context.Context, time.Time, int) ([]OutboxMessage, error) {
	return slices.Clone(f.rows), nil
}

func (f *fakeOutbox) DeleteOutbox(_ context.Context, m OutboxMessage) error {
	f.rows = slices.DeleteFunc(f.rows, func(r OutboxMessage) bool { return r.ID == m.ID })
	return nil
}

func (f *fakeOutbox) OutboxFailed(_ context.Context, m OutboxMessage, _ string) (int, error) {
	f.attempts[m.ID]++
	return f.attempts[m.ID], nil
}

func (f *fakeOutbox) ParkOutbox(ctx context.Context, m OutboxMessage, attempts int, _ string) error {
	if attempts != f.attempts[m.ID] {
		return errors.New("parked with the wrong count")
	}
	f.parked = append(f.parked, m.ID)
	return f.DeleteOutbox(ctx, m)
}

// publisher fails every message named in bad.
type publisher struct {
	bad  map[string]bool
	sent []string
}

func (p *publisher) Publish(_ context.Context, m OutboxMessage) error {
	if p.bad[m.ID] {
		return errors.New("queue refuses " + m.ID)
	}
	p.sent = append(p.sent, m.ID)
	return nil
}

// One message the queue refuses blocks nothing but the later messages of
// its own FIFO group: every other message goes out in the same sweep, the
// failure is counted, and after OutboxMaxAttempts sweeps the message is
// parked and its group goes on.
func TestRelayOutboxSkipsAMessageItCannotPublish(t *testing.T) {
	st := &fakeOutbox{attempts: map[string]int{}, rows: []OutboxMessage{
		{ID: "m1", Queue: QueueMail},
		{ID: "bad", Queue: QueueHandoff, Group: "item-1"},
		{ID: "m2", Queue: QueueHandoff, Group: "item-1"}, // after bad in its group
		{ID: "m3", Queue: QueueHandoff, Group: "item-2"},
		{ID: "m4", Queue: QueueMail},
	}}
	pub := &publisher{bad: map[string]bool{"bad": true}}
	r := &Relay{base: base{clock: handoffClock{}}, store: st, publisher: pub}

	rep, err := r.RelayOutbox(context.Background(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pub.sent, []string{"m1", "m3", "m4"}) {
		t.Fatalf("sent %v: the messages after the refused one must go out", pub.sent)
	}
	if rep.Relayed != 3 || rep.Failed != 1 || rep.Held != 1 || rep.Parked != 0 || len(rep.Errors) != 1 || !strings.HasPrefix(rep.Errors[0], "bad: ") {
		t.Fatalf("report %+v", rep)
	}
	for sweep := 2; sweep <= OutboxMaxAttempts; sweep++ {
		if rep, err = r.RelayOutbox(context.Background(), time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if st.attempts["bad"] != OutboxMaxAttempts || !slices.Equal(st.parked, []string{"bad"}) || rep.Parked != 1 {
		t.Fatalf("after %d sweeps: attempts %d, parked %v, report %+v", OutboxMaxAttempts, st.attempts["bad"], st.parked, rep)
	}
	// Parked, the message no longer holds its group back.
	if !slices.Equal(pub.sent, []string{"m1", "m3", "m4", "m2"}) || len(st.rows) != 0 {
		t.Fatalf("sent %v, left %v", pub.sent, st.rows)
	}
	if rep, err = r.RelayOutbox(context.Background(), time.Second); err != nil || rep.Relayed+rep.Failed+rep.Held+rep.Parked != 0 {
		t.Fatalf("an empty outbox: %+v %v", rep, err)
	}
}

// --- jobs whose run message is dead-lettered, on fakes -----------------------

type fakeJobStore struct {
	JobStore
	jobs   map[string]Job
	audits []string
}

func (f *fakeJobStore) GetJob(_ context.Context, id string) (Job, error) {
	j, ok := f.jobs[id]
	if !ok {
		return Job{}, NotFound(RecordJob, id)
	}
	return j, nil
}

func (f *fakeJobStore) SaveJob(_ context.Context, j Job, audit ...AuditEntry) error {
	if f.jobs[j.ID].Version != j.Version {
		return Stale(RecordJob)
	}
	j.Version++
	f.jobs[j.ID] = j
	for _, e := range audit {
		f.audits = append(f.audits, e.What)
	}
	return nil
}

// lossyJobStore commits a job's last write and loses its answer (a
// timeout after the transaction): the run's retry finds the job done.
type lossyJobStore struct{ *fakeJobStore }

func (f lossyJobStore) SaveJob(ctx context.Context, j Job, audit ...AuditEntry) error {
	if err := f.fakeJobStore.SaveJob(ctx, j, audit...); err != nil || j.Status != JobSucceeded {
		return err
	}
	return errors.New("the answer was lost")
}

// A job's success and its audit entry are one write: the entry is there
// exactly once even when that write's answer is lost and the run retried.
func TestJobSuccessAndItsEntryAreOneWrite(t *testing.T) {
	st := &fakeJobStore{jobs: map[string]Job{"j": {ID: "j", Kind: JobAddAllUsers, Status: JobQueued, WorkspaceID: "w", Version: 1}}}
	n := 0
	b := base{clock: handoffClock{}, ids: handoffIDs{&n}}
	jobs := &Jobs{base: b, store: lossyJobStore{st}, queue: &fakeJobQueue{}, runners: map[JobKind]jobRunner{
		JobAddAllUsers: func(context.Context, *Job) (bool, error) { return true, nil }}}
	if _, err := jobs.RunJob(context.Background(), "j"); err == nil {
		t.Fatal("the lost answer was not an error")
	}
	if more, err := jobs.RunJob(context.Background(), "j"); err != nil || more {
		t.Fatalf("the retry: %v %v", more, err)
	}
	if st.jobs["j"].Status != JobSucceeded || len(st.audits) != 1 || st.audits[0] != "job.add_all_users.succeeded" {
		t.Fatalf("job %+v, entries %v", st.jobs["j"], st.audits)
	}
}

type fakeJobQueue struct{ queued []string }

func (q *fakeJobQueue) Enqueue(_ context.Context, id string) error {
	q.queued = append(q.queued, id)
	return nil
}

// A job whose runs keep failing counts them; when its message is
// dead-lettered it fails with the count and the last error; only a failed
// job is retried, from its checkpoint, and the retry can finish it.
func TestDeadLetteredJobFailsWithItsReasonAndCanBeRetried(t *testing.T) {
	ctx := context.Background()
	st := &fakeJobStore{jobs: map[string]Job{"job_1": {ID: "job_1", Kind: "later", Status: JobQueued, WorkspaceID: "ws", OrgID: "org",
		CreatedBy: "u_starter", Version: 1}}}
	q := &fakeJobQueue{}
	n := 0
	s := &Jobs{base: base{clock: handoffClock{}, ids: handoffIDs{&n}}, store: st, queue: q, runners: map[JobKind]jobRunner{}}
	starter := Caller{UserID: "u_starter"}

	if _, err := s.RetryJob(ctx, starter, "job_1"); !IsCode(err, CodeConflict) {
		t.Fatalf("retry of a queued job: %v, want conflict", err)
	}
	for range 3 {
		if _, err := s.RunJob(ctx, "job_1"); err == nil || !strings.Contains(err.Error(), `unknown job kind "later"`) {
			t.Fatalf("run: %v", err)
		}
	}
	if j := st.jobs["job_1"]; j.Failures != 3 || !strings.Contains(j.LastError, "unknown job kind") || j.Status != JobQueued {
		t.Fatalf("after 3 failed runs: %+v", j)
	}
	if err := s.DeadLettered(ctx, "job_1"); err != nil {
		t.Fatal(err)
	}
	j := st.jobs["job_1"]
	if j.Status != JobFailed || !strings.HasPrefix(j.Reason, "its run message failed 3 times: ") || !strings.Contains(j.Reason, `unknown job kind "later"`) {
		t.Fatalf("dead-lettered job: %+v", j)
	}
	// Another copy of the message changes nothing; a straggling run stops.
	if err := s.DeadLettered(ctx, "job_1"); err != nil || st.jobs["job_1"].Version != j.Version {
		t.Fatalf("second dead letter: %v %+v", err, st.jobs["job_1"])
	}
	if more, err := s.RunJob(ctx, "job_1"); more || err != nil {
		t.Fatalf("run of a failed job: %v %v", more, err)
	}
	// A message for a job that is gone is done with.
	if err := s.DeadLettered(ctx, "job_gone"); err != nil {
		t.Fatal(err)
	}

	// The runner is deployed; the starter retries.
	s.runners["later"] = func(_ context.Context, j *Job) (bool, error) { j.Done++; return true, nil }
	got, err := s.RetryJob(ctx, starter, "job_1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != JobQueued || got.Reason != "" || got.Failures != 0 || !slices.Equal(q.queued, []string{"job_1"}) {
		t.Fatalf("retried: %+v, queued %v", got, q.queued)
	}
	if more, err := s.RunJob(ctx, "job_1"); more || err != nil || st.jobs["job_1"].Status != JobSucceeded {
		t.Fatalf("run after retry: %v %v %+v", more, err, st.jobs["job_1"])
	}
	if _, err := s.RetryJob(ctx, starter, "job_1"); !IsCode(err, CodeConflict) {
		t.Fatalf("retry of a succeeded job: %v, want conflict", err)
	}
	want := []string{"job.later.failed", "job.later.retried", "job.later.succeeded"}
	if !slices.Equal(st.audits, want) {
		t.Fatalf("audit %v, want %v", st.audits, want)
	}
}
