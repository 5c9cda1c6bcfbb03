package collab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Webhooks: an org's owners and admins register URLs that receive the
// events about the org (SPEC §14). The events function publishes each
// audit entry (Publish: to the bus, and one delivery message per matching
// webhook of each recipient org); the webhooks function delivers them
// (Deliver: signed, retried with backoff by the queue, logged).

// WebhookStore is what the webhook use cases need.
type WebhookStore interface {
	// CreateWebhook keeps the webhook and its secret (sealed), refusing a
	// conflict when the org already has max.
	CreateWebhook(ctx context.Context, w Webhook, secret string, max int, audit ...AuditEntry) error
	ListWebhooks(ctx context.Context, orgID string) ([]Webhook, error)
	// GetWebhookSecret reads a webhook and opens its secret.
	GetWebhookSecret(ctx context.Context, orgID, id string) (Webhook, string, error)
	GetWebhook(ctx context.Context, orgID, id string) (Webhook, error)
	DeleteWebhook(ctx context.Context, w Webhook, audit ...AuditEntry) error
	// NoteWebhookFailure counts one more failed attempt in a row and
	// answers the count; ResetWebhookFailures sets it back to zero.
	NoteWebhookFailure(ctx context.Context, w Webhook) (int, error)
	ResetWebhookFailures(ctx context.Context, w Webhook) error
	// SetWebhookDisabled disables (at: when) or enables (zero) a webhook,
	// version-checked unless the platform disables it (then only once).
	SetWebhookDisabled(ctx context.Context, w Webhook, at time.Time, byPlatform bool, audit ...AuditEntry) error
	PutDelivery(ctx context.Context, d Delivery) error
	ListDeliveries(ctx context.Context, w Webhook, p Page) ([]Delivery, string, error)
	// ScopeHost is the org that owns an audit scope's project or
	// workspace (for an org's scope, the org).
	ScopeHost(ctx context.Context, scope string) (string, error)
}

// EventBus takes every event (EventBridge in AWS).
type EventBus interface {
	Put(ctx context.Context, ev Event) error
}

// DeliveryQueue queues one delivery of an event to one webhook.
type DeliveryQueue interface {
	Enqueue(ctx context.Context, m DeliveryMessage) error
}

// WebhookPoster POSTs a delivery and answers the receiver's status.
type WebhookPoster interface {
	Post(ctx context.Context, url string, body []byte, header map[string]string) (status int, err error)
}

// ErrNotWired is the failure of an events use case whose port (the bus,
// the delivery queue, the poster) this function was not given.
var ErrNotWired = errors.New("events: port not wired in this function")

// Webhook is an org's registered receiver of events.
type Webhook struct {
	ID        string
	OrgID     string
	URL       string
	Events    []string // event types, or "*" for every one
	CreatedBy string
	CreatedAt time.Time
	// Failures counts the failed attempts in a row; at the deployment's
	// limit (Config.WebhookDisableAfter) the platform disables the
	// webhook (DisabledAt), until an owner or admin enables it again.
	Failures   int
	DisabledAt time.Time
	Version    int
}

// Wants says whether the webhook takes events of the type now.
func (w Webhook) Wants(typ string) bool {
	return w.DisabledAt.IsZero() && (slices.Contains(w.Events, "*") || slices.Contains(w.Events, typ))
}

// DefaultWebhookDisableAfter is how many failed attempts in a row disable
// a webhook (at 8 attempts an event, about a dozen events that never got
// through).
const DefaultWebhookDisableAfter = 100

func (s *Webhooks) disableAfter() int {
	if s.cfg.WebhookDisableAfter > 0 {
		return s.cfg.WebhookDisableAfter
	}
	return DefaultWebhookDisableAfter
}

// SetWebhookEnabled enables a disabled webhook (its failures forgotten)
// or disables one (its owners and admins).
func (s *Webhooks) SetWebhookEnabled(ctx context.Context, c Caller, orgID, id string, enabled bool) (Webhook, error) {
	w, err := s.webhook(ctx, c, orgID, id)
	if err != nil {
		return Webhook{}, err
	}
	if enabled == w.DisabledAt.IsZero() {
		return w, nil
	}
	at, what := time.Time{}, "webhook.enabled"
	if !enabled {
		at, what = s.clock.Now(), "webhook.disabled"
	}
	audit := s.entry(OrgScope(orgID), c, orgID, what, map[string]any{"webhookId": w.ID, "failures": w.Failures}, map[string]any{"webhookId": w.ID})
	if err := s.store.SetWebhookDisabled(ctx, w, at, false, audit); err != nil {
		return Webhook{}, err
	}
	w.DisabledAt, w.Failures, w.Version = at, 0, w.Version+1
	return w, nil
}

