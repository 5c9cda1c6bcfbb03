package collab

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// Each constructor gives its code and composes its message from data; the
// texts are what callers see as a problem's detail, so they are pinned.
func TestErrorConstructors(t *testing.T) {
	cause := errors.New("TransactionConflict")
	cases := []struct {
		name string
		err  *Error
		code Code
		msg  string
	}{
		{"not found", NotFound(RecordOrg, "org_1"), CodeNotFound, `org "org_1" not found`},
		{"not found by key", NotFoundBy(RecordUser, "email", "a@example.com"), CodeNotFound, `no user with email "a@example.com"`},
		{"not found by a secret key", NotFoundBy(RecordInvitation, "token", ""), CodeNotFound, "no invitation has this token"},
		{"has no", HasNo(RecordProject, RecordShareLink), CodeNotFound, "the project has no share link"},
		{"not a member of this", NotMember("u1", RecordProject, ""), CodeNotFound, `user "u1" is not a member of this project`},
		{"not a member of a named", NotMember("u1", RecordOrg, "org_1"), CodeNotFound, `user "u1" is not a member of org "org_1"`},
		{"not a partner", NotPartner("org_2"), CodeNotFound, `org "org_2" is not a partner of this project`},
		{"already exists", AlreadyExists(RecordProject, "prj_1"), CodeConflict, `project "prj_1" already exists`},
		{"already exists, unnamed", AlreadyExists(RecordToken, ""), CodeConflict, "the invitation token already exists"},
		{"already a member", AlreadyMember(RecordProject, "a@example.com"), CodeConflict, "a@example.com is already a member of this project"},
		{"caller already a member", AlreadyMember(RecordWorkspace, ""), CodeConflict, "you are already a member of this workspace"},
		{"already a partner", AlreadyPartner("org_2"), CodeConflict, `org "org_2" already partners this project`},
		{"already a collaborator", AlreadyCollaborator("org_3"), CodeConflict, `org "org_3" already collaborates in this workspace`},
		{"caller's org already a collaborator", AlreadyCollaborator(""), CodeConflict, "your org already collaborates in this workspace"},
		{"stale", Stale(RecordMembership), CodeConflict, "the membership changed meanwhile; reload and retry"},
		{"stale, record unknown", Stale(""), CodeConflict, "the record changed; reload and retry"},
		{"rights changed", RightsChanged(), CodeConflict, "your own rights changed meanwhile; reload and retry"},
		{"contended", Contended(cause), CodeConflict, "a concurrent change conflicted; retry"},
		{"last owner of this", LastOwner(RecordOrg, ""), CodeConflict, "the org must keep at least one owner"},
		{"last owner of a named", LastOwner(RecordProject, "prj_1"), CodeConflict, `project "prj_1" must keep at least one owner`},
		{"no longer exists", NoLongerExists(RecordProject), CodeGone, "the project no longer exists"},
		{"invitation used", InvitationGone(GoneUsed), CodeGone, "this invitation has already been used"},
		{"invitation revoked", InvitationGone(GoneRevoked), CodeGone, "this invitation has been revoked"},
		{"invitation expired", InvitationGone(GoneExpired), CodeGone, "this invitation has been expired"},
		{"invitation declined", InvitationGone(GoneDeclined), CodeGone, "this invitation has been declined"},
		{"invitation not pending", InvitationGone(""), CodeGone, "the invitation is no longer pending"},
		{"too many changes", TooManyChanges(MaxTransactionItems + 1), CodeConflict,
			fmt.Sprintf("the change touches %d records; at most %d change at once", MaxTransactionItems+1, MaxTransactionItems)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.err.Code != c.code || c.err.Message != c.msg {
				t.Fatalf("got %s %q, want %s %q", c.err.Code, c.err.Message, c.code, c.msg)
			}
		})
	}
}

func TestInvitationGoneCarriesItsReason(t *testing.T) {
	for _, r := range []GoneReason{GoneUsed, GoneRevoked, GoneExpired, GoneDeclined, ""} {
		if got := InvitationGone(r).Reason; got != r {
			t.Errorf("InvitationGone(%q).Reason = %q", r, got)
		}
	}
}

func TestContendedKeepsItsCause(t *testing.T) {
	cause := errors.New("TransactionConflict")
	if err := Contended(cause); !errors.Is(err, cause) {
		t.Fatalf("%v does not wrap its cause", err)
	}
}

func TestBadCursorNamesTheField(t *testing.T) {
	var e *Error
	if !errors.As(BadCursor(), &e) || e.Code != CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "cursor" {
		t.Fatalf("BadCursor() = %+v", e)
	}
	if e.Message != "invalid cursor: is not a cursor of this listing" {
		t.Fatalf("message %q", e.Message)
	}
}

// The code, and the typed facts, survive wrapping with %w at any depth.
func TestErrorCodeThroughWrapping(t *testing.T) {
	base := &Error{Code: CodeRateLimited, Message: "at most 5 resends an hour", RetryAfter: 90 * time.Second}
	once := fmt.Errorf("resend: %w", base)
	twice := fmt.Errorf("handler: %w", once)
	for _, err := range []error{base, once, twice} {
		if ErrorCode(err) != CodeRateLimited || !IsCode(err, CodeRateLimited) || IsCode(err, CodeConflict) {
			t.Fatalf("%v: code %s", err, ErrorCode(err))
		}
		var e *Error
		if !errors.As(err, &e) || e.RetryAfter != 90*time.Second {
			t.Fatalf("%v: facts lost", err)
		}
	}
	// A wrapped store error keeps its code through a use case's %w.
	if err := fmt.Errorf("accept: %w", NotFound(RecordProject, "prj_1")); !IsCode(err, CodeNotFound) {
		t.Fatalf("%v: code %s", err, ErrorCode(err))
	}
	// A domain error wrapping a cause answers with its own code, not the cause's.
	inner := NotFound(RecordOrg, "org_1")
	if err := fmt.Errorf("x: %w", Contended(inner)); ErrorCode(err) != CodeConflict {
		t.Fatalf("outer code lost: %s", ErrorCode(err))
	}
	// Errors that are not domain errors are internal, and nil is no code.
	if ErrorCode(fmt.Errorf("plain: %w", errors.New("boom"))) != CodeInternal {
		t.Fatal("a plain error is not internal")
	}
	if IsCode(nil, CodeInternal) {
		t.Fatal("nil carries a code")
	}
}
