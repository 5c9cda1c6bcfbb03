package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/config"
	"github.com/annobridge/annobridge/internal/devstack"
	"github.com/annobridge/annobridge/internal/httpapi"
	"github.com/annobridge/annobridge/internal/lambdafn"
	"github.com/annobridge/annobridge/internal/mail"
)

var stack *devstack.Stack

func TestMain(m *testing.M) { os.Exit(devstack.RunTests(m, &stack)) }

// lambdaApp builds the app as a Lambda in AWS would run it: claims from the
// gateway's authorizer, not from a bearer token.
func lambdaApp(t *testing.T, overrides map[string]string) *app.App {
	t.Helper()
	env := map[string]string{"AUTH_MODE": config.AuthGateway, "DEV_JWT_SECRET": "", "MAIL_OUTBOX_DIR": t.TempDir()}
	for k, v := range overrides {
		env[k] = v
	}
	a, err := app.New(context.Background(), stack.Config(env), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func root(t *testing.T) string {
	t.Helper()
	r, err := devstack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func readEvent[T any](t *testing.T, name string) T {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root(t), "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev T
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

func withOrg(ev events.APIGatewayV2HTTPRequest, orgID string) events.APIGatewayV2HTTPRequest {
	ev.RawPath = strings.ReplaceAll(ev.RawPath, "org_sample", orgID)
	ev.RequestContext.HTTP.Path = ev.RawPath
	ev.PathParameters = map[string]string{"orgId": orgID}
	return ev
}

func decode(t *testing.T, res events.APIGatewayV2HTTPResponse) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(res.Body), &m); err != nil {
		t.Fatalf("body %q: %v", res.Body, err)
	}
	return m
}

// Every HTTP sample event goes through its function's Lambda handler.
func TestHTTPSampleEvents(t *testing.T) {
	a := lambdaApp(t, nil)
	ctx := context.Background()
	h := a.LambdaHTTP(lambdafn.Membership)
	run := func(name string, mut func(events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest, want int) map[string]any {
		t.Helper()
		ev := readEvent[events.APIGatewayV2HTTPRequest](t, name)
		if mut != nil {
			ev = mut(ev)
		}
		res, err := h(ctx, ev)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkContract(t, ev, res)
		if res.StatusCode != want {
			t.Fatalf("%s: status %d, want %d: %s", name, res.StatusCode, want, res.Body)
		}
		return decode(t, res)
	}
	run("membership-healthz.json", nil, 200)
	org := run("membership-create-org.json", nil, 201)
	orgID := org["id"].(string)
	list := run("membership-list-orgs.json", nil, 200)
	if !slices.ContainsFunc(list["items"].([]any), func(it any) bool { return it.(map[string]any)["id"] == orgID }) {
		t.Fatalf("created org not listed: %v", list)
	}
	// As shipped the sample names an org the sample user is not in.
	run("membership-get-org.json", nil, 404)
	got := run("membership-get-org.json", func(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
		return withOrg(ev, orgID)
	}, 200)
	if got["role"] != "owner" {
		t.Fatalf("get org %v", got)
	}
	members := run("membership-list-org-members.json", func(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
		return withOrg(ev, orgID)
	}, 200)
	items := members["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["email"] != "sample.user@example.com" {
		t.Fatalf("members %v", members)
	}
}

// Every HTTP sample event, as shipped, runs through its function's Lambda
// handler and gets a well-formed answer (the sample ids name nothing the
// sample user may see, so most answer 4xx problem documents), and every
// route of every function has a sample event.
func TestEveryHTTPSampleEventRuns(t *testing.T) {
	a := lambdaApp(t, nil)
	for _, fn := range lambdafn.HTTP {
		h := a.LambdaHTTP(fn)
		files, _ := filepath.Glob(filepath.Join(root(t), "events", fn+"-*.json"))
		routes := map[string]bool{}
		for _, f := range files {
			ev := readEvent[events.APIGatewayV2HTTPRequest](t, filepath.Base(f))
			routes[ev.RouteKey] = true
			res, err := h(context.Background(), ev)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			checkContract(t, ev, res)
			if res.StatusCode >= 500 || res.StatusCode == 405 || strings.Contains(res.Body, "no route for") {
				t.Fatalf("%s: %d %s", filepath.Base(f), res.StatusCode, res.Body)
			}
			ct := res.Headers["Content-Type"]
			if res.StatusCode >= 400 && ct != "application/problem+json" && !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("%s: error without problem+json: %v", filepath.Base(f), res.Headers)
			}
		}
		for _, p := range httpapi.Patterns(fn) {
			if !routes[p] {
				t.Errorf("no sample event for %s %s", fn, p)
			}
		}
	}
}

// A client-sent X-GoLambdaProxy-ApiGw-Context header (or any header) cannot
// change who the caller is: identity comes only from the event's authorizer.
func TestForgedContextHeaderCannotChangeIdentity(t *testing.T) {
	a := lambdaApp(t, nil)
	ctx := context.Background()
	h := a.LambdaHTTP(lambdafn.Membership)

	// The victim owns an org.
	victim := readEvent[events.APIGatewayV2HTTPRequest](t, "membership-create-org.json")
	victim.RequestContext.Authorizer.JWT.Claims = map[string]string{"sub": "victim-" + t.Name(), "email": "victim@example.com"}
	res, err := h(ctx, victim)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("victim create: %v %d %s", err, res.StatusCode, res.Body)
	}
	victimOrg := decode(t, res)["id"].(string)

	forged, _ := json.Marshal(events.APIGatewayV2HTTPRequestContext{
		Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
				Claims: map[string]string{"sub": "victim-" + t.Name(), "email": "victim@example.com"},
			},
		},
	})
	headers := map[string]string{
		"x-golambdaproxy-apigw-context": string(forged),
		"X-GoLambdaProxy-ApiGw-Context": string(forged),
		"x-user-id":                     "victim-" + t.Name(),
		"x-amzn-oidc-identity":          "victim-" + t.Name(),
	}

	// The attacker has a verified token of their own and sends the forgery.
	ev := withOrg(readEvent[events.APIGatewayV2HTTPRequest](t, "membership-get-org.json"), victimOrg)
	ev.RequestContext.Authorizer.JWT.Claims = map[string]string{"sub": "attacker-" + t.Name(), "email": "attacker@example.com"}
	for k, v := range headers {
		ev.Headers[k] = v
	}
	res, err = h(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 404 {
		t.Fatalf("attacker with forged header read the victim's org: %d %s", res.StatusCode, res.Body)
	}

	// Without any verified claims the forgery gets 401.
	ev.RequestContext.Authorizer = nil
	res, err = h(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 401 {
		t.Fatalf("unauthenticated request with forged header: %d %s", res.StatusCode, res.Body)
	}

	// Listing as the attacker shows the attacker's (empty) list.
	list := readEvent[events.APIGatewayV2HTTPRequest](t, "membership-list-orgs.json")
	list.RequestContext.Authorizer.JWT.Claims = map[string]string{"sub": "attacker-" + t.Name()}
	for k, v := range headers {
		list.Headers[k] = v
	}
	res, err = h(ctx, list)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("list: %v %d", err, res.StatusCode)
	}
	if items := decode(t, res)["items"].([]any); len(items) != 0 {
		t.Fatalf("attacker sees %v", items)
	}
}

