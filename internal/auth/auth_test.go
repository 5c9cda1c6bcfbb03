package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	secret = "test-secret-test-secret"
	iss    = "annobridge-local"
	aud    = "annobridge"
)

func claims(mut func(*tokenClaims)) tokenClaims {
	now := time.Now()
	c := tokenClaims{Email: "a@example.com", Name: "A", RegisteredClaims: jwt.RegisteredClaims{
		Subject: "user-1", Issuer: iss, Audience: jwt.ClaimStrings{aud},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
	}}
	if mut != nil {
		mut(&c)
	}
	return c
}

func sign(t *testing.T, m jwt.SigningMethod, key any, c tokenClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHS256(t *testing.T) {
	v := NewHS256(secret, iss, aud)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	cases := []struct {
		name  string
		token string
		ok    bool
	}{
		{"valid", sign(t, jwt.SigningMethodHS256, []byte(secret), claims(nil)), true},
		{"minted", func() string {
			s, err := MintHS256(secret, iss, aud, Claims{Subject: "u", Email: "e@x.io"}, time.Hour, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}(), true},
		{"other key", sign(t, jwt.SigningMethodHS256, []byte("another-secret-entirely"), claims(nil)), false},
		{"expired", sign(t, jwt.SigningMethodHS256, []byte(secret), claims(func(c *tokenClaims) {
			c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Hour))
		})), false},
		{"no expiry", sign(t, jwt.SigningMethodHS256, []byte(secret), claims(func(c *tokenClaims) { c.ExpiresAt = nil })), false},
		{"not yet valid", sign(t, jwt.SigningMethodHS256, []byte(secret), claims(func(c *tokenClaims) {
			c.NotBefore = jwt.NewNumericDate(time.Now().Add(time.Hour))
		})), false},
		{"wrong issuer", sign(t, jwt.SigningMethodHS256, []byte(secret), claims(func(c *tokenClaims) { c.Issuer = "evil" })), false},
		{"wrong audience", sign(t, jwt.SigningMethodHS256, []byte(secret), claims(func(c *tokenClaims) { c.Audience = jwt.ClaimStrings{"other"} })), false},
		{"no subject", sign(t, jwt.SigningMethodHS256, []byte(secret), claims(func(c *tokenClaims) { c.Subject = "" })), false},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil)), false},
		{"alg HS512", sign(t, jwt.SigningMethodHS512, []byte(secret), claims(nil)), false},
		{"alg RS256", sign(t, jwt.SigningMethodRS256, rsaKey, claims(nil)), false},
		{"garbage", "not.a.token", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(tc.token)
			if tc.ok {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				if c.Subject == "" {
					t.Fatal("no subject")
				}
				return
			}
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("want ErrInvalidToken, got %v (claims %+v)", err, c)
			}
		})
	}
}

func TestRS256AgainstJWKS(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
		"n": b64.EncodeToString(key.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
	}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v, err := NewJWKS(ctx, srv.URL, iss, aud)
	if err != nil {
		t.Fatal(err)
	}
	withKid := func(m jwt.SigningMethod, k any, c tokenClaims) string {
		tok := jwt.NewWithClaims(m, c)
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if c, err := v.Verify(withKid(jwt.SigningMethodRS256, key, claims(nil))); err != nil || c.Subject != "user-1" {
		t.Fatalf("valid RS256: %v %+v", err, c)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	if _, err := v.Verify(withKid(jwt.SigningMethodRS256, other, claims(nil))); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("other key accepted: %v", err)
	}
	// Algorithm confusion: HS256 keyed with the public key must not pass.
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(&key.PublicKey))})
	if _, err := v.Verify(withKid(jwt.SigningMethodHS256, pub, claims(nil))); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("HS256 with the public key accepted: %v", err)
	}
	if _, err := v.Verify(withKid(jwt.SigningMethodRS256, key, claims(func(c *tokenClaims) {
		c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Hour))
	}))); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("expired RS256 accepted: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestDevSubjectIsStableAndCaseInsensitive(t *testing.T) {
	if DevSubject("A@Example.com ") != DevSubject("a@example.com") {
		t.Fatal("DevSubject depends on case or spaces")
	}
	if DevSubject("a@example.com") == DevSubject("b@example.com") {
		t.Fatal("DevSubject collides")
	}
}
