// Package config reads the typed configuration from the environment (failing
// fast on bad values), reads the secrets the environment names by ARN
// (through a SecretReader: package smsecrets), and builds the AWS clients, with local endpoint overrides
// for DynamoDB Local and the SQS emulator.
package config

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"

	"github.com/annobridge/annobridge/internal/lambdafn"
	"github.com/annobridge/annobridge/internal/secretbox"
)

// Auth modes.
const (
	// AuthJWT: the function verifies the bearer token itself (local runs,
	// tests, or any deployment without a gateway authorizer).
	AuthJWT = "jwt"
	// AuthGateway: API Gateway's JWT authorizer verified the token; the
	// function reads the claims from the Lambda request context.
	AuthGateway = "apigw"
)

// Local defaults (README.md, "The two commands"); a local run (Local) that
// does not set them gets them.
const (
	DefaultDevJWTSecret = "annobridge-local-dev-secret"
	DefaultJWTIssuer    = "annobridge-local"
	DefaultJWTAudience  = "annobridge"
	// DevCursorSecret signs cursors in a local run without CURSOR_SECRET.
	DevCursorSecret = "annobridge-local-cursor-secret"
)

// MaxIdleConns is how many idle connections the AWS clients keep to each
// endpoint.
const MaxIdleConns = 128

// AWSMaxAttempts is how many times the AWS SDK tries a call.
const AWSMaxAttempts = 6

// Config is the whole configuration of a function or of the local server.
type Config struct {
	// APIOptions are extra middleware for every AWS client; never read from
	// the environment (tests install fault injection through it).
	APIOptions []func(*middleware.Stack) error

	Region    string
	TableName string

	// Local endpoints; empty in AWS.
	DynamoDBEndpoint       string
	SQSEndpoint            string
	SecretsManagerEndpoint string

	HandoffQueueURL string
	JobsQueueURL    string
	MailQueueURL    string
	// Events: the queue of webhook deliveries (the events function queues,
	// the webhooks function consumes), the EventBridge bus every event goes
	// to (AWS; empty: no bus), and the first retry's delay of a failed
	// delivery, doubled on each retry.
	WebhookQueueURL   string
	EventBusName      string
	WebhookRetryDelay time.Duration
	// WebhookDisableAfter: failed attempts in a row that disable a webhook
	// (WEBHOOK_DISABLE_AFTER; 0, the default: collab's).
	WebhookDisableAfter int

	AuthMode     string
	DevJWTSecret string
	JWKSURL      string
	JWTIssuer    string
	JWTAudience  string

	// CursorSecret signs pagination cursors: CURSOR_SECRET, or in AWS the
	// Secrets Manager secret CURSOR_SECRET_ARN names, read by ReadSecrets.
	CursorSecret    string
	CursorSecretARN string

	PublicBaseURL string
	MailOutboxDir string
	MailFrom      string
	SMTPAddr      string // local: send mail to this SMTP server instead of the outbox
	SignInURL     string // OIDC sign-in page for the acceptance page (AWS)
	AppBaseURL    string // where the acceptance page links projects
	LogLevel      slog.Level

	// ShareLinkKey seals share-link tokens at rest (SHARE_LINK_KEY, 32
	// bytes in base64, or in AWS the secret SHARE_LINK_KEY_ARN names, read
	// by ReadSecrets); in a local run without either, DevShareLinkKey.
	// Empty elsewhere without them: share links then cannot be enabled.
	ShareLinkKey    []byte
	ShareLinkKeyARN string
	// WebhookKey seals the webhooks' secrets at rest (WEBHOOK_KEY, or in
	// AWS the secret WEBHOOK_KEY_ARN names); in a local run without
	// either, DevWebhookKey. A key of its own: the webhooks function, which
	// posts to URLs its tenants choose, never holds the share-link key.
	WebhookKey    []byte
	WebhookKeyARN string
}

