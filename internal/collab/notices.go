package collab

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Notice names a mail the platform sends. Its subject and text are
// rendered in the one catalogue below; use cases fill a notice's data and
// never write mail text themselves.
//
// Every string of a notice's data is cleaned here, in ComposeNotice, before
// a notice is rendered, so no caller can forget to (cleanNoticeData): a name
// becomes one line without control, bidirectional or invisible characters,
// at most MaxNoticeNameRunes long (cut with an ellipsis); free text
// (`notice:"text"`, a comment) keeps its line breaks but nothing else of
// the kind, at most MaxNoticeTextRunes; a link (`notice:"link"`) loses any
// control character. The subject is one line, at most MaxSubjectRunes,
// whatever its catalogue entry makes of the data.
type Notice string

// The notices.
const (
	NoticeInvitation  Notice = "invitation"            // InvitationNotice
	NoticeAdded       Notice = "member_added"          // AddedNotice
	NoticeReviewWaits Notice = "review_waits"          // ReviewWaitsNotice: one digest per task (or project) and window
	NoticeAssigned    Notice = "work_assigned"         // AssignedNotice
	NoticeRejected    Notice = "work_rejected"         // RejectedNotice
	NoticeStopped     Notice = "collaboration_stopped" // StoppedNotice
	NoticeEnding      Notice = "collaboration_ending"  // EndingNotice: a time-boxed partnership's end draws near
)

// The bounds of what a mail shows of the data it is given.
const (
	MaxNoticeNameRunes = 100  // a name: a person's, an org's, a project's, a task's, an item's
	MaxNoticeTextRunes = 2000 // free text: a reviewer's comment
	MaxSubjectRunes    = 200  // the rendered subject
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
	Link          string `notice:"link"`
	ExpiresAt     time.Time
}

// AddedNotice is the data of "you were added to a project".
type AddedNotice struct {
	AddedBy     string
	ProjectName string
	Role        Role
	Link        string `notice:"link"`
}

// ReviewWaitsNotice is the data of the digest "items of a task wait for
// your review": Scope is the task's name, or the project's for items in no
// task.
type ReviewWaitsNotice struct {
	Scope       string
	ProjectName string
	Link        string `notice:"link"`
}

// AssignedNotice is the data of "work was assigned to you": What is the
// task's name, or the item's for one item assigned by hand.
type AssignedNotice struct {
	What        string
	ProjectName string
	Link        string `notice:"link"`
}

// RejectedNotice is the data of "your work was sent back to you".
type RejectedNotice struct {
	ItemName    string
	ProjectName string
	Comment     string `notice:"text"`
	Link        string `notice:"link"`
}

// StoppedNotice is the data of "the collaboration stopped".
type StoppedNotice struct {
	OrgName     string // the partner org
	ProjectName string
	Link        string `notice:"link"`
}

// EndingNotice is the data of "the collaboration ends on …", sent a day
// before a time-boxed partnership ends (at once when less is left).
type EndingNotice struct {
	OrgName       string // the partner (or collaborator) org
	ProjectName   string // a project's partnership, or
	WorkspaceName string // a workspace's collaboration
	EndsAt        time.Time
	Link          string `notice:"link"`
}

// where is what the collaboration is on.
func (d EndingNotice) where() string {
	if d.WorkspaceName != "" {
		return "in the workspace " + q(d.WorkspaceName)
	}
	return "on project " + q(d.ProjectName)
}

// noticeDate is how a mail shows a time: "29 November 2026 12:00 UTC".
func noticeDate(t time.Time) string { return t.UTC().Format("2 January 2006 15:04 MST") }

// q quotes a name as the mails show it: in double quotes, Go-escaped.
func q(s string) string { return strconv.Quote(s) }

// what is what an invitation invites to, by kind; it is shared by the
// subject and the text.
func (d InvitationNotice) what() string {
	switch d.Kind {
	case KindLabelingCompany:
		return "to work on project " + q(d.ProjectName) + " as the labeling company " + q(d.CompanyName)
	case KindProjectMember:
		return "to join project " + q(d.ProjectName) + " as " + d.Role
	case KindOrgMember:
		return "to join the organization " + q(d.OrgName) + " as " + d.Role
	case KindCollaborator:
		return "to collaborate in the workspace " + q(d.WorkspaceName) + " of " + q(d.OrgName)
	}
	return "to project " + q(d.ProjectName)
}

