package collab

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Events for integrators (SPEC §14): every audit entry is also an event.
// The audit entry's `what` names its type through EventCatalogue, the one
// list of event types (docs/events.md is generated from it). The event
// carries the entry's ids and names, never a token or a secret, and goes
// to the orgs whose walls it is inside of (EventRecipients).

// EventSource is the events' source on the EventBridge bus.
const EventSource = "annobridge"

// EventSpec is one event type of the catalogue.
type EventSpec struct {
	Type string // entity.verb, e.g. partner.joined
	// Audit lists the audit entries' `what` that are this event; a `*`
	// stands for one dot-free segment (job.*.failed).
	Audit []string
	When  string // when it happens
	About string // the org the event is about (the event's orgId)
	// Scope is where it is recorded: project, workspace or org.
	Scope string
	// Fields names data.before and data.after's members.
	Fields string
}

// EventCatalogue is every event type. An audit entry whose `what` none
// matches is still sent, as its own type; the integration suite fails on
// one (docs/events.md).
var EventCatalogue = []EventSpec{
	{"org.created", []string{"org.created"}, "an org is created while accepting an invitation", "the new org", "org", "after: name"},
	{"org.renamed", []string{"org.renamed"}, "an owner or admin renames the org", "the org", "org", "before/after: name"},
	{"org.deleted", []string{"org.deleted"}, "an owner deletes the org", "the org", "org", "before: name"},
	{"org.inbound_policy_set", []string{"org.inbound_policy_set"}, "the org's inbound approval or trusted hosts change", "the org", "org", "before/after: inboundApproval, trustedHostOrgIds"},
	{"org_member.role_changed", []string{"org_member.role_changed"}, "an org member's role changes", "the org", "org", "userId, role"},
	{"org_member.removed", []string{"org_member.removed"}, "a member leaves or is removed from the org", "the org", "org", "userId"},
	{"group.renamed", []string{"group.renamed"}, "a group is renamed", "the group's org", "org", "groupId, name"},
	{"group.member_added", []string{"group.member_added"}, "a person joins a group (and its linked projects)", "the group's org", "org", "groupId, userId"},
	{"group.member_removed", []string{"group.member_removed"}, "a person leaves a group; recorded on the org, and on each linked project where a membership changes", "the group's org", "org or project", "org: groupId, userId; project: groupId, removed, keptThroughOtherGroups"},
	{"group.deleted", []string{"group.deleted"}, "a group is deleted; recorded on the org, and on each linked project where a membership changes", "the group's org", "org or project", "org: groupId, name; project: groupId, removed, keptThroughOtherGroups"},
	{"group.linked", []string{"group.linked"}, "a group is linked to a project", "the group's org", "project", "groupId, role"},
	{"webhook.created", []string{"webhook.created"}, "an owner or admin registers a webhook", "the org", "org", "after: webhookId, url, events"},
	{"webhook.disabled", []string{"webhook.disabled"}, "a webhook is disabled: by an owner or admin, or by the platform after too many failed attempts in a row (actor annobridge)", "the org", "org", "before: webhookId, failures; after: webhookId"},
	{"webhook.enabled", []string{"webhook.enabled"}, "an owner or admin enables a disabled webhook again", "the org", "org", "before: webhookId, failures; after: webhookId"},
	{"webhook.deleted", []string{"webhook.deleted"}, "an owner or admin deletes a webhook", "the org", "org", "before: webhookId, url, events"},
	{"workspace.renamed", []string{"workspace.renamed"}, "a workspace is renamed", "the workspace's org", "workspace", "before/after: name"},
	{"workspace.deleted", []string{"workspace.deleted"}, "a workspace is deleted", "the workspace's org", "org", "workspaceId, name"},
	{"workspace_member.set", []string{"workspace_member.set"}, "a person's workspace role is set", "the person's org", "workspace", "userId, role"},
	{"workspace_member.removed", []string{"workspace_member.removed"}, "a person's workspace role is removed", "the person's org", "workspace", "userId"},
	{"collaborator.added", []string{"collaborator.added"}, "an org becomes a workspace collaborator (or its owner or admin approves a waiting collaboration)", "the collaborator org", "workspace", "after: the collaboration (types, access); an approval: before pendingApproval, after approvedBy, orgId, workspaceId"},
	{"collaborator.pending_approval", []string{"collaborator.pending_approval"}, "a collaborator invitation is accepted for an org that requires approving it", "the collaborator org", "workspace", "after: the collaboration"},
	{"collaborator.rejected", []string{"collaborator.rejected"}, "the collaborator org's owner or admin rejects a waiting collaboration (its removal begins)", "the collaborator org", "workspace", "before: the collaboration; after: jobId"},
	{"collaborator.updated", []string{"collaborator.updated"}, "a collaboration's types, access or auto-invite change", "the collaborator org", "workspace", "before: the collaboration; after: collaborator, removedRoles"},
	{"collaborator.add_all_users", []string{"collaborator.add_all_users"}, "adding all of a collaborator's users begins (a job)", "the collaborator org", "workspace", "after: jobId, role"},
	{"collaborator.removed", []string{"collaborator.removed"}, "a collaborator's removal begins (a job)", "the collaborator org", "workspace", "before: the collaboration; after: jobId"},
	{"collaborator.ended", []string{"collaborator.ended"}, "a time-boxed collaboration reaches its end and its removal begins", "the collaborator org", "workspace", "before: the collaboration; after: jobId"},
	{"collaborator.end_set", []string{"collaborator.end_set"}, "a collaboration's end is set or moved", "the collaborator org", "workspace", "before/after: endsAt"},
	{"collaborator.end_cleared", []string{"collaborator.end_cleared"}, "a collaboration's end is cleared", "the collaborator org", "workspace", "before/after: endsAt"},
	{"project.settings_changed", []string{"project.settings_changed"}, "the host changes the project's settings", "the host", "project", "before/after: settings"},
	{"share_link.enabled", []string{"share_link.enabled"}, "the project's share link is enabled", "the host", "project", "after: invitationId, expiresAt (never the link)"},
	{"share_link.rotated", []string{"share_link.rotated"}, "the share link is replaced by a new one", "the host", "project", "before/after: invitationId"},
	{"share_link.revoked", []string{"share_link.revoked"}, "the share link is revoked", "the host", "project", "invitationId"},
	{"invitation.created", []string{"invitation.created"}, "an email invitation is sent", "the inviting or invited org", "project, workspace or org", "after: invitationId, kind, role"},
	{"invitation.resent", []string{"invitation.resent"}, "an invitation is sent again", "the inviting or invited org", "project, workspace or org", "after: invitationId, kind, role"},
	{"invitation.revoked", []string{"invitation.revoked"}, "an invitation is revoked", "the inviting or invited org", "project, workspace or org", "after: invitationId, kind, role"},
	{"invitation.declined", []string{"invitation.declined"}, "an invitation is declined", "the inviting or invited org", "project, workspace or org", "after: invitationId, kind, role"},
	{"invitation.accepted", []string{"invitation.accepted"}, "an invitation is accepted", "the inviting or invited org", "project, workspace or org", "after: invitationId, kind, role"},
	{"partner.joined", []string{"partner.joined"}, "an org becomes a project's partner (a share link or a labeling-company invitation accepted), or its owner or admin approves a waiting partnership", "the partner org", "project", "after: the partnership (orgId, orgName, kind, types); an approval: before pendingApproval, after approvedBy, orgId, projectId"},
	{"partner.pending_approval", []string{"partner.pending_approval"}, "a partnership is accepted for an org that requires approving it", "the partner org", "project", "after: the partnership"},
	{"partner.manager_replaced", []string{"partner.manager_replaced"}, "a labeling company's annotation manager is replaced", "the partner org", "project", "before/after: managerId"},
	{"partner.end_set", []string{"partner.end_set"}, "a partnership's end is set or moved", "the partner org", "project", "before/after: endsAt"},
	{"partner.end_cleared", []string{"partner.end_cleared"}, "a partnership's end is cleared", "the partner org", "project", "before/after: endsAt"},
	{"partner.ending", []string{"partner.ending"}, "the host stops the partnership with inFlight=finish: the partner's items in review finish first, it takes no new work", "the partner org", "project", "before: the partnership; after: inFlight, endingSince, endsAt (the finish's bound)"},
	{"partner.finished", []string{"partner.finished"}, "an ending partnership has nothing left in review, and its stop begins", "the partner org", "project", "before: the partnership; after: jobId"},
	{"partner.stopped", []string{"partner.stopped"}, "the host stops the partnership (a job)", "the partner org", "project", "before: the partnership; after: jobId"},
	{"partner.ended", []string{"partner.ended"}, "a time-boxed partnership reaches its end and its stop begins", "the partner org", "project", "before: the partnership; after: jobId"},
	{"partner.rejected", []string{"partner.rejected"}, "the partner org's owner or admin rejects a waiting partnership (it ends)", "the partner org", "project", "before: the partnership; after: jobId"},
	{"member.added", []string{"member.added"}, "a person joins the project team", "the person's org", "project", "after: userId, role, side"},
	{"member.role_changed", []string{"member.role_changed"}, "a team member's role changes", "the person's org", "project", "before: role; after: userId, role, side"},
	{"member.removed", []string{"member.removed"}, "a team member is removed", "the person's org", "project", "after: userId, role, side"},
	{"member.left", []string{"member.left"}, "a team member leaves", "the person's org", "project", "after: userId, role, side"},
	{"members.imported", []string{"members.imported"}, "a CSV import adds people to the team", "the importing org", "project", "after: counts"},
	{"task.created", []string{"task.created"}, "a task is created", "the task's org", "project", "after: the task"},
	{"task.updated", []string{"task.updated"}, "a task changes", "the task's org", "project", "before/after: the task"},
	{"task.deleted", []string{"task.deleted"}, "a task is deleted", "the task's org", "project", "before: the task"},
	{"task.items_added", []string{"task.items_added"}, "items are put in a task", "the task's org", "project", "after: taskId, items"},
	{"task.item_removed", []string{"task.item_removed"}, "an item leaves a task", "the task's org", "project", "after: taskId, itemId"},
	{"task.distribution_started", []string{"task.distribution_started"}, "a task's items begin to be distributed (a job)", "the task's org", "project", "after: jobId, taskId, annotators, items"},
	{"item.approved", []string{"item.approve", "item.approve.handoff"}, "a reviewer approves an item (a partner's approval then crosses: item.crossed)", "the reviewer's org", "project", "before: itemId, status; after: itemId, comment"},
	{"item.rejected", []string{"item.reject", "item.reject.handoff"}, "a reviewer rejects an item (the host's rejection of a partner's item then crosses back: item.crossed)", "the reviewer's org", "project", "before: itemId, status; after: itemId, comment"},
	{"item.crossed", []string{"item.handoff"}, "a partner's approved item crosses to the host's final review (or a host rejection crosses back to the partner)", "the item's org (the partner)", "project", "before: itemId, status; after: itemId, status, transitionId"},
	{"job.succeeded", []string{"job.*.succeeded"}, "a background job finishes", "the job's org (sent to the owning org alone)", "workspace", "after: jobId, done, written"},
	{"job.failed", []string{"job.*.failed"}, "a background job fails", "the job's org (sent to the owning org alone)", "workspace", "jobId, status, reason"},
	{"job.retried", []string{"job.*.retried"}, "a failed job is retried", "the job's org (sent to the owning org alone)", "workspace", "jobId, status, reason"},
}