// Var is one environment variable Load reads.
type Var struct {
	Name string
	// Functions are the functions template.yaml sets it for, those that
	// read it in AWS; internal/app's template test holds the template to
	// this list both ways. None: set only in local runs and tests.
	Functions []string
	// Runtime: the Lambda runtime sets it, the template never does.
	Runtime bool
	// Empty: the template declares it with an empty value (a local
	// setting that only sam local fills in).
	Empty bool
}

// Vars lists every variable Load reads (a test fails when Load reads one
// that is not here) and which functions read it in AWS. A function sends
// only to the queues whose URLs it is given and reads only the secrets whose
// ARNs it is given; the template grants it exactly those.
var Vars = []Var{
	{Name: "AWS_REGION", Runtime: true},
	{Name: "TABLE_NAME", Functions: lambdafn.All},
	{Name: "LOG_LEVEL", Functions: lambdafn.All},
	{Name: "PUBLIC_BASE_URL", Functions: lambdafn.All},
	{Name: "APP_BASE_URL", Functions: lambdafn.All},
	// Local endpoints: declared empty for every function, because
	// sam local's --env-vars may set only the variables the template
	// declares (docs/deploy.md, "sam local").
	{Name: "DYNAMODB_ENDPOINT", Functions: lambdafn.All, Empty: true},
	{Name: "SQS_ENDPOINT", Functions: lambdafn.All, Empty: true},
	{Name: "AUTH_MODE", Functions: lambdafn.HTTP},
	// The review outbox (review, and the handoff function's relay and
	// sweep) publishes crossings to the handoff queue and notices to the
	// mail queue.
	{Name: "HANDOFF_QUEUE_URL", Functions: []string{lambdafn.Review, lambdafn.Handoff}},
	// Jobs start from collaborators (add all users, remove a collaborator,
	// stop a partner, retry), review (distribute a task) and the handoff
	// function's sweep (a time-boxed partnership's stop); a job's run
	// queues its next run.
	// Membership rejects waiting partnerships and collaborations (a stop or
	// removal job).
	{Name: "JOBS_QUEUE_URL", Functions: []string{lambdafn.Membership, lambdafn.Collaborators, lambdafn.Review, lambdafn.Jobs, lambdafn.Handoff}},
	// Invitations and "added" notices (membership, invite), the outbox's
	// notices (review, handoff), and the notices jobs send (a stopped
	// collaboration, assigned task items).
	{Name: "MAIL_QUEUE_URL", Functions: []string{lambdafn.Membership, lambdafn.Invite, lambdafn.Review, lambdafn.Handoff, lambdafn.Jobs}},
	// The events function queues each event's webhook deliveries and puts
	// it on the bus; the webhooks function delivers.
	{Name: "WEBHOOK_QUEUE_URL", Functions: []string{lambdafn.Events, lambdafn.Webhooks}},
	{Name: "EVENT_BUS_NAME", Functions: []string{lambdafn.Events}},
	{Name: "WEBHOOK_RETRY_DELAY", Functions: []string{lambdafn.Webhooks}},
	// Every function that lists reads the cursor key; the mailer and the
	// events and webhooks functions list nothing.
	{Name: "CURSOR_SECRET_ARN", Functions: without(lambdafn.All, lambdafn.Mailer, lambdafn.Events, lambdafn.Webhooks)},
	// Only the invite function makes and reads share links.
	{Name: "SHARE_LINK_KEY_ARN", Functions: []string{lambdafn.Invite}},
	// The webhooks' key: membership seals the secrets of the webhooks it
	// registers, the webhooks function opens them to sign.
	{Name: "WEBHOOK_KEY_ARN", Functions: []string{lambdafn.Membership, lambdafn.Webhooks}},
	// The acceptance page's sign-in and session.
	{Name: "SIGNIN_URL", Functions: []string{lambdafn.Accept}},
	{Name: "JWKS_URL", Functions: []string{lambdafn.Accept}},
	{Name: "JWT_ISSUER", Functions: []string{lambdafn.Accept}},
	{Name: "JWT_AUDIENCE", Functions: []string{lambdafn.Accept}},
	{Name: "MAIL_FROM", Functions: []string{lambdafn.Mailer}},
	// Local runs and tests only.
	{Name: "SECRETSMANAGER_ENDPOINT"},
	{Name: "DEV_JWT_SECRET"},
	{Name: "CURSOR_SECRET"},
	{Name: "SHARE_LINK_KEY"},
	{Name: "WEBHOOK_KEY"},
	{Name: "WEBHOOK_DISABLE_AFTER"},
	{Name: "MAIL_OUTBOX_DIR"},
	{Name: "SMTP_ADDR"},
}

