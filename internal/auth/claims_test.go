package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signers returns one function per verification path (HS256 with the
// secret, RS256 against a JWKS server) that signs a claim set for it, and
// the matching verifier.
func signers(t *testing.T) map[string]struct {
	verifier *Verifier
	sign     func(jwt.MapClaims) string
} {
	t.Helper()
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
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	rs, err := NewJWKS(ctx, srv.URL, iss, aud)
	if err != nil {
		t.Fatal(err)
	}
	signed := func(m jwt.SigningMethod, k any, kid string) func(jwt.MapClaims) string {
		return func(c jwt.MapClaims) string {
			tok := jwt.NewWithClaims(m, c)
			if kid != "" {
				tok.Header["kid"] = kid
			}
			s, err := tok.SignedString(k)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	return map[string]struct {
		verifier *Verifier
		sign     func(jwt.MapClaims) string
	}{
		"HS256": {NewHS256(secret, iss, aud), signed(jwt.SigningMethodHS256, []byte(secret), "")},
		"RS256": {rs, signed(jwt.SigningMethodRS256, key, "k1")},
	}
}

// mapClaims is a valid claim set with the given claims added (a nil value
// removes the claim).
func mapClaims(extra map[string]any) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"sub": "user-1", "email": "a@example.com", "name": "A", "iss": iss, "aud": aud,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// An email the issuer marks unverified counts as empty (docs/security.md, invariant 7), in
// both verification paths, whether the claim is a boolean or a string.
func TestEmailVerified(t *testing.T) {
	cases := []struct {
		name     string
		claim    any // nil: no email_verified claim
		email    string
		verified *bool
	}{
		{"absent", nil, "a@example.com", nil},
		{"true", true, "a@example.com", ptr(true)},
		{"string true", "true", "a@example.com", ptr(true)},
		{"string TRUE", "TRUE", "a@example.com", ptr(true)},
		{"false", false, "", ptr(false)},
		{"string false", "false", "", ptr(false)},
		{"string False", "False", "", ptr(false)},
		{"empty string", "", "", ptr(false)},
		{"unexpected string", "yes", "", ptr(false)},
		{"number", 1, "", ptr(false)},
		{"null", json.RawMessage("null"), "a@example.com", nil},
	}
	for path, s := range signers(t) {
		for _, tc := range cases {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				extra := map[string]any{}
				if tc.claim != nil {
					extra["email_verified"] = tc.claim
				}
				c, err := s.verifier.Verify(s.sign(mapClaims(extra)))
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if c.Subject != "user-1" || c.Email != tc.email || !sameBool(c.EmailVerified, tc.verified) {
					t.Fatalf("claims %+v (verified %v), want email %q verified %v", c, deref(c.EmailVerified), tc.email, deref(tc.verified))
				}
			})
		}
	}
}

// A sub that is too long or holds control characters, or such an email,
// does not verify (so the API answers 401, not a store error); such a name is
// dropped.
func TestIdentityClaimBounds(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	email := func(n int) string { return long(n-len("@example.com")) + "@example.com" }
	cases := []struct {
		name  string
		extra map[string]any
		ok    bool
		want  Claims // checked when ok
	}{
		{"sub of 255 bytes", map[string]any{"sub": long(255)}, true, Claims{Subject: long(255), Email: "a@example.com", Name: "A"}},
		{"sub of 256 bytes", map[string]any{"sub": long(256)}, false, Claims{}},
		{"sub of 5000 characters", map[string]any{"sub": long(5000)}, false, Claims{}},
		{"sub of 128 two-byte characters", map[string]any{"sub": strings.Repeat("é", 128)}, false, Claims{}},
		{"sub with a newline", map[string]any{"sub": "user\n1"}, false, Claims{}},
		{"sub with NUL", map[string]any{"sub": "user\x001"}, false, Claims{}},
		{"sub with DEL", map[string]any{"sub": "user\x7f"}, false, Claims{}},
		{"sub with a C1 control", map[string]any{"sub": "user\u0085"}, false, Claims{}},
		{"empty sub", map[string]any{"sub": ""}, false, Claims{}},
		{"sub not a string", map[string]any{"sub": 42}, false, Claims{}},
		{"email of 254 bytes", map[string]any{"email": email(254)}, true, Claims{Subject: "user-1", Email: email(254), Name: "A"}},
		{"email of 255 bytes", map[string]any{"email": email(255)}, false, Claims{}},
		{"email with a CR", map[string]any{"email": "a@example.com\r\nBcc: x@example.com"}, false, Claims{}},
		{"long unverified email is dropped", map[string]any{"email": email(300), "email_verified": false}, true, Claims{Subject: "user-1", Name: "A"}},
		{"no email", map[string]any{"email": nil}, true, Claims{Subject: "user-1", Name: "A"}},
		{"name of 200 characters", map[string]any{"name": strings.Repeat("ü", 200)}, true, Claims{Subject: "user-1", Email: "a@example.com", Name: strings.Repeat("ü", 200)}},
		{"name of 201 characters", map[string]any{"name": long(201)}, true, Claims{Subject: "user-1", Email: "a@example.com"}},
		{"name with a tab", map[string]any{"name": "A\tB"}, true, Claims{Subject: "user-1", Email: "a@example.com"}},
		{"name with a C1 control", map[string]any{"name": "A\u009bB"}, true, Claims{Subject: "user-1", Email: "a@example.com"}},
		{"name with a right-to-left override", map[string]any{"name": "A\u202eB"}, true, Claims{Subject: "user-1", Email: "a@example.com"}},
		{"nonce", map[string]any{"nonce": "n-123"}, true, Claims{Subject: "user-1", Email: "a@example.com", Name: "A", Nonce: "n-123"}},
	}
	for path, s := range signers(t) {
		for _, tc := range cases {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				c, err := s.verifier.Verify(s.sign(mapClaims(tc.extra)))
				if !tc.ok {
					if !errors.Is(err, ErrInvalidToken) {
						t.Fatalf("want ErrInvalidToken, got %v (claims %+v)", err, c)
					}
					return
				}
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				c.EmailVerified = nil
				if c != tc.want {
					t.Fatalf("claims %+v, want %+v", c, tc.want)
				}
			})
		}
	}
}

