// Package sqsqueue publishes worker envelopes to SQS queues.
package sqsqueue

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/annobridge/annobridge/internal/worker"
)

// Sender is the part of the SQS client the publisher uses.
type Sender interface {
	SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Publisher sends envelopes to one queue.
type Publisher struct {
	client Sender
	url    string
	fifo   bool
}

// New returns a publisher for the queue at url.
func New(client Sender, url string) *Publisher {
	return &Publisher{client: client, url: url, fifo: strings.HasSuffix(url, ".fifo")}
}

// Publish sends one envelope. On a FIFO queue, group orders the messages
// and the envelope id is the deduplication id.
func (p *Publisher) Publish(ctx context.Context, env worker.Envelope, group string) error {
	if p.url == "" {
		// The function was not given this queue's URL, nor the right to
		// send to it (config.Vars, template.yaml).
		return fmt.Errorf("publish %s: no queue URL for this function", env.Kind)
	}
	body, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("encode %s: %w", env.Kind, err)
	}
	in := &sqs.SendMessageInput{QueueUrl: &p.url, MessageBody: strPtr(string(body))}
	if p.fifo {
		if group == "" || env.ID == "" {
			return fmt.Errorf("publish %s: a FIFO message needs a group and an id", env.Kind)
		}
		in.MessageGroupId, in.MessageDeduplicationId = &group, &env.ID
	}
	if _, err := p.client.SendMessage(ctx, in); err != nil {
		return fmt.Errorf("publish %s: %w", env.Kind, err)
	}
	return nil
}

func strPtr(s string) *string { return &s }
