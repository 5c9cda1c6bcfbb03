package collab

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
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

// A display name is cleaned in the catalogue, whoever fills the notice: a
// name carrying a header injection ("\r\nBcc: x@y") stays on the subject's
// and the body's one line, and a 10,000-character name is cut to
// MaxNoticeNameRunes with an ellipsis.
func TestComposeNoticeCleansNames(t *testing.T) {
	expires := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	injected := "Eve\r\nBcc: x@y"
	long := strings.Repeat("a", 10_000)
	for _, tc := range []struct {
		name        string
		data        any
		n           Notice
		subjectHas  string // the cleaned name in the subject ("" when it shows only in the body)
		bodyLineHas string
	}{
		{"injected inviter", InvitationNotice{Kind: KindOrgMember, InvitedBy: injected, OrgName: "Host", Role: "admin", Link: "L", ExpiresAt: expires},
			NoticeInvitation, "", "Eve Bcc: x@y (Host) invites you"},
		{"injected org", InvitationNotice{Kind: KindOrgMember, InvitedBy: "Ann", OrgName: injected, Role: "admin", Link: "L", ExpiresAt: expires},
			NoticeInvitation, `"Eve Bcc: x@y"`, `Ann (Eve Bcc: x@y) invites you to join the organization "Eve Bcc: x@y" as admin.`},
		{"injected company", InvitationNotice{Kind: KindLabelingCompany, InvitedBy: "Ann", OrgName: "Host", ProjectName: "P", CompanyName: injected, Link: "L", ExpiresAt: expires},
			NoticeInvitation, `the labeling company "Eve Bcc: x@y"`, `as the labeling company "Eve Bcc: x@y".`},
		{"injected adder", AddedNotice{AddedBy: injected, ProjectName: injected, Role: RoleAnnotator, Link: "L"},
			NoticeAdded, `"Eve Bcc: x@y"`, `Eve Bcc: x@y added you to the project "Eve Bcc: x@y" as annotator.`},
		{"injected stopped", StoppedNotice{OrgName: injected, ProjectName: injected, Link: "L"},
			NoticeStopped, `"Eve Bcc: x@y"`, "The collaboration of Eve Bcc: x@y on project"},
		{"long inviter", InvitationNotice{Kind: KindOrgMember, InvitedBy: long, OrgName: long, Role: "admin", Link: "L", ExpiresAt: expires},
			NoticeInvitation, strings.Repeat("a", MaxNoticeNameRunes-1) + "…", strings.Repeat("a", MaxNoticeNameRunes-1) + "… (" + strings.Repeat("a", MaxNoticeNameRunes-1) + "…) invites you"},
		{"long project", AddedNotice{AddedBy: long, ProjectName: long, Role: RoleAnnotator, Link: "L"},
			NoticeAdded, `"` + strings.Repeat("a", MaxNoticeNameRunes-1) + `…"`, strings.Repeat("a", MaxNoticeNameRunes-1) + "… added you"},
	} {
		e, err := ComposeNotice(tc.n, "id", "to@example.com", tc.data)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if strings.ContainsAny(e.Subject, "\r\n") || utf8.RuneCountInString(e.Subject) > MaxSubjectRunes {
			t.Errorf("%s: subject is not one bounded line: %q", tc.name, e.Subject)
		}
		if !strings.Contains(e.Subject, tc.subjectHas) {
			t.Errorf("%s: subject %q lacks %q", tc.name, e.Subject, tc.subjectHas)
		}
		if strings.ContainsRune(e.Text, '\r') {
			t.Errorf("%s: text holds a CR: %q", tc.name, e.Text)
		}
		var line string
		for _, l := range strings.Split(e.Text, "\n") {
			if strings.Contains(l, tc.bodyLineHas) {
				line = l
			}
			if strings.HasPrefix(l, "Bcc:") || utf8.RuneCountInString(l) > 4*MaxNoticeNameRunes {
				t.Errorf("%s: text line %q", tc.name, l)
			}
		}
		if line == "" {
			t.Errorf("%s: no text line holds %q:\n%s", tc.name, tc.bodyLineHas, e.Text)
		}
		if strings.Contains(e.Text, long[:MaxNoticeNameRunes+1]) {
			t.Errorf("%s: the long name was not cut", tc.name)
		}
	}
}

