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

// ReviewEvent names a transition of the review state machine.
type ReviewEvent string

// Events.
const (
	EvAnnotate       ReviewEvent = "annotate"        // first annotation saved
	EvSubmitPartner  ReviewEvent = "submit_partner"  // submit of a partner org's item
	EvSubmitHost     ReviewEvent = "submit_host"     // submit of a host item
	EvApprovePartner ReviewEvent = "approve_partner" // the partner's approval, crossing to the host
	EvApproveBypass  ReviewEvent = "approve_bypass"  // the host approves at the collaborator stage, for good
	EvApproveHost    ReviewEvent = "approve_host"    // the host's final approval
	EvReject         ReviewEvent = "reject"
	EvSkip           ReviewEvent = "skip"
	EvReturnToHost   ReviewEvent = "return_to_host" // the partner stopped collaborating
)

// ReviewEvents lists every event.
var ReviewEvents = []ReviewEvent{EvAnnotate, EvSubmitPartner, EvSubmitHost, EvApprovePartner, EvApproveBypass, EvApproveHost, EvReject, EvSkip, EvReturnToHost}

// Command is the call that fires a transition.
type Command string

// Commands.
const (
	CmdSave    Command = "save"    // PUT .../annotation
	CmdSubmit  Command = "submit"  // POST .../submit
	CmdApprove Command = "approve" // POST .../review {decision: approve}
	CmdReject  Command = "reject"  // POST .../review {decision: reject}
	CmdSkip    Command = "skip"    // POST .../skip
	CmdReturn  Command = "return"  // the partner's collaboration stops
)

// Commands lists every command with the HTTP call it is.
var Commands = []struct {
	Command Command
	Call    string
}{
	{CmdSave, "`PUT .../items/{itemId}/annotation`"},
	{CmdSubmit, "`POST .../items/{itemId}/submit`"},
	{CmdApprove, "`POST .../items/{itemId}/review` with `decision: approve`"},
	{CmdReject, "`POST .../items/{itemId}/review` with `decision: reject` and a comment"},
	{CmdSkip, "`POST .../items/{itemId}/skip`"},
	{CmdReturn, "stopping the partner (`DELETE /projects/{projectId}/partners/{orgId}`) or removing the collaborator (its job)"},
}

// Actor is a kind of caller a row lets fire its transition. Who is which
// is decided in one place, Access.is (review_rules.go).
type Actor string

// Actor kinds.
const (
	ActorEditor          Actor = "editor"
	ActorAssignee        Actor = "assignee"
	ActorReviewer        Actor = "reviewer"
	ActorPartnerReviewer Actor = "partner_reviewer"
	ActorHostReviewer    Actor = "host_reviewer"
	ActorPlatform        Actor = "platform"
)

// Actors lists every actor kind with its description for the docs.
var Actors = []struct {
	Actor       Actor
	Description string
}{
	{ActorEditor, "anyone who may edit the item now (annotations.edit on it; an annotator only on their own items)"},
	{ActorAssignee, "the item's assignee"},
	{ActorReviewer, "anyone with items.review who sees the item"},
	{ActorPartnerReviewer, "a reviewer of the item's partner org (items.review, acting for that org)"},
	{ActorHostReviewer, "a host reviewer (any host member whose role has items.review: owner, developer, project_manager, annotation_manager)"},
	{ActorPlatform, "the platform itself, as a collaboration ends (no caller fires it)"},
}

// Describe returns the actor's description.
func (w Actor) Describe() string {
	for _, a := range Actors {
		if a.Actor == w {
			return a.Description
		}
	}
	return string(w)
}

// Condition is what a row needs of the item. The rows of one command and
// status partition by it.
type Condition string

// Conditions.
const (
	AnyItem     Condition = ""
	PartnerItem Condition = "partner_item" // the item belongs to a partner org
	HostItem    Condition = "host_item"    // the item belongs to the host org
)

// Describe returns the condition's description.
func (c Condition) Describe() string {
	switch c {
	case PartnerItem:
		return "the item belongs to a partner org"
	case HostItem:
		return "the item belongs to the host org"
	}
	return ""
}

// Setting names a project setting a row needs on.
type Setting string

// Settings.
const (
	SettingHostBypass Setting = "hostMayBypassCollaboratorReview"
)

// Transition is one row of the review state machine: the command fires it
// on an item in one of From (meeting When) for a caller who is one of Who,
// when Setting (if any) is on in the project.
type Transition struct {
	From    []ItemStatus
	Command Command
	Event   ReviewEvent
	To      ItemStatus
	When    Condition // what the item must be
	Setting Setting   // the project setting that must be on; "" for none
	Who     []Actor   // any of them may fire it
	Handoff bool      // crosses organizations through the review-handoff queue
	// Refusal is the 403 detail for a caller who is none of Who; the rows
	// of one command and status share it.
	Refusal string
}