// EventTypes lists the catalogue's types, in its order.
func EventTypes() []string {
	out := make([]string, len(EventCatalogue))
	for i, s := range EventCatalogue {
		out[i] = s.Type
	}
	return out
}

// EventTypeOf is the event type of an audit entry's `what`; known is false
// for a `what` the catalogue does not name (the event is then sent as
// that `what`).
func EventTypeOf(what string) (typ string, known bool) {
	for _, s := range EventCatalogue {
		for _, a := range s.Audit {
			if auditMatches(a, what) {
				return s.Type, true
			}
		}
	}
	return what, false
}

func auditMatches(pattern, what string) bool {
	ps, ws := strings.Split(pattern, "."), strings.Split(what, ".")
	if len(ps) != len(ws) {
		return false
	}
	for i := range ps {
		if ps[i] != "*" && ps[i] != ws[i] {
			return false
		}
	}
	return true
}

// Event is one event: what a webhook delivery carries and what goes on
// the bus.
type Event struct {
	ID    string    `json:"id"`
	Type  string    `json:"type"`
	At    time.Time `json:"at"`
	OrgID string    `json:"orgId"` // the org the event is about
	Data  EventData `json:"data"`
}

// EventData is an event's detail: where it happened, who did it, and the
// audit entry's before and after, with every secret-looking member dropped.
type EventData struct {
	ProjectID   string `json:"projectId,omitempty"`
	WorkspaceID string `json:"workspaceId,omitempty"`
	HostOrgID   string `json:"hostOrgId,omitempty"` // the org that owns the project or workspace
	ActorID     string `json:"actorId"`
	Before      any    `json:"before,omitempty"`
	After       any    `json:"after,omitempty"`
	// Truncated: before and after were left out, the event being larger
	// than MaxEventBytes (the audit log keeps them whole).
	Truncated bool `json:"truncated,omitempty"`
}

