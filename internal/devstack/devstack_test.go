package devstack

import (
	"context"
	"testing"
)

func TestStartCreatesTemplateResources(t *testing.T) {
	s, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	for _, id := range []string{"ReviewHandoffQueue", "ReviewHandoffDLQ", "JobsQueue", "JobsDLQ", "MailQueue", "MailDLQ"} {
		if s.Queues[id].URL == "" {
			t.Errorf("queue %s not created", id)
		}
	}
	env := s.Env()
	for _, k := range []string{"TABLE_NAME", "HANDOFF_QUEUE_URL", "JOBS_QUEUE_URL", "MAIL_QUEUE_URL"} {
		if env[k] == "" {
			t.Errorf("env %s not resolved", k)
		}
	}
	t.Logf("%+v", env)
}
