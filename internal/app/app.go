// Package app wires the configuration, the AWS clients, the adapters and the
// service into the handlers every function runs: the HTTP routers (through
// the Lambda adapter or a local server) and the queue consumers.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/annobridge/annobridge/internal/auth"
	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/config"
	"github.com/annobridge/annobridge/internal/ddbstore"
	"github.com/annobridge/annobridge/internal/httpapi"
	"github.com/annobridge/annobridge/internal/lambdafn"
	"github.com/annobridge/annobridge/internal/mail"
	"github.com/annobridge/annobridge/internal/secretbox"
	"github.com/annobridge/annobridge/internal/sqsqueue"
	"github.com/annobridge/annobridge/internal/webhookpost"
	"github.com/annobridge/annobridge/internal/worker"
)

// App is one cold start's worth of clients and adapters.
type App struct {
	Config  config.Config
	Log     *slog.Logger
	DB      *dynamodb.Client
	SQS     *sqs.Client
	Store   *ddbstore.Store
	Service *collab.Service
	Auth    httpapi.Authenticator
	Mailer  mail.Sender
	// MailQueue puts the service's emails on the mail queue.
	MailQueue MailQueue
	JobQueue  JobQueue
	Outbox    OutboxPublisher
	// Deliveries puts webhook deliveries on the webhooks queue; Bus takes
	// every event (EventBridge in AWS; nothing locally).
	Deliveries DeliveryQueue
	Bus        collab.EventBus
	// Uncatalogued counts the audit entries published whose `what` the
	// event catalogue does not name (the integration suite fails on one).
	Uncatalogued *Tally
	Page         *httpapi.PageConfig
	// ClientAddr names an unsigned client (nil: the TCP peer).
	ClientAddr func(*http.Request) string
}

// Option adds to what New wires.
type Option func(*options)

type options struct {
	sender  func(aws.Config, string) mail.Sender
	secrets func(aws.Config, string) config.SecretReader
	bus     func(aws.Config, string) collab.EventBus
}

// WithBus makes the EventBridge bus, in AWS, from the AWS configuration
// and the bus name: the events function passes eventbus.New, so only its
// binary links the EventBridge client. Without it, New refuses a
// configuration that names a bus.
func WithBus(f func(aws.Config, string) collab.EventBus) Option {
	return func(o *options) { o.bus = f }
}

// WithSender makes the mail sender, in AWS, from the AWS configuration and
// the From address: the mailer function passes sesmail.New, so only its
// binary links (and starts) the SES client. Without it an App in AWS has
// no Mailer; only the mailer consumer needs one.
func WithSender(f func(aws.Config, string) mail.Sender) Option {
	return func(o *options) { o.sender = f }
}

// WithSecrets makes the reader of the secrets the configuration names by
// ARN, from the AWS configuration and the SECRETSMANAGER_ENDPOINT override:
// the functions given a secret's ARN (config.Vars) pass smsecrets.New, so
// only their binaries link (and start) the Secrets Manager client. Without
// it New refuses a configuration that names a secret by ARN.
func WithSecrets[R config.SecretReader](f func(aws.Config, string) R) Option {
	return func(o *options) {
		o.secrets = func(c aws.Config, endpoint string) config.SecretReader { return f(c, endpoint) }
	}
}

