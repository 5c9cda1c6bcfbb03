package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/config/smsecrets"
	"github.com/annobridge/annobridge/internal/devstack"
)

// In AWS the environment names the secrets by ARN; app.New reads them once
// (the cold start) through the Secrets Manager client, here pointed at a
// loopback server speaking its JSON protocol, and the app signs cursors and
// seals share links with what it read.
func TestNewReadsSecretsOnce(t *testing.T) {
	devstack.NeedStack(t)
	const (
		cursorARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cursor-AbCdEf"
		keyARN    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:share-link-key-AbCdEf"
	)
	secrets := map[string]string{cursorARN: "k7Qm2ZpX9vR4tW8yB3nL6cF1hJ5sD0gA", keyARN: strings.Repeat("Qx9", 14) + "b"}
	var reads atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		var in struct{ SecretId string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		v, ok := secrets[in.SecretId]
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || !ok {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"ResourceNotFoundException","message":"no such secret"}`)
			return
		}
		reads.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]string{"ARN": in.SecretId, "SecretString": v})
	}))
	defer srv.Close()

	env := map[string]string{"CURSOR_SECRET": "", "CURSOR_SECRET_ARN": cursorARN, "SHARE_LINK_KEY_ARN": keyARN,
		"SECRETSMANAGER_ENDPOINT": srv.URL, "MAIL_OUTBOX_DIR": t.TempDir()}
	a, err := app.New(context.Background(), stack.Config(env), slog.New(slog.DiscardHandler), app.WithSecrets(smsecrets.New))
	if err != nil {
		t.Fatal(err)
	}
	if a.Config.CursorSecret != secrets[cursorARN] || len(a.Config.ShareLinkKey) != 32 || reads.Load() != 2 {
		t.Fatalf("cursor %q, key %d bytes, %d reads", a.Config.CursorSecret, len(a.Config.ShareLinkKey), reads.Load())
	}

	// A secret that cannot be read stops the cold start, naming the
	// variable.
	env["SHARE_LINK_KEY_ARN"] = keyARN + "-gone"
	_, err = app.New(context.Background(), stack.Config(env), slog.New(slog.DiscardHandler), app.WithSecrets(smsecrets.New))
	if err == nil || !strings.Contains(err.Error(), "SHARE_LINK_KEY_ARN") {
		t.Fatalf("unreadable secret: %v", err)
	}

	// A binary that links no secret reader refuses a secret's ARN rather
	// than run without the secret.
	_, err = app.New(context.Background(), stack.Config(env), slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "WithSecrets") {
		t.Fatalf("no secret reader: %v", err)
	}
}
