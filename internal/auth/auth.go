// Package auth verifies bearer JWTs (HS256 with a shared secret, or RS256
// against a JWKS URL), with the algorithm pinned and issuer, audience, expiry
// and not-before checked, and mints local development tokens. It also bounds
// the identity claims: a missing, oversized or unprintable sub or email does
// not verify, an email the issuer marks unverified counts as empty, and an
// unusable name is dropped.
package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Claims are the verified claims the service uses.
type Claims struct {
	Subject string
	// Email is the email claim; empty when the token says the address is
	// not verified (an email_verified claim other than true).
	Email string
	// Name is the name claim; empty when it is too long or holds control or
	// bidirectional formatting characters.
	Name string
	// EmailVerified is the email_verified claim; nil when the token has none.
	EmailVerified *bool
	// Nonce is the OpenID Connect nonce claim; empty when the token has none.
	Nonce string
}

// Bounds of the identity claims. A token whose sub or email is out of bounds
// does not verify; a name out of bounds is dropped.
const (
	MaxSubjectBytes = 255
	MaxEmailBytes   = 254 // RFC 5321's limit on a forward path
	MaxNameChars    = 200
)

// ErrInvalidToken is returned for any token that does not verify.
var ErrInvalidToken = errors.New("invalid token")

type tokenClaims struct {
	Email         string    `json:"email"`
	EmailVerified *flexBool `json:"email_verified,omitempty"`
	Name          string    `json:"name"`
	Nonce         string    `json:"nonce,omitempty"`
	jwt.RegisteredClaims
}

// flexBool is a boolean claim that issuers send either as a JSON boolean or
// as a string (Cognito sends email_verified as "true" or "false"). Any value
// other than true or "true" reads as false, so an unexpected form never
// counts as verified.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("boolean claim: %w", err)
	}
	switch v := v.(type) {
	case bool:
		*b = flexBool(v)
	case string:
		*b = flexBool(strings.EqualFold(strings.TrimSpace(v), "true"))
	default:
		*b = false
	}
	return nil
}

// Verifier checks bearer tokens.
type Verifier struct {
	keyfunc jwt.Keyfunc
	parser  *jwt.Parser
}

func newVerifier(alg, issuer, audience string, kf jwt.Keyfunc) *Verifier {
	return &Verifier{
		keyfunc: kf,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{alg}),
			jwt.WithIssuer(issuer),
			jwt.WithAudience(audience),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(30*time.Second),
		),
	}
}

// NewHS256 verifies tokens signed with a shared secret.
func NewHS256(secret, issuer, audience string) *Verifier {
	key := []byte(secret)
	return newVerifier("HS256", issuer, audience, func(*jwt.Token) (any, error) { return key, nil })
}

// NewJWKS verifies RS256 tokens against the keys published at url; the keys
// are fetched in the background and refreshed on unknown key ids.
func NewJWKS(ctx context.Context, url, issuer, audience string) (*Verifier, error) {
	kf, err := keyfunc.NewDefaultCtx(ctx, []string{url})
	if err != nil {
		return nil, fmt.Errorf("jwks %s: %w", url, err)
	}
	return newVerifier("RS256", issuer, audience, kf.Keyfunc), nil
}

// Verify parses and checks a token and returns its claims.
// MaxTokenBytes bounds a bearer token: identity tokens are a few KB at
// most.
const MaxTokenBytes = 16 << 10

func (v *Verifier) Verify(token string) (Claims, error) {
	// A token this long is no identity token: refused before it is decoded.
	if len(token) > MaxTokenBytes {
		return Claims{}, fmt.Errorf("%w: the token is longer than %d bytes", ErrInvalidToken, MaxTokenBytes)
	}
	var tc tokenClaims
	if _, err := v.parser.ParseWithClaims(token, &tc, v.keyfunc); err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	var verified *bool
	if tc.EmailVerified != nil {
		b := bool(*tc.EmailVerified)
		verified = &b
	}
	return identity(tc.Subject, tc.Email, tc.Name, verified, tc.Nonce)
}

// FromGatewayClaims applies Verify's rules to claims a trusted authorizer
// has already verified, such as API Gateway's JWT authorizer, which hands
// every claim over as a string.
func FromGatewayClaims(claims map[string]string) (Claims, error) {
	var verified *bool
	if s, ok := claims["email_verified"]; ok {
		b := strings.EqualFold(strings.TrimSpace(s), "true")
		verified = &b
	}
	return identity(claims["sub"], claims["email"], claims["name"], verified, claims["nonce"])
}

// identity checks the identity claims of a verified token: the subject must
// be present, at most MaxSubjectBytes and printable; an email that is not
// verified counts as empty, and one that remains must be at most
// MaxEmailBytes and printable; a name that is too long or not printable is
// dropped.
func identity(sub, email, name string, emailVerified *bool, nonce string) (Claims, error) {
	switch {
	case sub == "":
		return Claims{}, fmt.Errorf("%w: no sub claim", ErrInvalidToken)
	case len(sub) > MaxSubjectBytes:
		return Claims{}, fmt.Errorf("%w: the sub claim is longer than %d bytes", ErrInvalidToken, MaxSubjectBytes)
	case !printable(sub):
		return Claims{}, fmt.Errorf("%w: the sub claim holds control characters or is not UTF-8", ErrInvalidToken)
	}
	if emailVerified != nil && !*emailVerified {
		email = ""
	}
	switch {
	case len(email) > MaxEmailBytes:
		return Claims{}, fmt.Errorf("%w: the email claim is longer than %d bytes", ErrInvalidToken, MaxEmailBytes)
	case !printable(email):
		return Claims{}, fmt.Errorf("%w: the email claim holds control characters or is not UTF-8", ErrInvalidToken)
	}
	if utf8.RuneCountInString(name) > MaxNameChars || !printable(name) || strings.ContainsFunc(name, isBidiControl) {
		name = ""
	}
	return Claims{Subject: sub, Email: email, Name: name, EmailVerified: emailVerified, Nonce: nonce}, nil
}

// printable reports whether s is valid UTF-8 without control characters
// (C0, DEL and C1).
func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// isBidiControl reports whether r is a bidirectional formatting character,
// which can make a displayed name read as another.
func isBidiControl(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return r == 0x200E || r == 0x200F || r == 0x061C
}

// DevSubject derives the local `sub` of an email address, so a developer's
// tokens for one address always name the same user.
func DevSubject(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "dev-" + hex.EncodeToString(sum[:10])
}

// MintHS256 signs a development token.
func MintHS256(secret, issuer, audience string, c Claims, ttl time.Duration, now time.Time) (string, error) {
	tc := tokenClaims{
		Email: c.Email,
		Name:  c.Name,
		Nonce: c.Nonce,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   c.Subject,
			Issuer:    issuer,
			Audience:  jwt.ClaimStrings{audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	if c.EmailVerified != nil {
		b := flexBool(*c.EmailVerified)
		tc.EmailVerified = &b
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, tc).SignedString([]byte(secret))
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}
