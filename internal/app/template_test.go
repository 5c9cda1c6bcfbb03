package app_test

// The template against the code: every function has its build target and
// builds in place; each gets exactly the environment config.Vars says it
// reads, and exactly the rights that environment and its event sources
// need; the HTTP API is throttled and logged; every dead-letter queue and
// every function has an alarm; cfn-lint is clean. (Routes both ways:
// TestTemplateRoutesMatchRouters.)

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/annobridge/annobridge/internal/config"
	"github.com/annobridge/annobridge/internal/devstack"
	"github.com/annobridge/annobridge/internal/httpapi"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

// cfn is template.yaml as YAML nodes, CloudFormation's short tags (!Ref,
// !GetAtt, !Sub, !If ...) kept as the nodes' tags.
type cfn struct {
	root *yaml.Node
	text string
	tpl  devstack.Template
}

func loadCFN(t *testing.T) cfn {
	t.Helper()
	path := filepath.Join(root(t), "template.yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	tpl, err := devstack.LoadTemplate(path, "x")
	if err != nil {
		t.Fatal(err)
	}
	return cfn{root: doc.Content[0], text: string(raw), tpl: tpl}
}

// at follows mapping keys from n; nil when a key is missing.
func at(n *yaml.Node, path ...string) *yaml.Node {
	for _, k := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

// entries returns a mapping's keys and values in order.
func entries(n *yaml.Node) (keys []string, values []*yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys, values = append(keys, n.Content[i].Value), append(values, n.Content[i+1])
	}
	return keys, values
}

// ref is the logical id or parameter a !Ref names ("" for anything else).
func ref(n *yaml.Node) string {
	if n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!Ref" {
		return n.Value
	}
	if v := at(n, "Ref"); v != nil {
		return v.Value
	}
	return ""
}

// getAtt is the resource and attribute a !GetAtt names.
func getAtt(n *yaml.Node) (res, attr string) {
	if n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!GetAtt" {
		res, attr, _ = strings.Cut(n.Value, ".")
	}
	return res, attr
}

// tagged returns the items of a sequence tagged tag (!If, !Sub ...).
func tagged(n *yaml.Node, tag string) []*yaml.Node {
	if n != nil && n.Tag == tag && n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return nil
}

func (c cfn) resource(id string) *yaml.Node { return at(c.root, "Resources", id) }

func (c cfn) resourceType(id string) string {
	if n := at(c.resource(id), "Type"); n != nil {
		return n.Value
	}
	return ""
}

func (c cfn) resources(typ string) []string {
	var out []string
	keys, _ := entries(at(c.root, "Resources"))
	for _, id := range keys {
		if c.resourceType(id) == typ {
			out = append(out, id)
		}
	}
	return out
}

// env returns a function's environment: the globals and its own.
func (c cfn) env(fn string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for _, vars := range []*yaml.Node{at(c.root, "Globals", "Function", "Environment", "Variables"),
		at(c.resource(fn), "Properties", "Environment", "Variables")} {
		keys, values := entries(vars)
		for i, k := range keys {
			out[k] = values[i]
		}
	}
	return out
}

