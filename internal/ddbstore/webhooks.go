// Webhooks: an org's receivers of events, their secrets sealed at rest, and
// their delivery logs; and the audit rows read back from the table's
// stream, which become the events.

package ddbstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/secretbox"
)

type webhookRow struct {
	keys
	meta
	ID           string     `dynamodbav:"id"`
	OrgID        string     `dynamodbav:"orgId"`
	URL          string     `dynamodbav:"url"`
	Events       []string   `dynamodbav:"events"`
	SealedSecret string     `dynamodbav:"sealedSecret"`
	CreatedBy    string     `dynamodbav:"createdBy"`
	CreatedAt    time.Time  `dynamodbav:"createdAt"`
	Failures     int        `dynamodbav:"failures,omitempty"`
	DisabledAt   *time.Time `dynamodbav:"disabledAt,omitempty"` // absent while enabled (the platform's disable is conditioned on it)
}

func (r webhookRow) domain() collab.Webhook {
	w := collab.Webhook{ID: r.ID, OrgID: r.OrgID, URL: r.URL, Events: r.Events, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt,
		Failures: r.Failures, Version: r.Version}
	if r.DisabledAt != nil {
		w.DisabledAt = *r.DisabledAt
	}
	return w
}

type deliveryRow struct {
	keys
	meta
	ID         string    `dynamodbav:"id"`
	WebhookID  string    `dynamodbav:"webhookId"`
	EventID    string    `dynamodbav:"eventId"`
	EventType  string    `dynamodbav:"eventType"`
	Attempt    int       `dynamodbav:"attempt"`
	At         time.Time `dynamodbav:"at"`
	Status     string    `dynamodbav:"status"`
	StatusCode int       `dynamodbav:"statusCode,omitempty"`
	Error      string    `dynamodbav:"error,omitempty"`
	DurationMs int       `dynamodbav:"durationMs"`
	TTL        int64     `dynamodbav:"ttl"`
}

// WithWebhookKey sets the box that seals the webhooks' secrets (from
// WEBHOOK_KEY). Without one, registering a webhook fails.
func WithWebhookKey(b *secretbox.Box) Option { return func(s *Store) { s.webhookKeys = b } }

// webhookSecretAD binds a sealed secret to its webhook: copied onto
// another record, it does not open.
func webhookSecretAD(id string) []byte { return []byte("webhook:" + id) }

var errWebhookNotFound = collab.Errorf(collab.CodeNotFound, "webhook not found")

// CreateWebhook keeps the webhook with its secret sealed, counting the
// org's webhooks in the same transaction (at most max).
func (s *Store) CreateWebhook(ctx context.Context, w collab.Webhook, secret string, max int, audit ...collab.AuditEntry) error {
	if s.webhookKeys == nil {
		return collab.Errorf(collab.CodeUnavailable, "webhooks are not configured here: WEBHOOK_KEY is not set")
	}
	sealed, err := s.webhookKeys.Seal([]byte(secret), webhookSecretAD(w.ID))
	if err != nil {
		return fmt.Errorf("seal webhook secret: %w", err)
	}
	put, err := s.putNew(webhookRow{keys: webhookKey(w.OrgID, w.ID), meta: meta{Type: "webhook", Version: 1}, ID: w.ID, OrgID: w.OrgID,
		URL: w.URL, Events: w.Events, SealedSecret: sealed, CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt}, collab.AlreadyExists(collab.RecordWebhook, w.ID))
	if err != nil {
		return err
	}
	count := txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: keyAV(webhookCountKey(w.OrgID)),
		UpdateExpression:          aws.String("ADD #n :one SET typ = :t"),
		ConditionExpression:       aws.String("attribute_not_exists(#n) OR #n < :max"),
		ExpressionAttributeNames:  map[string]string{"#n": "n"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1), ":max": n(max), ":t": str("webhook_count")}}},
		onConflict: collab.Errorf(collab.CodeConflict, "the org has %d webhooks already: delete one first", max)}
	return s.transactAudited(ctx, audit, count, put)
}

