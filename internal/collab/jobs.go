package collab

import (
	"context"
	"fmt"
	"time"
)

// JobKind names a background job.
type JobKind string

// Job kinds.
const (
	JobAddAllUsers        JobKind = "add_all_users"
	JobRemoveCollaborator JobKind = "remove_collaborator"
)

// JobStatus is where a job stands.
type JobStatus string

// Job statuses.
const (
	JobQueued    JobStatus = "queued"
	JobRunning   JobStatus = "running"
	JobSucceeded JobStatus = "succeeded"
	JobFailed    JobStatus = "failed"
)

// Job is background work over many items, done in checkpointed chunks.
type Job struct {
	ID          string
	Kind        JobKind
	Status      JobStatus
	WorkspaceID string
	OrgID       string
	Role        WorkspaceRole // add_all_users: the role given
	CreatedBy   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Done        int // items handled
	Total       int // items known so far (grows while listing)
	Written     int // items written or deleted
	Errors      []string
	// Checkpoint: the phase and the cursor within it where the next chunk
	// starts; a re-run from a checkpoint redoes at most one chunk, and every
	// write of a chunk is idempotent.
	Phase   string
	Cursor  string
	Version int
}

// JobQueue starts jobs: it puts a run message on the jobs queue.
type JobQueue interface {
	Enqueue(ctx context.Context, jobID string) error
}

// Chunk and run budgets of the jobs consumer.
const (
	JobChunk      = 100 // items read per chunk (written in batches of 25)
	JobRunBudget  = 40  // chunks per message before it hands over to a new one
	jobPhaseFirst = "members"
)

// GetJob reports a job to the owning org's workspace admins and the user
// who started it (SPEC §11.8); to anyone else it is not found.
func (s *Service) GetJob(ctx context.Context, c Caller, jobID string) (Job, error) {
	j, err := s.store.GetJob(ctx, jobID)
	if err != nil {
		return Job{}, err
	}
	if j.CreatedBy == c.UserID {
		return j, nil
	}
	if a, err := s.workspaceAccess(ctx, c, j.WorkspaceID, ""); err != nil || a.Permit(WsJobsView, "", nil) != nil {
		return Job{}, Errorf(CodeNotFound, "job %q not found", jobID)
	}
	return j, nil
}

// enqueueJob queues the first run of a stored job.
func (s *Service) enqueueJob(ctx context.Context, j Job) (Job, error) {
	if err := s.jobs.Enqueue(ctx, j.ID); err != nil {
		return j, &Error{Code: CodeUnavailable, Message: "the job was saved but could not be queued; start it again",
			Extra: map[string]any{"jobId": j.ID}, Err: err}
	}
	return j, nil
}

// RunJob works on a job for one message's budget of chunks, saving a
// checkpoint after each. It returns more=true when the job needs another
// run (the consumer then queues one). A run that finds its checkpoint moved
// by another run (a duplicate message) stops quietly.
func (s *Service) RunJob(ctx context.Context, jobID string) (more bool, err error) {
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
		switch j.Kind {
		case JobAddAllUsers:
			finished, err = s.addAllChunk(ctx, &j)
		case JobRemoveCollaborator:
			finished, err = s.removeCollabChunk(ctx, &j)
		default:
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