// Refusals shared by rows.
const (
	refuseEdit        = "you may not edit this item now"
	refuseSubmit      = "only the assignee or a reviewer of the item's org submits it"
	refuseCollabStage = "at the collaborator stage only the partner's reviewers decide"
	refuseHostStage   = "only the host's reviewers decide at this stage"
	refuseSkip        = "only the assignee or a reviewer skips an item"
)

var (
	submittable   = []ItemStatus{StNew, StInProgress, StWaitingChange}
	collabStage   = []ItemStatus{StWaitingCollabReview}
	ownerStage    = []ItemStatus{StWaitingOwnerReview}
	hostStages    = []ItemStatus{StWaitingReview, StWaitingOwnerReview}
	hostOnlyStage = []ItemStatus{StWaitingReview}
)

// Transitions is THE review state machine (docs/review.md): every edge, with who
// may fire it, is a row here, the one source for the review use cases, the
// handoff consumer, docs/review.md and the tests. Where several rows fit a
// command on an item, the first whose Who and Setting admit the caller is
// fired (they are disjoint: a test checks it).
var Transitions = []Transition{
	{From: []ItemStatus{StNew}, Command: CmdSave, Event: EvAnnotate, To: StInProgress,
		Who: []Actor{ActorEditor}, Refusal: refuseEdit},
	{From: submittable, Command: CmdSubmit, Event: EvSubmitPartner, To: StWaitingCollabReview, When: PartnerItem,
		Who: []Actor{ActorAssignee, ActorPartnerReviewer}, Refusal: refuseSubmit},
	{From: submittable, Command: CmdSubmit, Event: EvSubmitHost, To: StWaitingReview, When: HostItem,
		Who: []Actor{ActorAssignee, ActorHostReviewer}, Refusal: refuseSubmit},
	{From: collabStage, Command: CmdApprove, Event: EvApprovePartner, To: StWaitingOwnerReview,
		Who: []Actor{ActorPartnerReviewer}, Handoff: true, Refusal: refuseCollabStage},
	// The bypass: the host, reviewing last, approves for good.
	{From: collabStage, Command: CmdApprove, Event: EvApproveBypass, To: StDone, Setting: SettingHostBypass,
		Who: []Actor{ActorHostReviewer}, Refusal: refuseCollabStage},
	{From: hostStages, Command: CmdApprove, Event: EvApproveHost, To: StDone,
		Who: []Actor{ActorHostReviewer}, Refusal: refuseHostStage},
	{From: collabStage, Command: CmdReject, Event: EvReject, To: StWaitingChange,
		Who: []Actor{ActorPartnerReviewer}, Refusal: refuseCollabStage},
	{From: collabStage, Command: CmdReject, Event: EvReject, To: StWaitingChange, Setting: SettingHostBypass,
		Who: []Actor{ActorHostReviewer}, Refusal: refuseCollabStage},
	{From: hostOnlyStage, Command: CmdReject, Event: EvReject, To: StWaitingChange,
		Who: []Actor{ActorHostReviewer}, Refusal: refuseHostStage},
	{From: ownerStage, Command: CmdReject, Event: EvReject, To: StWaitingChange, When: HostItem,
		Who: []Actor{ActorHostReviewer}, Refusal: refuseHostStage},
	// The host's rejection of a partner's item crosses back to the partner.
	{From: ownerStage, Command: CmdReject, Event: EvReject, To: StWaitingChange, When: PartnerItem,
		Who: []Actor{ActorHostReviewer}, Handoff: true, Refusal: refuseHostStage},
	{From: []ItemStatus{StNew, StInProgress}, Command: CmdSkip, Event: EvSkip, To: StSkipped,
		Who: []Actor{ActorAssignee, ActorReviewer}, Refusal: refuseSkip},
	// A partner that stops collaborating hands its unfinished items back:
	// new, unassigned, the host's; a pending crossing is dropped.
	{From: []ItemStatus{StNew, StInProgress, StWaitingChange, StWaitingCollabReview, StWaitingOwnerReview}, Command: CmdReturn,
		Event: EvReturnToHost, To: StNew, When: PartnerItem, Who: []Actor{ActorPlatform}, Refusal: "items return to the host only as a collaboration stops"},
}

// ReturnToHost is the row that hands a leaving partner's item back.
func ReturnToHost(from ItemStatus) (Transition, bool) {
	for _, t := range Transitions {
		if t.Command == CmdReturn && slices.Contains(t.From, from) {
			return t, true
		}
	}
	return Transition{}, false
}

// conditions renders what a row needs besides its actors.
func (t Transition) conditions() string {
	var c []string
	if d := t.When.Describe(); d != "" {
		c = append(c, d)
	}
	if t.Setting != "" {
		c = append(c, "project setting `"+string(t.Setting)+"` on")
	}
	return strings.Join(c, "; ")
}