func TestTemplateFunctionsBuildInPlace(t *testing.T) {
	c := loadCFN(t)
	var want []string
	for _, fn := range lambdafn.All {
		want = append(want, lambdafn.LogicalID(fn))
	}
	if got := c.resources("AWS::Serverless::Function"); !sameSet(got, want) {
		t.Fatalf("template functions %v, lambdafn %v", got, want)
	}
	if cu := at(c.root, "Globals", "Function", "CodeUri"); cu == nil || cu.Value != "." {
		t.Errorf("Globals CodeUri %v, want . (the Makefile builds from the module root)", cu)
	}

	// Every function is built by `make build-<LogicalId>` from its own
	// functions/<name>, and every such target is a function of the template.
	raw, err := os.ReadFile(filepath.Join(root(t), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]string{} // build-<LogicalId> -> its recipe
	for _, m := range regexp.MustCompile(`(?m)^build-(\w+):[^\n]*\n((?:\t[^\n]*\n)*)`).FindAllStringSubmatch(string(raw), -1) {
		targets[m[1]] = m[2]
	}
	for _, fn := range lambdafn.All {
		id := lambdafn.LogicalID(fn)
		if bm := at(c.resource(id), "Metadata", "BuildMethod"); bm == nil || bm.Value != "makefile" {
			t.Errorf("%s: Metadata BuildMethod %v, want makefile", id, bm)
		}
		if at(c.resource(id), "Properties", "CodeUri") != nil {
			t.Errorf("%s sets its own CodeUri", id)
		}
		recipe, ok := targets[id]
		if !ok {
			t.Errorf("Makefile has no build-%s target", id)
			continue
		}
		if !strings.Contains(recipe, "lambda_build,"+fn+")") {
			t.Errorf("build-%s does not build functions/%s:\n%s", id, fn, recipe)
		}
		if _, err := os.Stat(filepath.Join(root(t), "functions", fn, "main.go")); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	for id := range targets {
		if !slices.Contains(want, id) {
			t.Errorf("Makefile target build-%s builds no function of the template", id)
		}
	}

	// sam build runs those targets in this folder, not in a copy of it
	// (which would copy the ignored .local/): build_in_source in every
	// build section of samconfig.toml.
	sam, err := os.ReadFile(filepath.Join(root(t), "samconfig.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var section string
	sections, inSource := map[string]bool{}, map[string]bool{}
	for _, line := range strings.Split(string(sam), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[]")
			if strings.HasSuffix(section, ".build.parameters") {
				sections[section] = true
			}
		}
		if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == "build_in_source" && strings.TrimSpace(v) == "true" {
			inSource[section] = true
		}
	}
	if len(sections) == 0 || !sameSet(slices.Collect(maps.Keys(sections)), slices.Collect(maps.Keys(inSource))) {
		t.Errorf("build sections %v, with build_in_source = true %v", slices.Sorted(maps.Keys(sections)), slices.Sorted(maps.Keys(inSource)))
	}
}

// Each function gets exactly the variables config.Vars says it reads; no
// value is a secret: secrets travel as the ARN of a Secrets Manager secret
// the template creates.
func TestTemplateEnvironmentIsWhatTheCodeReads(t *testing.T) {
	c := loadCFN(t)
	if strings.Contains(c.text, "{{resolve:") {
		t.Error("template resolves a dynamic reference: its value would sit in plain text where it is used")
	}
	for _, fn := range lambdafn.All {
		id := lambdafn.LogicalID(fn)
		env := c.env(id)
		if got, want := slices.Collect(maps.Keys(env)), config.FunctionVars(fn); !sameSet(got, want) {
			t.Errorf("%s: template sets %v, the code reads %v", id, slices.Sorted(maps.Keys(env)), slices.Sorted(slices.Values(want)))
		}
		for name, v := range env {
			target := ref(v)
			switch {
			case slices.ContainsFunc(config.Vars, func(cv config.Var) bool { return cv.Name == name && cv.Empty }):
				if v.Tag != "!!str" || v.Value != "" {
					t.Errorf("%s: %s must be declared empty", id, name)
				}
			case strings.HasSuffix(name, "_ARN"):
				if c.resourceType(target) != "AWS::SecretsManager::Secret" {
					t.Errorf("%s: %s is not the !Ref of a secret of the template", id, name)
				}
			case strings.HasSuffix(name, "_QUEUE_URL"):
				if c.resourceType(target) != "AWS::SQS::Queue" {
					t.Errorf("%s: %s is not the !Ref of a queue", id, name)
				}
			case name == "TABLE_NAME":
				if c.resourceType(target) != "AWS::DynamoDB::Table" {
					t.Errorf("%s: TABLE_NAME is not the !Ref of the table", id)
				}
			}
		}
	}
	// Every secret is read by some function.
	for _, s := range c.resources("AWS::SecretsManager::Secret") {
		if !slices.ContainsFunc(lambdafn.All, func(fn string) bool {
			for _, v := range c.env(lambdafn.LogicalID(fn)) {
				if ref(v) == s {
					return true
				}
			}
			return false
		}) {
			t.Errorf("no function reads the secret %s", s)
		}
	}
}

// Each function's policies grant what its environment and its event
// sources need, nothing else, and nothing on "*" where a resource can be
// named: the table (its indexes come with DynamoDBCrudPolicy), the queues
// whose URLs it has (send) and whose messages it gets (poll), the secrets
// whose ARNs it has, and for the mailer SES as the MailFrom identity.
func TestTemplatePoliciesAreWhatEachFunctionUses(t *testing.T) {
	c := loadCFN(t)
	consumes := map[string][]string{}
	for _, ev := range c.tpl.Consumers {
		consumes[ev.Function] = append(consumes[ev.Function], ev.Queue)
	}
	for _, fn := range lambdafn.All {
		id := lambdafn.LogicalID(fn)
		props := at(c.resource(id), "Properties")
		for _, forbidden := range []string{"Role", "ManagedPolicyArns", "PermissionsBoundary"} {
			if at(props, forbidden) != nil {
				t.Errorf("%s sets %s", id, forbidden)
			}
		}
		// A SAM SQS event would attach AWSLambdaSQSQueueExecutionRole,
		// which may receive from every queue of the account.
		_, events := entries(at(props, "Events"))
		for _, ev := range events {
			if typ := at(ev, "Type"); typ != nil && typ.Value == "SQS" {
				t.Errorf("%s has a SAM SQS event; use an AWS::Lambda::EventSourceMapping and SQSPollerPolicy", id)
			}
		}

		var want []string
		stream := slices.Contains(lambdafn.StreamConsumers, fn)
		for name, v := range c.env(id) {
			switch {
			case name == "TABLE_NAME" && stream:
				// The table stream's consumer reads the table and its
				// stream, and sends what fails to its on-failure queue.
				want = append(want, "DynamoDBReadPolicy "+ref(v), "DynamoDBStreamReadPolicy "+ref(v))
				for _, ev := range c.streamEvents(id) {
					if q, _ := getAtt(at(ev, "Properties", "DestinationConfig", "OnFailure", "Destination")); q != "" {
						want = append(want, "SQSSendMessagePolicy "+q)
					}
				}
			case name == "TABLE_NAME":
				want = append(want, "DynamoDBCrudPolicy "+ref(v))
			case name == "EVENT_BUS_NAME":
				want = append(want, "EventBridgePutEventsPolicy "+ref(v))
			case fn == lambdafn.Webhooks && name == "WEBHOOK_QUEUE_URL" && slices.Contains(consumes[id], ref(v)):
				// The webhooks function sends nothing: it has its queue's
				// URL to set a retry's visibility, which its poller
				// policy grants.
			case strings.HasSuffix(name, "_QUEUE_URL"):
				want = append(want, "SQSSendMessagePolicy "+ref(v))
			case strings.HasSuffix(name, "_ARN"):
				want = append(want, "AWSSecretsManagerGetSecretValuePolicy "+ref(v))
			case name == "MAIL_FROM":
				want = append(want, "ses:SendEmail MailFrom")
			}
		}
		for _, q := range consumes[id] {
			want = append(want, "SQSPollerPolicy "+q)
		}
		if got := c.grants(t, id); !sameSet(got, want) {
			t.Errorf("%s grants\n  %v\nit uses\n  %v", id, slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
		}
	}
	// Every consumer is a function of the template on a queue of it.
	for _, ev := range c.tpl.Consumers {
		if c.resourceType(ev.Function) != "AWS::Serverless::Function" || c.resourceType(ev.Queue) != "AWS::SQS::Queue" {
			t.Errorf("event source %+v", ev)
		}
	}
}

// streamEvents are a function's SAM DynamoDB (stream) events.
func (c cfn) streamEvents(id string) []*yaml.Node {
	var out []*yaml.Node
	_, evs := entries(at(c.resource(id), "Properties", "Events"))
	for _, ev := range evs {
		if typ := at(ev, "Type"); typ != nil && typ.Value == "DynamoDB" {
			out = append(out, ev)
		}
	}
	return out
}

// grants reads a function's Policies as "<policy> <resource>" strings and
// fails on any statement that is not the mailer's SES grant.
func (c cfn) grants(t *testing.T, id string) []string {
	t.Helper()
	var out []string
	pols := at(c.resource(id), "Properties", "Policies")
	if pols == nil || pols.Kind != yaml.SequenceNode {
		t.Errorf("%s has no Policies list", id)
		return nil
	}
	for _, p := range pols.Content {
		keys, values := entries(p)
		if len(keys) != 1 {
			t.Errorf("%s: policy %v is not one policy template or one Statement list", id, keys)
			continue
		}
		switch k, v := keys[0], values[0]; k {
		case "DynamoDBCrudPolicy", "DynamoDBReadPolicy":
			out = append(out, k+" "+ref(at(v, "TableName")))
		case "DynamoDBStreamReadPolicy":
			// The stream's name is the last part of the table's StreamArn.
			if !strings.Contains(dump(at(v, "StreamName")), "Table.StreamArn") {
				t.Errorf("%s: DynamoDBStreamReadPolicy names no stream of the table", id)
			}
			out = append(out, k+" "+ref(at(v, "TableName")))
		case "EventBridgePutEventsPolicy":
			if c.resourceType(ref(at(v, "EventBusName"))) != "AWS::Events::EventBus" {
				t.Errorf("%s: EventBridgePutEventsPolicy names no bus of the template", id)
			}
			out = append(out, k+" "+ref(at(v, "EventBusName")))
		case "SQSSendMessagePolicy", "SQSPollerPolicy":
			q, attr := getAtt(at(v, "QueueName"))
			if attr != "QueueName" {
				t.Errorf("%s: %s names no queue of the template", id, k)
			}
			out = append(out, k+" "+q)
		case "AWSSecretsManagerGetSecretValuePolicy":
			out = append(out, k+" "+ref(at(v, "SecretArn")))
		case "Statement":
			if c.isMailFromGrant(v) {
				out = append(out, "ses:SendEmail MailFrom")
			} else {
				t.Errorf("%s: a statement that is not the mailer's SES grant:\n%s", id, dump(v))
			}
		default:
			t.Errorf("%s: unexpected policy %s", id, k)
		}
	}
	return out
}

// isMailFromGrant: ses:SendEmail on the identity ARN of MailFromIdentity or
// else of MailFrom's domain; and only under InSesSandbox, on the account's
// identities with the From address held to MailFrom.
func (c cfn) isMailFromGrant(stmts *yaml.Node) bool {
	if stmts == nil || stmts.Kind != yaml.SequenceNode || len(stmts.Content) != 2 {
		return false
	}
	sendOnly := func(s *yaml.Node) bool {
		a := at(s, "Action")
		return at(s, "Effect").Value == "Allow" && a != nil && len(a.Content) == 1 && a.Content[0].Value == "ses:SendEmail"
	}
	main := stmts.Content[0]
	sub := tagged(at(main, "Resource"), "!Sub")
	if !sendOnly(main) || len(sub) != 2 || !strings.HasSuffix(sub[0].Value, ":identity/${Identity}") || at(main, "Condition") != nil {
		return false
	}
	ifs := tagged(at(sub[1], "Identity"), "!If")
	if len(ifs) != 3 || ifs[0].Value != "HasMailFromIdentity" || ref(ifs[1]) != "MailFromIdentity" || !strings.Contains(dump(ifs[2]), "!Ref MailFrom") {
		return false
	}
	sandbox := tagged(stmts.Content[1], "!If")
	if len(sandbox) != 3 || sandbox[0].Value != "InSesSandbox" || ref(sandbox[2]) != "AWS::NoValue" {
		return false
	}
	s := sandbox[1]
	from := at(s, "Condition", "StringEquals", "ses:FromAddress")
	return sendOnly(s) && ref(from) == "MailFrom" && strings.HasSuffix(at(s, "Resource").Value, ":identity/*")
}

func dump(n *yaml.Node) string {
	b, _ := yaml.Marshal(n)
	return string(b)
}

// The parameters that must be given have no default; the stack outputs the
// callback the identity provider must allow.
func TestTemplateParametersAndOutputs(t *testing.T) {
	c := loadCFN(t)
	for _, p := range []string{"PublicBaseUrl", "AppBaseUrl", "MailFrom", "JwtIssuer", "JwtAudience"} {
		if n := at(c.root, "Parameters", p); n == nil || at(n, "Default") != nil {
			t.Errorf("parameter %s: missing or has a default", p)
		}
	}
	if d := at(c.root, "Parameters", "AlarmTopicArn", "Default"); d == nil || d.Value != "" {
		t.Error("AlarmTopicArn is not optional")
	}
	cb := at(c.root, "Outputs", "SignInCallbackUrl", "Value")
	if cb == nil || cb.Tag != "!Sub" || !strings.HasPrefix(cb.Value, "${PublicBaseUrl}/") {
		t.Fatalf("SignInCallbackUrl output %v", cb)
	}
	path := strings.TrimPrefix(cb.Value, "${PublicBaseUrl}")
	if !strings.HasSuffix(path, "/callback") || !slices.Contains(httpapi.Patterns(lambdafn.Accept), "GET "+path) ||
		!slices.Contains(c.tpl.Routes[lambdafn.LogicalID(lambdafn.Accept)], "GET "+path) {
		t.Errorf("SignInCallbackUrl path %s is not the accept function's callback route", path)
	}
	if at(c.root, "Outputs", "ApiUrl") == nil {
		t.Error("no ApiUrl output")
	}
}

// Default route throttling, a JSON access log with what an operator looks
// for, and an alarm on every dead-letter queue and on every function's
// errors, notifying AlarmTopicArn when it is set.
func TestTemplateThrottlingLogsAndAlarms(t *testing.T) {
	c := loadCFN(t)
	apis := c.resources("AWS::Serverless::HttpApi")
	if len(apis) != 1 {
		t.Fatalf("HTTP APIs %v", apis)
	}
	api := at(c.resource(apis[0]), "Properties")
	for k, p := range map[string]string{"ThrottlingRateLimit": "ThrottlingRateLimit", "ThrottlingBurstLimit": "ThrottlingBurstLimit"} {
		if got := ref(at(api, "DefaultRouteSettings", k)); got != p {
			t.Errorf("DefaultRouteSettings %s = !Ref %q", k, got)
		}
		if d := at(c.root, "Parameters", p, "Default"); d == nil || d.Value == "" {
			t.Errorf("parameter %s has no default", p)
		}
	}
	group, attr := getAtt(at(api, "AccessLogSettings", "DestinationArn"))
	if c.resourceType(group) != "AWS::Logs::LogGroup" || attr != "Arn" || at(c.resource(group), "Properties", "RetentionInDays") == nil {
		t.Errorf("access log to %s.%s, a log group with a retention", group, attr)
	}
	var format map[string]string
	if err := json.Unmarshal([]byte(at(api, "AccessLogSettings", "Format").Value), &format); err != nil {
		t.Fatalf("access log format is not JSON: %v", err)
	}
	for k, v := range map[string]string{"requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "routeKey": "$context.routeKey",
		"status": "$context.status", "latency": "$context.responseLatency", "integrationError": "$context.integrationErrorMessage"} {
		if format[k] != v {
			t.Errorf("access log %s = %q, want %q", k, format[k], v)
		}
	}

	alarms := map[string]*yaml.Node{} // "<metric> <resource>" -> alarm properties
	for _, id := range c.resources("AWS::CloudWatch::Alarm") {
		p := at(c.resource(id), "Properties")
		for _, actions := range []string{"AlarmActions", "OKActions"} {
			ifs := tagged(at(p, actions), "!If")
			if len(ifs) != 3 || ifs[0].Value != "HasAlarmTopic" || len(ifs[1].Content) != 1 || ref(ifs[1].Content[0]) != "AlarmTopicArn" || ref(ifs[2]) != "AWS::NoValue" {
				t.Errorf("%s: %s is not AlarmTopicArn when set", id, actions)
			}
		}
		if at(p, "Threshold").Value != "0" || at(p, "ComparisonOperator").Value != "GreaterThanThreshold" {
			t.Errorf("%s: not > 0", id)
		}
		dims := at(p, "Dimensions")
		if dims == nil || len(dims.Content) != 1 {
			t.Errorf("%s: want one dimension", id)
			continue
		}
		target := ref(at(dims.Content[0], "Value"))
		if q, attr := getAtt(at(dims.Content[0], "Value")); attr == "QueueName" {
			target = q
		}
		alarms[at(p, "Namespace").Value+" "+at(p, "MetricName").Value+" "+target] = p
	}
	for _, q := range c.tpl.Queues {
		if dlq := q.DLQ(); dlq != "" && alarms["AWS/SQS ApproximateNumberOfMessagesVisible "+dlq] == nil {
			t.Errorf("no alarm on the depth of %s, the dead-letter queue of %s", dlq, q.LogicalID)
		}
	}
	for _, fn := range lambdafn.All {
		if alarms["AWS/Lambda Errors "+lambdafn.LogicalID(fn)] == nil {
			t.Errorf("no alarm on the errors of %s", lambdafn.LogicalID(fn))
		}
	}
}

// The FIFO queues whose order is per message group are in high-throughput
// mode (order and deduplication per group), so a queue's throughput is not
// capped at 300 messages a second for every group together.
func TestTemplateFIFOQueuesScalePerGroup(t *testing.T) {
	c := loadCFN(t)
	for _, q := range c.tpl.Queues {
		p := at(c.resource(q.LogicalID), "Properties")
		if fifo := at(p, "FifoQueue"); fifo == nil || fifo.Value != "true" || q.DLQ() == "" {
			continue // standard queues, and the dead-letter queues (read by operators)
		}
		for k, want := range map[string]string{"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"} {
			if got := at(p, k); got == nil || got.Value != want {
				t.Errorf("%s: %s is not %s", q.LogicalID, k, want)
			}
		}
	}
}

// cfn-lint (with the SAM translator) finds nothing; skipped where it is not
// installed (make lint says so).
func TestTemplateLintClean(t *testing.T) {
	if _, err := exec.LookPath("cfn-lint"); err != nil {
		t.Skip("cfn-lint is not installed")
	}
	cmd := exec.Command("cfn-lint", "template.yaml")
	cmd.Dir = root(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cfn-lint: %v\n%s", err, out)
	}
}

func sameSet(a, b []string) bool {
	return fmt.Sprint(slices.Sorted(slices.Values(a))) == fmt.Sprint(slices.Sorted(slices.Values(b)))
}

// A function serving a route that starts a background job (its answer is
// a JobRef) is given the jobs queue: without it the job's mark is written
// and its run never queued (the membership function's inbound rejections
// once were).
func TestFunctionsThatStartJobsHaveTheJobsQueue(t *testing.T) {
	c := loadCFN(t)
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(httpapi.OpenAPI()), &doc); err != nil {
		t.Fatal(err)
	}
	starters := 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			starts := false
			for _, r := range op.Responses {
				starts = starts || strings.Contains(string(r), "#/components/schemas/JobRef")
			}
			if !starts {
				continue
			}
			starters++
			route := strings.ToUpper(method) + " " + path
			for _, fn := range lambdafn.HTTP {
				if slices.Contains(c.tpl.Routes[lambdafn.LogicalID(fn)], route) && !slices.Contains(config.FunctionVars(fn), "JOBS_QUEUE_URL") {
					t.Errorf("%s starts a job in %s, which has no JOBS_QUEUE_URL", route, fn)
				}
			}
		}
	}
	if starters < 5 {
		t.Fatalf("only %d routes start jobs: the OpenAPI document changed shape", starters)
	}
}