func without(fns []string, drop ...string) []string {
	var out []string
	for _, fn := range fns {
		if !slices.Contains(drop, fn) {
			out = append(out, fn)
		}
	}
	return out
}

// FunctionVars returns the variables template.yaml sets for the function fn.
func FunctionVars(fn string) []string {
	var out []string
	for _, v := range Vars {
		if slices.Contains(v.Functions, fn) {
			out = append(out, v.Name)
		}
	}
	return out
}

// reads reports whether any of the functions fns reads the variable name
// in AWS.
func reads(fns []string, name string) bool {
	for _, v := range Vars {
		if v.Name == name {
			return slices.ContainsFunc(fns, func(fn string) bool { return slices.Contains(v.Functions, fn) })
		}
	}
	return false
}

// Getenv looks a variable up; os.Getenv in production, a map in tests.
type Getenv func(string) string

// FromEnv reads the configuration of the function fn from the process
// environment.
func FromEnv(fn string) (Config, error) { return LoadFunction(fn, os.Getenv) }

// Load reads the configuration of the whole API (every function, as the
// local server and the tests run it) through getenv.
func Load(getenv Getenv) (Config, error) { return load(getenv, lambdafn.All) }

// LoadFunction reads the configuration of the function fn through getenv:
// what only other functions need (the cursor key, for the mailer) is not
// required.
func LoadFunction(fn string, getenv Getenv) (Config, error) {
	if !slices.Contains(lambdafn.All, fn) {
		return Config{}, fmt.Errorf("config: no function %q", fn)
	}
	return load(getenv, []string{fn})
}

