package collab

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ItemStatus is an item's review status (the project-sharing product's).
type ItemStatus string

// Item statuses.
const (
	StNew                 ItemStatus = "new"
	StInProgress          ItemStatus = "in_progress"
	StWaitingReview       ItemStatus = "waiting_for_review"
	StWaitingCollabReview ItemStatus = "waiting_for_collaborator_review"
	StWaitingOwnerReview  ItemStatus = "waiting_for_owner_review"
	StWaitingChange       ItemStatus = "waiting_for_change"
	StDone                ItemStatus = "done"
	StSkipped             ItemStatus = "skipped"
)

// ItemStatuses lists every status.
var ItemStatuses = []ItemStatus{StNew, StInProgress, StWaitingReview, StWaitingCollabReview, StWaitingOwnerReview, StWaitingChange, StDone, StSkipped}

// Valid reports whether s is a status.
func (s ItemStatus) Valid() bool { return slices.Contains(ItemStatuses, s) }

// InReview reports whether the status awaits a review.
func (s ItemStatus) InReview() bool {
	return s == StWaitingReview || s == StWaitingCollabReview || s == StWaitingOwnerReview
}

// ReviewEvent is what happens to an item.
type ReviewEvent string

// Events.
const (
	EvAnnotate       ReviewEvent = "annotate"       // first annotation saved
	EvSubmitPartner  ReviewEvent = "submit_partner" // submit by a partner-org annotator
	EvSubmitHost     ReviewEvent = "submit_host"    // submit by a host-side annotator
	EvApprovePartner ReviewEvent = "approve_partner"
	EvApproveHost    ReviewEvent = "approve_host"
	EvReject         ReviewEvent = "reject"
	EvSkip           ReviewEvent = "skip"
)

// Actor kinds of the transition table.
const (
	ByEditor                 = "anyone with annotations.edit on the item"
	ByAssigneeOrOrgReviewer  = "the assignee (or a reviewer of that org)"
	ByAssigneeOrHostReviewer = "the assignee (or a host reviewer)"
	ByPartnerReviewer        = "a reviewer of the item's partner org"
	ByHostReviewer           = "a host reviewer (owner, developer, project_manager)"
	ByStageReviewer          = "a reviewer allowed at that stage"
	ByAssigneeOrReviewer     = "the assignee or a reviewer"
)

// Transition is one row of the review state machine.
type Transition struct {
	From    []ItemStatus
	Event   ReviewEvent
	To      ItemStatus
	Who     string
	Handoff bool // crosses organizations through the review-handoff queue
}

// Transitions is THE review state machine of SPEC §7: the one source for
// the review code, docs/review.md and the tests. The host's rejection of a
// partner's item in waiting_for_owner_review also travels through the
// handoff queue (the service decides that from the item's org).
var Transitions = []Transition{
	{[]ItemStatus{StNew}, EvAnnotate, StInProgress, ByEditor, false},
	{[]ItemStatus{StNew, StInProgress, StWaitingChange}, EvSubmitPartner, StWaitingCollabReview, ByAssigneeOrOrgReviewer, false},
	{[]ItemStatus{StNew, StInProgress, StWaitingChange}, EvSubmitHost, StWaitingReview, ByAssigneeOrHostReviewer, false},
	{[]ItemStatus{StWaitingCollabReview}, EvApprovePartner, StWaitingOwnerReview, ByPartnerReviewer, true},
	{[]ItemStatus{StWaitingReview, StWaitingOwnerReview}, EvApproveHost, StDone, ByHostReviewer, false},
	{[]ItemStatus{StWaitingReview, StWaitingCollabReview, StWaitingOwnerReview}, EvReject, StWaitingChange, ByStageReviewer, false},
	{[]ItemStatus{StNew, StInProgress}, EvSkip, StSkipped, ByAssigneeOrReviewer, false},
}

// Next returns the status an event leads to from a status, or a conflict
// error when the table has no such transition.
func Next(from ItemStatus, ev ReviewEvent) (Transition, error) {
	for _, t := range Transitions {
		if t.Event == ev && slices.Contains(t.From, from) {
			return t, nil
		}
	}
	return Transition{}, Errorf(CodeConflict, "an item in %s cannot %s", from, strings.ReplaceAll(string(ev), "_", " "))
}

// ReviewMarkdown renders the state machine for docs/review.md.
func ReviewMarkdown() string {
	var b strings.Builder
	b.WriteString("# Review workflow\n\nGenerated from `internal/collab/review.go` by `go generate ./internal/collab`; do not edit.\n\n")
	b.WriteString("```mermaid\nstateDiagram-v2\n    [*] --> new\n")
	for _, t := range Transitions {
		for _, f := range t.From {
			label := string(t.Event)
			if t.Handoff {
				label += " (handoff queue)"
			}
			fmt.Fprintf(&b, "    %s --> %s: %s\n", f, t.To, label)
		}
	}
	b.WriteString("    done --> [*]\n    skipped --> [*]\n```\n\n")
	b.WriteString("| from | event | to | who |\n| --- | --- | --- | --- |\n")
	for _, t := range Transitions {
		from := make([]string, len(t.From))
		for i, f := range t.From {
			from[i] = string(f)
		}
		to := string(t.To)
		if t.Handoff {
			to += ", through the handoff queue"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", strings.Join(from, ", "), t.Event, to, t.Who)
	}
	b.WriteString("\nA host rejection of a partner's item waiting for owner review travels back through the handoff queue too. Any other event is refused with 409.\n")
	return b.String()
}

// Item is a unit of annotation work.
type Item struct {
	ID             string
	ProjectID      string
	Name           string
	FileRef        string
	Status         ItemStatus
	AssigneeID     string
	OrgID          string // the assignee's org; the host org when unassigned
	LastAnnotator  string
	Annotation     []byte // JSON document
	PendingHandoff string // the transition id a handoff message carries
	StatusSince    time.Time
	CreatedAt      time.Time
	CreatedBy      string
	Version        int
}

// ItemEvent is one line of an item's history.
type ItemEvent struct {
	ItemID  string
	ID      string
	From    ItemStatus
	To      ItemStatus
	ActorID string
	OrgID   string
	At      time.Time
	Comment string
}

// Comment is a remark on an item.
type Comment struct {
	ID       string
	ItemID   string
	AuthorID string
	OrgID    string
	Text     string
	At       time.Time
}

// MaxAnnotationBytes bounds an annotation document.
const MaxAnnotationBytes = 256 << 10

// StatDelta adds to one member's analytics counters for one day.
type StatDelta struct {
	ProjectID string
	UserID    string
	Day       string // 2006-01-02
	Counts    map[string]int
}

// OutboxMessage is a message written in the same transaction as the change
// that causes it, and relayed to its queue afterwards.
type OutboxMessage struct {
	ID    string
	Queue string // "handoff" or "mail"
	Group string // FIFO message group
	Kind  string
	Body  []byte
	At    time.Time
}

// ItemChange is one transition (or edit) of an item, written in one
// transaction conditioned on the item's version.
type ItemChange struct {
	Before Item
	After  Item
	Event  *ItemEvent
	Stats  []StatDelta
	Outbox []OutboxMessage
	Audit  *AuditEntry
}

// Analytics are one member's review figures over a date range.
type Analytics struct {
	Assigned  int
	Submitted int
	Approved  int
	Rejected  int
	SecondsIn map[ItemStatus]int
	TimesIn   map[ItemStatus]int
}
