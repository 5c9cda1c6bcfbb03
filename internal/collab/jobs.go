package collab

import (
	"time"
)

// JobKind names a background job.
type JobKind string

// Job kinds.
const (
	JobAddAllUsers        JobKind = "add_all_users"
	JobRemoveCollaborator JobKind = "remove_collaborator"
	JobDistributeTask     JobKind = "distribute_task"
	JobStopPartner        JobKind = "stop_partner"
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
	ProjectID   string        // distribute_task: the task's project; stop_partner: the project
	TaskID      string        // distribute_task: the task
	Targets     []string      // distribute_task: the users the items go to, in turn; stop_partner: the users told
	CreatedBy   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Done        int // items handled
	Total       int // items known so far (grows while listing)
	Written     int // items written or deleted
	Errors      []string
	// Reason says why a failed job failed (usecase_jobs.go); Failures and
	// LastError count the runs that failed since it started or was retried.
	Reason    string
	Failures  int
	LastError string
	// Checkpoint: the phase and the cursor within it where the next chunk
	// starts; a re-run from a checkpoint redoes at most one chunk, and every
	// write of a chunk is idempotent.
	Phase  string
	Cursor string
	// Counts tallies what the job did by kind (a stop: StopTallyOf), saved
	// with each checkpoint, so a chunk done again counts nothing twice.
	Counts  map[string]int
	Version int
}

// count adds n to one of the job's tallies.
func (j *Job) count(name string, n int) {
	if n == 0 {
		return
	}
	if j.Counts == nil {
		j.Counts = map[string]int{}
	}
	j.Counts[name] += n
}

// Chunk and run budgets of the jobs consumer.
const (
	JobChunk      = 100 // items read per chunk (written in batches of 25)
	JobRunBudget  = 40  // chunks per message before it hands over to a new one
	jobPhaseFirst = "members"
)
