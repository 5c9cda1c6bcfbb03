// Package auth verifies bearer JWTs (HS256 with a shared secret, or RS256
// against a JWKS URL), with the algorithm pinned and issuer, audience, expiry
// and not-before checked, and mints local development tokens.
package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Claims are the verified claims the service uses.
type Claims struct {
	Subject string
	Email   string
	Name    string
}

// ErrInvalidToken is returned for any token that does not verify.
var ErrInvalidToken = errors.New("invalid token")

type tokenClaims struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	jwt.RegisteredClaims
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
func (v *Verifier) Verify(token string) (Claims, error) {
	var tc tokenClaims
	if _, err := v.parser.ParseWithClaims(token, &tc, v.keyfunc); err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if tc.Subject == "" {
		return Claims{}, fmt.Errorf("%w: no sub claim", ErrInvalidToken)
	}
	return Claims{Subject: tc.Subject, Email: tc.Email, Name: tc.Name}, nil
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
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   c.Subject,
			Issuer:    issuer,
			Audience:  jwt.ClaimStrings{audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, tc).SignedString([]byte(secret))
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}
