package collab

import (
	"fmt"
	"strings"
	"text/template"
	"time"
)

// Notice names a mail the platform sends. Its subject and text are
// templates in the one catalogue below; use cases fill a notice's data and
// never write mail text themselves.
type Notice string

// The notices.
const (
	NoticeInvitation  Notice = "invitation"            // InvitationNotice
	NoticeAdded       Notice = "member_added"          // AddedNotice
	NoticeReviewWaits Notice = "review_waits"          // ReviewWaitsNotice: one digest per task (or project) and window
	NoticeAssigned    Notice = "work_assigned"         // AssignedNotice
	NoticeRejected    Notice = "work_rejected"         // RejectedNotice
	NoticeStopped     Notice = "collaboration_stopped" // StoppedNotice
)

// InvitationNotice is the data of an invitation's mail.
type InvitationNotice struct {
	Kind          InvitationKind
	InvitedBy     string
	OrgName       string
	ProjectName   string
	CompanyName   string
	WorkspaceName string
	Role          string
	Link          string
	ExpiresAt     time.Time
}

// AddedNotice is the data of "you were added to a project".
type AddedNotice struct {
	AddedBy     string
	ProjectName string
	Role        Role
	Link        string
}

// ReviewWaitsNotice is the data of the digest "items of a task wait for
// your review": Scope is the task's name, or the project's for items in no
// task.
type ReviewWaitsNotice struct {
	Scope       string
	ProjectName string
	Link        string
}

// AssignedNotice is the data of "work was assigned to you": What is the
// task's name, or the item's for one item assigned by hand.
type AssignedNotice struct {
	What        string
	ProjectName string
	Link        string
}

// RejectedNotice is the data of "your work was sent back to you".
type RejectedNotice struct {
	ItemName    string
	ProjectName string
	Comment     string
	Link        string
}

// StoppedNotice is the data of "the collaboration stopped".
type StoppedNotice struct {
	OrgName     string // the partner org
	ProjectName string
	Link        string
}

// noticeFuncs are the helpers the templates may call.
var noticeFuncs = template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format("2 January 2006 15:04 MST") },
}

// invitationWhat is what an invitation invites to, by kind; it is shared by
// the subject and the text.
const invitationWhat = `{{define "what"}}{{if eq .Kind "labeling_company"}}to work on project {{printf "%q" .ProjectName}} as the labeling company {{printf "%q" .CompanyName}}` +
	`{{else if eq .Kind "project_member"}}to join project {{printf "%q" .ProjectName}} as {{.Role}}` +
	`{{else if eq .Kind "org_member"}}to join the organization {{printf "%q" .OrgName}} as {{.Role}}` +
	`{{else if eq .Kind "collaborator"}}to collaborate in the workspace {{printf "%q" .WorkspaceName}} of {{printf "%q" .OrgName}}` +
	`{{else}}to project {{printf "%q" .ProjectName}}{{end}}{{end}}`

// noticeCatalogue is every mail's subject and text.
var noticeCatalogue = map[Notice][2]string{
	NoticeInvitation: {
		invitationWhat + `You are invited {{template "what" .}}`,
		invitationWhat + "Hello,\n\n{{.InvitedBy}} ({{.OrgName}}) invites you {{template \"what\" .}}.\n\n" +
			"Open this link to accept or decline:\n{{.Link}}\n\n" +
			"The link works once and expires on {{date .ExpiresAt}}. If you did not expect this, ignore this message.\n",
	},
	NoticeAdded: {
		`You were added to {{printf "%q" .ProjectName}}`,
		"Hello,\n\n{{.AddedBy}} added you to the project {{printf \"%q\" .ProjectName}} as {{.Role}}.\n\n{{.Link}}\n",
	},
	NoticeReviewWaits: {
		`Items in {{printf "%q" .Scope}} wait for your review`,
		"Hello,\n\nItems in {{printf \"%q\" .Scope}} of project {{printf \"%q\" .ProjectName}} wait for your review.\n\n{{.Link}}\n\n" +
			"You get this at most once an hour for the same work.\n",
	},
	NoticeAssigned: {
		`Work in {{printf "%q" .What}} was assigned to you`,
		"Hello,\n\nWork in {{printf \"%q\" .What}} of project {{printf \"%q\" .ProjectName}} was assigned to you.\n\n{{.Link}}\n",
	},
	NoticeRejected: {
		`{{printf "%q" .ItemName}} was sent back to you`,
		"Hello,\n\nYour work on {{printf \"%q\" .ItemName}} in project {{printf \"%q\" .ProjectName}} was sent back to you:\n\n{{.Comment}}\n\n{{.Link}}\n",
	},
	NoticeStopped: {
		`The collaboration on {{printf "%q" .ProjectName}} stopped`,
		"Hello,\n\nThe collaboration of {{.OrgName}} on project {{printf \"%q\" .ProjectName}} stopped. Its unfinished work went back to the host.\n\n{{.Link}}\n",
	},
}

// noticeTemplates are the catalogue, parsed once.
var noticeTemplates = func() map[Notice][2]*template.Template {
	out := map[Notice][2]*template.Template{}
	for n, st := range noticeCatalogue {
		out[n] = [2]*template.Template{
			template.Must(template.New(string(n) + ".subject").Funcs(noticeFuncs).Parse(st[0])),
			template.Must(template.New(string(n) + ".text").Funcs(noticeFuncs).Parse(st[1])),
		}
	}
	return out
}()

// ComposeNotice renders a notice into an email with the given id (which
// deduplicates redeliveries) for one recipient.
func ComposeNotice(n Notice, id, to string, data any) (Email, error) {
	t, ok := noticeTemplates[n]
	if !ok {
		return Email{}, fmt.Errorf("unknown notice %q", n)
	}
	var subject, text strings.Builder
	if err := t[0].Execute(&subject, data); err != nil {
		return Email{}, fmt.Errorf("notice %s subject: %w", n, err)
	}
	if err := t[1].Execute(&text, data); err != nil {
		return Email{}, fmt.Errorf("notice %s text: %w", n, err)
	}
	return Email{ID: id, To: to, Subject: subject.String(), Text: text.String()}, nil
}
