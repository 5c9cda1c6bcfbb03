package auth

// Abuse of the bearer JWT, on both verification paths (HS256 with the
// shared secret, RS256 against a JWKS): every token below must not verify.
// TestHS256, TestRS256AgainstJWKS and TestIdentityClaimBounds cover some of
// these on one path; this table covers each on both, plus the forms a
// forger tries (unsigned, re-labelled, stripped, tampered, re-encoded) and
// oversized tokens.

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
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
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// abusePath is one verification path with what a forger and the issuer
// would sign with.
type abusePath struct {
	name     string
	verifier *Verifier
	method   jwt.SigningMethod // the issuer's
	key      any               // the issuer's signing key
	kid      string
	otherKey any    // a key of the same kind that is not the issuer's
	pubPEM   []byte // RS256: the issuer's public key, which a forger has
}

func abusePaths(t *testing.T) []abusePath {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
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
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return []abusePath{
		{name: "HS256", verifier: NewHS256(secret, iss, aud), method: jwt.SigningMethodHS256, key: []byte(secret),
			otherKey: []byte("another-secret-of-the-same-length")},
		{name: "RS256", verifier: rs, method: jwt.SigningMethodRS256, key: key, kid: "k1", otherKey: other,
			pubPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})},
	}
}

// signWith signs claims with any method and key, with the kid if not empty.
func signWith(t *testing.T, m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rawToken joins a header and claims as JSON with a signature segment.
func rawToken(header map[string]any, claims jwt.MapClaims, sig string) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(c) + "." + sig
}

// oversizedBytes is the size from which a bearer token must be refused
// whatever it holds: far above any issuer's ID or access token (Cognito's
// are 1 to 4 KiB) and above API Gateway's header limit.
const oversizedBytes = 64 << 10

