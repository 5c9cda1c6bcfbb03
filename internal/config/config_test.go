package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func base() map[string]string {
	return map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": "0123456789abcdef", "AUTH_MODE": "jwt",
		"DEV_JWT_SECRET": "s", "JWT_ISSUER": "i", "JWT_AUDIENCE": "a",
		"PUBLIC_BASE_URL": "https://api.example.com", "APP_BASE_URL": "https://app.example.com"}
}

func TestLoad(t *testing.T) {
	c, err := Load(env(base()))
	if err != nil {
		t.Fatal(err)
	}
	if c.AuthMode != AuthJWT || c.TableName != "t" || c.Local() {
		t.Fatalf("%+v", c)
	}
	gw := map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": "0123456789abcdef",
		"PUBLIC_BASE_URL": "https://api.example.com/", "APP_BASE_URL": "https://app.example.com"}
	if c, err := Load(env(gw)); err != nil || c.AuthMode != AuthGateway || c.PublicBaseURL != "https://api.example.com" {
		t.Fatalf("gateway default: %+v %v", c, err)
	}
}

func TestLoadFailsFast(t *testing.T) {
	cases := map[string]func(map[string]string){
		"no table":         func(m map[string]string) { delete(m, "TABLE_NAME") },
		"short cursor key": func(m map[string]string) { m["CURSOR_SECRET"] = "short" },
		"bad auth mode":    func(m map[string]string) { m["AUTH_MODE"] = "header" },
		"jwt without keys": func(m map[string]string) { delete(m, "DEV_JWT_SECRET") },
		"jwt with both":    func(m map[string]string) { m["JWKS_URL"] = "http://127.0.0.1/jwks" },
		"jwt without iss":  func(m map[string]string) { delete(m, "JWT_ISSUER") },
		"bad log level":    func(m map[string]string) { m["LOG_LEVEL"] = "LOUD" },
	}
	for name, mut := range cases {
		t.Run(name, func(t *testing.T) {
			m := base()
			mut(m)
			if _, err := Load(env(m)); err == nil || !strings.HasPrefix(err.Error(), "config:") {
				t.Fatalf("accepted: %v", err)
			}
		})
	}
}

func TestLocalRequiresLoopbackEndpoints(t *testing.T) {
	cases := []struct {
		ddb, sqs string
		local    bool
	}{
		{"http://127.0.0.1:8000", "http://127.0.0.1:9324", true},
		{"http://localhost:8000", "http://LOCALHOST:9324", true},
		{"http://[::1]:8000", "https://127.0.0.2:9324", true},
		{"http://[::ffff:127.0.0.1]:8000", "http://127.0.0.1:9324", true},
		{"", "", false},
		{"http://127.0.0.1:8000", "", false},
		{"", "http://127.0.0.1:9324", false},
		{"https://dynamodb.us-east-1.amazonaws.com", "https://sqs.us-east-1.amazonaws.com", false},
		{"http://10.0.0.5:8000", "http://127.0.0.1:9324", false},
		{"http://127.0.0.1:8000", "http://0.0.0.0:9324", false},
		{"http://localhost.example.com:8000", "http://127.0.0.1:9324", false},
		{"http://127.0.0.1.nip.io:8000", "http://127.0.0.1:9324", false},
		{"http://127.0.0.1@evil.example:8000", "http://127.0.0.1:9324", false},
		{"http://evil.example/127.0.0.1", "http://127.0.0.1:9324", false},
		{"127.0.0.1:8000", "http://127.0.0.1:9324", false},
		{"ftp://127.0.0.1:8000", "http://127.0.0.1:9324", false},
		{"dynamodb-local:8000", "http://127.0.0.1:9324", false},
		{"http://dynamodb-local:8000", "http://sqs-local:9324", false},
	}
	for _, c := range cases {
		cfg := Config{DynamoDBEndpoint: c.ddb, SQSEndpoint: c.sqs}
		if got := cfg.Local(); got != c.local {
			t.Errorf("Local() with DynamoDB %q and SQS %q = %v, want %v", c.ddb, c.sqs, got, c.local)
		}
	}
}