// DeliveryMessage is one event on its way to one webhook.
type DeliveryMessage struct {
	OrgID     string `json:"orgId"`
	WebhookID string `json:"webhookId"`
	Event     Event  `json:"event"`
}

// ID identifies the delivery (the queue's deduplication and the logs).
func (m DeliveryMessage) ID() string { return m.Event.ID + "." + m.WebhookID }

// Delivery is one attempt of a delivery, in the webhook's log.
type Delivery struct {
	ID         string
	WebhookID  string
	EventID    string
	EventType  string
	Attempt    int
	At         time.Time
	Status     DeliveryStatus
	StatusCode int    // the receiver's answer (0: none)
	Error      string // why it failed, when it did
	DurationMs int
}

// DeliveryStatus is an attempt's outcome.
type DeliveryStatus string

// Delivery outcomes.
const (
	DeliveryDelivered DeliveryStatus = "delivered"
	DeliveryFailed    DeliveryStatus = "failed"
)

// Webhook limits.
const (
	MaxWebhooksPerOrg = 10
	MaxWebhookURL     = 2048
	// DeliveryLogDays is how long a delivery attempt stays in the log.
	DeliveryLogDays = 30
	// DeliveryTimeout bounds one POST.
	DeliveryTimeout = 10 * time.Second
)

// Webhooks is the webhook capability.
type Webhooks struct {
	base
	store      WebhookStore
	bus        EventBus
	deliveries DeliveryQueue
	poster     WebhookPoster
	hosts      sync.Map // audit scope → host org (never changes)
	hostsKept  atomic.Int64
}

// maxHostsKept bounds the scopes whose owner a process remembers.
const maxHostsKept = 10000

// WebhookInput is a webhook to register.
type WebhookInput struct {
	URL    string
	Events []string
}

// CreateWebhook registers a webhook for the org (its owners and admins)
// and answers its secret, shown this once.
func (s *Webhooks) CreateWebhook(ctx context.Context, c Caller, orgID string, in WebhookInput) (Webhook, string, error) {
	var v Validation
	if err := s.checkWebhookURL(in.URL); err != nil {
		v.Add("url", "%s", err)
	}
	events, err := webhookEvents(in.Events)
	if err != nil {
		v.Add("events", "%s", err)
	}
	if err := v.Err(); err != nil {
		return Webhook{}, "", err
	}
	if _, err := s.orgPermit(ctx, c, orgID, OrgWebhooksManage); err != nil {
		return Webhook{}, "", err
	}
	now := s.clock.Now()
	w := Webhook{ID: s.ids.New("whk"), OrgID: orgID, URL: in.URL, Events: events, CreatedBy: c.UserID, CreatedAt: now, Version: 1}
	token, _ := NewToken()
	secret := "whsec_" + token
	audit := s.entry(OrgScope(orgID), c, orgID, "webhook.created", nil, map[string]any{"webhookId": w.ID, "url": w.URL, "events": w.Events})
	if err := s.store.CreateWebhook(ctx, w, secret, MaxWebhooksPerOrg, audit); err != nil {
		return Webhook{}, "", err
	}
	return w, secret, nil
}

// ListWebhooks lists the org's webhooks (never their secrets).
func (s *Webhooks) ListWebhooks(ctx context.Context, c Caller, orgID string) ([]Webhook, error) {
	if _, err := s.orgPermit(ctx, c, orgID, OrgWebhooksManage); err != nil {
		return nil, err
	}
	return s.store.ListWebhooks(ctx, orgID)
}

// DeleteWebhook deletes one of the org's webhooks: its deliveries still
// queued are dropped when they come.
func (s *Webhooks) DeleteWebhook(ctx context.Context, c Caller, orgID, id string) error {
	w, err := s.webhook(ctx, c, orgID, id)
	if err != nil {
		return err
	}
	return s.store.DeleteWebhook(ctx, w, s.entry(OrgScope(orgID), c, orgID, "webhook.deleted",
		map[string]any{"webhookId": w.ID, "url": w.URL, "events": w.Events}, nil))
}

// ListDeliveries lists a webhook's delivery attempts, newest first.
func (s *Webhooks) ListDeliveries(ctx context.Context, c Caller, orgID, id string, p Page) ([]Delivery, string, error) {
	w, err := s.webhook(ctx, c, orgID, id)
	if err != nil {
		return nil, "", err
	}
	return s.store.ListDeliveries(ctx, w, p)
}

func (s *Webhooks) webhook(ctx context.Context, c Caller, orgID, id string) (Webhook, error) {
	if _, err := s.orgPermit(ctx, c, orgID, OrgWebhooksManage); err != nil {
		return Webhook{}, err
	}
	return s.store.GetWebhook(ctx, orgID, id)
}