// MaxEventBytes bounds an event (the bus takes 256 KB an entry).
const MaxEventBytes = 200 << 10

// EventID is the event id of an audit entry: the same entry is always the
// same event, however often it is sent.
func EventID(auditID string) string {
	_, rest, ok := strings.Cut(auditID, "_")
	if !ok {
		rest = auditID
	}
	return "evt_" + rest
}

// EventFromAudit is the event of an audit entry; host is the org that owns
// the entry's project or workspace (for an org's own entry, the org).
// Before and After may be JSON (json.RawMessage or []byte, as the table
// keeps them) or values.
func EventFromAudit(e AuditEntry, host string) Event {
	typ, _ := EventTypeOf(e.What)
	d := EventData{HostOrgID: host, ActorID: e.Actor, Before: scrubbed(e.Before), After: scrubbed(e.After)}
	switch {
	case strings.HasPrefix(e.Scope, "PROJ#"):
		d.ProjectID = strings.TrimPrefix(e.Scope, "PROJ#")
	case strings.HasPrefix(e.Scope, "WS#"):
		d.WorkspaceID = strings.TrimPrefix(e.Scope, "WS#")
	}
	ev := Event{ID: EventID(e.ID), Type: typ, At: e.At.UTC(), OrgID: e.OrgID, Data: d}
	if b, err := json.Marshal(ev); err != nil || len(b) > MaxEventBytes {
		ev.Data.Before, ev.Data.After, ev.Data.Truncated = nil, nil, true
	}
	return ev
}

