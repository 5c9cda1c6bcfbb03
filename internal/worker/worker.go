// Package worker is the SQS consumer: events.SQSEvent in, batch item
// failures out. The Lambda consumers and cmd/local's pollers share it.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/aws/aws-lambda-go/events"
)

// Envelope is the shape of every message on every queue: a kind that picks
// the handler, an id for deduplication and logs, and the kind's body.
type Envelope struct {
	Kind string          `json:"kind"`
	ID   string          `json:"id"`
	Body json.RawMessage `json:"body"`
}

// Handler handles one message. Returning an error leaves the message on the
// queue to be retried, and after maxReceiveCount moved to the DLQ.
type Handler func(ctx context.Context, msg Message) error

// Message is one received message with its envelope decoded.
type Message struct {
	Envelope
	SQSMessageID  string
	ReceiveCount  string
	MessageGroup  string
	DeduplicateID string
	// ReceiptHandle lets a handler change the message's visibility (a
	// retry's backoff) before it reports the failure.
	ReceiptHandle string
}

// ErrUnknownKind is the failure of a message no handler takes.
var ErrUnknownKind = errors.New("no handler for message kind")

// Consumer dispatches messages by kind.
type Consumer struct {
	name     string
	handlers map[string]Handler
	log      *slog.Logger
	// Lanes is how many lanes of a batch are worked at once (below 1: one).
	// A lane is the batch's messages of one FIFO message group, in order,
	// or one message without a group.
	Lanes int
}

// NewConsumer returns a consumer for the named queue with handlers by kind.
func NewConsumer(name string, log *slog.Logger, handlers map[string]Handler) *Consumer {
	if log == nil {
		log = slog.Default()
	}
	return &Consumer{name: name, handlers: handlers, log: log.With("consumer", name)}
}

// Kinds lists the kinds the consumer handles.
func (c *Consumer) Kinds() []string {
	out := make([]string, 0, len(c.handlers))
	for k := range c.handlers {
		out = append(out, k)
	}
	return out
}

// Handle processes a batch and reports the messages that failed, so only
// they are retried. The batch is cut into lanes: the messages of one FIFO
// message group, in the batch's order, or a message without a group alone.
// Up to Lanes lanes run at once; within a lane the messages run one after
// another, and once one fails the lane's later messages are reported failed
// unprocessed, keeping the group's order.
func (c *Consumer) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	lanes := lanesOf(ev.Records)
	failed := make([]bool, len(ev.Records))
	sem := make(chan struct{}, max(c.Lanes, 1))
	var wg sync.WaitGroup
	for _, lane := range lanes {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			for k, i := range lane {
				rec := ev.Records[i]
				if err := c.handleOne(ctx, rec); err != nil {
					c.log.WarnContext(ctx, "message failed", "messageId", rec.MessageId,
						"receiveCount", rec.Attributes["ApproximateReceiveCount"], "err", err)
					for _, j := range lane[k:] {
						failed[j] = true
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	var resp events.SQSEventResponse
	for i, rec := range ev.Records {
		if failed[i] {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp, nil
}

// lanesOf cuts a batch into lanes of record indexes: one per message
// group, in order of first appearance, and one per message without a group.
func lanesOf(recs []events.SQSMessage) [][]int {
	var lanes [][]int
	byGroup := map[string]int{}
	for i, rec := range recs {
		group := rec.Attributes["MessageGroupId"]
		if group == "" {
			lanes = append(lanes, []int{i})
			continue
		}
		l, ok := byGroup[group]
		if !ok {
			l = len(lanes)
			byGroup[group] = l
			lanes = append(lanes, nil)
		}
		lanes[l] = append(lanes[l], i)
	}
	return lanes
}

func (c *Consumer) handleOne(ctx context.Context, rec events.SQSMessage) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	var env Envelope
	if err := json.Unmarshal([]byte(rec.Body), &env); err != nil {
		return fmt.Errorf("decode envelope: %w", err)
	}
	h, ok := c.handlers[env.Kind]
	if !ok {
		return fmt.Errorf("%w %q on %s", ErrUnknownKind, env.Kind, c.name)
	}
	msg := Message{
		Envelope:      env,
		SQSMessageID:  rec.MessageId,
		ReceiveCount:  rec.Attributes["ApproximateReceiveCount"],
		MessageGroup:  rec.Attributes["MessageGroupId"],
		DeduplicateID: rec.Attributes["MessageDeduplicationId"],
		ReceiptHandle: rec.ReceiptHandle,
	}
	if err := h(ctx, msg); err != nil {
		return fmt.Errorf("%s %s: %w", env.Kind, env.ID, err)
	}
	c.log.DebugContext(ctx, "message done", "kind", env.Kind, "id", env.ID)
	return nil
}
