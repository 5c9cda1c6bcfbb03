package httpapi

import (
	"net/http"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

type webhookBody struct {
	URL    string   `json:"url" doc:"Where deliveries are POSTed: https to a public host (a local run: loopback only)."`
	Events []string `json:"events" doc:"Event types (docs/events.md), or \"*\" for every one."`
}

type webhookJSON struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"orgId"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	Enabled   bool      `json:"enabled" doc:"false once disabled: by an owner or admin, or by the platform after too many failed attempts in a row; it then receives nothing until enabled again."`
	// DisabledAt is when it was disabled.
	DisabledAt *time.Time `json:"disabledAt,omitempty"`
	Failures   int        `json:"failures" doc:"Failed attempts in a row (reset by a delivery that succeeds, or by enabling)."`
}

type webhookPatchBody struct {
	Enabled *bool `json:"enabled" doc:"true enables a disabled webhook (its failures forgotten); false disables it."`
}

// createdWebhookJSON is the one answer that shows the secret.
type createdWebhookJSON struct {
	webhookJSON
	Secret string `json:"secret" doc:"Signs every delivery (Annobridge-Signature); shown this once."`
}

type deliveryJSON struct {
	ID         string    `json:"id"`
	EventID    string    `json:"eventId"`
	EventType  string    `json:"eventType"`
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	Status     string    `json:"status" enum:"delivered,failed"`
	StatusCode int       `json:"statusCode,omitempty" doc:"The receiver's answer; absent when none came."`
	Error      string    `json:"error,omitempty"`
	DurationMs int       `json:"durationMs"`
}

func toWebhookJSON(w collab.Webhook) webhookJSON {
	out := webhookJSON{ID: w.ID, OrgID: w.OrgID, URL: w.URL, Events: w.Events, CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt,
		Enabled: w.DisabledAt.IsZero(), Failures: w.Failures}
	if !w.DisabledAt.IsZero() {
		out.DisabledAt = &w.DisabledAt
	}
	return out
}

func (a *API) updateWebhook(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in webhookPatchBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Enabled == nil {
		return invalidField("enabled", "is required: true or false")
	}
	hook, err := a.svc.Webhooks.SetWebhookEnabled(r.Context(), c, r.PathValue("orgId"), r.PathValue("webhookId"), *in.Enabled)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toWebhookJSON(hook))
	return nil
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	var in webhookBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	hook, secret, err := a.svc.Webhooks.CreateWebhook(r.Context(), c, r.PathValue("orgId"), collab.WebhookInput{URL: in.URL, Events: in.Events})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/orgs/"+hook.OrgID+"/webhooks/"+hook.ID)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, createdWebhookJSON{webhookJSON: toWebhookJSON(hook), Secret: secret})
	return nil
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	hooks, err := a.svc.Webhooks.ListWebhooks(r.Context(), c, r.PathValue("orgId"))
	if err != nil {
		return err
	}
	out := make([]webhookJSON, len(hooks))
	for i, h := range hooks {
		out[i] = toWebhookJSON(h)
	}
	writeJSON(w, http.StatusOK, newList(out, ""))
	return nil
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	if err := a.svc.Webhooks.DeleteWebhook(r.Context(), c, r.PathValue("orgId"), r.PathValue("webhookId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listDeliveries(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ds, next, err := a.svc.Webhooks.ListDeliveries(r.Context(), c, r.PathValue("orgId"), r.PathValue("webhookId"), p)
	if err != nil {
		return err
	}
	out := make([]deliveryJSON, len(ds))
	for i, d := range ds {
		out[i] = deliveryJSON{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Attempt: d.Attempt, At: d.At, Status: string(d.Status),
			StatusCode: d.StatusCode, Error: d.Error, DurationMs: d.DurationMs}
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}
