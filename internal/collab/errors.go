package collab

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies a domain error. The HTTP layer maps each code to one status
// in a single table; nothing else decides a status.
type Code string

// The error codes of the domain.
const (
	CodeInvalid         Code = "invalid"          // bad input, names the fields
	CodeUnauthenticated Code = "unauthenticated"  // no verified identity
	CodeForbidden       Code = "forbidden"        // identity known, right missing
	CodeNotFound        Code = "not_found"        // absent, or invisible to the caller
	CodeConflict        Code = "conflict"         // state or version conflict
	CodeGone            Code = "gone"             // existed, no longer usable
	CodeUnprocessable   Code = "unprocessable"    // well-formed but needs a choice
	CodeInternal        Code = "internal"         // anything else; never shown in detail
	CodeTooLarge        Code = "too_large"        // body over the limit
	CodeUnsupported     Code = "unsupported_type" // wrong content type
	CodeRateLimited     Code = "rate_limited"     // too many requests of one kind; retry later
	CodeUnavailable     Code = "unavailable"      // a dependency failed after the change was saved
)

// FieldError names one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the domain's error type: a code, a message fit for the caller,
// optional field errors, and the typed facts some codes carry for the
// caller. The HTTP layer renders each fact into its own problem member in
// one place (internal/httpapi/problem.go); at most the facts of the error's
// code are set.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError

	// RetryAfter (rate_limited) is how long until a retry can succeed,
	// measured on the domain's clock when the error was made, so the HTTP
	// layer needs no clock of its own: it answers Retry-After and
	// retryAfterSeconds with the whole seconds plus one.
	RetryAfter time.Duration
	// Reason (gone) says why an invitation can no longer be used.
	Reason GoneReason
	// Saved (unavailable) is the record the change saved before a
	// dependency failed, for the caller to complete it.
	Saved *SavedRecord
	// OrgChoice (unprocessable) lists the orgs the caller must choose one
	// of; an empty list means they have none.
	OrgChoice *OrgChoice
	// Manager (conflict) is the partnering org's current manager, who adds
	// the caller instead.
	Manager *PartnerManager

	Err error // wrapped cause, never shown to callers
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// GoneReason says why an invitation can no longer be used.
type GoneReason string

// The reasons an invitation is gone.
const (
	GoneUsed     GoneReason = "used"
	GoneRevoked  GoneReason = "revoked"
	GoneExpired  GoneReason = "expired"
	GoneDeclined GoneReason = "declined"
)

// SavedRecord names a record a change saved before it failed.
type SavedRecord struct {
	Kind Record // RecordInvitation or RecordJob
	ID   string
}

// OrgChoice is the orgs an acceptance may attach, for the caller to name one.
type OrgChoice struct{ Orgs []OrgRef }

// OrgRef names an org.
type OrgRef struct{ ID, Name string }

// PartnerManager is the member who manages a project for a partnering org.
type PartnerManager struct {
	OrgID  string
	UserID string
	Name   string // "" when the user is not known
}

// Errorf builds a domain error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches a cause to a domain error.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first domain error in err's chain, or
// CodeInternal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code Code) bool { return err != nil && ErrorCode(err) == code }

// Validation collects field errors; Err returns nil when there are none.
type Validation struct{ fields []FieldError }

// Add records a field error.
func (v *Validation) Add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns an invalid-input error listing every field, or nil.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	msg := "invalid " + v.fields[0].Field + ": " + v.fields[0].Message
	if len(v.fields) > 1 {
		msg = fmt.Sprintf("%d fields are invalid", len(v.fields))
	}
	return &Error{Code: CodeInvalid, Message: msg, Fields: v.fields}
}

// Record is a kind of stored record, as messages name it. The store
// reports its failures with the constructors below, passing records and
// ids; the words are the domain's.
type Record string

// The kinds of records messages name.
const (
	RecordUser          Record = "user"
	RecordOrg           Record = "org"
	RecordWorkspace     Record = "workspace"
	RecordProject       Record = "project"
	RecordItem          Record = "item"
	RecordTask          Record = "task"
	RecordGroup         Record = "group"
	RecordJob           Record = "job"
	RecordInvitation    Record = "invitation"
	RecordToken         Record = "invitation token"
	RecordShareLink     Record = "share link"
	RecordPartner       Record = "partner"
	RecordCollaborator  Record = "collaborator"
	RecordMembership    Record = "membership" // of an org or a project
	RecordWorkspaceRole Record = "workspace role"
	RecordTeam          Record = "project team" // a project's memberships together
	RecordWebhook       Record = "webhook"
)

// named names a record: `project "p1"` by its id, or "the project" (the
// one the caller acts on) when id is "".
func named(kind Record, id string) string {
	if id == "" {
		return "the " + string(kind)
	}
	return fmt.Sprintf("%s %q", kind, id)
}

