package app_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/devstack"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

// The jobs function consumes the jobs DLQ, told apart from the jobs queue
// by its name (the jobs queue's plus app.DeadLetterSuffix): a run message
// that reaches it fails its job with a reason; the same message from the
// jobs queue runs the job instead.
func TestJobsDeadLetterQueueFailsItsJobs(t *testing.T) {
	tpl, err := devstack.LoadTemplate(filepath.Join(root(t), "template.yaml"), "x")
	if err != nil {
		t.Fatal(err)
	}
	queues := map[string]devstack.QueueDef{}
	for _, q := range tpl.Queues {
		queues[q.LogicalID] = q
	}
	jobsQ, dlq := queues["JobsQueue"], queues["JobsDLQ"]
	if jobsQ.DLQ() != "JobsDLQ" || dlq.QueueName != jobsQ.QueueName+app.DeadLetterSuffix {
		t.Fatalf("the jobs DLQ %q is not named after the jobs queue %q", dlq.QueueName, jobsQ.QueueName)
	}
	if dlq.VisibilityTimeout < jobsQ.VisibilityTimeout {
		t.Fatalf("the jobs DLQ's visibility timeout %d is below the jobs queue's %d (the consumer's timeout)", dlq.VisibilityTimeout, jobsQ.VisibilityTimeout)
	}
	if !slices.ContainsFunc(tpl.Consumers, func(c devstack.ConsumerDef) bool {
		return c.Function == lambdafn.LogicalID(lambdafn.Jobs) && c.Queue == "JobsDLQ"
	}) {
		t.Fatalf("JobsFunction has no SQS event on JobsDLQ: %+v", tpl.Consumers)
	}

	ctx := context.Background()
	a := lambdaApp(t, nil)
	c, err := a.Consumer(lambdafn.Jobs)
	if err != nil {
		t.Fatal(err)
	}
	ev := readEvent[events.SQSEvent](t, "jobs-dead-letter-sqs.json")
	ev.Records[0].EventSourceARN = stack.Queues["JobsDLQ"].ARN
	// As shipped, the sample names a job that is gone: done with.
	if res, err := c.Handle(ctx, ev); err != nil || len(res.BatchItemFailures) != 0 {
		t.Fatalf("dead letter of a missing job: %v %+v", err, res)
	}
	now := time.Now().UTC()
	j := collab.Job{ID: collab.RandomIDs{}.New("job"), Kind: collab.JobAddAllUsers, Status: collab.JobRunning, Phase: "members",
		WorkspaceID: "ws_x", OrgID: "org_x", CreatedBy: "u_x", CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := a.Store.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	ev.Records[0].Body = strings.ReplaceAll(ev.Records[0].Body, "job_sample", j.ID)
	if res, err := c.Handle(ctx, ev); err != nil || len(res.BatchItemFailures) != 0 {
		t.Fatalf("dead letter: %v %+v", err, res)
	}
	got, err := a.Store.GetJob(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != collab.JobFailed || got.Reason != "its run message was dead-lettered after repeated failures" || got.Phase != "members" {
		t.Fatalf("dead-lettered job %+v", got)
	}
	// From the jobs queue the same message runs the job: a failed one stays failed.
	ev.Records[0].EventSourceARN = stack.Queues["JobsQueue"].ARN
	if res, err := c.Handle(ctx, ev); err != nil || len(res.BatchItemFailures) != 0 {
		t.Fatalf("run of a failed job: %v %+v", err, res)
	}
	if again, _ := a.Store.GetJob(ctx, j.ID); again.Version != got.Version {
		t.Fatalf("a run touched the failed job: %+v", again)
	}
}
