package collab

import (
	"context"
	"fmt"
	"strings"
)

// Jobs starts, reports and runs background jobs.
type Jobs struct {
	base
	store   JobStore
	queue   JobQueue
	runners map[JobKind]jobRunner
}

// JobStore keeps checkpointed jobs.
type JobStore interface {
	CreateJob(ctx context.Context, j Job, audit ...AuditEntry) error
	GetJob(ctx context.Context, id string) (Job, error)
	// SaveJob writes a job's progress if its version is still j.Version,
	// with its audit entries in the same transaction.
	SaveJob(ctx context.Context, j Job, audit ...AuditEntry) error
}

// JobQueue starts jobs: it puts a run message on the jobs queue.
type JobQueue interface {
	Enqueue(ctx context.Context, jobID string) error
}

// GetJob reports a job to the owning org's workspace admins and the user
// who started it (docs/security.md, invariant 8); to anyone else it is not found.
func (s *Jobs) GetJob(ctx context.Context, c Caller, jobID string) (Job, error) {
	j, err := s.store.GetJob(ctx, jobID)
	if err != nil {
		return Job{}, err
	}
	if j.CreatedBy == c.UserID && j.CreatedBy != PlatformActor { // the platform's jobs are nobody's own
		return j, nil
	}
	if a, err := s.workspaceAccess(ctx, c, j.WorkspaceID, ""); err != nil || a.Permit(WsJobsView, "", nil) != nil {
		return Job{}, NotFound(RecordJob, jobID)
	}
	return j, nil
}

// jobRunner does one chunk of a job's work, advancing its checkpoint; it
// reports whether the job is finished.
type jobRunner func(ctx context.Context, j *Job) (finished bool, err error)

// start stores a new job, with its audit entry, and queues its first run.
func (s *Jobs) start(ctx context.Context, j Job, audit ...AuditEntry) (Job, error) {
	if err := s.store.CreateJob(ctx, j, audit...); err != nil {
		return Job{}, err
	}
	return s.enqueue(ctx, j)
}

// enqueue queues the first run of a stored job.
func (s *Jobs) enqueue(ctx context.Context, j Job) (Job, error) {
	if err := s.queue.Enqueue(ctx, j.ID); err != nil {
		return j, &Error{Code: CodeUnavailable, Message: "the job was saved but could not be queued; start it again",
			Saved: &SavedRecord{Kind: RecordJob, ID: j.ID}, Err: err}
	}
	return j, nil
}

// RunJob works on a job for one message's budget of chunks, saving a
// checkpoint after each. It returns more=true when the job needs another
// run (the consumer then queues one). A run that finds its checkpoint moved
// by another run (a duplicate message) stops quietly.
func (s *Jobs) RunJob(ctx context.Context, jobID string) (more bool, err error) {
	defer func() {
		if err != nil {
			s.noteFailure(ctx, jobID, err)
		}
	}()
	j, err := s.store.GetJob(ctx, jobID)
	if err != nil {
		return false, err
	}
	if j.Status == JobSucceeded || j.Status == JobFailed {
		return false, nil
	}
	if j.Status == JobQueued {
		j.Status = JobRunning
		if j.Phase == "" {
			j.Phase = jobPhaseFirst
		}
	}
	for range JobRunBudget {
		if err := ctx.Err(); err != nil {
			return true, nil
		}
		var finished bool
		if run, ok := s.runners[j.Kind]; ok {
			finished, err = run(ctx, &j)
		} else {
			err = fmt.Errorf("unknown job kind %q", j.Kind)
		}
		if err != nil {
			return false, fmt.Errorf("job %s: %w", j.ID, err)
		}
		j.UpdatedAt = s.clock.Now()
		var audit []AuditEntry
		if finished {
			// The job's end and its entry in one transaction: a retry that
			// finds the job done never misses the entry (or its event).
			j.Status = JobSucceeded
			audit = append(audit, AuditEntry{Scope: WorkspaceScope(j.WorkspaceID), At: j.UpdatedAt, ID: s.ids.New("aud"), Actor: j.CreatedBy,
				OrgID: j.OrgID, What: "job." + string(j.Kind) + ".succeeded", After: map[string]any{"jobId": j.ID, "done": j.Done, "written": j.Written}})
		}
		if err := s.store.SaveJob(ctx, j, audit...); err != nil {
			if IsContended(err) {
				return false, err // lost a race with a write: the message comes back
			}
			if IsCode(err, CodeConflict) {
				// Stale: another run moved the checkpoint, unless the write
				// that failed was our own (its answer lost, its retry
				// refused): then the stored job is ours, one version on.
				now, gerr := s.store.GetJob(ctx, j.ID)
				if gerr != nil {
					return false, gerr
				}
				if now.Version != j.Version+1 || now.Phase != j.Phase || now.Cursor != j.Cursor || now.Done != j.Done {
					return false, nil // another run holds the checkpoint
				}
			} else {
				return false, err
			}
		}
		j.Version++
		if finished {
			return false, nil
		}
	}
	return true, nil
}