// EventRecipients are the orgs an event goes to (the walls of §11, as the
// audit log's readers): the org that owns the project or workspace, which
// sees everything in it, and the org the event is about, which sees what
// is about itself. Another partner of the same project receives nothing.
// A job's events go to the owning org alone (jobs are its workspace
// admins' to see, invariant 8), even when the job is about a partner.
func EventRecipients(ev Event) []string {
	out := []string{}
	about := ev.OrgID
	if strings.HasPrefix(ev.Type, "job.") {
		about = "" // the owner's alone; none when the owner is gone
	}
	for _, o := range []string{ev.Data.HostOrgID, about} {
		if o != "" && (len(out) == 0 || out[0] != o) {
			out = append(out, o)
		}
	}
	return out
}

// withheld names members an event never carries, at any depth: secrets,
// and people's email addresses (an event carries ids and names; it leaves
// the platform for the receiver's URL).
func withheld(key string) bool {
	k := strings.ToLower(key)
	for _, s := range []string{"token", "secret", "hash", "password", "sealed", "key", "email"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// scrubbed decodes JSON and drops secret-looking members at every depth.
func scrubbed(v any) any {
	switch raw := v.(type) {
	case nil:
		return nil
	case json.RawMessage:
		return scrubbed([]byte(raw))
	case []byte:
		if len(raw) == 0 {
			return nil
		}
		var x any
		if err := json.Unmarshal(raw, &x); err != nil {
			return nil
		}
		return scrub(x)
	case string:
		if raw == "" {
			return nil
		}
		return scrubbed([]byte(raw))
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return scrubbed(b)
}

func scrub(x any) any {
	switch t := x.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			if withheld(k) {
				continue
			}
			out[camel(k)] = scrub(v)
		}
		return out
	case []any:
		for i := range t {
			t[i] = scrub(t[i])
		}
	}
	return x
}

// camel is a member name as the API writes them: a record kept whole in
// the audit log (its Go field names: ProjectID, OrgName) reads as
// projectId, orgName, as every answer of the API does.
func camel(k string) string {
	if k == "" || k[0] < 'A' || k[0] > 'Z' {
		return k
	}
	if k == strings.ToUpper(k) {
		return strings.ToLower(k) // ID → id
	}
	// An "ID" at a word's end (ProjectID, AccessIDs) reads Id.
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		rest := k[i:]
		if strings.HasPrefix(rest, "ID") && (len(rest) == 2 || rest == "IDs" || rest[2] >= 'A' && rest[2] <= 'Z') {
			b.WriteString("Id")
			i++
			continue
		}
		b.WriteByte(k[i])
	}
	out := b.String()
	return strings.ToLower(out[:1]) + out[1:]
}

