package collab

import "time"

// TaskKind says what a task's items need: annotation or review.
type TaskKind string

// Task kinds.
const (
	TaskAnnotation TaskKind = "annotation"
	TaskReview     TaskKind = "review"
)

// Valid reports whether k is a task kind.
func (k TaskKind) Valid() bool { return k == TaskAnnotation || k == TaskReview }

// Task is a named set of a project's items handed to one org taking part
// (the host, a partner or a workspace collaborator). While an item is in a
// task of an org, it belongs to that org for the walls.
type Task struct {
	ID        string
	ProjectID string
	Name      string
	Kind      TaskKind
	OrgID     string    // the org the work is handed to
	DueAt     time.Time // zero: no due date
	AllowPull bool      // annotators of the org may pull unassigned items
	CreatedBy string
	CreatedAt time.Time
	Version   int
}

// NewTask is what creating a task takes.
type NewTask struct {
	Name      string
	Kind      TaskKind
	OrgID     string
	DueAt     time.Time
	AllowPull bool
}

// TaskPatch changes a task; nil fields stay as they are.
type TaskPatch struct {
	Name      *string
	DueAt     *time.Time // the zero time clears the due date
	AllowPull *bool
}

// TaskProgress counts a task's items per status and per holder (the
// assignee of an annotation task's item, the reviewer of a review task's);
// "" is unassigned.
type TaskProgress struct {
	Total    int
	ByStatus map[ItemStatus]int
	ByHolder map[string]map[ItemStatus]int
}

// TaskItemRef is one item of a task as its index holds it: enough to count
// progress and to find the next item without reading the items.
type TaskItemRef struct {
	ItemID string
	Holder string // "" when unassigned
	Status ItemStatus
}

// TaskItemsResult reports items put in a task: added, and those skipped
// with the reason.
type TaskItemsResult struct {
	Added   []string
	Skipped []SkippedItem
}

// SkippedItem is an item a bulk change left alone, and why.
type SkippedItem struct {
	ItemID string
	Reason string
}

// Distribution spreads a task's unassigned items evenly over annotators,
// named one by one or as a group of the task's org.
type Distribution struct {
	UserIDs []string
	GroupID string
}

// MaxTaskItemsPerCall bounds the item ids one call puts in a task.
const MaxTaskItemsPerCall = 1000

// workable lists the statuses an annotation task's items are worked in.
var workable = []ItemStatus{StNew, StInProgress, StWaitingChange}

// holder is who holds an item within its task: the reviewer of a review
// task's item in review, otherwise the assignee.
func (it Item) holder() string {
	if it.TaskKind == TaskReview && it.Status.InReview() {
		return it.ReviewerID
	}
	return it.AssigneeID
}

// Holder is who holds the item in its task ("" when nobody).
func (it Item) Holder() string { return it.holder() }

// Task statuses, derived from the items: open while any item is unfinished
// (or none is in it yet), done when every item is done or skipped.
const (
	TaskOpen = "open"
	TaskDone = "done"
)

// Status is the task's status from its progress.
func (p TaskProgress) Status() string {
	if p.Total > 0 && p.ByStatus[StDone]+p.ByStatus[StSkipped] == p.Total {
		return TaskDone
	}
	return TaskOpen
}
