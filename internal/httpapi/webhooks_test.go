package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/ddbstore"
)

// receiver is a loopback webhook receiver that records every delivery;
// with failFirst it answers 500 to the first delivery of each event.
type receiver struct {
	*httptest.Server
	mu        sync.Mutex
	got       []delivered
	failFirst bool
	seen      map[string]bool
}

type delivered struct {
	header http.Header
	body   []byte
	event  collab.Event
	status int
}

func newReceiver(t *testing.T, failFirst bool) *receiver {
	rc := &receiver{failFirst: failFirst, seen: map[string]bool{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev collab.Event
		_ = json.Unmarshal(body, &ev)
		rc.mu.Lock()
		status := http.StatusNoContent
		if rc.failFirst && !rc.seen[ev.ID] {
			status = http.StatusInternalServerError
		}
		rc.seen[ev.ID] = true
		rc.got = append(rc.got, delivered{header: r.Header.Clone(), body: body, event: ev, status: status})
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// deliveries copies what arrived so far.
func (rc *receiver) deliveries() []delivered {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivered(nil), rc.got...)
}

// await waits until the receiver got n deliveries of the event type about
// org (orgID "" for any), and returns them.
func (rc *receiver) await(t *testing.T, typ, orgID string, n int) []delivered {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var out []delivered
		for _, d := range rc.deliveries() {
			if d.event.Type == typ && (orgID == "" || d.event.OrgID == orgID) {
				out = append(out, d)
			}
		}
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d %s deliveries about %q arrived; all: %d", len(out), n, typ, orgID, len(rc.deliveries()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The must-show of SPEC §14's events: webhooks receive signed
// partner.joined and item.crossed; a failed delivery comes again with the
// same event id; no org receives an event of another org's walls.
func TestWebhooksReceiveSignedEventsInsideTheirWalls(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	H, A := "/orgs/"+tm.hostOrg, "/orgs/"+tm.partnerOrg
	hostRcv, partnerRcv, joinerRcv := newReceiver(t, true), newReceiver(t, false), newReceiver(t, false)

	// Registering: owners and admins only; the URL and the types are
	// checked, naming the field.
	call(t, "POST", H+"/webhooks", tm.dev.token, map[string]any{"url": hostRcv.URL, "events": []string{"*"}}).problem(t, 403, "")
	call(t, "POST", H+"/webhooks", tm.tenant.token, map[string]any{"url": hostRcv.URL, "events": []string{"*"}}).problem(t, 404, "")
	call(t, "POST", H+"/webhooks", tm.owner.token, map[string]any{"url": "https://example.com/hook", "events": []string{"*"}}).problem(t, 400, "url")
	call(t, "POST", H+"/webhooks", tm.owner.token, map[string]any{"url": "http://user:pw@127.0.0.1:1/x", "events": []string{"*"}}).problem(t, 400, "url")
	call(t, "POST", H+"/webhooks", tm.owner.token, map[string]any{"url": hostRcv.URL, "events": []string{"partner.maybe"}}).problem(t, 400, "events")
	call(t, "POST", H+"/webhooks", tm.owner.token, map[string]any{"url": hostRcv.URL, "events": []string{}}).problem(t, 400, "events")
	made := call(t, "POST", H+"/webhooks", tm.owner.token, map[string]any{"url": hostRcv.URL, "events": []string{"partner.joined", "item.crossed"}}).want(t, 201)
	hostSecret, hostHook := made.str("secret"), made.str("id")
	if !strings.HasPrefix(hostSecret, "whsec_") || len(hostSecret) < 40 || made.header.Get("Location") != H+"/webhooks/"+hostHook {
		t.Fatalf("created %s", made.raw)
	}
	listed := call(t, "GET", H+"/webhooks", tm.owner.token, nil).want(t, 200)
	if items := listed.items(); len(items) != 1 || items[0]["id"] != hostHook || strings.Contains(string(listed.raw), hostSecret) {
		t.Fatalf("listed %s", listed.raw)
	}
	// The partner's webhook takes everything; so does the joining org's.
	partnerSecret := call(t, "POST", A+"/webhooks", tm.amExt.token, map[string]any{"url": partnerRcv.URL, "events": []string{"*"}}).want(t, 201).str("secret")
	call(t, "GET", A+"/webhooks", tm.owner.token, nil).problem(t, 404, "") // the host does not see the partner's
	boss := newActor(t, "hooked-boss")
	J := orgOf(t, boss, "Hooked Co")
	joinerSecret := call(t, "POST", "/orgs/"+J+"/webhooks", boss.token, map[string]any{"url": joinerRcv.URL, "events": []string{"*"}}).want(t, 201).str("secret")

	// An org joins by the share link: partner.joined, about it, reaches the
	// host (after one failed attempt, the same event again) and the org;
	// not the other partner.
	link := call(t, "PUT", P+"/share-link", tm.owner.token, nil).want(t, 201).str("url")
	token := tokenOf(t, link)
	call(t, "POST", "/invitations/"+token+"/accept", boss.token, map[string]string{"orgId": J}).want(t, 200)
	tries := hostRcv.await(t, "partner.joined", J, 2)
	if tries[0].status != 500 || tries[1].status != 204 || tries[0].event.ID != tries[1].event.ID || !strings.HasPrefix(tries[0].event.ID, "evt_") {
		t.Fatalf("host deliveries: %d %s, %d %s", tries[0].status, tries[0].event.ID, tries[1].status, tries[1].event.ID)
	}
	for i, d := range tries {
		checkSigned(t, d, hostSecret)
		if d.header.Get("Annobridge-Attempt") != []string{"1", "2"}[i] || d.header.Get("Annobridge-Event-Id") != d.event.ID {
			t.Fatalf("attempt %d headers %v", i+1, d.header)
		}
	}
	joined := tries[1].event
	if joined.Data.ProjectID != tm.project || joined.Data.HostOrgID != tm.hostOrg || joined.Data.ActorID != boss.id || joined.At.IsZero() {
		t.Fatalf("partner.joined %s", tries[1].body)
	}
	if strings.Contains(string(tries[1].body), token) {
		t.Fatalf("an event carries the share link's token: %s", tries[1].body)
	}
	if err := collab.VerifyWebhook(tries[1].header.Get(collab.SignatureHeader), partnerSecret, tries[1].body, time.Now(), 5*time.Minute); err == nil {
		t.Fatal("another org's secret verifies the host's delivery")
	}
	checkSigned(t, joinerRcv.await(t, "partner.joined", J, 1)[0], joinerSecret)

	// A partner's item crosses to the host's review: item.crossed reaches
	// the host and the partner, never the joining org.
	id := newItem(t, tm, "hooked.jpg", tm.annExt)
	I := itemPath(tm, id)
	call(t, "PUT", I+"/annotation", tm.annExt.token, map[string]any{"objects": []any{"car"}}).want(t, 200)
	call(t, "POST", I+"/submit", tm.annExt.token, nil).want(t, 200)
	call(t, "POST", I+"/review", tm.amExt.token, map[string]string{"decision": "approve"}).want(t, 202)
	waitStatus(t, tm.owner, I, "waiting_for_owner_review")
	crossed := hostRcv.await(t, "item.crossed", tm.partnerOrg, 2) // a first failure, then the same again
	last := crossed[len(crossed)-1]
	checkSigned(t, last, hostSecret)
	if last.event.Data.ProjectID != tm.project || !strings.Contains(string(last.body), id) || last.event.ID != crossed[0].event.ID {
		t.Fatalf("item.crossed %s", last.body)
	}
	checkSigned(t, partnerRcv.await(t, "item.crossed", tm.partnerOrg, 1)[0], partnerSecret)
	partnerRcv.await(t, "item.approved", tm.partnerOrg, 1)

	// The host's webhook took only its two types; the walls held: the
	// partner got nothing about the joining org, the joining org nothing
	// about the partner, neither anything about the host alone.
	for _, d := range hostRcv.deliveries() {
		if d.event.Type != "partner.joined" && d.event.Type != "item.crossed" {
			t.Errorf("the host's webhook got %s", d.event.Type)
		}
	}
	for name, rc := range map[string]struct {
		rc  *receiver
		org string
	}{"partner": {partnerRcv, tm.partnerOrg}, "joiner": {joinerRcv, J}} {
		for _, d := range rc.rc.deliveries() {
			if d.event.OrgID != rc.org {
				t.Errorf("the %s's webhook got %s about %s: %s", name, d.event.Type, d.event.OrgID, d.body)
			}
		}
	}

	// The delivery log: the failed attempt and the delivered one, newest
	// first; the org's owners and admins only.
	call(t, "GET", H+"/webhooks/"+hostHook+"/deliveries", tm.dev.token, nil).problem(t, 403, "")
	call(t, "GET", A+"/webhooks/"+hostHook+"/deliveries", tm.amExt.token, nil).problem(t, 404, "")
	log := call(t, "GET", H+"/webhooks/"+hostHook+"/deliveries", tm.owner.token, nil).want(t, 200).items()
	var joinedLog []map[string]any
	for _, d := range log {
		if d["eventId"] == joined.ID {
			joinedLog = append(joinedLog, d)
		}
	}
	if len(joinedLog) != 2 || joinedLog[0]["status"] != "delivered" || joinedLog[0]["attempt"] != float64(2) ||
		joinedLog[1]["status"] != "failed" || joinedLog[1]["statusCode"] != float64(500) {
		t.Fatalf("delivery log %v", log)
	}

	// Deleted: nothing more arrives for it.
	call(t, "DELETE", "/orgs/"+J+"/webhooks/"+hostHook, boss.token, nil).problem(t, 404, "")
	hooks := call(t, "GET", "/orgs/"+J+"/webhooks", boss.token, nil).want(t, 200).items()
	call(t, "DELETE", "/orgs/"+J+"/webhooks/"+hooks[0]["id"].(string), boss.token, nil).want(t, 204)
	before := len(joinerRcv.deliveries())
	call(t, "PATCH", "/orgs/"+J, boss.token, map[string]string{"name": "Hooked Co renamed"}).want(t, 200)
	hasAudit(t, collab.OrgScope(J), "org.renamed", J)
	time.Sleep(2 * time.Second)
	if got := len(joinerRcv.deliveries()); got != before {
		t.Fatalf("a deleted webhook still received %d deliveries", got-before)
	}
}

// checkSigned verifies a delivery's signature with the secret.
func checkSigned(t *testing.T, d delivered, secret string) {
	t.Helper()
	if err := collab.VerifyWebhook(d.header.Get(collab.SignatureHeader), secret, d.body, time.Now(), 5*time.Minute); err != nil {
		t.Fatalf("signature of %s: %v (%s)", d.event.ID, err, d.header.Get(collab.SignatureHeader))
	}
}

// What an event costs and how soon it arrives, through the local stack:
// the fan-out's DynamoDB round trips and capacity for one audit entry to
// an org with two webhooks, and the time from an answered request to the
// delivery over 20 renames. Reported, not asserted as timings.
func TestEventFanOutCostAndLatency(t *testing.T) {
	boss := newActor(t, "measured-boss")
	org := orgOf(t, boss, "Measured Co")
	rc := newReceiver(t, false)
	for range 2 {
		call(t, "POST", "/orgs/"+org+"/webhooks", boss.token, map[string]any{"url": rc.URL, "events": []string{"org.renamed"}}).want(t, 201)
	}
	ctx, m := ddbstore.WithMeter(context.Background())
	rep, err := theApp.Service.Webhooks.Publish(ctx, collab.AuditEntry{Scope: collab.OrgScope(org), At: time.Now(), ID: "aud_measure",
		Actor: boss.id, OrgID: org, What: "org.renamed", After: map[string]string{"name": "x"}})
	if err != nil || rep.Deliveries != 2 || rep.Type != "org.renamed" {
		t.Fatalf("publish: %+v %v", rep, err)
	}
	trips, rcu, wcu := m.Totals()
	t.Logf("fan-out of one event to 2 webhooks of its org: %d DynamoDB round trips, %.1f RCU, %.1f WCU, 2 SQS sends", trips, rcu, wcu)
	rc.await(t, "org.renamed", org, 2)

	var lat []time.Duration
	for i := range 20 {
		before := len(rc.deliveries()) // before the call: its deliveries may come before it answers
		start := time.Now()
		call(t, "PATCH", "/orgs/"+org, boss.token, map[string]string{"name": fmt.Sprintf("Measured %d", i)}).want(t, 200)
		for len(rc.deliveries()) < before+2 {
			if time.Since(start) > 30*time.Second {
				t.Fatalf("rename %d not delivered", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	t.Logf("rename sent to both deliveries received, 20 renames: median %s, max %s", lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
}

// A webhook whose receiver keeps failing is disabled by the platform after
// the deployment's limit of failed attempts in a row (3 in the tests),
// receives nothing more, and its org's owner enables it again.
func TestFailingWebhookIsDisabledUntilEnabled(t *testing.T) {
	boss := newActor(t, "failing-boss")
	member := newActor(t, "failing-member")
	org := orgOf(t, boss, "Failing Co")
	joinOrg(t, org, member, collab.OrgMember, "Failing Co")
	var mu sync.Mutex
	status, hits := http.StatusServiceUnavailable, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		hits++
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	count := func() int { mu.Lock(); defer mu.Unlock(); return hits }
	W := "/orgs/" + org + "/webhooks"
	id := call(t, "POST", W, boss.token, map[string]any{"url": srv.URL, "events": []string{"org.renamed"}}).want(t, 201).str("id")
	call(t, "PATCH", W+"/"+id, boss.token, map[string]any{}).problem(t, 400, "enabled")
	call(t, "PATCH", W+"/"+id, member.token, map[string]any{"enabled": false}).problem(t, 403, "")

	call(t, "PATCH", "/orgs/"+org, boss.token, map[string]string{"name": "Failing Co 1"}).want(t, 200)
	deadline := time.Now().Add(30 * time.Second)
	var hook map[string]any
	for {
		hook = call(t, "GET", W, boss.token, nil).want(t, 200).items()[0]
		if hook["enabled"] == false {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never disabled: %v after %d attempts", hook, count())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if hook["failures"] != 3.0 || hook["disabledAt"] == nil || count() != 3 {
		t.Fatalf("disabled %v after %d attempts", hook, count())
	}
	if e := hasAudit(t, collab.OrgScope(org), "webhook.disabled", org); e.Actor != collab.PlatformActor {
		t.Fatalf("disabled by %s", e.Actor)
	}
	// Disabled: nothing more is sent.
	call(t, "PATCH", "/orgs/"+org, boss.token, map[string]string{"name": "Failing Co 2"}).want(t, 200)
	time.Sleep(2 * time.Second)
	if count() != 3 {
		t.Fatalf("a disabled webhook got %d more attempts", count()-3)
	}
	// Enabled again by the owner, its failures forgotten: it receives.
	mu.Lock()
	status = http.StatusNoContent
	mu.Unlock()
	on := call(t, "PATCH", W+"/"+id, boss.token, map[string]any{"enabled": true}).want(t, 200)
	if on.body["enabled"] != true || on.body["failures"] != 0.0 || on.body["disabledAt"] != nil {
		t.Fatalf("enabled %s", on.raw)
	}
	hasAudit(t, collab.OrgScope(org), "webhook.enabled", org)
	call(t, "PATCH", "/orgs/"+org, boss.token, map[string]string{"name": "Failing Co 3"}).want(t, 200)
	for count() < 4 {
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatal("the enabled webhook received nothing")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