// ReviewMarkdown renders the state machine for docs/review.md.
func ReviewMarkdown() string {
	var b strings.Builder
	b.WriteString("# Review workflow\n\nGenerated from `internal/collab/review.go` by `go generate ./internal/collab`; do not edit.\n\n")
	b.WriteString("```mermaid\nstateDiagram-v2\n    [*] --> new\n")
	for _, t := range Transitions {
		var notes []string
		if t.When != AnyItem {
			notes = append(notes, strings.ReplaceAll(string(t.When), "_", " "))
		}
		if t.Setting != "" {
			notes = append(notes, "if "+string(t.Setting))
		}
		if t.Handoff {
			notes = append(notes, "handoff queue")
		}
		who := make([]string, len(t.Who))
		for i, w := range t.Who {
			who[i] = string(w)
		}
		label := string(t.Event) + " by " + strings.Join(who, " or ")
		if len(notes) > 0 {
			label += " (" + strings.Join(notes, ", ") + ")"
		}
		for _, f := range t.From {
			fmt.Fprintf(&b, "    %s --> %s: %s\n", f, t.To, label)
		}
	}
	b.WriteString("    done --> [*]\n    skipped --> [*]\n```\n\n")
	b.WriteString("| from | command | event | when | to | who |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, t := range Transitions {
		from := make([]string, len(t.From))
		for i, f := range t.From {
			from[i] = string(f)
		}
		to := string(t.To)
		if t.Handoff {
			to += ", through the handoff queue"
		}
		when := t.conditions()
		if when == "" {
			when = "-"
		}
		who := make([]string, len(t.Who))
		for i, w := range t.Who {
			who[i] = w.Describe()
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", strings.Join(from, ", "), t.Command, t.Event, when, to, strings.Join(who, ", or "))
	}
	b.WriteString("\n## Commands\n\n| command | call |\n| --- | --- |\n")
	for _, c := range Commands {
		fmt.Fprintf(&b, "| %s | %s |\n", c.Command, c.Call)
	}
	b.WriteString("\n## Actors\n\n| actor | who |\n| --- | --- |\n")
	for _, a := range Actors {
		fmt.Fprintf(&b, "| %s | %s |\n", a.Actor, a.Description)
	}
	b.WriteString("\nA command on an item whose status (and kind) has no row is refused with 409; a caller who is none of a fitting row's actors, or whose row needs a project setting that is off, is refused with 403. ")
	b.WriteString("The handoff consumer applies only a message that names a row crossing through the handoff queue; any other message is dropped like a stale one.\n")
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
	OrgID          string // the org the item belongs to for the walls: its task's org, else its assignee's, else the host
	TaskID         string // the task holding the item, if any
	TaskKind       TaskKind
	ReviewerID     string    // a review task's reviewer for the item
	SegmentStart   time.Time // when the item came to OrgID: a partner sees history and comments from then on
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
	TaskID    string // also counted for the task, per member
	ProjectID string
	UserID    string
	Day       string // 2006-01-02
	Counts    map[Counter]int
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
	Before    Item
	After     Item
	Event     *ItemEvent
	Stats     []StatDelta
	OrgReview *OrgReviewDelta // a review decision's count in its org's review metrics
	Outbox    []OutboxMessage
	Audit     *AuditEntry
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

// Counter names one analytics figure kept per member and day. Only this
// package composes and reads counter names; the store adds and returns
// them as they are.
type Counter string

// The counters.
const (
	CountAssigned  Counter = "assigned"
	CountSubmitted Counter = "submitted"
	CountApproved  Counter = "approved"
	CountRejected  Counter = "rejected"
)

// SecondsInCounter counts the seconds items spent in a status.
func SecondsInCounter(st ItemStatus) Counter { return Counter("sec_" + string(st)) }

// TimesInCounter counts how many times items left a status.
func TimesInCounter(st ItemStatus) Counter { return Counter("n_" + string(st)) }

// NewAnalytics returns empty figures.
func NewAnalytics() Analytics {
	return Analytics{SecondsIn: map[ItemStatus]int{}, TimesIn: map[ItemStatus]int{}}
}

// Add folds one stored counter into the figures; an unknown name is
// ignored.
func (a *Analytics) Add(c Counter, v int) {
	switch {
	case c == CountAssigned:
		a.Assigned += v
	case c == CountSubmitted:
		a.Submitted += v
	case c == CountApproved:
		a.Approved += v
	case c == CountRejected:
		a.Rejected += v
	case strings.HasPrefix(string(c), "sec_"):
		a.SecondsIn[ItemStatus(strings.TrimPrefix(string(c), "sec_"))] += v
	case strings.HasPrefix(string(c), "n_"):
		a.TimesIn[ItemStatus(strings.TrimPrefix(string(c), "n_"))] += v
	}
}
