package config

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/annobridge/annobridge/internal/config/smsecrets"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

// Every variable Load reads is in Vars, and every one in Vars is read: a
// variable added to Load without saying which functions read it (and so
// without the template setting it) fails here.
func TestVarsListEveryVariableLoadReads(t *testing.T) {
	read := map[string]bool{}
	record := func(m map[string]string) Getenv {
		return func(k string) string { read[k] = true; return m[k] }
	}
	if _, err := Load(record(base())); err != nil {
		t.Fatal(err)
	}
	for _, fn := range lambdafn.All {
		m := base()
		delete(m, "CURSOR_SECRET")
		m["CURSOR_SECRET_ARN"] = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cursor"
		if _, err := LoadFunction(fn, record(m)); err != nil {
			t.Fatalf("%s: %v", fn, err)
		}
	}
	declared := map[string]bool{}
	for _, v := range Vars {
		if declared[v.Name] {
			t.Errorf("%s is listed twice", v.Name)
		}
		declared[v.Name] = true
		if v.Runtime && len(v.Functions) > 0 {
			t.Errorf("%s is set by the runtime and by the template", v.Name)
		}
		for _, fn := range v.Functions {
			if !slices.Contains(lambdafn.All, fn) {
				t.Errorf("%s names an unknown function %q", v.Name, fn)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(read)) {
		if !declared[name] {
			t.Errorf("Load reads %s, which Vars does not list", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(declared)) {
		if !read[name] {
			t.Errorf("Vars lists %s, which Load never reads", name)
		}
	}
	if got := FunctionVars(lambdafn.Invite); !slices.Contains(got, "SHARE_LINK_KEY_ARN") || slices.Contains(got, "CURSOR_SECRET") {
		t.Errorf("invite reads %v", got)
	}
	if got := FunctionVars(lambdafn.Mailer); slices.Contains(got, "CURSOR_SECRET_ARN") || !slices.Contains(got, "MAIL_FROM") {
		t.Errorf("mailer reads %v", got)
	}
}

// Outside a local run the base URLs are required and absolute; a local run
// may leave them out.
func TestBaseURLs(t *testing.T) {
	for _, name := range []string{"PUBLIC_BASE_URL", "APP_BASE_URL"} {
		for _, bad := range []string{"", "/relative", "api.example.com", "ftp://api.example.com", "https://api.example.com/?x=1", "https://api.example.com/#f", "https://user@api.example.com"} {
			m := base()
			m[name] = bad
			if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q accepted: %v", name, bad, err)
			}
		}
		m := base()
		delete(m, name)
		m["DYNAMODB_ENDPOINT"], m["SQS_ENDPOINT"] = "http://127.0.0.1:8000", "http://127.0.0.1:9324"
		if _, err := Load(env(m)); err != nil {
			t.Errorf("local run without %s: %v", name, err)
		}
		m[name] = "relative/path"
		if _, err := Load(env(m)); err == nil {
			t.Errorf("local run with a relative %s accepted", name)
		}
	}
	m := base()
	m["PUBLIC_BASE_URL"] = "https://example.com/annobridge/"
	if c, err := Load(env(m)); err != nil || c.PublicBaseURL != "https://example.com/annobridge" {
		t.Fatalf("%+v %v", c.PublicBaseURL, err)
	}
}

// The cursor key is the value or the ARN of the secret holding it, never
// both; the mailer and the events and webhooks functions, which list
// nothing, need neither.
func TestCursorSecretSources(t *testing.T) {
	arn := "arn:aws:secretsmanager:us-east-1:123456789012:secret:cursor"
	both := base()
	both["CURSOR_SECRET_ARN"] = arn
	if _, err := Load(env(both)); err == nil || !strings.Contains(err.Error(), "CURSOR_SECRET_ARN") {
		t.Fatalf("both accepted: %v", err)
	}
	byARN := base()
	delete(byARN, "CURSOR_SECRET")
	byARN["CURSOR_SECRET_ARN"] = arn
	c, err := Load(env(byARN))
	if err != nil || c.CursorSecret != "" || c.CursorSecretARN != arn || !c.NeedsSecrets() {
		t.Fatalf("by ARN: %+v %v", c, err)
	}
	none := base()
	delete(none, "CURSOR_SECRET")
	for _, fn := range []string{lambdafn.Mailer, lambdafn.Events, lambdafn.Webhooks} {
		if _, err := LoadFunction(fn, env(none)); err != nil {
			t.Fatalf("%s without a cursor key: %v", fn, err)
		}
	}
	for _, fn := range without(lambdafn.All, lambdafn.Mailer, lambdafn.Events, lambdafn.Webhooks) {
		if _, err := LoadFunction(fn, env(none)); err == nil || !strings.Contains(err.Error(), "CURSOR_SECRET") {
			t.Fatalf("%s without a cursor key: %v", fn, err)
		}
	}
	if _, err := LoadFunction("nosuch", env(base())); err == nil {
		t.Fatal("unknown function accepted")
	}
	withKey := base()
	withKey["SHARE_LINK_KEY"] = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	withKey["SHARE_LINK_KEY_ARN"] = arn
	if _, err := Load(env(withKey)); err == nil || !strings.Contains(err.Error(), "SHARE_LINK_KEY_ARN") {
		t.Fatalf("both share-link keys accepted: %v", err)
	}
}

// fakeSecretsManager answers GetSecretValue in the Secrets Manager JSON
// protocol on loopback, and counts the reads of each secret.
type fakeSecretsManager struct {
	mu      sync.Mutex
	secrets map[string]string
	reads   map[string]int
}

func (f *fakeSecretsManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.1") ||
		!strings.Contains(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"InvalidRequestException","message":"not a signed GetSecretValue"}`)
		return
	}
	var in struct{ SecretId string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads[in.SecretId]++
	v, ok := f.secrets[in.SecretId]
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}`)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ARN": in.SecretId, "Name": "n", "SecretString": v, "VersionId": "v1", "VersionStages": []string{"AWSCURRENT"}})
}

// ReadSecrets reads each secret named by ARN once, through the real SDK
// client against a loopback endpoint, checks the values as Load checks the
// plain variables, and never repeats a value in an error.
func TestReadSecrets(t *testing.T) {
	const (
		cursorARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:annobridge-cursor-AbCdEf"
		keyARN    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:annobridge-share-link-key-AbCdEf"
		shortARN  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:short"
		badKeyARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bad-key"
		devKeyARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev-key"
	)
	generated := strings.Repeat("aZ7", 14) + "Q" // what GenerateSecretString makes: 43 letters and digits
	fake := &fakeSecretsManager{reads: map[string]int{}, secrets: map[string]string{
		cursorARN: "k7Qm2ZpX9vR4tW8yB3nL6cF1hJ5sD0gAeUoIiPqMrTzV",
		keyARN:    generated,
		shortARN:  "tooshort",
		badKeyARN: "not-a-key!!",
		devKeyARN: base64.StdEncoding.EncodeToString(DevShareLinkKey()),
	}}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	load := func(cursor, key string) Config {
		t.Helper()
		m := base()
		delete(m, "CURSOR_SECRET")
		m["CURSOR_SECRET_ARN"], m["SHARE_LINK_KEY_ARN"], m["SECRETSMANAGER_ENDPOINT"] = cursor, key, srv.URL
		c, err := LoadFunction(lambdafn.Invite, env(m))
		if err != nil {
			t.Fatal(err)
		}
		if c.ShareLinkKey != nil {
			t.Fatalf("a key before ReadSecrets: %v", c.ShareLinkKey)
		}
		return c
	}
	client := func(c Config) SecretReader {
		return smsecrets.New(aws.Config{Region: "us-east-1", RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")}, c.SecretsManagerEndpoint)
	}
	ctx := context.Background()

	c := load(cursorARN, keyARN)
	if err := c.ReadSecrets(ctx, client(c)); err != nil {
		t.Fatal(err)
	}
	if c.CursorSecret != fake.secrets[cursorARN] || len(c.ShareLinkKey) != 32 {
		t.Fatalf("cursor %q, key %d bytes", c.CursorSecret, len(c.ShareLinkKey))
	}
	if fake.reads[cursorARN] != 1 || fake.reads[keyARN] != 1 {
		t.Fatalf("reads %v, want one of each", fake.reads)
	}

	for _, bad := range []struct{ cursor, key, says, value string }{
		{shortARN, keyARN, "CURSOR_SECRET_ARN", "tooshort"},
		{cursorARN, badKeyARN, "SHARE_LINK_KEY_ARN", "not-a-key!!"},
		{cursorARN, devKeyARN, "development key", fake.secrets[devKeyARN]},
		{cursorARN + "-gone", keyARN, "ResourceNotFoundException", ""},
	} {
		c := load(bad.cursor, bad.key)
		err := c.ReadSecrets(ctx, client(c))
		if err == nil || !strings.Contains(err.Error(), bad.says) || (bad.value != "" && strings.Contains(err.Error(), bad.value)) {
			t.Errorf("%s / %s: %v", bad.cursor, bad.key, err)
		}
	}
}

// A local run (loopback endpoints: make run, or sam local on the host's
// network) may leave the development settings out and gets the published
// defaults; anywhere else they stay required.
func TestLocalRunDefaults(t *testing.T) {
	m := map[string]string{"TABLE_NAME": "t", "AUTH_MODE": "jwt",
		"DYNAMODB_ENDPOINT": "http://127.0.0.1:8000", "SQS_ENDPOINT": "http://127.0.0.1:9324"}
	c, err := Load(env(m))
	if err != nil {
		t.Fatal(err)
	}
	if c.DevJWTSecret != DefaultDevJWTSecret || c.JWTIssuer != DefaultJWTIssuer || c.JWTAudience != DefaultJWTAudience ||
		c.CursorSecret != DevCursorSecret || !bytes.Equal(c.ShareLinkKey, DevShareLinkKey()) || !c.DevSignInAllowed() {
		t.Fatalf("%+v", c)
	}
	m["DYNAMODB_ENDPOINT"] = "http://dynamodb.internal:8000"
	m["PUBLIC_BASE_URL"], m["APP_BASE_URL"] = "https://api.example.com", "https://app.example.com"
	if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), "JWT_ISSUER") || !strings.Contains(err.Error(), "CURSOR_SECRET") {
		t.Fatalf("not local: %v", err)
	}
}