func TestJWTAbuse(t *testing.T) {
	now := time.Now()
	for _, p := range abusePaths(t) {
		valid := signWith(t, p.method, p.key, p.kid, mapClaims(nil))
		if _, err := p.verifier.Verify(valid); err != nil {
			t.Fatalf("%s: the valid token does not verify: %v", p.name, err)
		}
		parts := strings.Split(valid, ".")
		good := func(extra map[string]any) string { return signWith(t, p.method, p.key, p.kid, mapClaims(extra)) }
		header := func(alg string) map[string]any {
			h := map[string]any{"alg": alg, "typ": "JWT"}
			if p.kid != "" {
				h["kid"] = p.kid
			}
			return h
		}
		ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		_, edKey, _ := ed25519.GenerateKey(rand.Reader)
		rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		cases := []struct {
			name  string
			token string
		}{
			// alg none and its spellings, with and without a signature
			{"alg none", signWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, p.kid, mapClaims(nil))},
			{"alg None", rawToken(header("None"), mapClaims(nil), "")},
			{"alg NONE", rawToken(header("NONE"), mapClaims(nil), "")},
			{"alg none with the valid signature", rawToken(header("none"), mapClaims(nil), parts[2])},
			{"alg empty", rawToken(header(""), mapClaims(nil), parts[2])},
			{"no alg", rawToken(map[string]any{"typ": "JWT", "kid": p.kid}, mapClaims(nil), parts[2])},
			// other algorithms
			{"HS256 keyed with the public key", func() string {
				if p.pubPEM == nil {
					return signWith(t, jwt.SigningMethodHS256, []byte("not the secret"), p.kid, mapClaims(nil))
				}
				return signWith(t, jwt.SigningMethodHS256, p.pubPEM, p.kid, mapClaims(nil))
			}()},
			{"HS384", signWith(t, jwt.SigningMethodHS384, []byte(secret), p.kid, mapClaims(nil))},
			{"HS512", signWith(t, jwt.SigningMethodHS512, []byte(secret), p.kid, mapClaims(nil))},
			{"RS256 with a stranger's key", signWith(t, jwt.SigningMethodRS256, rsaKey, p.kid, mapClaims(nil))},
			{"RS512", signWith(t, jwt.SigningMethodRS512, rsaKey, p.kid, mapClaims(nil))},
			{"PS256", signWith(t, jwt.SigningMethodPS256, rsaKey, p.kid, mapClaims(nil))},
			{"ES256", signWith(t, jwt.SigningMethodES256, ecKey, p.kid, mapClaims(nil))},
			{"EdDSA", signWith(t, jwt.SigningMethodEdDSA, edKey, p.kid, mapClaims(nil))},
			{"header re-labelled HS512, same signature", rawToken(header("HS512"), mapClaims(nil), parts[2])},
			// other key
			{"other key", signWith(t, p.method, p.otherKey, p.kid, mapClaims(nil))},
			{"other key, unknown kid", signWith(t, p.method, p.otherKey, "k-unknown", mapClaims(nil))},
			{"other key, no kid", signWith(t, p.method, p.otherKey, "", mapClaims(nil))},
			// tampered and malformed
			{"claims changed, signature kept", parts[0] + "." + base64.RawURLEncoding.EncodeToString(mustJSON(t, mapClaims(map[string]any{"sub": "admin"}))) + "." + parts[2]},
			{"signature stripped", parts[0] + "." + parts[1] + "."},
			{"two segments", parts[0] + "." + parts[1]},
			{"four segments", valid + "." + parts[2]},
			{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(good(map[string]any{"sub": "other"}), ".")[2]},
			{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2]},
			{"standard base64 signature", parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2]) + "=="},
			{"empty", ""},
			{"spaces", "   "},
			{"garbage", "not.a.token"},
			{"NUL", "\x00.\x00.\x00"},
			// time
			{"expired", good(map[string]any{"exp": now.Add(-5 * time.Minute).Unix()})},
			{"expired long ago", good(map[string]any{"exp": 1})},
			{"exp 0", good(map[string]any{"exp": 0})},
			{"no exp", good(map[string]any{"exp": nil})},
			{"exp not a number", good(map[string]any{"exp": "never"})},
			{"exp negative", good(map[string]any{"exp": -1})},
			{"not yet valid", good(map[string]any{"nbf": now.Add(5 * time.Minute).Unix()})},
			{"nbf not a number", good(map[string]any{"nbf": "soon"})},
			// issuer and audience
			{"wrong issuer", good(map[string]any{"iss": "https://evil.example.com"})},
			{"no issuer", good(map[string]any{"iss": nil})},
			{"issuer in other case", good(map[string]any{"iss": strings.ToUpper(iss)})},
			{"issuer with a trailing space", good(map[string]any{"iss": iss + " "})},
			{"wrong audience", good(map[string]any{"aud": "other"})},
			{"no audience", good(map[string]any{"aud": nil})},
			{"audience list without ours", good(map[string]any{"aud": []string{"other", "another"}})},
			{"audience in other case", good(map[string]any{"aud": strings.ToUpper(aud)})},
			{"audience a number", good(map[string]any{"aud": 1})},
			// identity
			{"no sub", good(map[string]any{"sub": nil})},
			{"sub an object", good(map[string]any{"sub": map[string]any{"id": "x"}})},
			// oversized, even when signed by the issuer
			{"oversized garbage", strings.Repeat("A", 1<<20) + "." + strings.Repeat("B", 10) + "." + strings.Repeat("C", 10)},
			{"oversized header of valid JSON", base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"`+p.method.Alg()+`","typ":"JWT","x":"`+strings.Repeat("x", 1<<20)+`"}`)) + "." + parts[1] + "." + parts[2]},
		}
		for _, tc := range cases {
			t.Run(p.name+"/"+tc.name, func(t *testing.T) {
				c, err := p.verifier.Verify(tc.token)
				if !errors.Is(err, ErrInvalidToken) {
					t.Fatalf("want ErrInvalidToken, got %v (claims %+v)", err, c)
				}
			})
		}
	}
}

// A token above oversizedBytes must be refused whoever signed it, and
// before it is decoded: refusing one must not cost the allocations of
// decoding it (auth.MaxTokenBytes).
func TestOversizedJWT(t *testing.T) {
	for _, p := range abusePaths(t) {
		signed := signWith(t, p.method, p.key, p.kid, mapClaims(map[string]any{"pad": strings.Repeat("x", oversizedBytes)}))
		t.Run(p.name+"/signed by the issuer", func(t *testing.T) {
			if _, err := p.verifier.Verify(signed); !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("a %d-byte token signed by the issuer verifies (err %v)", len(signed), err)
			}
		})
		t.Run(p.name+"/refused before decoding", func(t *testing.T) {
			junk := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"`+p.method.Alg()+`","typ":"JWT","x":"`+strings.Repeat("x", 1<<20)+`"}`)) + ".e30.c2ln"
			allocated := bytesAllocated(func() { _, _ = p.verifier.Verify(junk) })
			if allocated > uint64(len(junk)/4) {
				t.Fatalf("refusing a %d-byte token allocated %d bytes: it is decoded before it is refused", len(junk), allocated)
			}
		})
	}
}

// bytesAllocated is how many bytes f allocates on the heap.
func bytesAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzVerify: no input makes the verifier panic or accept a token the
// issuer did not sign; the issuer's own token verifies.
func FuzzVerify(f *testing.F) {
	hs := NewHS256(secret, iss, aud)
	valid, err := MintHS256(secret, iss, aud, Claims{Subject: "user-1", Email: "a@example.com"}, 100*365*24*time.Hour, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	parts := strings.Split(valid, ".")
	for _, s := range []string{"", ".", "..", "a.b.c", parts[0] + "." + parts[1] + ".", parts[0] + ".e30." + parts[2],
		"eyJhbGciOiJub25lIn0.e30.", "eyJhbGciOiJIUzI1NiJ9.bnVsbA.x", "eyJhbGciOiJIUzI1NiJ9.W10.x",
		"eyJhbGciOiJIUzI1NiIsImNyaXQiOlsieCJdfQ.e30.x", strings.Repeat("A", 4096)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := hs.Verify(token)
		if token == valid {
			if err != nil {
				t.Fatalf("the valid token does not verify: %v", err)
			}
			return
		}
		if err == nil {
			// Only the issuer can sign: an accepted token must be the
			// valid one re-encoded, with the same claims.
			if c.Subject != "user-1" {
				t.Fatalf("accepted a forged token %q: %+v", token, c)
			}
			return
		}
		if !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("refused %q with %v, not ErrInvalidToken", token, err)
		}
	})
}
