package collab

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// appLink is a link into the platform's web app (never the API).
func (b base) appLink(parts ...string) string {
	return b.cfg.AppBaseURL + "/" + strings.Join(parts, "/")
}

// mailMessage puts a composed notice on the outbox, to go out with the
// change that caused it (the same transaction) through the mail queue.
func mailMessage(e Email, now time.Time) OutboxMessage {
	body, _ := json.Marshal(MailBody{To: e.To, Subject: e.Subject, Text: e.Text})
	return OutboxMessage{ID: e.ID, Queue: QueueMail, Kind: KindMail, Body: body, At: now}
}

// digestWindow is the span one review digest covers: a mail's id names the
// window, and the mailer sends each id once, so a reviewer hears about the
// same task at most once per window however many items arrive.
const digestWindow = time.Hour

// reviewDigest is the "items wait for your review" digest of an item's task
// (or project) for each reviewer, as outbox messages.
func (b base) reviewDigest(it Item, p Project, t *Task, reviewers []ProjectMember, now time.Time) []OutboxMessage {
	scopeID, scope, link := p.ID, p.Name, b.appLink("projects", p.ID)
	if t != nil {
		scopeID, scope, link = t.ID, t.Name, b.appLink("projects", p.ID, "tasks", t.ID)
	}
	window := now.UTC().Truncate(digestWindow).Format("2006010215")
	var out []OutboxMessage
	for _, m := range reviewers {
		if len(out) == reviewNoticesPerCrossing {
			break
		}
		e, err := ComposeNotice(NoticeReviewWaits, "review-digest-"+scopeID+"-"+m.UserID+"-"+window, m.Email,
			ReviewWaitsNotice{Scope: scope, ProjectName: p.Name, Link: link})
		if err == nil {
			out = append(out, mailMessage(e, now))
		}
	}
	return out
}

// stageReviewers are the people who review an item at the stage it is
// entering: the host's reviewers at the host stages, the item's partner
// org's reviewers at the collaborator stage.
func stageReviewers(members []ProjectMember, p Project, it Item, to ItemStatus) []ProjectMember {
	var out []ProjectMember
	for _, m := range members {
		host := m.Side == SideHost && m.OrgID == p.HostOrgID && finalReviewer(m.Role)
		partner := m.Side == SideExternal && m.OrgID == it.OrgID && GrantOf(m.Role, ActItemsReview).Allowed()
		if to == StWaitingCollabReview && partner || to != StWaitingCollabReview && host {
			out = append(out, m)
		}
	}
	return out
}

// memberReader reads one project member.
type memberReader interface {
	GetProjectMember(ctx context.Context, projectID, userID string) (ProjectMember, error)
}

// rejectedMail is the "sent back to you" mail to the item's annotator (its
// assignee, else its last annotator). A failure to read them never stops
// the rejection.
func (b base) rejectedMail(ctx context.Context, members memberReader, p Project, it Item, comment string, now time.Time) []OutboxMessage {
	who := it.AssigneeID
	if who == "" {
		who = it.LastAnnotator
	}
	if who == "" {
		return nil
	}
	m, err := members.GetProjectMember(ctx, p.ID, who)
	if err != nil {
		return nil
	}
	e, err := ComposeNotice(NoticeRejected, "rejected-"+it.ID+"-"+strconv.Itoa(it.Version), m.Email,
		RejectedNotice{ItemName: it.Name, ProjectName: p.Name, Comment: comment, Link: b.appLink("projects", p.ID, "items", it.ID)})
	if err != nil {
		return nil
	}
	return []OutboxMessage{mailMessage(e, now)}
}