// NotFound: no record of the kind has the id.
func NotFound(kind Record, id string) *Error {
	return Errorf(CodeNotFound, "%s %q not found", kind, id)
}

// NotFoundBy: no record of the kind has the value under key; a value ""
// is one the message must not repeat (a token).
func NotFoundBy(kind Record, key, value string) *Error {
	if value == "" {
		return Errorf(CodeNotFound, "no %s has this %s", kind, key)
	}
	return Errorf(CodeNotFound, "no %s with %s %q", kind, key, value)
}

// HasNo: the record the caller acts on (of kind owner) has no record of
// the kind.
func HasNo(owner, kind Record) *Error {
	return Errorf(CodeNotFound, "the %s has no %s", owner, kind)
}

// NotMember: the user is not a member of the scope: this one (scopeID "")
// or the one named.
func NotMember(userID string, scope Record, scopeID string) *Error {
	where := "this " + string(scope)
	if scopeID != "" {
		where = fmt.Sprintf("%s %q", scope, scopeID)
	}
	return Errorf(CodeNotFound, "user %q is not a member of %s", userID, where)
}

// NotPartner: the org is not a partner of the project.
func NotPartner(orgID string) *Error {
	return Errorf(CodeNotFound, "org %q is not a partner of this project", orgID)
}

// AlreadyExists: a record of the kind has the id already (id "": the
// record the change creates).
func AlreadyExists(kind Record, id string) *Error {
	return Errorf(CodeConflict, "%s already exists", named(kind, id))
}

// AlreadyMember: the person (by email; "" for the caller) is a member of
// this scope already.
func AlreadyMember(scope Record, email string) *Error {
	if email == "" {
		return Errorf(CodeConflict, "you are already a member of this %s", scope)
	}
	return Errorf(CodeConflict, "%s is already a member of this %s", email, scope)
}

// AlreadyPartner: the org partners the project already.
func AlreadyPartner(orgID string) *Error {
	return Errorf(CodeConflict, "org %q already partners this project", orgID)
}

// AlreadyCollaborator: the org ("" for the caller's) collaborates in the
// workspace already.
func AlreadyCollaborator(orgID string) *Error {
	if orgID == "" {
		return Errorf(CodeConflict, "your org already collaborates in this workspace")
	}
	return Errorf(CodeConflict, "org %q already collaborates in this workspace", orgID)
}

// Stale: the record changed since the caller read it (its version moved);
// kind "" when the store cannot say which record.
func Stale(kind Record) *Error {
	if kind == "" {
		return Errorf(CodeConflict, "the record changed; reload and retry")
	}
	return Errorf(CodeConflict, "the %s changed meanwhile; reload and retry", kind)
}

// RightsChanged: the row the caller's right rested on changed meanwhile.
func RightsChanged() *Error {
	return Errorf(CodeConflict, "your own rights changed meanwhile; reload and retry")
}

// ErrContended marks a change that lost to a concurrent transaction (as
// opposed to one whose record moved on): retrying it as it is may succeed.
var ErrContended = errors.New("contended")

// Contended: a concurrent transaction on the same records won; the change
// may simply be retried.
func Contended(cause error) *Error {
	return Wrap(CodeConflict, errors.Join(ErrContended, cause), "a concurrent change conflicted; retry")
}

// IsContended reports whether err is a Contended error: a retry of the same
// change may succeed, where a Stale one never will.
func IsContended(err error) bool { return errors.Is(err, ErrContended) }

// LastOwner: the change would leave the record (by id, or "" for the one
// the caller acts on) without an owner.
func LastOwner(kind Record, id string) *Error {
	return Errorf(CodeConflict, "%s must keep at least one owner", named(kind, id))
}

// NoLongerExists: the record an invitation refers to was deleted.
func NoLongerExists(kind Record) *Error {
	return Errorf(CodeGone, "the %s no longer exists", kind)
}

// InvitationGone: the invitation can no longer be used, for the reason
// given ("" when the change found it no longer pending, reason unknown).
func InvitationGone(reason GoneReason) *Error {
	switch reason {
	case "":
		return Errorf(CodeGone, "the invitation is no longer pending")
	case GoneUsed:
		return &Error{Code: CodeGone, Message: "this invitation has already been used", Reason: reason}
	}
	return &Error{Code: CodeGone, Message: "this invitation has been " + string(reason), Reason: reason}
}

// TooManyChanges: one atomic change would write n records, more than
// MaxTransactionItems. A use case whose change can grow so large splits it
// into batches; this refuses one that was not split.
func TooManyChanges(n int) *Error {
	return Errorf(CodeConflict, "the change touches %d records; at most %d change at once", n, MaxTransactionItems)
}

// BadCursor: a page cursor that is not one of the listing asked for.
func BadCursor() error {
	var v Validation
	v.Add("cursor", "is not a cursor of this listing")
	return v.Err()
}
