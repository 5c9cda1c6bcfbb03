package collab

import (
	"testing"
	"time"
)

// The catalogue renders each notice's subject and text; the texts are
// pinned here, so a template that loses a field fails.
func TestComposeNotice(t *testing.T) {
	expires := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		n             Notice
		data          any
		subject, text string
	}{
		{NoticeInvitation, InvitationNotice{Kind: KindLabelingCompany, InvitedBy: "Ann", OrgName: "Host", ProjectName: "P", CompanyName: "Acme",
			Link: "https://x/invitations/t", ExpiresAt: expires},
			`You are invited to work on project "P" as the labeling company "Acme"`,
			"Hello,\n\nAnn (Host) invites you to work on project \"P\" as the labeling company \"Acme\".\n\nOpen this link to accept or decline:\nhttps://x/invitations/t\n\n" +
				"The link works once and expires on 29 November 2026 12:00 UTC. If you did not expect this, ignore this message.\n"},
		{NoticeInvitation, InvitationNotice{Kind: KindOrgMember, InvitedBy: "Ann", OrgName: "Host", Role: "admin", Link: "L", ExpiresAt: expires},
			`You are invited to join the organization "Host" as admin`, ""},
		{NoticeInvitation, InvitationNotice{Kind: KindProjectMember, ProjectName: "P", Role: "annotator", Link: "L", ExpiresAt: expires},
			`You are invited to join project "P" as annotator`, ""},
		{NoticeInvitation, InvitationNotice{Kind: KindCollaborator, WorkspaceName: "W", OrgName: "Host", Link: "L", ExpiresAt: expires},
			`You are invited to collaborate in the workspace "W" of "Host"`, ""},
		{NoticeInvitation, InvitationNotice{Kind: KindShareLink, ProjectName: "P", Link: "L", ExpiresAt: expires},
			`You are invited to project "P"`, ""},
		{NoticeAdded, AddedNotice{AddedBy: "Ann", ProjectName: "P", Role: RoleAnnotator, Link: "https://x/projects/p"},
			`You were added to "P"`, "Hello,\n\nAnn added you to the project \"P\" as annotator.\n\nhttps://x/projects/p\n"},
		{NoticeReviewWaits, ReviewWaitsNotice{Scope: "Batch 1", ProjectName: "P", Link: "https://app/projects/p/tasks/t"},
			`Items in "Batch 1" wait for your review`,
			"Hello,\n\nItems in \"Batch 1\" of project \"P\" wait for your review.\n\nhttps://app/projects/p/tasks/t\n\nYou get this at most once an hour for the same work.\n"},
		{NoticeAssigned, AssignedNotice{What: "Batch 1", ProjectName: "P", Link: "https://app/projects/p/tasks/t"},
			`Work in "Batch 1" was assigned to you`, "Hello,\n\nWork in \"Batch 1\" of project \"P\" was assigned to you.\n\nhttps://app/projects/p/tasks/t\n"},
		{NoticeRejected, RejectedNotice{ItemName: "a.jpg", ProjectName: "P", Comment: "The bus is a truck.", Link: "https://app/projects/p/items/i"},
			`"a.jpg" was sent back to you`, "Hello,\n\nYour work on \"a.jpg\" in project \"P\" was sent back to you:\n\nThe bus is a truck.\n\nhttps://app/projects/p/items/i\n"},
		{NoticeStopped, StoppedNotice{OrgName: "Label Co", ProjectName: "P", Link: "https://app/projects/p"},
			`The collaboration on "P" stopped`, ""},
	}
	for _, tc := range cases {
		e, err := ComposeNotice(tc.n, "id", "to@example.com", tc.data)
		if err != nil {
			t.Fatalf("%s: %v", tc.n, err)
		}
		if e.Subject != tc.subject || tc.text != "" && e.Text != tc.text || e.ID != "id" || e.To != "to@example.com" {
			t.Errorf("%s:\nsubject %q\ntext %q", tc.n, e.Subject, e.Text)
		}
	}
	if _, err := ComposeNotice("nope", "", "", nil); err == nil {
		t.Error("an unknown notice composed")
	}
}