func TestDefaultDevSecretOnlyInLocalRuns(t *testing.T) {
	local := func(m map[string]string) map[string]string {
		m["DYNAMODB_ENDPOINT"], m["SQS_ENDPOINT"] = "http://127.0.0.1:8000", "http://127.0.0.1:9324"
		return m
	}
	withDefault := func(m map[string]string) map[string]string {
		m["DEV_JWT_SECRET"] = DefaultDevJWTSecret
		return m
	}
	if c, err := Load(env(local(withDefault(base())))); err != nil || !c.Local() {
		t.Fatalf("local run with the default secret: %+v %v", c, err)
	}
	refused := map[string]map[string]string{
		"no endpoints": withDefault(base()),
		"remote endpoints": func() map[string]string {
			m := withDefault(base())
			m["DYNAMODB_ENDPOINT"], m["SQS_ENDPOINT"] = "http://dynamodb.internal:8000", "http://sqs.internal:9324"
			return m
		}(),
		"one loopback endpoint": func() map[string]string {
			m := withDefault(base())
			m["DYNAMODB_ENDPOINT"] = "http://127.0.0.1:8000"
			return m
		}(),
		"gateway mode": func() map[string]string {
			m := withDefault(base())
			m["AUTH_MODE"] = AuthGateway
			return m
		}(),
		"padded with spaces": func() map[string]string {
			m := base()
			m["DEV_JWT_SECRET"] = " " + DefaultDevJWTSecret + " "
			return m
		}(),
	}
	for name, m := range refused {
		t.Run(name, func(t *testing.T) {
			_, err := Load(env(m))
			if err == nil || !strings.HasPrefix(err.Error(), "config:") || !strings.Contains(err.Error(), "DEV_JWT_SECRET") {
				t.Fatalf("want a config error about DEV_JWT_SECRET, got %v", err)
			}
		})
	}
	// Another secret is fine anywhere.
	if _, err := Load(env(base())); err != nil {
		t.Fatal(err)
	}
}

func TestDevSignInOnlyInLocalRuns(t *testing.T) {
	local := func(m map[string]string) map[string]string {
		m["DYNAMODB_ENDPOINT"], m["SQS_ENDPOINT"] = "http://127.0.0.1:8000", "http://localhost:9324"
		return m
	}
	cases := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"local HS256", local(base()), true},
		{"local with the default secret", func() map[string]string {
			m := local(base())
			m["DEV_JWT_SECRET"] = DefaultDevJWTSecret
			return m
		}(), true},
		{"HS256 without local endpoints", base(), false},
		{"HS256 with remote endpoints", func() map[string]string {
			m := base()
			m["DYNAMODB_ENDPOINT"], m["SQS_ENDPOINT"] = "https://dynamodb.eu-west-1.amazonaws.com", "https://sqs.eu-west-1.amazonaws.com"
			return m
		}(), false},
		{"local RS256", func() map[string]string {
			m := local(base())
			delete(m, "DEV_JWT_SECRET")
			m["JWKS_URL"] = "http://127.0.0.1/jwks"
			return m
		}(), false},
		{"local gateway mode", func() map[string]string {
			m := local(base())
			m["AUTH_MODE"] = AuthGateway
			return m
		}(), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Load(env(c.env))
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.DevSignInAllowed(); got != c.want {
				t.Fatalf("DevSignInAllowed() = %v, want %v", got, c.want)
			}
		})
	}
}

func TestSignInURL(t *testing.T) {
	for _, ok := range []string{"https://idp.example.com/oauth2/authorize", "https://idp.example.com/authorize?client_id=abc&response_type=id_token"} {
		m := base()
		m["SIGNIN_URL"] = ok
		if _, err := Load(env(m)); err != nil {
			t.Errorf("SIGNIN_URL %q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"/authorize", "idp.example.com/authorize", "javascript:alert(1)", "https://idp.example.com/a#frag", "https://idp.example.com/a?x=%zz"} {
		m := base()
		m["SIGNIN_URL"] = bad
		if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), "SIGNIN_URL") {
			t.Errorf("SIGNIN_URL %q accepted: %v", bad, err)
		}
	}
}

// Only a transaction cancelled by conflicts alone is retried: a failed
// condition among the reasons is an answer, not a glitch.
func TestTransactionConflictOnly(t *testing.T) {
	reasons := func(codes ...string) error {
		var rs []ddbtypes.CancellationReason
		for _, c := range codes {
			rs = append(rs, ddbtypes.CancellationReason{Code: aws.String(c)})
		}
		return fmt.Errorf("op: %w", &ddbtypes.TransactionCanceledException{CancellationReasons: rs})
	}
	for _, tc := range []struct {
		err  error
		want aws.Ternary
	}{
		{reasons("TransactionConflict"), aws.TrueTernary},
		{reasons("None", "TransactionConflict", "None"), aws.TrueTernary},
		{reasons("None", "ConditionalCheckFailed"), aws.UnknownTernary},
		{reasons("TransactionConflict", "ConditionalCheckFailed"), aws.UnknownTernary},
		{reasons("None"), aws.UnknownTernary},
		{errors.New("other"), aws.UnknownTernary},
	} {
		if got := TransactionConflictOnly(tc.err); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.err, got, tc.want)
		}
	}
}