// ListWebhooks lists an org's webhooks (one query; an org has few).
func (s *Store) ListWebhooks(ctx context.Context, orgID string) ([]collab.Webhook, error) {
	pk, sk := webhooksOf(orgID)
	rows, err := allRows[webhookRow](ctx, s, queryInput{pk: pk, skPrefix: sk}, 0)
	if err != nil {
		return nil, err
	}
	out := make([]collab.Webhook, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// GetWebhook reads one of an org's webhooks.
func (s *Store) GetWebhook(ctx context.Context, orgID, id string) (collab.Webhook, error) {
	var r webhookRow
	if err := s.get(ctx, webhookKey(orgID, id), &r, errWebhookNotFound); err != nil {
		return collab.Webhook{}, err
	}
	return r.domain(), nil
}

// GetWebhookSecret reads a webhook and opens its secret.
func (s *Store) GetWebhookSecret(ctx context.Context, orgID, id string) (collab.Webhook, string, error) {
	var r webhookRow
	if err := s.get(ctx, webhookKey(orgID, id), &r, errWebhookNotFound); err != nil {
		return collab.Webhook{}, "", err
	}
	if s.webhookKeys == nil {
		return collab.Webhook{}, "", collab.Errorf(collab.CodeUnavailable, "webhooks are not configured here: WEBHOOK_KEY is not set")
	}
	secret, err := s.webhookKeys.Open(r.SealedSecret, webhookSecretAD(r.ID))
	if err != nil {
		return collab.Webhook{}, "", fmt.Errorf("open the secret of webhook %s: %w", r.ID, err)
	}
	return r.domain(), string(secret), nil
}

// DeleteWebhook deletes a webhook (version-checked) and counts it out.
// Its log expires by itself.
func (s *Store) DeleteWebhook(ctx context.Context, w collab.Webhook, audit ...collab.AuditEntry) error {
	count := txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: keyAV(webhookCountKey(w.OrgID)),
		UpdateExpression: aws.String("ADD #n :minus"), ExpressionAttributeNames: map[string]string{"#n": "n"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":minus": n(-1)}}}}
	return s.transactAudited(ctx, audit, s.deleteVersioned(webhookKey(w.OrgID, w.ID), w.Version, collab.Stale(collab.RecordWebhook)), count)
}

// NoteWebhookFailure counts one more failed attempt in a row (an atomic
// add: attempts run at once) and answers the count.
func (s *Store) NoteWebhookFailure(ctx context.Context, w collab.Webhook) (int, error) {
	res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: keyAV(webhookKey(w.OrgID, w.ID)),
		UpdateExpression: aws.String("ADD failures :one"), ConditionExpression: aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1)}, ReturnValues: types.ReturnValueUpdatedNew,
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		return 0, fmt.Errorf("count a failure of webhook %s: %w", w.ID, err)
	}
	meter(ctx, false, consumed(res.ConsumedCapacity)...)
	var out struct {
		Failures int `dynamodbav:"failures"`
	}
	if err := attributevalue.UnmarshalMap(res.Attributes, &out); err != nil {
		return 0, err
	}
	return out.Failures, nil
}

// ResetWebhookFailures forgets the failures in a row (after a success).
func (s *Store) ResetWebhookFailures(ctx context.Context, w collab.Webhook) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: keyAV(webhookKey(w.OrgID, w.ID)),
		UpdateExpression: aws.String("REMOVE failures"), ConditionExpression: aws.String("attribute_exists(PK)")})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("reset the failures of webhook %s: %w", w.ID, err)
	}
	return nil
}

// SetWebhookDisabled disables (at) or enables (zero: its failures
// forgotten) a webhook with its audit entry: version-checked when an owner
// or admin does it; when the platform does, only if it is not disabled yet
// (so it is disabled, and recorded, once).
func (s *Store) SetWebhookDisabled(ctx context.Context, w collab.Webhook, at time.Time, byPlatform bool, audit ...collab.AuditEntry) error {
	k := webhookKey(w.OrgID, w.ID)
	if at.IsZero() {
		return s.transactAudited(ctx, audit, s.versioned(k, w.Version, "REMOVE disabledAt, failures", nil, nil, collab.Stale(collab.RecordWebhook)))
	}
	values := map[string]types.AttributeValue{":at": str(at.UTC().Format(time.RFC3339Nano))}
	if !byPlatform {
		return s.transactAudited(ctx, audit, s.versioned(k, w.Version, "SET disabledAt = :at", nil, values, collab.Stale(collab.RecordWebhook)))
	}
	values[":one"] = n(1)
	once := txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: keyAV(k),
		UpdateExpression:          aws.String("SET disabledAt = :at ADD #v :one"),
		ConditionExpression:       aws.String("attribute_exists(PK) AND attribute_not_exists(disabledAt)"),
		ExpressionAttributeNames:  map[string]string{"#v": "v"},
		ExpressionAttributeValues: values}}, onConflict: collab.Errorf(collab.CodeConflict, "webhook %s is disabled already", w.ID)}
	return s.transactAudited(ctx, audit, once)
}

