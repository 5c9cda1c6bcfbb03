package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/ddbstore"
	"github.com/annobridge/annobridge/internal/sqsqueue"
	"github.com/annobridge/annobridge/internal/worker"
)

// KindWebhookDeliver is the webhooks queue's message: one event for one
// webhook.
const KindWebhookDeliver = "webhook.deliver"

// DeliveryQueue is the service's DeliveryQueue: a webhook.deliver message
// on the webhooks queue, its id the delivery's (event and webhook).
type DeliveryQueue struct{ Publisher *sqsqueue.Publisher }

// Enqueue queues one delivery.
func (q DeliveryQueue) Enqueue(ctx context.Context, m collab.DeliveryMessage) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return q.Publisher.Publish(ctx, worker.Envelope{Kind: KindWebhookDeliver, ID: m.ID(), Body: body}, "")
}

// NoBus is the bus of a run without EventBridge (a local run): the events
// still reach the webhooks.
type NoBus struct{}

// Put takes the event and does nothing with it.
func (NoBus) Put(context.Context, collab.Event) error { return nil }

// Tally counts strings (safe for concurrent use).
type Tally struct {
	mu sync.Mutex
	n  map[string]int
}

// Add counts one s.
func (t *Tally) Add(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == nil {
		t.n = map[string]int{}
	}
	t.n[s]++
}

// Counts copies the counts.
func (t *Tally) Counts() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int, len(t.n))
	for k, v := range t.n {
		out[k] = v
	}
	return out
}

// EventsHandler is the events function: each audit entry the table's
// stream carries becomes its event (on the bus, and a delivery per
// matching webhook). A record that fails is reported, so the stream
// retries from it; records of anything but an audit entry are skipped
// (the event source's filter passes only audit inserts in AWS).
func (a *App) EventsHandler(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	for _, r := range ev.Records {
		if r.EventName != "INSERT" {
			continue
		}
		img := map[string]string{}
		for k, v := range r.Change.NewImage {
			if v.DataType() == events.DataTypeString {
				img[k] = v.String()
			}
		}
		e, ok := ddbstore.AuditFromImage(img)
		if !ok {
			continue
		}
		rep, err := a.Service.Webhooks.Publish(ctx, e)
		if rep.Uncatalogued != "" {
			a.Uncatalogued.Add(rep.Uncatalogued)
			a.Log.WarnContext(ctx, "an audit entry the event catalogue does not name was sent as its own type", "what", rep.Uncatalogued)
		}
		if err != nil {
			a.Log.ErrorContext(ctx, "event not published (the stream retries it)", "auditId", e.ID, "err", err)
			// The stream retries from the first failure; the records
			// after it are read again with it.
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
			return resp, nil
		}
	}
	return resp, nil
}

// deliver delivers one event to one webhook; a failed attempt stays on the
// queue, invisible for the backoff of its attempt (the retry delay doubled
// per attempt, at most 15 minutes), and after the queue's maxReceiveCount
// reaches the dead-letter queue.
func (a *App) deliver(ctx context.Context, m worker.Message) error {
	var d collab.DeliveryMessage
	if err := json.Unmarshal(m.Body, &d); err != nil || d.WebhookID == "" || d.OrgID == "" || d.Event.ID == "" {
		return fmt.Errorf("webhook.deliver without webhook, org or event: %v", err)
	}
	attempt, _ := strconv.Atoi(m.ReceiveCount)
	attempt = max(attempt, 1)
	err := a.Service.Webhooks.Deliver(ctx, d, attempt)
	if err != nil && m.ReceiptHandle != "" {
		wait := Backoff(a.Config.WebhookRetryDelay, attempt)
		if _, verr := a.SQS.ChangeMessageVisibility(context.WithoutCancel(ctx), &sqs.ChangeMessageVisibilityInput{
			QueueUrl: &a.Config.WebhookQueueURL, ReceiptHandle: &m.ReceiptHandle, VisibilityTimeout: int32(wait / time.Second)}); verr != nil {
			a.Log.WarnContext(ctx, "delivery backoff not set", "err", verr)
		}
	}
	return err
}

// Backoff is how long a delivery waits after its attempt failed: first
// the retry delay, doubled per attempt, at most 15 minutes.
func Backoff(first time.Duration, attempt int) time.Duration {
	d := first
	for i := 1; i < attempt && d < 15*time.Minute; i++ {
		d *= 2
	}
	return min(d, 15*time.Minute)
}