// maxJobErrorLength bounds the last error a job keeps.
const maxJobErrorLength = 500

// noteFailure counts a failed run on the stored job, with its error, for
// the reason the job gives if its message is dead-lettered. Best effort: a
// run that failed because the table did may not be able to say so.
func (s *Jobs) noteFailure(ctx context.Context, jobID string, cause error) {
	for range 3 {
		j, err := s.store.GetJob(ctx, jobID)
		if err != nil || j.Status == JobSucceeded || j.Status == JobFailed {
			return
		}
		j.Failures++
		j.LastError = cause.Error()
		if len(j.LastError) > maxJobErrorLength {
			j.LastError = strings.ToValidUTF8(j.LastError[:maxJobErrorLength], "") + "…"
		}
		j.UpdatedAt = s.clock.Now()
		if err := s.store.SaveJob(ctx, j); !IsCode(err, CodeConflict) {
			return
		}
	}
}

// DeadLettered fails the job whose run message reached the jobs queue's
// dead-letter queue: its runs failed as often as the queue retries them.
// The job keeps its checkpoint, so RetryJob can go on from it. A job that
// finished, failed already or is gone is left as it is.
func (s *Jobs) DeadLettered(ctx context.Context, jobID string) error {
	for range 5 {
		j, err := s.store.GetJob(ctx, jobID)
		if IsCode(err, CodeNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if j.Status == JobSucceeded || j.Status == JobFailed {
			return nil
		}
		before := j.Status
		j.Status = JobFailed
		j.Reason = "its run message was dead-lettered after repeated failures"
		if j.Failures > 0 {
			times := "times"
			if j.Failures == 1 {
				times = "time"
			}
			j.Reason = fmt.Sprintf("its run message failed %d %s", j.Failures, times)
			if j.LastError != "" {
				j.Reason += ": " + j.LastError
			}
		}
		now := s.clock.Now()
		j.UpdatedAt = now
		err = s.store.SaveJob(ctx, j, AuditEntry{Scope: WorkspaceScope(j.WorkspaceID), At: now, ID: s.ids.New("aud"), Actor: j.CreatedBy,
			OrgID: j.OrgID, What: "job." + string(j.Kind) + ".failed", Before: map[string]any{"jobId": j.ID, "status": before},
			After: map[string]any{"jobId": j.ID, "status": JobFailed, "reason": j.Reason}})
		if !IsCode(err, CodeConflict) {
			return err
		}
	}
	return Errorf(CodeConflict, "job %s kept changing while it was being failed", jobID)
}

// RetryJob runs a failed job again from its checkpoint: its starter or the
// owning org's workspace admins (as GetJob) may; to anyone else it is not
// found. Only a failed job is retried; the answer is the job, queued.
func (s *Jobs) RetryJob(ctx context.Context, c Caller, jobID string) (Job, error) {
	j, err := s.GetJob(ctx, c, jobID)
	if err != nil {
		return Job{}, err
	}
	if j.Status != JobFailed {
		return Job{}, Errorf(CodeConflict, "only a failed job can be retried; this one is %s", j.Status)
	}
	reason := j.Reason
	// From its checkpoint: a job that never ran starts as new.
	j.Status = JobRunning
	if j.Phase == "" {
		j.Status = JobQueued
	}
	j.Reason, j.Failures, j.LastError = "", 0, ""
	now := s.clock.Now()
	j.UpdatedAt = now
	if err := s.store.SaveJob(ctx, j, AuditEntry{Scope: WorkspaceScope(j.WorkspaceID), At: now, ID: s.ids.New("aud"), Actor: c.UserID,
		OrgID: j.OrgID, What: "job." + string(j.Kind) + ".retried", Before: map[string]any{"jobId": j.ID, "status": JobFailed, "reason": reason},
		After: map[string]any{"jobId": j.ID, "status": j.Status}}); err != nil {
		return Job{}, err
	}
	j.Version++
	return s.enqueue(ctx, j)
}
