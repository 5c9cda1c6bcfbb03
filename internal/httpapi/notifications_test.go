package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/lambdafn"
	"github.com/annobridge/annobridge/internal/mail"
	"github.com/annobridge/annobridge/internal/worker"
)

// appBase is where notification links must point: the web app of the
// local stack's configuration, never the API.
const appBase = "http://localhost:3000"

type sentMail struct{ subject, body string }

// mailsTo reads the outbox's mails to addr, with their subjects.
func mailsTo(t testing.TB, addr string) []sentMail {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
	var out []sentMail
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		msg, err := netmail.ReadMessage(bytes.NewReader(raw))
		if err != nil || !strings.EqualFold(msg.Header.Get("To"), addr) {
			continue
		}
		var rd io.Reader = msg.Body
		if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			rd = quotedprintable.NewReader(msg.Body)
		}
		body, _ := io.ReadAll(rd)
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		out = append(out, sentMail{subject: subject, body: string(body)})
	}
	return out
}

// waitMails waits until addr has n mails whose subject contains about, and
// checks no more arrive shortly after.
func waitMails(t testing.TB, addr, about string, n int) []sentMail {
	t.Helper()
	match := func() []sentMail {
		var out []sentMail
		for _, m := range mailsTo(t, addr) {
			if strings.Contains(m.subject, about) {
				out = append(out, m)
			}
		}
		return out
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(match()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s got %d mails about %q, want %d: %+v", addr, len(match()), about, n, mailsTo(t, addr))
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	got := match()
	if len(got) != n {
		t.Fatalf("%s got %d mails about %q, want %d", addr, len(got), about, n)
	}
	return got
}

func wantLink(t testing.TB, m sentMail, path string) {
	t.Helper()
	if !strings.Contains(m.body, appBase+path) {
		t.Fatalf("mail %q links elsewhere than %s:\n%s", m.subject, appBase+path, m.body)
	}
	if strings.Contains(m.body, server.URL) {
		t.Fatalf("mail %q links to the API:\n%s", m.subject, m.body)
	}
}

// Every notification kind goes through the mail queue to the right person,
// with a link into the web app: added to a project, work assigned (by hand
// and by distribution), a review digest per task (one mail however many
// items), work sent back, a collaboration stopped.
func TestNotifications(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	// Added to a project.
	call(t, "POST", P+"/members", tm.owner.token, map[string]string{"email": tm.spareHost.email, "role": "annotator"}).want(t, 201)
	added := waitMails(t, tm.spareHost.email, `You were added to "Cats"`, 1)
	wantLink(t, added[0], P)

	lc := newLabelCo(t, tm, "Notify Co", 2)
	task := call(t, "POST", P+"/tasks", tm.pm.token, map[string]any{"name": "Notify batch", "kind": "annotation", "orgId": lc.org}).want(t, 201)
	T := taskPath(tm, task.str("id"))
	var ids []string
	for i := range 4 {
		ids = append(ids, call(t, "POST", P+"/items", tm.owner.token, map[string]string{"name": fmt.Sprintf("n-%d.jpg", i)}).want(t, 201).str("id"))
	}
	call(t, "POST", T+"/items", tm.pm.token, map[string]any{"itemIds": ids}).want(t, 200)
	// Work assigned by a distribution: one mail per annotator and job.
	waitJob(t, lc.manager, call(t, "POST", T+"/distribute", lc.manager.token, map[string]any{"userIds": []string{lc.annotators[0].id, lc.annotators[1].id}}).want(t, 202).str("jobId"), time.Minute)
	for _, a := range lc.annotators {
		wantLink(t, waitMails(t, a.email, `Work in "Notify batch" was assigned to you`, 1)[0], T)
	}
	// By hand: one item.
	call(t, "POST", P+"/items/"+ids[0]+"/assign", lc.manager.token, map[string]any{"userId": nil}).want(t, 200)
	call(t, "POST", P+"/items/"+ids[0]+"/assign", lc.manager.token, map[string]any{"userId": lc.annotators[1].id}).want(t, 200)
	wantLink(t, waitMails(t, lc.annotators[1].email, `Work in "n-0.jpg" was assigned to you`, 1)[0], P+"/items/"+ids[0])

	// Submits: the company's reviewer gets one digest for the task.
	for _, id := range ids {
		it := call(t, "GET", P+"/items/"+id, lc.manager.token, nil).want(t, 200)
		who := lc.annotators[0]
		if it.str("assigneeId") == lc.annotators[1].id {
			who = lc.annotators[1]
		}
		call(t, "PUT", P+"/items/"+id+"/annotation", who.token, map[string]any{"objects": []any{"n"}}).want(t, 200)
		call(t, "POST", P+"/items/"+id+"/submit", who.token, nil).want(t, 200)
	}
	wantLink(t, waitMails(t, lc.manager.email, `Items in "Notify batch" wait for your review`, 1)[0], T)
	// The company sends one back: its annotator hears why.
	back := call(t, "GET", P+"/items/"+ids[1], lc.manager.token, nil).want(t, 200)
	call(t, "POST", P+"/items/"+ids[1]+"/review", lc.manager.token, map[string]string{"decision": "reject", "comment": "Boxes too loose."}).want(t, 200)
	annotator := lc.annotators[0].email
	if back.str("assigneeId") == lc.annotators[1].id {
		annotator = lc.annotators[1].email
	}
	sent := waitMails(t, annotator, `"n-1.jpg" was sent back to you`, 1)
	wantLink(t, sent[0], P+"/items/"+ids[1])
	if !strings.Contains(sent[0].body, "Boxes too loose.") {
		t.Fatalf("the reason is missing: %s", sent[0].body)
	}
	// The company approves the others: they cross, and each host reviewer
	// gets one digest for the task.
	for _, id := range []string{ids[0], ids[2], ids[3]} {
		call(t, "POST", P+"/items/"+id+"/review", lc.manager.token, map[string]string{"decision": "approve"}).want(t, 202)
	}
	for _, id := range []string{ids[0], ids[2], ids[3]} {
		waitStatus(t, tm.owner, P+"/items/"+id, "waiting_for_owner_review")
	}
	for _, u := range []actor{tm.owner, tm.dev, tm.pm, tm.amHost} {
		wantLink(t, waitMails(t, u.email, `Items in "Notify batch" wait for your review`, 1)[0], T)
	}
	for _, m := range mailsTo(t, tm.annHost.email) {
		if strings.Contains(m.subject, "review") {
			t.Fatalf("an annotator got review mail: %+v", m)
		}
	}
	// The host stops the company: its manager is told.
	stopPartner(t, tm.owner, tm.project, lc.org)
	wantLink(t, waitMails(t, lc.manager.email, `The collaboration on "Cats" stopped`, 1)[0], "/orgs/"+lc.org+"/projects")
}

// A mail message delivered twice by the queue is sent once.
func TestMailRedeliverySendsOnce(t *testing.T) {
	api(t)
	counting := &countingSender{sent: map[string]int{}}
	a := *theApp
	a.Mailer = counting
	consumer, err := a.Consumer(lambdafn.Mailer)
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("redelivered-%d", time.Now().UnixNano())
	body := mustJSON(t, worker.Envelope{Kind: mail.KindSend, ID: id, Body: []byte(mustJSON(t, mail.Message{To: "r@example.com", Subject: "Once", Text: "x"}))})
	for range 3 {
		if resp, err := consumer.Handle(context.Background(), sqsEvent(body)); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("handle: %v %+v", err, resp)
		}
	}
	if n := counting.count(id); n != 1 {
		t.Fatalf("sent %d times", n)
	}
}

type countingSender struct {
	mu   sync.Mutex
	sent map[string]int
}

func (c *countingSender) Send(_ context.Context, id string, _ mail.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent[id]++
	return nil
}

func (c *countingSender) count(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent[id]
}
