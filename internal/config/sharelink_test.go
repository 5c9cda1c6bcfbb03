package config

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// SHARE_LINK_KEY: 32 bytes in base64 anywhere; without it a local run
// derives the development key and any other run has none (share links
// then cannot be enabled); the development key is refused outside a local
// run; a bad value fails the load without repeating it.
func TestShareLinkKey(t *testing.T) {
	local := func(m map[string]string) map[string]string {
		m["DYNAMODB_ENDPOINT"], m["SQS_ENDPOINT"] = "http://127.0.0.1:8000", "http://127.0.0.1:9324"
		return m
	}
	key := bytes.Repeat([]byte{7}, 32)
	with := func(m map[string]string, v string) map[string]string { m["SHARE_LINK_KEY"] = v; return m }

	if c, err := Load(env(local(base()))); err != nil || !bytes.Equal(c.ShareLinkKey, DevShareLinkKey()) {
		t.Fatalf("local run without a key: %v %v", c.ShareLinkKey, err)
	}
	if c, err := Load(env(base())); err != nil || c.ShareLinkKey != nil {
		t.Fatalf("AWS run without a key: %v %v", c.ShareLinkKey, err)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		if c, err := Load(env(with(base(), enc.EncodeToString(key)))); err != nil || !bytes.Equal(c.ShareLinkKey, key) {
			t.Fatalf("key set: %v", err)
		}
	}
	// What the template's generated secret looks like: 43 letters and
	// digits, unpadded base64 of 32 bytes.
	if c, err := Load(env(with(base(), strings.Repeat("aZ7", 14)+"Q"))); err != nil || len(c.ShareLinkKey) != 32 {
		t.Fatalf("a generated secret: %v", err)
	}
	dev := base64.StdEncoding.EncodeToString(DevShareLinkKey())
	if _, err := Load(env(with(base(), dev))); err == nil || !strings.Contains(err.Error(), "SHARE_LINK_KEY") {
		t.Fatalf("the development key outside a local run: %v", err)
	}
	if c, err := Load(env(with(local(base()), dev))); err != nil || !bytes.Equal(c.ShareLinkKey, DevShareLinkKey()) {
		t.Fatalf("the development key in a local run: %v", err)
	}
	for _, bad := range []string{base64.StdEncoding.EncodeToString(key[:16]), "not-a-key!!"} {
		_, err := Load(env(with(base(), bad)))
		if err == nil || !strings.Contains(err.Error(), "SHARE_LINK_KEY") || strings.Contains(err.Error(), bad) {
			t.Fatalf("bad key %q: %v", bad, err)
		}
	}
}

// The webhooks' key is a key of its own, handled as the share-link key:
// derived in a local run, the development value refused elsewhere, never
// both the value and the ARN.
func TestWebhookKey(t *testing.T) {
	local := func(m map[string]string) map[string]string {
		m["DYNAMODB_ENDPOINT"], m["SQS_ENDPOINT"] = "http://127.0.0.1:8000", "http://127.0.0.1:9324"
		return m
	}
	with := func(m map[string]string, v string) map[string]string { m["WEBHOOK_KEY"] = v; return m }
	c, err := Load(env(local(base())))
	if err != nil || !bytes.Equal(c.WebhookKey, DevWebhookKey()) || bytes.Equal(c.WebhookKey, c.ShareLinkKey) {
		t.Fatalf("local run without a key: %v", err)
	}
	if c, err := Load(env(base())); err != nil || c.WebhookKey != nil {
		t.Fatalf("AWS run without a key: %v", err)
	}
	key := bytes.Repeat([]byte{9}, 32)
	if c, err := Load(env(with(base(), base64.StdEncoding.EncodeToString(key)))); err != nil || !bytes.Equal(c.WebhookKey, key) {
		t.Fatalf("key set: %v", err)
	}
	if _, err := Load(env(with(base(), base64.StdEncoding.EncodeToString(DevWebhookKey())))); err == nil || !strings.Contains(err.Error(), "WEBHOOK_KEY") {
		t.Fatalf("the development key outside a local run: %v", err)
	}
	both := with(base(), base64.StdEncoding.EncodeToString(key))
	both["WEBHOOK_KEY_ARN"] = "arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook"
	if _, err := Load(env(both)); err == nil || !strings.Contains(err.Error(), "WEBHOOK_KEY_ARN") {
		t.Fatalf("both accepted: %v", err)
	}
}
