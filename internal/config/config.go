// Package config reads the typed configuration from the environment (failing
// fast on bad values) and builds the AWS clients, with local endpoint
// overrides for DynamoDB Local and the SQS emulator.
package config

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

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

// Local defaults (README.md, "The two commands").
const (
	DefaultDevJWTSecret = "annobridge-local-dev-secret"
	DefaultJWTIssuer    = "annobridge-local"
	DefaultJWTAudience  = "annobridge"
)

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
	DynamoDBEndpoint string
	SQSEndpoint      string

	HandoffQueueURL string
	JobsQueueURL    string
	MailQueueURL    string

	AuthMode     string
	DevJWTSecret string
	JWKSURL      string
	JWTIssuer    string
	JWTAudience  string

	CursorSecret  string
	PublicBaseURL string
	MailOutboxDir string
	MailFrom      string
	SMTPAddr      string // local: send mail to this SMTP server instead of the outbox
	SignInURL     string // OIDC sign-in page for the acceptance page (AWS)
	AppBaseURL    string // where the acceptance page links projects
	LogLevel      slog.Level

	// ShareLinkKey seals share-link tokens at rest (SHARE_LINK_KEY, 32
	// bytes in base64); in a local run without it, DevShareLinkKey. Empty
	// elsewhere without it: share links then cannot be enabled.
	ShareLinkKey []byte
}

// Getenv looks a variable up; os.Getenv in production, a map in tests.
type Getenv func(string) string

// FromEnv reads the configuration from the process environment.
func FromEnv() (Config, error) { return Load(os.Getenv) }

// Load reads the configuration through getenv.
func Load(getenv Getenv) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Region:           get("AWS_REGION", "us-east-1"),
		TableName:        get("TABLE_NAME", ""),
		DynamoDBEndpoint: get("DYNAMODB_ENDPOINT", ""),
		SQSEndpoint:      get("SQS_ENDPOINT", ""),
		HandoffQueueURL:  get("HANDOFF_QUEUE_URL", ""),
		JobsQueueURL:     get("JOBS_QUEUE_URL", ""),
		MailQueueURL:     get("MAIL_QUEUE_URL", ""),
		AuthMode:         get("AUTH_MODE", AuthGateway),
		DevJWTSecret:     get("DEV_JWT_SECRET", ""),
		JWKSURL:          get("JWKS_URL", ""),
		JWTIssuer:        get("JWT_ISSUER", ""),
		JWTAudience:      get("JWT_AUDIENCE", ""),
		CursorSecret:     get("CURSOR_SECRET", ""),
		PublicBaseURL:    strings.TrimRight(get("PUBLIC_BASE_URL", ""), "/"),
		MailOutboxDir:    get("MAIL_OUTBOX_DIR", ".local/outbox"),
		MailFrom:         get("MAIL_FROM", "annobridge <no-reply@annobridge.local>"),
		SignInURL:        get("SIGNIN_URL", ""),
		SMTPAddr:         get("SMTP_ADDR", ""),
		AppBaseURL:       strings.TrimRight(get("APP_BASE_URL", ""), "/"),
	}
	var errs []error
	if c.TableName == "" {
		errs = append(errs, errors.New("TABLE_NAME is required"))
	}
	switch c.AuthMode {
	case AuthGateway:
	case AuthJWT:
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
	if len(c.CursorSecret) < 16 {
		errs = append(errs, errors.New("CURSOR_SECRET must be at least 16 characters"))
	}
	switch raw := getenv("SHARE_LINK_KEY"); {
	case strings.TrimSpace(raw) != "":
		key, err := secretbox.ParseKey(raw)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("SHARE_LINK_KEY %w: it must be 32 random bytes in base64", err))
		case bytes.Equal(key, DevShareLinkKey()) && !c.Local():
			errs = append(errs, errors.New("SHARE_LINK_KEY is the development key; it is accepted only in a local run"))
		default:
			c.ShareLinkKey = key
		}
	case c.Local():
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

// DevShareLinkKey is the fixed key that seals share-link tokens in a local
// run without SHARE_LINK_KEY. Anyone can derive it from this source, so it
// is refused anywhere else (as the development JWT secret is).
func DevShareLinkKey() []byte {
	k := sha256.Sum256([]byte("annobridge-local-share-link-key"))
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

// AWS loads the SDK configuration. Against local endpoints it uses static
// dummy credentials and does not resolve account-based endpoints.
func (c Config) AWS(ctx context.Context) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(c.Region)}
	if c.Local() {
		opts = append(opts,
			awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")),
			awsconfig.WithAccountIDEndpointMode(aws.AccountIDEndpointModeDisabled),
		)
	}
	// More attempts than the SDK's default 3 (with its backoff): a
	// throttled or failed call is retried in place before the request or
	// the queue message is given up.
	opts = append(opts, awsconfig.WithRetryMaxAttempts(AWSMaxAttempts))
	if len(c.APIOptions) > 0 {
		opts = append(opts, awsconfig.WithAPIOptions(c.APIOptions))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load aws config: %w", err)
	}
	return cfg, nil
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
