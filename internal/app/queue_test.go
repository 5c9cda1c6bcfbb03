package app_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/annobridge/annobridge/internal/lambdafn"
	"github.com/annobridge/annobridge/internal/sqsqueue"
	"github.com/annobridge/annobridge/internal/worker"
)

// Through the real emulator: a poller feeds the mail consumer; a good message
// is sent and deleted, a poison one is redelivered until maxReceiveCount and
// then sits in the dead-letter queue.
func TestPollerDeliversAndDeadLetters(t *testing.T) {
	outbox := t.TempDir()
	a := lambdaApp(t, map[string]string{"MAIL_OUTBOX_DIR": outbox})
	q := stack.Queues["MailQueue"]
	consumer, err := a.Consumer(lambdafn.Mailer)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	zero := time.Duration(0)
	p := &worker.Poller{Client: a.SQS, QueueURL: q.URL, QueueARN: q.ARN, BatchSize: 10,
		Handle: consumer.Handle, RetryDelay: &zero, Log: slog.New(slog.DiscardHandler)}
	pollCtx, stopPolling := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.Run(pollCtx); close(done) }()
	defer func() { stopPolling(); <-done }()

	pub := sqsqueue.New(a.SQS, q.URL)
	good := `{"to":"someone@example.com","subject":"Hello","text":"Accept at http://127.0.0.1:8080/invitations/t"}`
	if err := pub.Publish(ctx, worker.Envelope{Kind: "mail.send", ID: "good-1", Body: []byte(good)}, ""); err != nil {
		t.Fatal(err)
	}
	poison := `{"to":"not an address","subject":"x","text":"y"}`
	if err := pub.Publish(ctx, worker.Envelope{Kind: "mail.send", ID: "poison-1", Body: []byte(poison)}, ""); err != nil {
		t.Fatal(err)
	}

	waitUntil(t, ctx, "good mail in the outbox", func() bool {
		_, err := os.Stat(filepath.Join(outbox, "good-1.eml"))
		return err == nil
	})
	var dead sqstypes.Message
	waitUntil(t, ctx, "poison message in the DLQ", func() bool {
		out, err := a.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(q.DLQURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil || len(out.Messages) == 0 {
			return false
		}
		dead = out.Messages[0]
		return true
	})
	if got := aws.ToString(dead.Body); got == "" || !strings.Contains(got, "poison-1") {
		t.Fatalf("DLQ holds %q", got)
	}
	n, _ := strconv.Atoi(dead.Attributes["ApproximateReceiveCount"])
	t.Logf("poison message dead-lettered after %s receives (maxReceiveCount %d)",
		dead.Attributes["ApproximateReceiveCount"], q.RedrivePolicy.MaxReceiveCount)
	if n < 1 {
		t.Fatalf("receive count %q", dead.Attributes["ApproximateReceiveCount"])
	}
	// The good message was deleted: the queue is empty.
	attrs, err := a.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q.URL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Attributes["ApproximateNumberOfMessages"] != "0" || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Fatalf("mail queue not empty: %v", attrs.Attributes)
	}
}

func waitUntil(t *testing.T, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