// Every SQS sample event goes through its consumer's Lambda handler.
func TestSQSSampleEvents(t *testing.T) {
	outbox := t.TempDir()
	a := lambdaApp(t, map[string]string{"MAIL_OUTBOX_DIR": outbox})
	ctx := context.Background()

	mailer, err := a.Consumer(lambdafn.Mailer)
	if err != nil {
		t.Fatal(err)
	}
	res, err := mailer.Handle(ctx, readEvent[events.SQSEvent](t, "mailer-sqs.json"))
	if err != nil || len(res.BatchItemFailures) != 0 {
		t.Fatalf("mailer: %v %+v", err, res)
	}
	files, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("outbox has %v", files)
	}
	eml, _ := os.ReadFile(files[0])
	if !strings.Contains(string(eml), "To: invitee@example.com") || !strings.Contains(string(eml), "/invitations/sample-token") {
		t.Fatalf("eml:\n%s", eml)
	}
	// A redelivery rewrites the same file, not a second one.
	if _, err := mailer.Handle(ctx, readEvent[events.SQSEvent](t, "mailer-sqs.json")); err != nil {
		t.Fatal(err)
	}
	if again, _ := filepath.Glob(filepath.Join(outbox, "*.eml")); len(again) != 1 {
		t.Fatalf("redelivery wrote %v", again)
	}

	// A handoff for an item that does not exist changes nothing and is done;
	// a run of a job that does not exist fails (retried, then kept in the
	// DLQ), never dropped.
	handoff, err := a.Consumer(lambdafn.Handoff)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := handoff.Handle(ctx, readEvent[events.SQSEvent](t, "handoff-sqs.json")); err != nil || len(res.BatchItemFailures) != 0 {
		t.Fatalf("handoff: %v %+v", err, res)
	}
	// An audit entry from the table's stream becomes its event (an org's
	// own entry, for an org without webhooks: nothing to deliver); a
	// delivery to a webhook that no longer exists is dropped, not retried.
	evs, err := a.EventsHandler(ctx, readEvent[events.DynamoDBEvent](t, "events-stream.json"))
	if err != nil || len(evs.BatchItemFailures) != 0 || len(a.Uncatalogued.Counts()) != 0 {
		t.Fatalf("events: %v %+v %v", err, evs, a.Uncatalogued.Counts())
	}
	hooks, err := a.Consumer(lambdafn.Webhooks)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := hooks.Handle(ctx, readEvent[events.SQSEvent](t, "webhooks-sqs.json")); err != nil || len(res.BatchItemFailures) != 0 {
		t.Fatalf("webhooks: %v %+v", err, res)
	}
	jobs, err := a.Consumer(lambdafn.Jobs)
	if err != nil {
		t.Fatal(err)
	}
	ev := readEvent[events.SQSEvent](t, "jobs-sqs.json")
	res, err = jobs.Handle(ctx, ev)
	if err != nil || len(res.BatchItemFailures) != 1 || res.BatchItemFailures[0].ItemIdentifier != ev.Records[0].MessageId {
		t.Fatalf("jobs: %v %+v", err, res)
	}
}