func load(getenv Getenv, fns []string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Region:                 get("AWS_REGION", "us-east-1"),
		TableName:              get("TABLE_NAME", ""),
		DynamoDBEndpoint:       get("DYNAMODB_ENDPOINT", ""),
		SQSEndpoint:            get("SQS_ENDPOINT", ""),
		SecretsManagerEndpoint: get("SECRETSMANAGER_ENDPOINT", ""),
		HandoffQueueURL:        get("HANDOFF_QUEUE_URL", ""),
		JobsQueueURL:           get("JOBS_QUEUE_URL", ""),
		MailQueueURL:           get("MAIL_QUEUE_URL", ""),
		WebhookQueueURL:        get("WEBHOOK_QUEUE_URL", ""),
		EventBusName:           get("EVENT_BUS_NAME", ""),
		AuthMode:               get("AUTH_MODE", AuthGateway),
		DevJWTSecret:           get("DEV_JWT_SECRET", ""),
		JWKSURL:                get("JWKS_URL", ""),
		JWTIssuer:              get("JWT_ISSUER", ""),
		JWTAudience:            get("JWT_AUDIENCE", ""),
		CursorSecret:           get("CURSOR_SECRET", ""),
		CursorSecretARN:        get("CURSOR_SECRET_ARN", ""),
		ShareLinkKeyARN:        get("SHARE_LINK_KEY_ARN", ""),
		WebhookKeyARN:          get("WEBHOOK_KEY_ARN", ""),
		PublicBaseURL:          strings.TrimRight(get("PUBLIC_BASE_URL", ""), "/"),
		MailOutboxDir:          get("MAIL_OUTBOX_DIR", ".local/outbox"),
		MailFrom:               get("MAIL_FROM", "annobridge <no-reply@annobridge.local>"),
		SignInURL:              get("SIGNIN_URL", ""),
		SMTPAddr:               get("SMTP_ADDR", ""),
		AppBaseURL:             strings.TrimRight(get("APP_BASE_URL", ""), "/"),
	}
	var errs []error
	if v := get("WEBHOOK_DISABLE_AFTER", ""); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 100000 {
			errs = append(errs, errors.New("WEBHOOK_DISABLE_AFTER must be a whole number from 1 to 100000"))
		} else {
			c.WebhookDisableAfter = n
		}
	}
	if d, err := time.ParseDuration(get("WEBHOOK_RETRY_DELAY", "30s")); err != nil || d < time.Second || d > 15*time.Minute {
		errs = append(errs, errors.New("WEBHOOK_RETRY_DELAY must be a duration from 1s to 15m"))
	} else {
		c.WebhookRetryDelay = d
	}
	if c.TableName == "" {
		errs = append(errs, errors.New("TABLE_NAME is required"))
	}
	// Outside a local run, links in mail and the acceptance page's
	// redirect_uri and cookies need absolute base URLs: never relative
	// links, never a Secure flag guessed from a request.
	for _, b := range []struct{ name, value string }{{"PUBLIC_BASE_URL", c.PublicBaseURL}, {"APP_BASE_URL", c.AppBaseURL}} {
		if err := checkBaseURL(b.value); err != nil && (b.value != "" || !c.Local()) {
			errs = append(errs, fmt.Errorf("%s: %w", b.name, err))
		}
	}
	switch c.AuthMode {
	case AuthGateway:
	case AuthJWT:
		if c.Local() {
			// A local run (make run, or sam local against loopback
			// endpoints) may leave the development defaults out.
			if c.DevJWTSecret == "" && c.JWKSURL == "" {
				c.DevJWTSecret = DefaultDevJWTSecret
			}
			c.JWTIssuer = cmp.Or(c.JWTIssuer, DefaultJWTIssuer)
			c.JWTAudience = cmp.Or(c.JWTAudience, DefaultJWTAudience)
		}
		if c.JWTIssuer == "" || c.JWTAudience == "" {
			errs = append(errs, errors.New("AUTH_MODE=jwt needs JWT_ISSUER and JWT_AUDIENCE"))
		}
		if (c.DevJWTSecret == "") == (c.JWKSURL == "") {
			errs = append(errs, errors.New("AUTH_MODE=jwt needs exactly one of DEV_JWT_SECRET (HS256) and JWKS_URL (RS256)"))
		}
	default:
		errs = append(errs, fmt.Errorf("AUTH_MODE %q is neither %q nor %q", c.AuthMode, AuthJWT, AuthGateway))
	}
	if c.DevJWTSecret == DefaultDevJWTSecret && !c.Local() {
		errs = append(errs, errors.New("DEV_JWT_SECRET is the published development default; it is accepted only in a local run (DYNAMODB_ENDPOINT and SQS_ENDPOINT on loopback)"))
	}
	if c.SignInURL != "" {
		if err := checkSignInURL(c.SignInURL); err != nil {
			errs = append(errs, fmt.Errorf("SIGNIN_URL: %w", err))
		}
	}
	// The cursor key: the value (local runs, tests) or the ARN of the
	// secret holding it (AWS), which ReadSecrets reads.
	switch {
	case c.CursorSecret != "" && c.CursorSecretARN != "":
		errs = append(errs, errors.New("set one of CURSOR_SECRET and CURSOR_SECRET_ARN, not both"))
	case c.CursorSecretARN != "":
	case c.CursorSecret == "" && c.Local():
		c.CursorSecret = DevCursorSecret
	case c.CursorSecret != "" || reads(fns, "CURSOR_SECRET_ARN"):
		if err := checkCursorSecret(c.CursorSecret); err != nil {
			errs = append(errs, fmt.Errorf("CURSOR_SECRET %w", err))
		}
	}
	switch raw := getenv("WEBHOOK_KEY"); {
	case strings.TrimSpace(raw) != "" && c.WebhookKeyARN != "":
		errs = append(errs, errors.New("set one of WEBHOOK_KEY and WEBHOOK_KEY_ARN, not both"))
	case strings.TrimSpace(raw) != "":
		key, err := c.parseKey(raw, DevWebhookKey())
		if err != nil {
			errs = append(errs, fmt.Errorf("WEBHOOK_KEY %w", err))
		}
		c.WebhookKey = key
	case c.WebhookKeyARN == "" && c.Local():
		c.WebhookKey = DevWebhookKey()
	}
	switch raw := getenv("SHARE_LINK_KEY"); {
	case strings.TrimSpace(raw) != "" && c.ShareLinkKeyARN != "":
		errs = append(errs, errors.New("set one of SHARE_LINK_KEY and SHARE_LINK_KEY_ARN, not both"))
	case strings.TrimSpace(raw) != "":
		key, err := c.parseShareLinkKey(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("SHARE_LINK_KEY %w", err))
		}
		c.ShareLinkKey = key
	case c.ShareLinkKeyARN == "" && c.Local():
		c.ShareLinkKey = DevShareLinkKey()
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL", "INFO"))); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

