package config

import (
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/annobridge/annobridge/internal/config/smsecrets"
)

// recorder answers every call with a client error the SDK does not retry
// and keeps the requests.
type recorder struct{ reqs []*http.Request }

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	r.reqs = append(r.reqs, req)
	const body = `{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"recorded"}`
	return &http.Response{StatusCode: 400, Request: req, Body: io.NopCloser(strings.NewReader(body)),
		Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amz-Crc32": {strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10)}}}, nil
}

// Config.AWS builds the SDK configuration without config.LoadDefaultConfig;
// in the environments the functions run in (Lambda's: credentials in the
// environment, no shared files; and a local run), the DynamoDB, SQS and
// Secrets Manager calls it makes are the calls LoadDefaultConfig's
// configuration made with the same options: the same URL, signing
// credentials and scope, security token, headers and body, the same
// retryer, and the same credentials.
func TestAWSConfigIsWhatLoadDefaultConfigResolved(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
	for _, name := range []string{"AWS_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_ACCOUNT_ID", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB",
		"AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_DEFAULTS_MODE", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_CA_BUNDLE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_SDK_UA_APP_ID"} {
		t.Setenv(name, "")
	}
	// The Lambda runtime's variables.
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_DEFAULT_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLEEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "lambda-secret-access-key")
	t.Setenv("AWS_SESSION_TOKEN", "lambda-session-token")
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "annobridge-review")
	t.Setenv("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023")

	ctx := context.Background()
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"lambda", map[string]string{"AWS_REGION": "eu-west-1"}},
		{"local", map[string]string{"AWS_REGION": "eu-west-1", "DYNAMODB_ENDPOINT": "http://127.0.0.1:8000", "SQS_ENDPOINT": "http://127.0.0.1:9324",
			"SECRETSMANAGER_ENDPOINT": "http://127.0.0.1:9325"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			delete(m, "DYNAMODB_ENDPOINT")
			delete(m, "SQS_ENDPOINT")
			for k, v := range tc.env {
				m[k] = v
			}
			c, err := Load(env(m))
			if err != nil {
				t.Fatal(err)
			}
			if c.Local() != (tc.name == "local") {
				t.Fatalf("Local() = %v", c.Local())
			}
			c.APIOptions = nil
			got, err := c.AWS(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want, err := c.loadDefaultConfig(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// Every plain setting is the same.
			gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
			for i := range gv.NumField() {
				f := gv.Type().Field(i)
				switch f.Type.Kind() {
				case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Struct:
					if fmt.Sprint(gv.Field(i).Interface()) != fmt.Sprint(wv.Field(i).Interface()) {
						t.Errorf("%s = %v, LoadDefaultConfig's %v", f.Name, gv.Field(i).Interface(), wv.Field(i).Interface())
					}
				}
			}
			if got.Retryer().MaxAttempts() != AWSMaxAttempts || want.Retryer().MaxAttempts() != AWSMaxAttempts {
				t.Errorf("attempts %d/%d", got.Retryer().MaxAttempts(), want.Retryer().MaxAttempts())
			}
			gc, err := got.Credentials.Retrieve(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wc, err := want.Credentials.Retrieve(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if gc != wc {
				t.Errorf("credentials\n got %+v\nwant %+v", gc, wc)
			}

			calls := func(cfg aws.Config) []*http.Request {
				rec := &recorder{}
				cfg.HTTPClient = rec
				_, _ = c.DynamoDB(cfg).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]ddbtypes.AttributeValue{"PK": &ddbtypes.AttributeValueMemberS{Value: "k"}}})
				_, _ = c.SQS(cfg).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String("https://sqs.eu-west-1.amazonaws.com/123456789012/q"), MessageBody: aws.String("b")})
				_, _, _ = smsecrets.New(cfg, c.SecretsManagerEndpoint).SecretString(ctx, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s")
				return rec.reqs
			}
			g, w := calls(got), calls(want)
			if len(g) != 3 || len(w) != 3 {
				t.Fatalf("%d and %d requests, want 3 each", len(g), len(w))
			}
			signature := regexp.MustCompile(`Signature=[0-9a-f]+`)
			for i := range g {
				gr, wr := g[i], w[i]
				if gr.Method != wr.Method || gr.URL.String() != wr.URL.String() {
					t.Errorf("request %d: %s %s, want %s %s", i, gr.Method, gr.URL, wr.Method, wr.URL)
				}
				for _, h := range []string{"X-Amz-Date", "Amz-Sdk-Invocation-Id", "Authorization"} {
					if (gr.Header.Get(h) == "") != (wr.Header.Get(h) == "") {
						t.Errorf("request %d: %s %q, want %q", i, h, gr.Header.Get(h), wr.Header.Get(h))
					}
				}
				// The signature and the time differ by the clock; the
				// credential scope and the signed headers do not.
				if ga, wa := signature.ReplaceAllString(strings.ReplaceAll(gr.Header.Get("Authorization"), gr.Header.Get("X-Amz-Date")[:8], "DATE"), ""),
					signature.ReplaceAllString(strings.ReplaceAll(wr.Header.Get("Authorization"), wr.Header.Get("X-Amz-Date")[:8], "DATE"), ""); ga != wa {
					t.Errorf("request %d: Authorization\n got %s\nwant %s", i, ga, wa)
				}
				gh, wh := gr.Header.Clone(), wr.Header.Clone()
				for _, h := range []string{"X-Amz-Date", "Amz-Sdk-Invocation-Id", "Authorization"} {
					gh.Del(h)
					wh.Del(h)
				}
				for k := range wh {
					if strings.Join(gh[k], ",") != strings.Join(wh[k], ",") {
						t.Errorf("request %d: %s\n got %q\nwant %q", i, k, gh[k], wh[k])
					}
				}
				for k := range gh {
					if _, ok := wh[k]; !ok {
						t.Errorf("request %d: extra header %s %q", i, k, gh[k])
					}
				}
				gb, _ := io.ReadAll(gr.Body)
				wb, _ := io.ReadAll(wr.Body)
				if string(gb) != string(wb) {
					t.Errorf("request %d: body %s, want %s", i, gb, wb)
				}
			}
		})
	}
}

// Outside a local run the credentials come from the environment alone:
// without them every call fails, naming the variables.
func TestAWSConfigWithoutCredentials(t *testing.T) {
	for _, name := range []string{"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"} {
		t.Setenv(name, "")
	}
	c, err := Load(env(base()))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.AWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Credentials.Retrieve(context.Background()); err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
		t.Fatalf("credentials without the environment's: %v", err)
	}
}

// loadDefaultConfig is how Config.AWS built the configuration before: the
// SDK's LoadDefaultConfig with the same region, retryer, HTTP client and
// options.
func (c Config) loadDefaultConfig(ctx context.Context) (aws.Config, error) {
	plain, _ := c.AWS(ctx)
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(c.Region), awsconfig.WithRetryer(plain.Retryer),
		awsconfig.WithHTTPClient(plain.HTTPClient)}
	if c.Local() {
		opts = append(opts,
			awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")),
			awsconfig.WithAccountIDEndpointMode(aws.AccountIDEndpointModeDisabled))
	}
	if len(c.APIOptions) > 0 {
		opts = append(opts, awsconfig.WithAPIOptions(c.APIOptions))
	}
	return awsconfig.LoadDefaultConfig(ctx, opts...)
}