// The claims API Gateway's authorizer verified follow the same rules.
func TestFromGatewayClaims(t *testing.T) {
	base := func(extra map[string]string) map[string]string {
		m := map[string]string{"sub": "user-1", "email": "a@example.com", "name": "A"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	if c, err := FromGatewayClaims(base(nil)); err != nil || c != (Claims{Subject: "user-1", Email: "a@example.com", Name: "A"}) {
		t.Fatalf("plain: %+v %v", c, err)
	}
	if c, err := FromGatewayClaims(base(map[string]string{"email_verified": "true"})); err != nil || c.Email != "a@example.com" || !sameBool(c.EmailVerified, ptr(true)) {
		t.Fatalf("verified: %+v %v", c, err)
	}
	for _, unverified := range []string{"false", "FALSE", "", "0"} {
		if c, err := FromGatewayClaims(base(map[string]string{"email_verified": unverified})); err != nil || c.Email != "" || !sameBool(c.EmailVerified, ptr(false)) {
			t.Fatalf("email_verified %q: %+v %v", unverified, c, err)
		}
	}
	if c, err := FromGatewayClaims(base(map[string]string{"name": "A\u202eB"})); err != nil || c.Name != "" {
		t.Fatalf("bidi name kept: %+v %v", c, err)
	}
	for name, bad := range map[string]map[string]string{
		"no sub":        {"sub": ""},
		"long sub":      {"sub": strings.Repeat("x", 5000)},
		"control sub":   {"sub": "a\x1bb"},
		"invalid UTF-8": {"sub": "a\xffb"},
		"long email":    {"email": strings.Repeat("x", 255)},
	} {
		if c, err := FromGatewayClaims(base(bad)); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s accepted: %+v", name, c)
		}
	}
}

// A minted token carries the nonce and email_verified it was given.
func TestMintCarriesNonceAndEmailVerified(t *testing.T) {
	tok, err := MintHS256(secret, iss, aud, Claims{Subject: "u", Email: "e@x.io", Nonce: "abc", EmailVerified: ptr(false)}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewHS256(secret, iss, aud).Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.Nonce != "abc" || c.Email != "" || !sameBool(c.EmailVerified, ptr(false)) {
		t.Fatalf("claims %+v", c)
	}
}

func ptr[T any](v T) *T { return &v }

func sameBool(a, b *bool) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}