func checkCursorSecret(s string) error {
	if len(s) < 16 {
		return errors.New("must be at least 16 characters")
	}
	return nil
}

// parseShareLinkKey parses a share-link key, never repeating it in an error.
func (c Config) parseShareLinkKey(raw string) ([]byte, error) {
	return c.parseKey(raw, DevShareLinkKey())
}

// parseKey parses a sealing key, refusing its development value (dev)
// outside a local run, never repeating it in an error.
func (c Config) parseKey(raw string, dev []byte) ([]byte, error) {
	key, err := secretbox.ParseKey(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: it must be 32 random bytes in base64", err)
	case bytes.Equal(key, dev) && !c.Local():
		return nil, errors.New("is the development key; it is accepted only in a local run")
	}
	return key, nil
}

// DevShareLinkKey is the fixed key that seals share-link tokens in a local
// run without SHARE_LINK_KEY. Anyone can derive it from this source, so it
// is refused anywhere else (as the development JWT secret is).
func DevShareLinkKey() []byte {
	k := sha256.Sum256([]byte("annobridge-local-share-link-key"))
	return k[:]
}

// DevWebhookKey is the fixed key that seals webhook secrets in a local run
// without WEBHOOK_KEY; refused anywhere else.
func DevWebhookKey() []byte {
	k := sha256.Sum256([]byte("annobridge-local-webhook-key"))
	return k[:]
}

// Local reports whether the configuration is a local run: both the
// DynamoDB and the SQS endpoint are set and name a loopback host (localhost,
// 127.0.0.0/8 or ::1). Only a local run may use the published development
// secret and offer the development sign-in.
func (c Config) Local() bool { return loopback(c.DynamoDBEndpoint) && loopback(c.SQSEndpoint) }

// DevSignInAllowed reports whether the acceptance page may offer the
// development sign-in, which mints a token for any email: only in a local
// run that verifies HS256 tokens itself.
func (c Config) DevSignInAllowed() bool {
	return c.AuthMode == AuthJWT && c.DevJWTSecret != "" && c.Local()
}

// loopback reports whether endpoint is an http(s) URL whose host is a
// loopback name or address.
func loopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Opaque != "" {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}

// checkSignInURL checks that the OIDC sign-in URL is an absolute http(s) URL
// without a fragment whose query string parses, so that the acceptance page
// can add its parameters to it.
func checkSignInURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	if u.Fragment != "" {
		return fmt.Errorf("%q has a fragment", s)
	}
	if _, err := url.ParseQuery(u.RawQuery); err != nil {
		return fmt.Errorf("query string: %w", err)
	}
	return nil
}

// checkBaseURL checks a public base URL: absolute http(s), no query string
// or fragment, so that paths can be appended to it.
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return errors.New("is required outside a local run (template parameters PublicBaseUrl and AppBaseUrl)")
	case err != nil:
		return fmt.Errorf("not a URL: %w", err)
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil:
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return fmt.Errorf("%q has a query string or a fragment", s)
	}
	return nil
}