// Bidirectional and invisible characters go, other controls become spaces,
// a subject stays one bounded line, a comment keeps its line breaks but no
// CR and no more than MaxNoticeTextRunes, and a notice takes only its own
// data type.
func TestNoticeCleaning(t *testing.T) {
	for in, want := range map[string]string{
		"Ann\u202Egnp.exe":            "Anngnp.exe",   // right-to-left override
		"A\u200Bn\u200Dn\uFEFF\u00AD": "Ann",          // zero-width, BOM, soft hyphen
		"\t Ann \x00\x1b[31m  Lee \v": "Ann [31m Lee", // controls and runs of space
		"Ann\u2028Lee\u0085Bo":        "Ann Lee Bo",   // Unicode line breaks
		"Ann\xffLee":                  "AnnLee",       // invalid UTF-8
		"\u3164\u115F":                "",             // Hangul fillers alone
	} {
		if got := cleanLine(in, MaxNoticeNameRunes); got != want {
			t.Errorf("cleanLine(%q) = %q, want %q", in, got, want)
		}
	}
	if got := cleanLine("ab cdef", 4); got != "ab…" {
		t.Errorf("cut at a space: %q", got)
	}
	if got := cleanText("Line 1\r\n\r\n\r\n\rLine\t2\u202E\r\nBcc: x@y", 100); got != "Line 1\n\nLine 2\nBcc: x@y" {
		t.Errorf("cleanText: %q", got)
	}
	if got := cleanText(strings.Repeat("word ", 5000), MaxNoticeTextRunes); utf8.RuneCountInString(got) != MaxNoticeTextRunes || !strings.HasSuffix(got, "…") {
		t.Errorf("a long comment is %d runes", utf8.RuneCountInString(got))
	}
	e, err := ComposeNotice(NoticeRejected, "id", "to@example.com", RejectedNotice{ItemName: "a.jpg\r\nBcc: x@y", ProjectName: "P",
		Comment: "Too dark.\r\nRedo it.", Link: "https://app/projects/p/items/i\r\n"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Subject != `"a.jpg Bcc: x@y" was sent back to you` ||
		e.Text != "Hello,\n\nYour work on \"a.jpg Bcc: x@y\" in project \"P\" was sent back to you:\n\nToo dark.\nRedo it.\n\nhttps://app/projects/p/items/i\n" {
		t.Errorf("rejected:\nsubject %q\ntext %q", e.Subject, e.Text)
	}
	// The subject is bounded as a whole, whatever its names.
	e, err = ComposeNotice(NoticeInvitation, "id", "to", InvitationNotice{Kind: KindLabelingCompany, ProjectName: strings.Repeat("p", 500),
		CompanyName: strings.Repeat("c", 500), Link: "L"})
	if err != nil || utf8.RuneCountInString(e.Subject) > MaxSubjectRunes {
		t.Errorf("subject of %d runes (%v)", utf8.RuneCountInString(e.Subject), err)
	}
	if _, err := ComposeNotice(NoticeAdded, "id", "to", map[string]string{"AddedBy": "\r\nBcc: x@y"}); err == nil {
		t.Error("a notice took data of another type")
	}
	if _, err := ComposeNotice(NoticeAdded, "id", "to", &AddedNotice{}); err == nil {
		t.Error("a notice took a pointer to its data")
	}
}

// Every notice's whole subject and text, for every kind of invitation, is
// pinned here byte for byte, names with quotes and non-ASCII among them:
// the catalogue renders exactly what the mails said when they were
// templates.
func TestNoticeTextsPinned(t *testing.T) {
	expires := time.Date(2026, 11, 29, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	const footer = "The link works once and expires on 29 November 2026 11:00 UTC. If you did not expect this, ignore this message.\n"
	for _, tc := range []struct {
		n             Notice
		data          any
		subject, text string
	}{
		{NoticeInvitation, InvitationNotice{Kind: KindOrgMember, InvitedBy: "Ann", OrgName: "Host", Role: "admin", Link: "https://x/i/1", ExpiresAt: expires},
			`You are invited to join the organization "Host" as admin`,
			"Hello,\n\nAnn (Host) invites you to join the organization \"Host\" as admin.\n\nOpen this link to accept or decline:\nhttps://x/i/1\n\n" + footer},
		{NoticeInvitation, InvitationNotice{Kind: KindProjectMember, InvitedBy: "Ann", OrgName: "Host", ProjectName: `Tête "A"`, Role: "annotator", Link: "https://x/i/2", ExpiresAt: expires},
			`You are invited to join project "Tête \"A\"" as annotator`,
			"Hello,\n\nAnn (Host) invites you to join project \"Tête \\\"A\\\"\" as annotator.\n\nOpen this link to accept or decline:\nhttps://x/i/2\n\n" + footer},
		{NoticeInvitation, InvitationNotice{Kind: KindCollaborator, InvitedBy: "Ann", OrgName: "Host", WorkspaceName: "W", Link: "https://x/i/3", ExpiresAt: expires},
			`You are invited to collaborate in the workspace "W" of "Host"`,
			"Hello,\n\nAnn (Host) invites you to collaborate in the workspace \"W\" of \"Host\".\n\nOpen this link to accept or decline:\nhttps://x/i/3\n\n" + footer},
		{NoticeInvitation, InvitationNotice{Kind: KindShareLink, InvitedBy: "Ann", OrgName: "Host", ProjectName: "P", Link: "https://x/i/4", ExpiresAt: expires},
			`You are invited to project "P"`,
			"Hello,\n\nAnn (Host) invites you to project \"P\".\n\nOpen this link to accept or decline:\nhttps://x/i/4\n\n" + footer},
		{NoticeInvitation, InvitationNotice{Kind: KindLabelingCompany, InvitedBy: "Ann", OrgName: "Host", ProjectName: "P", CompanyName: `a\b`, Link: "https://x/i/5", ExpiresAt: expires},
			`You are invited to work on project "P" as the labeling company "a\\b"`,
			"Hello,\n\nAnn (Host) invites you to work on project \"P\" as the labeling company \"a\\\\b\".\n\nOpen this link to accept or decline:\nhttps://x/i/5\n\n" + footer},
		{NoticeAdded, AddedNotice{AddedBy: "Ann", ProjectName: "P", Role: RoleAnnotator, Link: "https://x/projects/p"},
			`You were added to "P"`, "Hello,\n\nAnn added you to the project \"P\" as annotator.\n\nhttps://x/projects/p\n"},
		{NoticeReviewWaits, ReviewWaitsNotice{Scope: "Batch 1", ProjectName: "P", Link: "https://app/projects/p/tasks/t"},
			`Items in "Batch 1" wait for your review`,
			"Hello,\n\nItems in \"Batch 1\" of project \"P\" wait for your review.\n\nhttps://app/projects/p/tasks/t\n\nYou get this at most once an hour for the same work.\n"},
		{NoticeAssigned, AssignedNotice{What: "Batch 1", ProjectName: "P", Link: "https://app/projects/p/tasks/t"},
			`Work in "Batch 1" was assigned to you`, "Hello,\n\nWork in \"Batch 1\" of project \"P\" was assigned to you.\n\nhttps://app/projects/p/tasks/t\n"},
		{NoticeRejected, RejectedNotice{ItemName: "a.jpg", ProjectName: "P", Comment: "The bus is a truck.\n\nSee <b>here</b> & {{.Link}}", Link: "https://app/projects/p/items/i"},
			`"a.jpg" was sent back to you`,
			"Hello,\n\nYour work on \"a.jpg\" in project \"P\" was sent back to you:\n\nThe bus is a truck.\n\nSee <b>here</b> & {{.Link}}\n\nhttps://app/projects/p/items/i\n"},
		{NoticeStopped, StoppedNotice{OrgName: "Label Co", ProjectName: "P", Link: "https://app/projects/p"},
			`The collaboration on "P" stopped`,
			"Hello,\n\nThe collaboration of Label Co on project \"P\" stopped. Its unfinished work went back to the host.\n\nhttps://app/projects/p\n"},
		{NoticeEnding, EndingNotice{OrgName: "Label Co", WorkspaceName: "W", EndsAt: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), Link: "https://app/orgs/o/workspaces"},
			`The collaboration in "W" ends on 29 November 2026 12:00 UTC`,
			"Hello,\n\nThe collaboration of Label Co in the workspace \"W\" ends on 29 November 2026 12:00 UTC. Then its people lose access and its unfinished work goes back to the host. To keep working together, change or clear the end date.\n\nhttps://app/orgs/o/workspaces\n"},
		{NoticeEnding, EndingNotice{OrgName: "Label Co", ProjectName: "P", EndsAt: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), Link: "https://app/projects/p"},
			`The collaboration on "P" ends on 29 November 2026 12:00 UTC`,
			"Hello,\n\nThe collaboration of Label Co on project \"P\" ends on 29 November 2026 12:00 UTC. Then its people lose access and its unfinished work goes back to the host. To keep working together, change or clear the end date.\n\nhttps://app/projects/p\n"},
	} {
		e, err := ComposeNotice(tc.n, "id", "to@example.com", tc.data)
		if err != nil {
			t.Fatalf("%s: %v", tc.n, err)
		}
		if e.Subject != tc.subject {
			t.Errorf("%s subject:\n got %q\nwant %q", tc.n, e.Subject, tc.subject)
		}
		if e.Text != tc.text {
			t.Errorf("%s text:\n got %q\nwant %q", tc.n, e.Text, tc.text)
		}
	}
}