// New builds the clients once and wires everything. The secrets the
// configuration names by ARN are read here, once per cold start, and kept.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	awsCfg, err := cfg.AWS(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.NeedsSecrets() {
		if o.secrets == nil {
			return nil, fmt.Errorf("the configuration names secrets by ARN (CURSOR_SECRET_ARN, SHARE_LINK_KEY_ARN, WEBHOOK_KEY_ARN), and this binary reads none (app.WithSecrets)")
		}
		if err := cfg.ReadSecrets(ctx, o.secrets(awsCfg, cfg.SecretsManagerEndpoint)); err != nil {
			return nil, err
		}
	}
	a := &App{Config: cfg, Log: log, DB: cfg.DynamoDB(awsCfg), SQS: cfg.SQS(awsCfg)}
	clock := collab.SystemClock{}
	storeOpts := []ddbstore.Option{ddbstore.WithClock(clock.Now)}
	if len(cfg.ShareLinkKey) > 0 {
		box, err := secretbox.New(cfg.ShareLinkKey)
		if err != nil {
			return nil, fmt.Errorf("share-link key: %w", err)
		}
		storeOpts = append(storeOpts, ddbstore.WithShareLinkKey(box))
	}
	if len(cfg.WebhookKey) > 0 {
		box, err := secretbox.New(cfg.WebhookKey)
		if err != nil {
			return nil, fmt.Errorf("webhook key: %w", err)
		}
		storeOpts = append(storeOpts, ddbstore.WithWebhookKey(box))
	}
	a.Store = ddbstore.New(a.DB, cfg.TableName, []byte(cfg.CursorSecret), storeOpts...)
	a.MailQueue = MailQueue{Publisher: sqsqueue.New(a.SQS, cfg.MailQueueURL)}
	a.JobQueue = JobQueue{Publisher: sqsqueue.New(a.SQS, cfg.JobsQueueURL)}
	a.Outbox = OutboxPublisher{Handoff: sqsqueue.New(a.SQS, cfg.HandoffQueueURL), Mail: sqsqueue.New(a.SQS, cfg.MailQueueURL)}
	a.Deliveries = DeliveryQueue{Publisher: sqsqueue.New(a.SQS, cfg.WebhookQueueURL)}
	a.Uncatalogued = &Tally{}
	switch {
	case cfg.EventBusName == "":
		a.Bus = NoBus{}
	case o.bus == nil:
		return nil, fmt.Errorf("the configuration names an event bus (EVENT_BUS_NAME), and this binary puts on none (app.WithBus)")
	default:
		a.Bus = o.bus(awsCfg, cfg.EventBusName)
	}
	if a.Service, err = collab.NewService(a.Store.Ports(), collab.Deps{Clock: clock, IDs: collab.RandomIDs{Clock: clock},
		Mailer: a.MailQueue, Jobs: a.JobQueue, Publisher: a.Outbox, Bus: a.Bus, Deliveries: a.Deliveries, Poster: webhookpost.New(cfg.Local()),
		Config: collab.Config{PublicBaseURL: cfg.PublicBaseURL, AppBaseURL: cfg.AppBaseURL, WebhookLoopbackOnly: cfg.Local(),
			WebhookDisableAfter: cfg.WebhookDisableAfter}}); err != nil {
		return nil, err
	}
	// The verifier checks bearer tokens in jwt mode and the acceptance
	// page's session in both modes (in apigw mode when JWKS_URL is set).
	var v *auth.Verifier
	switch {
	case cfg.JWKSURL != "":
		if v, err = auth.NewJWKS(ctx, cfg.JWKSURL, cfg.JWTIssuer, cfg.JWTAudience); err != nil {
			return nil, err
		}
	case cfg.DevJWTSecret != "":
		v = auth.NewHS256(cfg.DevJWTSecret, cfg.JWTIssuer, cfg.JWTAudience)
	}
	// v.Verify bounds the identity claims and empties an email the issuer
	// marks unverified (docs/security.md, invariant 7).
	callerOf := func(c auth.Claims) collab.Caller {
		return collab.Caller{UserID: c.Subject, Email: c.Email, Name: c.Name}
	}
	verify := func(token string) (collab.Caller, error) {
		c, err := v.Verify(token)
		if err != nil {
			return collab.Caller{}, err
		}
		return callerOf(c), nil
	}
	appURL := cfg.AppBaseURL
	if appURL == "" {
		appURL = cfg.PublicBaseURL
	}
	a.Page = &httpapi.PageConfig{SignInURL: cfg.SignInURL, BaseURL: cfg.PublicBaseURL, AppURL: appURL}
	if v != nil {
		a.Page.Verify = func(token string) (httpapi.Identity, error) {
			c, err := v.Verify(token)
			if err != nil {
				return httpapi.Identity{}, err
			}
			return httpapi.Identity{Caller: callerOf(c), Nonce: c.Nonce}, nil
		}
	}
	switch cfg.AuthMode {
	case config.AuthGateway:
		a.Auth = GatewayAuthenticator{}
		a.ClientAddr = GatewaySourceIP
	case config.AuthJWT:
		a.Auth = httpapi.BearerAuthenticator{Verify: verify}
		// The development sign-in mints a token for any email: local runs
		// only (docs/security.md, invariant 7).
		if cfg.DevSignInAllowed() {
			a.Page.DevSignIn = func(email, name string) (string, error) {
				return auth.MintHS256(cfg.DevJWTSecret, cfg.JWTIssuer, cfg.JWTAudience,
					auth.Claims{Subject: auth.DevSubject(email), Email: email, Name: name}, 12*time.Hour, time.Now())
			}
		}
	}
	switch {
	case cfg.SMTPAddr != "":
		a.Mailer = mail.SMTP{Addr: cfg.SMTPAddr, From: cfg.MailFrom}
	case cfg.Local():
		a.Mailer = mail.Outbox{Dir: cfg.MailOutboxDir, From: cfg.MailFrom}
	case o.sender != nil:
		a.Mailer = o.sender(awsCfg, cfg.MailFrom)
	}
	return a, nil
}