// PutDelivery logs one delivery attempt; it expires after
// collab.DeliveryLogDays.
func (s *Store) PutDelivery(ctx context.Context, d collab.Delivery) error {
	av, err := attributevalue.MarshalMap(deliveryRow{keys: deliveryKey(d.WebhookID, d.At, d.ID), meta: meta{Type: "delivery", Version: 1},
		ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID, EventType: d.EventType, Attempt: d.Attempt, At: d.At, Status: string(d.Status),
		StatusCode: d.StatusCode, Error: d.Error, DurationMs: d.DurationMs, TTL: d.At.Add(collab.DeliveryLogDays * 24 * time.Hour).Unix()})
	if err != nil {
		return err
	}
	res, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: av, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		return fmt.Errorf("log delivery %s: %w", d.ID, err)
	}
	meter(ctx, false, consumed(res.ConsumedCapacity)...)
	return nil
}

// ListDeliveries lists a webhook's log, newest first.
func (s *Store) ListDeliveries(ctx context.Context, w collab.Webhook, p collab.Page) ([]collab.Delivery, string, error) {
	pk, sk := deliveriesOf(w.ID)
	var rows []deliveryRow
	next, err := s.query(ctx, queryInput{pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor}, &rows)
	out := make([]collab.Delivery, 0, len(rows))
	now := s.now()
	for _, r := range rows {
		if r.TTL != 0 && now.Unix() >= r.TTL {
			continue
		}
		out = append(out, collab.Delivery{ID: r.ID, WebhookID: r.WebhookID, EventID: r.EventID, EventType: r.EventType, Attempt: r.Attempt,
			At: r.At, Status: collab.DeliveryStatus(r.Status), StatusCode: r.StatusCode, Error: r.Error, DurationMs: r.DurationMs})
	}
	return out, next, err
}

// ScopeHost reads the org that owns an audit scope's project or workspace.
func (s *Store) ScopeHost(ctx context.Context, scope string) (string, error) {
	switch {
	case strings.HasPrefix(scope, prefixProj):
		var r projectRow
		if err := s.get(ctx, projectKey(strings.TrimPrefix(scope, prefixProj)), &r, collab.Errorf(collab.CodeNotFound, "no project %s", scope)); err != nil {
			return "", err
		}
		return r.HostOrgID, nil
	case strings.HasPrefix(scope, prefixWS):
		var r workspaceRow
		if err := s.get(ctx, workspaceKey(strings.TrimPrefix(scope, prefixWS)), &r, collab.Errorf(collab.CodeNotFound, "no workspace %s", scope)); err != nil {
			return "", err
		}
		return r.OrgID, nil
	case strings.HasPrefix(scope, prefixOrg):
		return strings.TrimPrefix(scope, prefixOrg), nil
	}
	return "", errors.New("unknown audit scope " + scope)
}

// AuditFromImage reads an audit entry from a table stream record's new
// image (its string attributes); ok is false for a record of anything
// else. Before and After stay the JSON the table keeps.
func AuditFromImage(img map[string]string) (e collab.AuditEntry, ok bool) {
	if !strings.HasPrefix(img["PK"], "AUDIT#") || img["typ"] != "audit" {
		return collab.AuditEntry{}, false
	}
	at, err := time.Parse(time.RFC3339Nano, img["at"])
	if err != nil || img["id"] == "" || img["scope"] == "" {
		return collab.AuditEntry{}, false
	}
	e = collab.AuditEntry{Scope: img["scope"], At: at, ID: img["id"], Actor: img["actor"], OrgID: img["orgId"], What: img["what"]}
	if v := img["before"]; v != "" {
		e.Before = json.RawMessage(v)
	}
	if v := img["after"]; v != "" {
		e.After = json.RawMessage(v)
	}
	return e, true
}
