// Package eventbus puts annobridge's events on an Amazon EventBridge bus.
// Only the events function imports it, so the EventBridge client is linked
// into that binary alone.
package eventbus

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/annobridge/annobridge/internal/collab"
)

// API is the part of the EventBridge client the bus uses.
type API interface {
	PutEvents(context.Context, *eventbridge.PutEventsInput, ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Bus puts events on one bus: source "annobridge", detail-type the
// event's type, detail the event as webhooks receive it.
type Bus struct {
	Client API
	Name   string
}

// New is the bus of the AWS configuration's EventBridge client.
func New(cfg aws.Config, name string) collab.EventBus {
	return Bus{Client: eventbridge.NewFromConfig(cfg), Name: name}
}

// Put puts one event; a refused entry is an error (the stream retries).
func (b Bus) Put(ctx context.Context, ev collab.Event) error {
	detail, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	out, err := b.Client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{{
		EventBusName: &b.Name, Source: aws.String(collab.EventSource), DetailType: &ev.Type,
		Detail: aws.String(string(detail)), Time: &ev.At, Resources: []string{},
	}}})
	if err != nil {
		return fmt.Errorf("put event %s: %w", ev.ID, err)
	}
	if out.FailedEntryCount > 0 && len(out.Entries) > 0 {
		return fmt.Errorf("put event %s: %s %s", ev.ID, aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage))
	}
	return nil
}