// SecretReader reads a secret's string value by ARN: Secrets Manager's
// GetSecretValue (smsecrets.Reader, which only the functions given an ARN
// link); ok is false for a secret without a string value. This package
// imports no Secrets Manager client, so a function that reads no secret
// does not link one.
type SecretReader interface {
	SecretString(ctx context.Context, arn string) (value string, ok bool, err error)
}

// NeedsSecrets reports whether the environment names secrets by ARN that
// ReadSecrets must read before the configuration is complete.
func (c Config) NeedsSecrets() bool {
	return c.CursorSecretARN != "" || c.ShareLinkKeyARN != "" || c.WebhookKeyARN != ""
}

// ReadSecrets reads the secrets the environment names by ARN
// (CURSOR_SECRET_ARN, SHARE_LINK_KEY_ARN), each with one GetSecretValue,
// and checks them as Load checks the plain values. A function calls it once
// per cold start (app.New) and keeps the values for the life of its
// execution environment; a rotated secret is read by the next cold start
// (docs/operations.md). Errors name the variable, never the value.
func (c *Config) ReadSecrets(ctx context.Context, sm SecretReader) error {
	read := func(name, arn string) (string, error) {
		v, ok, err := sm.SecretString(ctx, arn)
		if err != nil {
			return "", fmt.Errorf("config: read the secret %s names: %w", name, err)
		}
		if !ok {
			return "", fmt.Errorf("config: the secret %s names has no string value", name)
		}
		return strings.TrimSpace(v), nil
	}
	if c.CursorSecretARN != "" {
		v, err := read("CURSOR_SECRET_ARN", c.CursorSecretARN)
		if err != nil {
			return err
		}
		if err := checkCursorSecret(v); err != nil {
			return fmt.Errorf("config: the secret CURSOR_SECRET_ARN names %w", err)
		}
		c.CursorSecret = v
	}
	if c.ShareLinkKeyARN != "" {
		v, err := read("SHARE_LINK_KEY_ARN", c.ShareLinkKeyARN)
		if err != nil {
			return err
		}
		key, err := c.parseShareLinkKey(v)
		if err != nil {
			return fmt.Errorf("config: the secret SHARE_LINK_KEY_ARN names %w", err)
		}
		c.ShareLinkKey = key
	}
	if c.WebhookKeyARN != "" {
		v, err := read("WEBHOOK_KEY_ARN", c.WebhookKeyARN)
		if err != nil {
			return err
		}
		key, err := c.parseKey(v, DevWebhookKey())
		if err != nil {
			return fmt.Errorf("config: the secret WEBHOOK_KEY_ARN names %w", err)
		}
		c.WebhookKey = key
	}
	return nil
}