// SignatureHeader is the header a webhook delivery is signed in.
const SignatureHeader = "Annobridge-Signature"

// SignWebhook is a delivery's signature header value: t=<unix seconds>,
// v1=<hex HMAC-SHA256 of "t.body" under the webhook's secret>.
func SignWebhook(secret string, at time.Time, body []byte) string {
	t := strconv.FormatInt(at.Unix(), 10)
	return "t=" + t + ",v1=" + hex.EncodeToString(webhookMAC(secret, t, body))
}

func webhookMAC(secret, t string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(t))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// VerifyWebhook checks a delivery's signature header against the body and
// the secret, refusing one signed more than tolerance from now (a replay):
// what a receiver does (docs/webhooks.md shows the same in a few lines).
func VerifyWebhook(header, secret string, body []byte, now time.Time, tolerance time.Duration) error {
	var t string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			t = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return fmt.Errorf("signature without a time")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("signature time %s is outside the tolerance", time.Unix(sec, 0).UTC().Format(time.RFC3339))
	}
	want := webhookMAC(secret, t, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return fmt.Errorf("no v1 signature matches")
}

// EventsMarkdown renders docs/events.md, the event catalogue.
func EventsMarkdown() string {
	var b strings.Builder
	b.WriteString("# Event catalogue\n\n")
	b.WriteString("Generated from `collab.EventCatalogue` by `go generate ./internal/collab`; do not edit.\n\n")
	b.WriteString("Every audit entry is also an event (docs/webhooks.md says how they are delivered and signed). ")
	b.WriteString("A delivery is `{id, type, at, orgId, data}`: `id` the event's (the same on every retry), `orgId` the org the event is about, ")
	b.WriteString("`data` `{projectId | workspaceId, hostOrgId, actorId, before, after}` with the audit entry's before and after (ids and names; ")
	b.WriteString("no member whose name looks like a token, secret, hash, password, sealed value, key or email address is ever sent). On the EventBridge bus the source is `" + EventSource + "` and the detail-type the event's type.\n\n")
	b.WriteString("**Who receives an event** (the walls of SPEC §11, as for the audit log): the org that owns the project or workspace it happened in, ")
	b.WriteString("and the org it is about (`orgId`). An org's own entries (scope `org`) go to that org alone; `job.*` events go to the owning org alone. Another partner of the same project receives nothing.\n\n")
	b.WriteString("| type | when | about (`orgId`) | recorded on | before / after | audit entries |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, s := range EventCatalogue {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | `%s` |\n", s.Type, s.When, s.About, s.Scope, s.Fields, strings.Join(s.Audit, "`, `"))
	}
	return b.String()
}
