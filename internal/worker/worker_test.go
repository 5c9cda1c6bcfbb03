package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func rec(id, group, kind, body string) events.SQSMessage {
	env, _ := json.Marshal(Envelope{Kind: kind, ID: id, Body: json.RawMessage(body)})
	m := events.SQSMessage{MessageId: id, Body: string(env), Attributes: map[string]string{}}
	if group != "" {
		m.Attributes["MessageGroupId"] = group
	}
	return m
}

func failures(r events.SQSEventResponse) []string {
	var out []string
	for _, f := range r.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

func TestConsumerReportsOnlyFailures(t *testing.T) {
	var handled []string
	c := NewConsumer("test", nil, map[string]Handler{
		"ok": func(_ context.Context, m Message) error { handled = append(handled, m.ID); return nil },
		"fail": func(_ context.Context, m Message) error {
			handled = append(handled, m.ID)
			return errors.New("boom")
		},
		"panic": func(context.Context, Message) error { panic("bad") },
	})
	ev := events.SQSEvent{Records: []events.SQSMessage{
		rec("a1", "", "ok", `{}`),
		rec("a2", "", "fail", `{}`),
		rec("a3", "", "unknown", `{}`),
		rec("a4", "", "panic", `{}`),
		{MessageId: "a5", Body: "not json"},
		rec("a6", "", "ok", `{}`),
	}}
	res, err := c.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(res); !slices.Equal(got, []string{"a2", "a3", "a4", "a5"}) {
		t.Fatalf("failures %v", got)
	}
	if !slices.Equal(handled, []string{"a1", "a2", "a6"}) {
		t.Fatalf("handled %v", handled)
	}
}

func TestFIFOGroupStopsAfterAFailure(t *testing.T) {
	var handled []string
	c := NewConsumer("fifo", nil, map[string]Handler{
		"ok":   func(_ context.Context, m Message) error { handled = append(handled, m.ID); return nil },
		"fail": func(context.Context, Message) error { return errors.New("boom") },
	})
	ev := events.SQSEvent{Records: []events.SQSMessage{
		rec("g1-1", "g1", "ok", `{}`),
		rec("g1-2", "g1", "fail", `{}`),
		rec("g2-1", "g2", "ok", `{}`),
		rec("g1-3", "g1", "ok", `{}`),
		rec("g2-2", "g2", "ok", `{}`),
	}}
	res, _ := c.Handle(context.Background(), ev)
	if got := failures(res); !slices.Equal(got, []string{"g1-2", "g1-3"}) {
		t.Fatalf("failures %v", got)
	}
	if !slices.Equal(handled, []string{"g1-1", "g2-1", "g2-2"}) {
		t.Fatalf("handled %v: a later message of a failed group ran", handled)
	}
}

// With lanes, the message groups of a batch run at once while each group's
// messages keep their order: the first message of every group waits until
// all groups have started, which only concurrent lanes can pass; a failed
// group still stops at its failure.
func TestLanesRunGroupsAtOnceInOrder(t *testing.T) {
	const groups = 4
	var mu sync.Mutex
	var started sync.WaitGroup
	started.Add(groups)
	order := map[string][]string{}
	first := map[string]bool{}
	c := NewConsumer("fifo", nil, map[string]Handler{
		"ok": func(_ context.Context, m Message) error {
			mu.Lock()
			isFirst := !first[m.MessageGroup]
			first[m.MessageGroup] = true
			mu.Unlock()
			if isFirst {
				started.Done()
				waited := make(chan struct{})
				go func() { started.Wait(); close(waited) }()
				select {
				case <-waited:
				case <-time.After(5 * time.Second):
					return errors.New("the other groups never started: lanes ran one at a time")
				}
			}
			mu.Lock()
			order[m.MessageGroup] = append(order[m.MessageGroup], m.ID)
			mu.Unlock()
			return nil
		},
		"fail": func(context.Context, Message) error { return errors.New("boom") },
	})
	c.Lanes = groups
	var recs []events.SQSMessage
	for i := range 3 {
		for g := range groups {
			kind := "ok"
			if g == 3 && i == 1 {
				kind = "fail"
			}
			recs = append(recs, rec(fmt.Sprintf("g%d-%d", g, i), fmt.Sprintf("g%d", g), kind, `{}`))
		}
	}
	res, err := c.Handle(context.Background(), events.SQSEvent{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(res); !slices.Equal(got, []string{"g3-1", "g3-2"}) {
		t.Fatalf("failures %v", got)
	}
	for g := range 3 {
		want := []string{fmt.Sprintf("g%d-0", g), fmt.Sprintf("g%d-1", g), fmt.Sprintf("g%d-2", g)}
		if got := order[fmt.Sprintf("g%d", g)]; !slices.Equal(got, want) {
			t.Fatalf("group g%d ran %v, want %v", g, got, want)
		}
	}
	if got := order["g3"]; !slices.Equal(got, []string{"g3-0"}) {
		t.Fatalf("failed group ran %v", got)
	}
}