// noticeCatalogue is every mail's subject and text, each rendered from its
// notice's (cleaned) data: plain string building, no template engine (whose
// reflection keeps every exported method of every linked type in each
// function's binary).
var noticeCatalogue = map[Notice]func(data any) (subject, text string){
	NoticeInvitation: func(data any) (string, string) {
		d := data.(InvitationNotice)
		return "You are invited " + d.what(),
			"Hello,\n\n" + d.InvitedBy + " (" + d.OrgName + ") invites you " + d.what() + ".\n\n" +
				"Open this link to accept or decline:\n" + d.Link + "\n\n" +
				"The link works once and expires on " + noticeDate(d.ExpiresAt) + ". If you did not expect this, ignore this message.\n"
	},
	NoticeAdded: func(data any) (string, string) {
		d := data.(AddedNotice)
		return "You were added to " + q(d.ProjectName),
			"Hello,\n\n" + d.AddedBy + " added you to the project " + q(d.ProjectName) + " as " + string(d.Role) + ".\n\n" + d.Link + "\n"
	},
	NoticeReviewWaits: func(data any) (string, string) {
		d := data.(ReviewWaitsNotice)
		return "Items in " + q(d.Scope) + " wait for your review",
			"Hello,\n\nItems in " + q(d.Scope) + " of project " + q(d.ProjectName) + " wait for your review.\n\n" + d.Link + "\n\n" +
				"You get this at most once an hour for the same work.\n"
	},
	NoticeAssigned: func(data any) (string, string) {
		d := data.(AssignedNotice)
		return "Work in " + q(d.What) + " was assigned to you",
			"Hello,\n\nWork in " + q(d.What) + " of project " + q(d.ProjectName) + " was assigned to you.\n\n" + d.Link + "\n"
	},
	NoticeRejected: func(data any) (string, string) {
		d := data.(RejectedNotice)
		return q(d.ItemName) + " was sent back to you",
			"Hello,\n\nYour work on " + q(d.ItemName) + " in project " + q(d.ProjectName) + " was sent back to you:\n\n" + d.Comment + "\n\n" + d.Link + "\n"
	},
	NoticeStopped: func(data any) (string, string) {
		d := data.(StoppedNotice)
		return "The collaboration on " + q(d.ProjectName) + " stopped",
			"Hello,\n\nThe collaboration of " + d.OrgName + " on project " + q(d.ProjectName) + " stopped. Its unfinished work went back to the host.\n\n" + d.Link + "\n"
	},
	NoticeEnding: func(data any) (string, string) {
		d := data.(EndingNotice)
		subject := "The collaboration on " + q(d.ProjectName) + " ends on " + noticeDate(d.EndsAt)
		if d.WorkspaceName != "" {
			subject = "The collaboration in " + q(d.WorkspaceName) + " ends on " + noticeDate(d.EndsAt)
		}
		return subject,
			"Hello,\n\nThe collaboration of " + d.OrgName + " " + d.where() + " ends on " + noticeDate(d.EndsAt) +
				". Then its people lose access and its unfinished work goes back to the host. To keep working together, change or clear the end date.\n\n" + d.Link + "\n"
	},
}

// noticeData is the data type of each notice: ComposeNotice refuses any
// other.
var noticeData = map[Notice]reflect.Type{
	NoticeInvitation:  reflect.TypeFor[InvitationNotice](),
	NoticeAdded:       reflect.TypeFor[AddedNotice](),
	NoticeReviewWaits: reflect.TypeFor[ReviewWaitsNotice](),
	NoticeAssigned:    reflect.TypeFor[AssignedNotice](),
	NoticeRejected:    reflect.TypeFor[RejectedNotice](),
	NoticeStopped:     reflect.TypeFor[StoppedNotice](),
	NoticeEnding:      reflect.TypeFor[EndingNotice](),
}