// Router returns the HTTP router of the named functions.
func (a *App) Router(functions ...string) http.Handler {
	return httpapi.New(httpapi.Deps{Service: a.Service, Auth: a.Auth, Idempotency: a.Store, Page: a.Page, Meter: DynamoDBMeter, Log: a.Log, ClientAddr: a.ClientAddr}, functions...)
}

// LambdaHTTP returns the Lambda handler of an HTTP function.
func (a *App) LambdaHTTP(fn string) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return httpadapter.NewV2(StripProxyHeaders(a.Router(fn))).ProxyWithContext
}

// BatchLanes is how many lanes (message groups, or single messages) of one
// SQS batch the handoff and mail consumers work at once: the whole batch
// (the event sources' BatchSize, 10). The jobs consumer runs one message
// at a time.
const BatchLanes = 10

// QueueConsumer is a consumer function's SQS handler.
type QueueConsumer interface {
	Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error)
}

// Consumer returns the queue consumer of a consumer function.
func (a *App) Consumer(fn string) (QueueConsumer, error) {
	switch fn {
	case lambdafn.Mailer:
		if a.Mailer == nil {
			return nil, fmt.Errorf("the mailer has no sender (app.WithSender)")
		}
		// Each message id is sent once, however often the queue delivers it.
		c := worker.NewConsumer(fn, a.Log, map[string]worker.Handler{mail.KindSend: mail.Handler(mail.Once{Sender: a.Mailer, Claims: a.Store})})
		c.Lanes = BatchLanes // mails are independent
		return c, nil
	case lambdafn.Jobs:
		// Two event sources: the jobs queue runs jobs; its dead-letter
		// queue fails the jobs whose run messages reach it.
		return bySource{
			main: worker.NewConsumer(fn, a.Log, map[string]worker.Handler{KindJobRun: a.runJob}),
			dead: worker.NewConsumer(fn+"-dead-letters", a.Log, map[string]worker.Handler{KindJobRun: a.jobDeadLettered}),
			isDead: func(arn string) bool {
				name := a.Config.JobsQueueURL[strings.LastIndex(a.Config.JobsQueueURL, "/")+1:]
				return name != "" && strings.HasSuffix(arn, ":"+name+DeadLetterSuffix)
			},
		}, nil
	case lambdafn.Handoff:
		// Crossings of different items (message groups) run at once; one
		// item's stay in order.
		c := worker.NewConsumer(fn, a.Log, map[string]worker.Handler{collab.KindHandoff: a.handoff})
		c.Lanes = BatchLanes
		return c, nil
	case lambdafn.Webhooks:
		// Deliveries are independent: a slow receiver holds one lane.
		c := worker.NewConsumer(fn, a.Log, map[string]worker.Handler{KindWebhookDeliver: a.deliver})
		c.Lanes = BatchLanes
		return c, nil
	}
	return nil, fmt.Errorf("no consumer function %q", fn)
}

// LambdaMain is the whole main of a function: config, secrets and clients
// once per cold start, then lambda.Start with the function's handler.
func LambdaMain(fn string, opts ...Option) {
	ctx := context.Background()
	cfg, err := config.FromEnv(fn)
	if err != nil {
		slog.Error("config", "err", err)
		os.Exit(1)
	}
	log := WithLambdaIDs(cfg.Logger().With("function", fn))
	a, err := New(ctx, cfg, log, opts...)
	if err != nil {
		log.Error("start", "err", err)
		os.Exit(1)
	}
	switch fn {
	case lambdafn.Handoff:
		c, err := a.Consumer(fn)
		if err != nil {
			log.Error("start", "err", err)
			os.Exit(1)
		}
		lambda.Start(a.HandoffLambda(c))
	case lambdafn.Events:
		lambda.Start(a.EventsHandler)
	case lambdafn.Jobs, lambdafn.Mailer, lambdafn.Webhooks:
		c, err := a.Consumer(fn)
		if err != nil {
			log.Error("start", "err", err)
			os.Exit(1)
		}
		lambda.Start(c.Handle)
	default:
		lambda.Start(a.LambdaHTTP(fn))
	}
}