// AWS builds the SDK configuration. It is built here rather than by the
// SDK's config.LoadDefaultConfig, whose credential chain (shared files,
// SSO, STS web identity, the container and instance endpoints) links the
// SSO, SSO OIDC, sign-in and STS clients into every function and starts
// them in every cold start (docs/benchmarks.md, "Cold start"). What it
// resolves is what LoadDefaultConfig resolves where these binaries run
// (config_test holds the two to the same requests):
//
//   - the region: AWS_REGION (Load);
//   - in AWS, the credentials the Lambda runtime puts in the environment
//     (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; the
//     SDK's aliases AWS_ACCESS_KEY and AWS_SECRET_KEY, and AWS_ACCOUNT_ID),
//     read once, as LoadDefaultConfig reads them. No other source is
//     tried: an environment without them fails each call, naming them;
//   - against local endpoints (Local), static dummy credentials, and no
//     account-based endpoints;
//   - the SDK's standard logger on stderr, and LoadDefaultConfig's
//     defaults for account-based endpoints (preferred), checksums (when
//     supported), request compression (from 10 KiB) and the defaults mode
//     (legacy).
//
// The SDK settings only shared config files or other AWS_* variables hold
// (a profile, AWS_ENDPOINT_URL_*, FIPS or dual-stack endpoints, a CA
// bundle, AWS_DEFAULTS_MODE) are not read: the template sets none, and
// this configuration's own endpoints are DYNAMODB_ENDPOINT, SQS_ENDPOINT
// and SECRETSMANAGER_ENDPOINT.
func (c Config) AWS(context.Context) (aws.Config, error) {
	cfg := aws.Config{
		Region: c.Region,
		Logger: logging.NewStandardLogger(os.Stderr),
		// LoadDefaultConfig's defaults where nothing configures them.
		AccountIDEndpointMode:       aws.AccountIDEndpointModePreferred,
		RequestChecksumCalculation:  aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation:  aws.ResponseChecksumValidationWhenSupported,
		RequestMinCompressSizeBytes: 10240,
		DefaultsMode:                aws.DefaultsModeLegacy,
		RestrictFilePermissions:     aws.RestrictFilePermissionsUserReadWrite,
		// More attempts than the SDK's default 3 (with its backoff): a
		// throttled or failed call is retried in place before the request
		// or the queue message is given up. A transaction cancelled only
		// by conflicts with other transactions is retried too (DynamoDB's
		// advice; the SDK does not by itself): it did not apply, and its
		// conditions are checked again on the retry.
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = AWSMaxAttempts
				o.Retryables = append(slices.Clone(o.Retryables), retry.IsErrorRetryableFunc(TransactionConflictOnly))
			})
		},
		// Keep as many idle connections to an endpoint as requests run at
		// once: the SDK's 10 made a loaded API open and close connections,
		// its p99 1.3× the raw calls' (docs/benchmarks.md); with the pool
		// it matched them.
		HTTPClient: awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = MaxIdleConns
			t.MaxIdleConnsPerHost = MaxIdleConns
		}),
	}
	if len(c.APIOptions) > 0 {
		cfg.APIOptions = append(cfg.APIOptions, c.APIOptions...)
	}
	if c.Local() {
		cfg.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("local", "local", ""))
		cfg.AccountIDEndpointMode = aws.AccountIDEndpointModeDisabled
	} else {
		cfg.Credentials = aws.NewCredentialsCache(environmentCredentials())
	}
	return cfg, nil
}

// environmentCredentials are the credentials in the process environment,
// as the SDK's environment configuration reads them.
func environmentCredentials() aws.CredentialsProvider {
	first := func(names ...string) string {
		for _, n := range names {
			if v := os.Getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	v := aws.Credentials{Source: "EnvConfigCredentials",
		AccessKeyID: first("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"), SecretAccessKey: first("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")}
	if !v.HasKeys() {
		return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (in Lambda the runtime sets them)")
		})
	}
	v.AccountID, v.SessionToken = os.Getenv("AWS_ACCOUNT_ID"), os.Getenv("AWS_SESSION_TOKEN")
	return credentials.StaticCredentialsProvider{Value: v, Source: []aws.CredentialSource{aws.CredentialSourceEnvVars}}
}

// TransactionConflictOnly says a transaction cancelled only because other
// transactions held its items (every reason TransactionConflict or None) is
// retryable; anything else is left to the SDK's other rules.
func TransactionConflictOnly(err error) aws.Ternary {
	var tce *ddbtypes.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) == 0 {
		return aws.UnknownTernary
	}
	conflict := false
	for _, r := range tce.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "TransactionConflict":
			conflict = true
		case "None", "":
		default:
			return aws.UnknownTernary // a condition failed, or worse: not a retry's business
		}
	}
	if conflict {
		return aws.TrueTernary
	}
	return aws.UnknownTernary
}

// DynamoDB builds the DynamoDB client. Only for a local endpoint does it turn
// response-checksum validation off (DynamoDB Local's error responses carry
// no CRC header).
func (c Config) DynamoDB(cfg aws.Config) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if c.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(c.DynamoDBEndpoint)
			o.DisableValidateResponseChecksum = true
		}
	})
}

// SQS builds the SQS client.
func (c Config) SQS(cfg aws.Config) *sqs.Client {
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if c.SQSEndpoint != "" {
			o.BaseEndpoint = aws.String(c.SQSEndpoint)
		}
	})
}

// Logger returns the JSON logger at the configured level.
func (c Config) Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: c.LogLevel}))
}