// ComposeNotice renders a notice into an email with the given id (which
// deduplicates redeliveries) for one recipient.
func ComposeNotice(n Notice, id, to string, data any) (Email, error) {
	render, ok := noticeCatalogue[n]
	if !ok {
		return Email{}, fmt.Errorf("unknown notice %q", n)
	}
	data, err := cleanNoticeData(n, data)
	if err != nil {
		return Email{}, err
	}
	subject, text := render(data)
	return Email{ID: id, To: to, Subject: cleanLine(subject, MaxSubjectRunes), Text: text}, nil
}

// cleanNoticeData returns a copy of a notice's data with every string field
// cleaned by its kind (the field's `notice` tag): a name by default, "text"
// free text, "link" a link the platform built. A new field is a name
// unless tagged otherwise: it cannot reach a mail uncleaned.
func cleanNoticeData(n Notice, data any) (any, error) {
	v := reflect.ValueOf(data)
	if want := noticeData[n]; !v.IsValid() || v.Type() != want {
		return nil, fmt.Errorf("notice %s takes a %v, not %T", n, noticeData[n], data)
	}
	out := reflect.New(v.Type()).Elem()
	out.Set(v)
	for i := range out.NumField() {
		f, fv := out.Type().Field(i), out.Field(i)
		if !f.IsExported() || fv.Kind() != reflect.String {
			continue
		}
		switch f.Tag.Get("notice") {
		case "link":
			fv.SetString(strings.Map(func(r rune) rune {
				if unicode.IsControl(r) || unicode.IsSpace(r) || hiddenRune(r) {
					return -1
				}
				return r
			}, fv.String()))
		case "text":
			fv.SetString(cleanText(fv.String(), MaxNoticeTextRunes))
		default:
			fv.SetString(cleanLine(fv.String(), MaxNoticeNameRunes))
		}
	}
	return out.Interface(), nil
}

// hiddenRune reports a character that shows nothing or changes how the text
// around it shows: format characters (bidirectional controls, zero-width
// characters, tags, the BOM, the soft hyphen), the other invisible ones
// (isInvisible: fillers, joiners), and invalid UTF-8.
func hiddenRune(r rune) bool {
	return r == utf8.RuneError || unicode.Is(unicode.Cf, r) || isBidiControl(r) || !unicode.IsSpace(r) && isInvisible(r)
}

// breaksLine reports a character that starts a new line or is a control:
// in a name each becomes one space.
func breaksLine(r rune) bool {
	return unicode.IsControl(r) || unicode.IsSpace(r) || unicode.In(r, unicode.Zl, unicode.Zp)
}

// cleanLine makes s one line fit for a subject or a name in a text: every
// run of white space and control characters (CR and LF among them) one
// space, hidden characters removed, trimmed, at most limit runes (the last
// one an ellipsis when cut).
func cleanLine(s string, limit int) string {
	var b strings.Builder
	runes, space := 0, false
	for _, r := range s {
		switch {
		case hiddenRune(r):
			continue
		case breaksLine(r):
			space = runes > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			runes++
			space = false
		}
		b.WriteRune(r)
		runes++
		if runes > limit {
			break
		}
	}
	return cut(b.String(), limit)
}

// cleanText cleans free text: line breaks (CR LF, CR, LF, the Unicode line
// and paragraph separators) kept as LF, at most one empty line in a row;
// any other control or white space one space; hidden characters removed;
// each line trimmed; at most limit runes.
func cleanText(s string, limit int) string {
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n", "\u0085", "\n").Replace(s)
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	runes := 0
	for _, l := range lines {
		l = cleanLine(l, limit)
		if l == "" && (len(out) == 0 || out[len(out)-1] == "") {
			continue
		}
		out = append(out, l)
		if runes += utf8.RuneCountInString(l) + 1; runes > limit {
			break
		}
	}
	return cut(strings.TrimSpace(strings.Join(out, "\n")), limit)
}

// cut bounds s to limit runes (at least 1), ending in an ellipsis when it was longer.
func cut(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	if limit < 1 {
		return ""
	}
	r := []rune(s)[:limit-1]
	return strings.TrimRight(string(r), " \n") + "…"
}
