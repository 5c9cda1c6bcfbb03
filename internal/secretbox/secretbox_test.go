package secretbox

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
)

func key(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpens(t *testing.T) {
	b, err := New(key(t))
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("q3Fz0m8oXk1bN2cV4dR6tY8uI0pA2sD4fG6hJ8kL0zX")
	s1, err := b.Seal(secret, []byte("inv_1"))
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := b.Seal(secret, []byte("inv_1"))
	if s1 == s2 {
		t.Fatal("two seals of one secret are equal: the nonce is not fresh")
	}
	if strings.Contains(s1, string(secret)) || !strings.HasPrefix(s1, "v1.") {
		t.Fatalf("sealed %q", s1)
	}
	got, err := b.Open(s1, []byte("inv_1"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open: %q %v", got, err)
	}
}

func TestOpenRefusesWhatItDidNotSeal(t *testing.T) {
	k := key(t)
	b, _ := New(k)
	s, _ := b.Seal([]byte("token"), []byte("inv_1"))
	other, _ := New(key(t))
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(s, "v1."))
	raw[len(raw)-1] ^= 1
	tampered := "v1." + base64.RawURLEncoding.EncodeToString(raw)
	for name, c := range map[string]struct {
		box    *Box
		sealed string
		ad     string
	}{
		"another record": {b, s, "inv_2"},
		"another key":    {other, s, "inv_1"},
		"tampered":       {b, tampered, "inv_1"},
		"truncated":      {b, s[:10], "inv_1"},
		"no version":     {b, strings.TrimPrefix(s, "v1."), "inv_1"},
		"empty":          {b, "", "inv_1"},
	} {
		if _, err := c.box.Open(c.sealed, []byte(c.ad)); err != ErrOpen {
			t.Errorf("%s: %v, want ErrOpen", name, err)
		}
	}
}

func TestKeys(t *testing.T) {
	if _, err := New(make([]byte, 16)); err == nil {
		t.Fatal("a 16-byte key was taken")
	}
	k := key(t)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		got, err := ParseKey(enc.EncodeToString(k))
		if err != nil || !bytes.Equal(got, k) {
			t.Fatalf("ParseKey: %v", err)
		}
	}
	short := base64.StdEncoding.EncodeToString(k[:31])
	if _, err := ParseKey(short); err == nil {
		t.Fatal("a 31-byte key was taken")
	} else if strings.Contains(err.Error(), short) {
		t.Fatal("the error repeats the key")
	}
	if _, err := ParseKey("not base64 at all!"); err == nil {
		t.Fatal("junk was taken")
	}
}
