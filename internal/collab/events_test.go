package collab

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWebhookSignatureVerifies(t *testing.T) {
	at := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"evt_1","type":"partner.joined"}`)
	h := SignWebhook("whsec_a", at, body)
	if !strings.HasPrefix(h, "t=1800000000,v1=") || len(h) != len("t=1800000000,v1=")+64 {
		t.Fatalf("header %q", h)
	}
	if err := VerifyWebhook(h, "whsec_a", body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		header, secret string
		body           []byte
		now            time.Time
	}{
		"another secret":   {h, "whsec_b", body, at},
		"a changed body":   {h, "whsec_a", []byte(`{"id":"evt_2","type":"partner.joined"}`), at},
		"a replay":         {h, "whsec_a", body, at.Add(6 * time.Minute)},
		"a changed time":   {strings.Replace(h, "t=1800000000", "t=1800000001", 1), "whsec_a", body, at},
		"no time":          {h[strings.Index(h, ",")+1:], "whsec_a", body, at},
		"no v1":            {"t=1800000000", "whsec_a", body, at},
		"a garbled header": {"t=x,v1=zz", "whsec_a", body, at},
	} {
		if err := VerifyWebhook(c.header, c.secret, c.body, c.now, 5*time.Minute); err == nil {
			t.Errorf("%s verified", name)
		}
	}
	// A receiver rotating secrets may get several v1 values; one match is enough.
	two := SignWebhook("whsec_old", at, body) + ",v1=" + strings.Split(h, "v1=")[1]
	if err := VerifyWebhook(two, "whsec_a", body, at, time.Minute); err != nil {
		t.Fatal(err)
	}
}

func TestEveryAuditEntryHasItsEventType(t *testing.T) {
	for what, want := range map[string]string{
		"partner.joined": "partner.joined", "item.handoff": "item.crossed", "item.approve": "item.approved",
		"item.reject.handoff": "item.rejected", "job.remove_collaborator.failed": "job.failed", "job.add_all_users.succeeded": "job.succeeded",
	} {
		if got, ok := EventTypeOf(what); !ok || got != want {
			t.Errorf("%s → %s %v, want %s", what, got, ok, want)
		}
	}
	if got, ok := EventTypeOf("something.new"); ok || got != "something.new" {
		t.Errorf("an unknown entry → %s %v", got, ok)
	}
	seen := map[string]bool{}
	for _, s := range EventCatalogue {
		if seen[s.Type] || strings.Count(s.Type, ".") != 1 || s.When == "" || s.About == "" || len(s.Audit) == 0 {
			t.Errorf("catalogue row %+v", s)
		}
		seen[s.Type] = true
	}
}

func TestEventCarriesNoSecretAndReachesOnlyItsWalls(t *testing.T) {
	after, _ := json.Marshal(map[string]any{"orgId": "org_p", "OrgName": "P", "LinkToken": "tok", "Email": "someone@example.com", "nested": map[string]any{"tokenHash": "h", "name": "n"},
		"list": []any{map[string]any{"sealedSecret": "s", "id": "x"}}})
	e := AuditEntry{Scope: ProjectScope("prj_1"), At: time.Unix(5, 0), ID: "aud_06h", Actor: "u1", OrgID: "org_p", What: "partner.joined", After: json.RawMessage(after)}
	ev := EventFromAudit(e, "org_h")
	raw, _ := json.Marshal(ev)
	for _, leak := range []string{"tok", "tokenHash", "sealedSecret", "LinkToken", "someone@example.com"} {
		if strings.Contains(string(raw), leak) {
			t.Errorf("event carries %s: %s", leak, raw)
		}
	}
	if ev.ID != "evt_06h" || ev.Type != "partner.joined" || ev.Data.ProjectID != "prj_1" || ev.Data.HostOrgID != "org_h" || !strings.Contains(string(raw), `"name":"n"`) ||
		!strings.Contains(string(raw), `"orgName":"P"`) {
		t.Fatalf("event %s", raw)
	}
	if got := EventRecipients(ev); !slices.Equal(got, []string{"org_h", "org_p"}) {
		t.Fatalf("recipients %v", got)
	}
	own := EventFromAudit(AuditEntry{Scope: OrgScope("org_h"), ID: "aud_1", OrgID: "org_h", What: "org.renamed"}, "org_h")
	if got := EventRecipients(own); !slices.Equal(got, []string{"org_h"}) {
		t.Fatalf("an org's own event goes to %v", got)
	}
	job := EventFromAudit(AuditEntry{Scope: ProjectScope("prj_1"), ID: "aud_3", OrgID: "org_p", What: "job.stop_partner.failed"}, "org_h")
	if got := EventRecipients(job); !slices.Equal(got, []string{"org_h"}) {
		t.Fatalf("a job about a partner goes to %v", got)
	}
	if got := DeliveryErrorClass(fmt.Errorf("dial tcp 10.0.0.5:443: webhook address refused: 10.0.0.5:443")); strings.Contains(got, "10.0") {
		t.Fatalf("the log would say %q", got)
	}
	host := EventFromAudit(AuditEntry{Scope: ProjectScope("prj_1"), ID: "aud_2", OrgID: "org_h", What: "project.settings_changed"}, "org_h")
	if got := EventRecipients(host); !slices.Equal(got, []string{"org_h"}) {
		t.Fatalf("the host's own project event goes to %v", got)
	}
}

// An event too large for the bus keeps its ids and drops before and after.
func TestLargeEventIsTruncated(t *testing.T) {
	removed := make([]map[string]string, 20000)
	for i := range removed {
		removed[i] = map[string]string{"userId": fmt.Sprintf("user-%06d", i)}
	}
	ev := EventFromAudit(AuditEntry{Scope: ProjectScope("prj_1"), ID: "aud_big", OrgID: "org_h", What: "group.deleted", After: map[string]any{"removed": removed}}, "org_h")
	b, _ := json.Marshal(ev)
	if !ev.Data.Truncated || ev.Data.After != nil || len(b) > MaxEventBytes || ev.ID != "evt_big" || ev.Data.ProjectID != "prj_1" {
		t.Fatalf("%d bytes, truncated %v", len(b), ev.Data.Truncated)
	}
}

func TestEventMembersAreCamelCase(t *testing.T) {
	for in, want := range map[string]string{"ProjectID": "projectId", "ID": "id", "OrgName": "orgName", "IDs": "ids", "AccessIDs": "accessIds",
		"orgId": "orgId", "EndsAt": "endsAt", "IDLE": "idle", "ManagerID": "managerId", "Identity": "identity"} {
		if got := camel(in); got != want {
			t.Errorf("camel(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestWebhookURLPolicy(t *testing.T) {
	local, cloud := &Webhooks{base: base{cfg: Config{WebhookLoopbackOnly: true}}}, &Webhooks{}
	for _, u := range []string{"http://127.0.0.1:8081/hook", "http://localhost/x", "https://[::1]:9/x"} {
		if err := local.checkWebhookURL(u); err != nil {
			t.Errorf("local %s: %v", u, err)
		}
		if err := cloud.checkWebhookURL(u); err == nil {
			t.Errorf("deployed accepts %s", u)
		}
	}
	for _, u := range []string{"https://hooks.example.com/annobridge", "https://8.8.8.8/x"} {
		if err := cloud.checkWebhookURL(u); err != nil {
			t.Errorf("deployed %s: %v", u, err)
		}
		if err := local.checkWebhookURL(u); err == nil {
			t.Errorf("local accepts %s", u)
		}
	}
	for _, u := range []string{"", "http://hooks.example.com/x", "https://10.0.0.5/x", "https://169.254.169.254/latest", "https://100.100.1.1/",
		"https://u:p@hooks.example.com/", "https://[::127.0.0.1]/", "https://[64:ff9b::a00:1]/", "https://198.18.0.1/", "https://0.1.2.3/",
		"https://[2002:a00:1::]/", "https://240.0.0.1/", "https://hooks.example.com/#f", "ftp://hooks.example.com/", "/relative", "https://x.localhost/",
		"https://" + strings.Repeat("a", 2100) + ".com/"} {
		if err := cloud.checkWebhookURL(u); err == nil {
			t.Errorf("deployed accepts %q", u)
		}
	}
	if PublicAddr(netip.MustParseAddr("::ffff:127.0.0.1")) || !PublicAddr(netip.MustParseAddr("8.8.8.8")) {
		t.Fatal("PublicAddr")
	}
	if got, err := webhookEvents([]string{"item.crossed", "partner.joined", "item.crossed"}); err != nil || !slices.Equal(got, []string{"item.crossed", "partner.joined"}) {
		t.Fatalf("events %v %v", got, err)
	}
	for _, bad := range [][]string{nil, {"partner.maybe"}, {""}} {
		if _, err := webhookEvents(bad); err == nil {
			t.Errorf("events %q accepted", bad)
		}
	}
}

// docs/events.md is generated from the catalogue.
func TestEventsDocIsGenerated(t *testing.T) {
	got, err := os.ReadFile("../../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != EventsMarkdown() {
		t.Fatal("docs/events.md is out of date: run go generate ./internal/collab")
	}
}