// MailQueue is the service's Mailer: it puts a mail.send message on the mail
// queue for the mailer function.
type MailQueue struct{ Publisher *sqsqueue.Publisher }

// Send queues one email.
func (q MailQueue) Send(ctx context.Context, e collab.Email) error {
	body, err := json.Marshal(mail.Message{To: e.To, Subject: e.Subject, Text: e.Text})
	if err != nil {
		return err
	}
	return q.Publisher.Publish(ctx, worker.Envelope{Kind: mail.KindSend, ID: e.ID, Body: body}, "")
}

// KindJobRun is the jobs queue's message: work on a job for one run.
const KindJobRun = "job.run"

// JobQueue is the service's JobQueue: a job.run message on the jobs queue.
type JobQueue struct{ Publisher *sqsqueue.Publisher }

// Enqueue queues one run of a job.
func (q JobQueue) Enqueue(ctx context.Context, jobID string) error {
	body, err := json.Marshal(map[string]string{"jobId": jobID})
	if err != nil {
		return err
	}
	return q.Publisher.Publish(ctx, worker.Envelope{Kind: KindJobRun, ID: jobID + "-" + collab.RandomIDs{}.New("run"), Body: body}, "")
}

// DeadLetterSuffix ends the name of a queue's dead-letter queue in
// template.yaml (the jobs queue's is "<stack>-jobs-dlq").
const DeadLetterSuffix = "-dlq"

// bySource hands each record of a batch to the consumer of the queue it
// came from: dead (the dead-letter queue, by its ARN) or main.
type bySource struct {
	main, dead *worker.Consumer
	isDead     func(arn string) bool
}

func (b bySource) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var main, dead events.SQSEvent
	for _, r := range ev.Records {
		if b.isDead(r.EventSourceARN) {
			dead.Records = append(dead.Records, r)
		} else {
			main.Records = append(main.Records, r)
		}
	}
	var out events.SQSEventResponse
	for _, part := range []struct {
		c  *worker.Consumer
		ev events.SQSEvent
	}{{b.main, main}, {b.dead, dead}} {
		if len(part.ev.Records) == 0 {
			continue
		}
		res, err := part.c.Handle(ctx, part.ev)
		if err != nil {
			return out, err
		}
		out.BatchItemFailures = append(out.BatchItemFailures, res.BatchItemFailures...)
	}
	return out, nil
}

// jobDeadLettered fails the job of a run message that reached the jobs
// dead-letter queue, with the reason its failed runs left on it. A message
// without a job id stays in the queue for an operator.
func (a *App) jobDeadLettered(ctx context.Context, m worker.Message) error {
	var in struct {
		JobID string `json:"jobId"`
	}
	if err := json.Unmarshal(m.Body, &in); err != nil || in.JobID == "" {
		return fmt.Errorf("dead-lettered job.run without jobId: %w", err)
	}
	a.Log.WarnContext(ctx, "job run dead-lettered: failing the job", "jobId", in.JobID, "receiveCount", m.ReceiveCount)
	return a.Service.Jobs.DeadLettered(ctx, in.JobID)
}

// runJob works on a job for one message, and hands the rest to a new
// message: a run never outlives its Lambda's timeout, and a failure retries
// only from the last checkpoint.
func (a *App) runJob(ctx context.Context, m worker.Message) error {
	var in struct {
		JobID string `json:"jobId"`
	}
	if err := json.Unmarshal(m.Body, &in); err != nil || in.JobID == "" {
		return fmt.Errorf("job.run without jobId: %w", err)
	}
	more, err := a.Service.Jobs.RunJob(ctx, in.JobID)
	if err != nil {
		return err
	}
	if more {
		return a.JobQueue.Enqueue(ctx, in.JobID)
	}
	return nil
}