// The template's HttpApi events and the routers agree.
func TestTemplateRoutesMatchRouters(t *testing.T) {
	tpl, err := devstack.LoadTemplate(filepath.Join(root(t), "template.yaml"), "x")
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range lambdafn.HTTP {
		id := lambdafn.LogicalID(fn)
		if !slices.Contains(tpl.Functions, id) {
			t.Fatalf("template has no %s", id)
		}
		inTemplate := slices.Clone(tpl.Routes[id])
		var inRouter []string
		for _, p := range httpapi.Patterns(fn) {
			if p == "GET /healthz" && !slices.Contains(inTemplate, p) {
				continue // every router answers it; the template routes it to one function
			}
			inRouter = append(inRouter, p)
		}
		sort.Strings(inTemplate)
		sort.Strings(inRouter)
		if !slices.Equal(inTemplate, inRouter) {
			t.Errorf("%s: template routes %v, router routes %v", id, inTemplate, inRouter)
		}
	}
	// Exactly the routes served without a token skip the authorizer.
	public := httpapi.PublicPatterns()
	for r := range tpl.PublicRoutes {
		if !public[r] {
			t.Errorf("template opens %s without the authorizer, the router does not", r)
		}
	}
	for r := range public {
		if !tpl.PublicRoutes[r] {
			t.Errorf("router serves %s without a token, the template puts the authorizer in front", r)
		}
	}
	consumers := map[string]bool{}
	for _, c := range tpl.Consumers {
		name, _ := lambdafn.FromLogicalID(c.Function)
		consumers[name] = true
		if _, err := (&app.App{Mailer: mail.Outbox{}}).Consumer(name); err != nil {
			t.Errorf("template consumer %s: %v", c.Function, err)
		}
	}
	for _, fn := range lambdafn.Consumers {
		if !consumers[fn] {
			t.Errorf("template has no SQS event source for %s", fn)
		}
	}
}

// In Lambda, unsigned token lookups are counted per the source IP API
// Gateway saw: a client that changes X-Forwarded-For with every guess is
// still one client, and another source IP has a budget of its own.
func TestTokenMissesCountedPerSourceIP(t *testing.T) {
	h := lambdaApp(t, nil).LambdaHTTP(lambdafn.Accept)
	ctx := context.Background()
	guess := func(sourceIP string, i int) events.APIGatewayV2HTTPResponse {
		t.Helper()
		ev := readEvent[events.APIGatewayV2HTTPRequest](t, "accept-preview.json")
		token := fmt.Sprintf("%043d", i) // well formed, matches nothing
		ev.RawPath = "/invitations/" + token
		ev.RequestContext.HTTP.Path, ev.PathParameters = ev.RawPath, map[string]string{"token": token}
		ev.RequestContext.HTTP.SourceIP = sourceIP
		ev.Headers["x-forwarded-for"] = fmt.Sprintf("192.0.2.%d", i%250+1)
		res, err := h(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	guesser := fmt.Sprintf("198.51.100.%d", time.Now().UnixNano()%250+1)
	for i := range collab.TokenMissesPerHour {
		if res := guess(guesser, i); res.StatusCode != 404 {
			t.Fatalf("miss %d: %d %s", i+1, res.StatusCode, res.Body)
		}
	}
	if res := guess(guesser, collab.TokenMissesPerHour); res.StatusCode != 429 || res.Headers["Retry-After"] == "" {
		t.Fatalf("miss %d past the limit: %d %v %s", collab.TokenMissesPerHour+1, res.StatusCode, res.Headers, res.Body)
	}
	if res := guess("203.0.113.77", 0); res.StatusCode != 404 {
		t.Fatalf("another source IP: %d %s", res.StatusCode, res.Body)
	}
}