// checkWebhookURL holds a webhook's URL to the deployment's policy: in a
// local run loopback receivers only (SPEC §14); elsewhere https to a
// public host (the poster also refuses to dial a private address, so a
// name that resolves to one later is refused then).
func (s *Webhooks) checkWebhookURL(raw string) error {
	if raw == "" || len(raw) > MaxWebhookURL {
		return fmt.Errorf("must be an absolute URL of at most %d characters", MaxWebhookURL)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("must be an absolute http(s) URL without credentials or fragment")
	}
	host := u.Hostname()
	addr, ipErr := netip.ParseAddr(host)
	if s.cfg.WebhookLoopbackOnly {
		if u.Scheme != "http" && u.Scheme != "https" {
			return fmt.Errorf("must be http or https")
		}
		if host != "localhost" && (ipErr != nil || !addr.IsLoopback()) {
			return fmt.Errorf("must be a loopback address here (127.0.0.1, ::1 or localhost): local runs deliver to loopback only")
		}
		return nil
	}
	if u.Scheme != "https" {
		return fmt.Errorf("must be https")
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || ipErr == nil && !PublicAddr(addr) {
		return fmt.Errorf("must be a public host")
	}
	return nil
}

// PublicAddr says whether an address may receive deliveries outside a
// local run: a global unicast address outside the private, shared, special
// and translation ranges (the IPv6 forms that embed an IPv4 address are
// refused whole).
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || !a.IsGlobalUnicast() || a.IsPrivate() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var nonPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "240.0.0.0/4", "::/96", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32", "2001:db8::/32", "100::/64"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// webhookEvents checks and orders a webhook's event types.
func webhookEvents(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("must name at least one event type, or \"*\"")
	}
	known := EventTypes()
	var out []string
	for _, t := range in {
		if t != "*" && !slices.Contains(known, t) {
			return nil, fmt.Errorf("%q is not an event type (docs/events.md)", clip(t, 60))
		}
		out = append(out, t)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// PublishReport is what publishing one audit entry did.
type PublishReport struct {
	Type         string
	Known        bool // the catalogue names the entry's `what`
	Deliveries   int
	Recipients   []string
	Uncatalogued string // the `what` the catalogue does not name
}

// Publish turns an audit entry into its event: on the bus, and queued for
// each webhook of each recipient org that takes its type.
func (s *Webhooks) Publish(ctx context.Context, e AuditEntry) (PublishReport, error) {
	if s.bus == nil || s.deliveries == nil {
		return PublishReport{}, ErrNotWired
	}
	host, err := s.scopeHost(ctx, e.Scope)
	if err != nil {
		return PublishReport{}, fmt.Errorf("event %s: host of %s: %w", e.ID, e.Scope, err)
	}
	ev := EventFromAudit(e, host)
	_, known := EventTypeOf(e.What)
	rep := PublishReport{Type: ev.Type, Known: known, Recipients: EventRecipients(ev)}
	if !known {
		rep.Uncatalogued = e.What
	}
	if err := s.bus.Put(ctx, ev); err != nil {
		return rep, fmt.Errorf("event %s to the bus: %w", ev.ID, err)
	}
	for _, org := range rep.Recipients {
		hooks, err := s.store.ListWebhooks(ctx, org)
		if err != nil {
			return rep, fmt.Errorf("event %s: webhooks of %s: %w", ev.ID, org, err)
		}
		for _, w := range hooks {
			if !w.Wants(ev.Type) {
				continue
			}
			if err := s.deliveries.Enqueue(ctx, DeliveryMessage{OrgID: org, WebhookID: w.ID, Event: ev}); err != nil {
				return rep, fmt.Errorf("event %s for webhook %s: %w", ev.ID, w.ID, err)
			}
			rep.Deliveries++
		}
	}
	return rep, nil
}

// scopeHost reads (once per process) the org that owns an audit scope.
func (s *Webhooks) scopeHost(ctx context.Context, scope string) (string, error) {
	if org, ok := strings.CutPrefix(scope, "ORG#"); ok {
		return org, nil
	}
	if h, ok := s.hosts.Load(scope); ok {
		return h.(string), nil
	}
	h, err := s.store.ScopeHost(ctx, scope)
	if IsCode(err, CodeNotFound) {
		// The project or workspace was deleted before its last entries
		// were published: they go to the org they are about.
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if s.hostsKept.Add(1) > maxHostsKept {
		s.hosts.Clear() // bounded: forgotten, read again
		s.hostsKept.Store(0)
	}
	s.hosts.Store(scope, h)
	return h, nil
}

// receives checks again, from the table rather than the message, that the
// org is a recipient of the event: the owner of its project or workspace,
// or the org it is about (jobs: the owner alone).
func (s *Webhooks) receives(ctx context.Context, orgID string, ev Event) bool {
	scope := OrgScope(ev.OrgID)
	switch {
	case ev.Data.ProjectID != "":
		scope = ProjectScope(ev.Data.ProjectID)
	case ev.Data.WorkspaceID != "":
		scope = WorkspaceScope(ev.Data.WorkspaceID)
	}
	host, err := s.scopeHost(ctx, scope)
	if err != nil {
		return false
	}
	ev.Data.HostOrgID = host
	return slices.Contains(EventRecipients(ev), orgID)
}

// Deliver POSTs one event to one webhook, signed with its secret, and logs
// the attempt. An error leaves the message to the queue's retries; a
// webhook deleted meanwhile drops it.
func (s *Webhooks) Deliver(ctx context.Context, m DeliveryMessage, attempt int) error {
	if s.poster == nil {
		return ErrNotWired
	}
	w, secret, err := s.store.GetWebhookSecret(ctx, m.OrgID, m.WebhookID)
	if IsCode(err, CodeNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !w.Wants(m.Event.Type) || !s.receives(ctx, w.OrgID, m.Event) {
		return nil // never another org's walls, whatever the message says
	}
	body, err := json.Marshal(m.Event)
	if err != nil {
		return err
	}
	start := s.clock.Now()
	ctx, cancel := context.WithTimeout(ctx, DeliveryTimeout)
	defer cancel()
	status, perr := s.poster.Post(ctx, w.URL, body, map[string]string{
		"Content-Type":         "application/json",
		"User-Agent":           "annobridge-webhooks/1",
		"Annobridge-Event-Id":  m.Event.ID,
		"Annobridge-Event":     m.Event.Type,
		SignatureHeader:        SignWebhook(secret, start, body),
		"Annobridge-Delivery":  m.ID(),
		"Annobridge-Attempt":   fmt.Sprint(attempt),
		"Annobridge-Webhook":   w.ID,
		"Annobridge-Recipient": w.OrgID,
	})
	d := Delivery{ID: s.ids.New("dlv"), WebhookID: w.ID, EventID: m.Event.ID, EventType: m.Event.Type, Attempt: attempt, At: start,
		StatusCode: status, DurationMs: int(s.clock.Now().Sub(start).Milliseconds()), Status: DeliveryDelivered}
	switch {
	case perr != nil:
		d.Status, d.Error = DeliveryFailed, DeliveryErrorClass(perr)
	case status < 200 || status > 299:
		d.Status, d.Error = DeliveryFailed, fmt.Sprintf("the receiver answered %d", status)
	}
	keep := context.WithoutCancel(ctx)
	if err := s.store.PutDelivery(keep, d); err != nil && d.Status == DeliveryDelivered {
		return nil // delivered: a lost log line does not send it again
	}
	if d.Status == DeliveryDelivered {
		// Always (not only when the read showed failures): attempts that
		// failed meanwhile must not count towards disabling it.
		_ = s.store.ResetWebhookFailures(keep, w)
		return nil
	}
	if n, err := s.store.NoteWebhookFailure(keep, w); err == nil && n >= s.disableAfter() {
		// Disabled by the platform, once: its owners and admins see it in
		// the list and the audit log, and enable it again.
		_ = s.store.SetWebhookDisabled(keep, w, s.clock.Now(), true, AuditEntry{Scope: OrgScope(w.OrgID), At: s.clock.Now(),
			ID: s.ids.New("aud"), Actor: PlatformActor, OrgID: w.OrgID, What: "webhook.disabled",
			Before: map[string]any{"webhookId": w.ID, "failures": n}, After: map[string]any{"webhookId": w.ID}})
	}
	return fmt.Errorf("delivery %s attempt %d: %s", m.ID(), attempt, d.Error)
}

// DeliveryErrorClass is what the log says of a failed POST: a coarse
// class, never the address or the dialler's words (the log must not turn
// into a probe of what the platform can reach).
func DeliveryErrorClass(err error) string {
	msg := strings.ToLower(err.Error())
	switch {
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "timeout"):
		return "no answer in time"
	case strings.Contains(msg, "address refused"):
		return "the address is not allowed"
	case strings.Contains(msg, "no such host"):
		return "the host name does not resolve"
	case strings.Contains(msg, "tls") || strings.Contains(msg, "x509") || strings.Contains(msg, "certificate"):
		return "TLS failed"
	}
	return "could not connect"
}
