package collab

import (
	"context"
	"fmt"
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
	// SaveJob writes a job's progress if its version is still j.Version.
	SaveJob(ctx context.Context, j Job) error
	AppendAudit(ctx context.Context, e AuditEntry) error
}

func (s *Jobs) audit(ctx context.Context, scope, actor, org, what string, before, after any) error {
	return s.store.AppendAudit(ctx, AuditEntry{Scope: scope, At: s.clock.Now(), ID: s.ids.New("aud"), Actor: actor, OrgID: org,
		What: what, Before: before, After: after})
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
	if j.CreatedBy == c.UserID {
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
		if finished {
			j.Status = JobSucceeded
		}
		j.UpdatedAt = s.clock.Now()
		if err := s.store.SaveJob(ctx, j); err != nil {
			if IsCode(err, CodeConflict) {
				return false, nil // another run holds the checkpoint
			}
			return false, err
		}
		j.Version++
		if finished {
			if err := s.audit(ctx, WorkspaceScope(j.WorkspaceID), j.CreatedBy, j.OrgID, "job."+string(j.Kind)+".succeeded",
				nil, map[string]any{"jobId": j.ID, "done": j.Done, "written": j.Written}); err != nil {
				return false, err
			}
			return false, nil
		}
	}
	return true, nil
}
