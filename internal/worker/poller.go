package worker

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Poller plays the Lambda SQS event source locally: it long-polls a queue,
// hands batches to the same handler the Lambda uses, and deletes only the
// messages that succeeded, so failures are redelivered and, after the
// queue's maxReceiveCount, reach the dead-letter queue.
type Poller struct {
	Client    *sqs.Client
	QueueURL  string
	QueueARN  string
	BatchSize int
	Handle    func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)
	// RetryDelay, when set, makes a failed message visible again after that
	// delay instead of the queue's visibility timeout (quicker local loops).
	RetryDelay *time.Duration
	Log        *slog.Logger
}

// Run polls until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	batch := int32(p.BatchSize)
	if batch < 1 || batch > 10 {
		batch = 10
	}
	for ctx.Err() == nil {
		out, err := p.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    &p.QueueURL,
			MaxNumberOfMessages:         batch,
			WaitTimeSeconds:             2,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
				p.Log.Warn("receive failed", "queue", p.QueueURL, "err", err)
				time.Sleep(500 * time.Millisecond)
			}
			continue
		}
		if len(out.Messages) > 0 {
			p.process(ctx, out.Messages)
		}
	}
}

func (p *Poller) process(ctx context.Context, msgs []types.Message) {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	for i, m := range msgs {
		ev.Records[i] = events.SQSMessage{
			MessageId:      aws.ToString(m.MessageId),
			ReceiptHandle:  aws.ToString(m.ReceiptHandle),
			Body:           aws.ToString(m.Body),
			Md5OfBody:      aws.ToString(m.MD5OfBody),
			Attributes:     m.Attributes,
			EventSource:    "aws:sqs",
			EventSourceARN: p.QueueARN,
			AWSRegion:      "us-east-1",
		}
	}
	failed := map[string]bool{}
	resp, err := p.Handle(ctx, ev)
	if err != nil {
		p.Log.Warn("batch failed", "queue", p.QueueURL, "err", err)
		for _, r := range ev.Records {
			failed[r.MessageId] = true
		}
	}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	var del []types.DeleteMessageBatchRequestEntry
	for i, r := range ev.Records {
		if failed[r.MessageId] {
			p.retryLater(ctx, r.ReceiptHandle)
			continue
		}
		del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(r.ReceiptHandle)})
	}
	if len(del) == 0 {
		return
	}
	// Deleting must not be cut short by shutdown: the work is done.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	out, err := p.Client.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: &p.QueueURL, Entries: del})
	if err != nil {
		p.Log.Warn("delete failed", "queue", p.QueueURL, "err", err)
		return
	}
	for _, f := range out.Failed {
		p.Log.Warn("delete failed", "queue", p.QueueURL, "id", aws.ToString(f.Id), "err", aws.ToString(f.Message))
	}
}

func (p *Poller) retryLater(ctx context.Context, receipt string) {
	if p.RetryDelay == nil {
		return
	}
	_, err := p.Client.ChangeMessageVisibility(context.WithoutCancel(ctx), &sqs.ChangeMessageVisibilityInput{
		QueueUrl: &p.QueueURL, ReceiptHandle: &receipt, VisibilityTimeout: int32(p.RetryDelay.Seconds()),
	})
	if err != nil {
		p.Log.Warn("change visibility failed", "queue", p.QueueURL, "err", err)
	}
}