// OutboxPublisher relays outbox messages to the handoff and mail queues.
type OutboxPublisher struct{ Handoff, Mail *sqsqueue.Publisher }

// Publish sends one outbox message as a worker envelope.
func (o OutboxPublisher) Publish(ctx context.Context, m collab.OutboxMessage) error {
	env := worker.Envelope{Kind: m.Kind, ID: m.ID, Body: m.Body}
	switch m.Queue {
	case collab.QueueHandoff:
		return o.Handoff.Publish(ctx, env, m.Group)
	case collab.QueueMail:
		return o.Mail.Publish(ctx, env, "")
	}
	return fmt.Errorf("outbox message %s for unknown queue %q", m.ID, m.Queue)
}

func (a *App) handoff(ctx context.Context, m worker.Message) error {
	var h collab.HandoffMessage
	if err := json.Unmarshal(m.Body, &h); err != nil {
		return fmt.Errorf("decode handoff: %w", err)
	}
	if h.ItemID == "" || h.ProjectID == "" || h.TransitionID == "" {
		return fmt.Errorf("handoff message without item, project or transition")
	}
	return a.Service.Relay.Handoff(ctx, h)
}

// RelayAge is how old an outbox message must be before the sweeper relays
// it (younger ones are normally relayed at once by the request itself).
const RelayAge = 5 * time.Second

// SweepOutbox relays the outbox once, as the handoff function's schedule
// and cmd/local's ticker run it, and logs the messages it skipped or
// parked; the error is a sweep that could not read the outbox.
func (a *App) SweepOutbox(ctx context.Context) (collab.RelayReport, error) {
	rep, err := a.Service.Relay.RelayOutbox(ctx, RelayAge)
	if rep.Failed > 0 {
		a.Log.WarnContext(ctx, "outbox relay skipped messages it could not publish", "relayed", rep.Relayed,
			"failed", rep.Failed, "parked", rep.Parked, "held", rep.Held, "errors", rep.Errors)
	}
	return rep, err
}

// Sweep is what the handoff function's one-minute schedule runs (and
// cmd/local's ticker): the outbox relay, then the ends of time-boxed
// partnerships (warnings a day before, the stop when the end has come).
// Both always run; the error joins theirs.
func (a *App) Sweep(ctx context.Context) (collab.RelayReport, collab.EndsReport, error) {
	rep, err := a.SweepOutbox(ctx)
	ends, eerr := a.Service.Partners.EndDuePartnerships(ctx)
	cols, cerr := a.Service.Collaborators.EndDueCollaborations(ctx)
	ends.Warned, ends.Stopped, ends.Errors = ends.Warned+cols.Warned, ends.Stopped+cols.Stopped, append(ends.Errors, cols.Errors...)
	if eerr != nil || cerr != nil {
		a.Log.WarnContext(ctx, "partnership ends", "warned", ends.Warned, "stopped", ends.Stopped, "errors", ends.Errors)
	}
	return rep, ends, errors.Join(err, eerr, cerr)
}

// HandoffLambda serves the handoff function's two triggers: SQS batches
// from the review-handoff queue, and the scheduled sweep (Sweep).
func (a *App) HandoffLambda(c QueueConsumer) func(context.Context, json.RawMessage) (any, error) {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var probe struct {
			Records []json.RawMessage `json:"Records"`
		}
		if err := json.Unmarshal(raw, &probe); err == nil && len(probe.Records) > 0 {
			var ev events.SQSEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, err
			}
			return c.Handle(ctx, ev)
		}
		rep, ends, err := a.Sweep(ctx)
		return map[string]int{"relayed": rep.Relayed, "failed": rep.Failed, "parked": rep.Parked, "held": rep.Held,
			"partnershipsWarned": ends.Warned, "partnershipsStopped": ends.Stopped}, err
	}
}

// DynamoDBMeter counts a request's DynamoDB round trips and consumed
// capacity, logged with the request.
func DynamoDBMeter(ctx context.Context) (context.Context, func() []slog.Attr) {
	ctx, m := ddbstore.WithMeter(ctx)
	return ctx, func() []slog.Attr {
		trips, rcu, wcu := m.Totals()
		return []slog.Attr{slog.Int("ddbRoundTrips", trips), slog.Float64("rcu", rcu), slog.Float64("wcu", wcu)}
	}
}
