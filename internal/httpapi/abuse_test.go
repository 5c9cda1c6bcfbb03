package httpapi_test

// Abuse of bearer tokens and invitation tokens through the routers.
//
//   - TestBearerAbuse (no stack): every forged, expired, misaddressed or
//     malformed bearer token answers 401 problem+json with a
//     WWW-Authenticate challenge and the same detail, which names no reason.
//   - TestInvitationTokenAbuse (stack): unknown, malformed and voided
//     tokens answer one and the same 404; used, revoked, declined and expired
//     ones 410 saying which (docs/architecture.md, SPEC §8) and nothing
//     else about the invitation.
//   - TestInvitationGuessing (stack): guessing tokens is rate limited per
//     caller. It skips, saying so, while no limit exists.

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/config"
	"github.com/annobridge/annobridge/internal/devstack"
)

// devClaims is a valid claim set of the local issuer, with changes (a nil
// value removes the claim).
func devClaims(change map[string]any) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"sub": "abuse-user", "email": "abuse@example.com", "name": "Abuse", "iss": config.DefaultJWTIssuer,
		"aud": config.DefaultJWTAudience, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range change {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func signDev(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBearerAbuse(t *testing.T) {
	w := offlineApps(t)
	secret := []byte(config.DefaultDevJWTSecret)
	valid := signDev(t, jwt.SigningMethodHS256, secret, devClaims(nil))
	parts := strings.Split(valid, ".")
	enc := base64.RawURLEncoding
	cases := []struct {
		name     string
		header   string // the whole Authorization header
		knownGap string // not refused yet: the test skips, saying so
	}{
		{"no header", "", ""},
		{"Basic", "Basic YWxpY2U6c2VjcmV0", ""},
		{"scheme only", "Bearer", ""},
		{"empty token", "Bearer   ", ""},
		{"token without scheme", valid, ""},
		{"alg none", "Bearer " + signDev(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, devClaims(nil)), ""},
		{"alg none, signature kept", "Bearer " + enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2], ""},
		{"HS512 with the secret", "Bearer " + signDev(t, jwt.SigningMethodHS512, secret, devClaims(nil)), ""},
		{"other secret", "Bearer " + signDev(t, jwt.SigningMethodHS256, []byte("not-the-dev-secret-at-all"), devClaims(nil)), ""},
		{"expired", "Bearer " + signDev(t, jwt.SigningMethodHS256, secret, devClaims(map[string]any{"exp": time.Now().Add(-5 * time.Minute).Unix()})), ""},
		{"not yet valid", "Bearer " + signDev(t, jwt.SigningMethodHS256, secret, devClaims(map[string]any{"nbf": time.Now().Add(5 * time.Minute).Unix()})), ""},
		{"no expiry", "Bearer " + signDev(t, jwt.SigningMethodHS256, secret, devClaims(map[string]any{"exp": nil})), ""},
		{"wrong issuer", "Bearer " + signDev(t, jwt.SigningMethodHS256, secret, devClaims(map[string]any{"iss": "https://evil.example.com"})), ""},
		{"wrong audience", "Bearer " + signDev(t, jwt.SigningMethodHS256, secret, devClaims(map[string]any{"aud": "someone-else"})), ""},
		{"no subject", "Bearer " + signDev(t, jwt.SigningMethodHS256, secret, devClaims(map[string]any{"sub": nil})), ""},
		{"claims tampered", "Bearer " + parts[0] + "." + enc.EncodeToString([]byte(`{"sub":"admin","iss":"annobridge-local","aud":"annobridge","exp":9999999999}`)) + "." + parts[2], ""},
		{"oversized garbage (900 KiB)", "Bearer " + strings.Repeat("A", 900<<10) + ".e30.c2ln", ""},
		{"oversized, signed by the issuer (64 KiB)", "Bearer " + signDev(t, jwt.SigningMethodHS256, secret, devClaims(map[string]any{"pad": strings.Repeat("x", 64<<10)})),
			""}, // refused: auth.MaxTokenBytes
	}
	var detail string
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := fuzzRequest{method: "GET", target: "/orgs"}
			if tc.header != "" {
				req.authMode, req.authValue = 2, tc.header
			}
			w.mu.Lock()
			a, _ := serveDirect(w.routers[0], req, "")
			w.mu.Unlock()
			if a.status != http.StatusUnauthorized {
				if tc.knownGap != "" {
					t.Skipf("KNOWN GAP: %s (answered %d)", tc.knownGap, a.status)
				}
				t.Fatalf("%d, want 401: %.300s", a.status, a.body)
			}
			checkAnswer(t, req, a)
			if got := a.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer ") {
				t.Fatalf("WWW-Authenticate %q", got)
			}
			// The answer does not say why (the verifier's reason stays in
			// the server).
			for _, why := range []string{"expired", "signature", "issuer", "audience", "signing method", "malformed", "unverifiable", "not valid yet", "sub claim"} {
				if strings.Contains(strings.ToLower(string(a.body)), why) {
					t.Fatalf("the answer tells why (%q): %s", why, a.body)
				}
			}
			if tc.header != "" && strings.HasPrefix(tc.header, "Bearer ") && len(tc.header) > len("Bearer    ") {
				d := problemDetail(t, a.body)
				if detail == "" {
					detail = d
				} else if d != detail {
					t.Fatalf("detail %q, another bad token got %q: the answers tell tokens apart", d, detail)
				}
			}
		})
	}
}

func problemDetail(t *testing.T, body []byte) string {
	t.Helper()
	var p struct {
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem %s: %v", body, err)
	}
	return p.Detail
}

// randomToken is a well-formed invitation token no invitation has.
func randomToken(t testing.TB) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// sameProblem reports whether two problem documents say the same, but for
// the request's own instance and id.
func sameProblem(a, b response) bool {
	strip := func(r response) map[string]any {
		m := map[string]any{}
		for k, v := range r.body {
			if k != "instance" && k != "requestId" {
				m[k] = v
			}
		}
		return m
	}
	ja, _ := json.Marshal(strip(a))
	jb, _ := json.Marshal(strip(b))
	return string(ja) == string(jb) && a.status == b.status
}

func TestInvitationTokenAbuse(t *testing.T) {
	devstack.NeedStack(t)
	owner := newActor(t, "owner")
	org := orgOf(t, owner, "Token Abuse Org")
	invitees := map[string]actor{}
	tokens := map[string]string{}
	ids := map[string]string{}
	for _, state := range []string{"used", "revoked", "declined", "expired", "resent", "pending"} {
		u := newActor(t, state)
		invitees[state] = u
		ids[state] = call(t, "POST", "/orgs/"+org+"/invitations", owner.token, map[string]string{"email": u.email, "role": "member"}).want(t, 201).str("id")
		tokens[state] = tokenMailedTo(t, u.email, 1)
	}
	call(t, "POST", "/invitations/"+tokens["used"]+"/accept", invitees["used"].token, nil).want(t, 200)
	call(t, "DELETE", "/invitations/"+ids["revoked"], owner.token, nil).want(t, 204)
	call(t, "POST", "/invitations/"+tokens["declined"]+"/decline", invitees["declined"].token, nil).want(t, 200)
	call(t, "POST", "/invitations/"+ids["resent"]+"/resend", owner.token, nil).want(t, 200)
	later := apiLater(t, 7*24*time.Hour+time.Minute)

	// What a token may tell: 404 for one that is not (or no longer) a
	// token, 410 with the reason for one that was used, revoked, declined
	// or has expired; nothing more.
	allowed := map[string]bool{"type": true, "title": true, "status": true, "detail": true, "instance": true, "requestId": true, "reason": true}
	secretsOf := func(state string) []string {
		return []string{invitees[state].email, invitees[state].id, "Token Abuse Org", ids[state], owner.email, owner.id, org}
	}
	type probe struct {
		name, token, state string // state: the invitee whose answer it is ("" none)
		base               string
		status             int
		reason             string
	}
	probes := []probe{
		{"unknown", randomToken(t), "", "", 404, ""},
		{"too short", "abc", "", "", 404, ""},
		{"one character too long", randomToken(t) + "A", "", "", 404, ""},
		{"not base64url", strings.Repeat("!", 43), "", "", 404, ""},
		{"standard base64", strings.Repeat("+", 43), "", "", 404, ""},
		{"very long (refused as a path too long)", strings.Repeat("A", 4000), "", "", 404, ""},
		{"non-ASCII", strings.Repeat("é", 43), "", "", 404, ""},
		{"a real token in other case", strings.ToUpper(tokens["pending"]), "", "", 404, ""},
		{"voided by a resend", tokens["resent"], "resent", "", 404, ""},
		{"used", tokens["used"], "used", "", 410, "used"},
		{"revoked", tokens["revoked"], "revoked", "", 410, "revoked"},
		{"declined", tokens["declined"], "declined", "", 410, "declined"},
		{"expired", tokens["expired"], "expired", later, 410, "expired"},
	}
	var notFound *response
	for _, p := range probes {
		base := p.base
		if base == "" {
			base = api(t).URL
		}
		who := invitees[p.state]
		if who.token == "" {
			who = invitees["pending"]
		}
		for _, rt := range []struct{ method, suffix, token string }{
			{"GET", "", ""}, {"POST", "/accept", who.token}, {"POST", "/decline", who.token},
		} {
			r := callOn(t, base, rt.method, "/invitations/"+p.token+rt.suffix, rt.token, nil)
			r.problem(t, p.status, "")
			for k := range r.body {
				if !allowed[k] {
					t.Fatalf("%s %s token: the answer has %q: %s", p.name, rt.method+rt.suffix, k, r.raw)
				}
			}
			if got, _ := r.body["reason"].(string); got != p.reason {
				t.Fatalf("%s token: reason %q, want %q: %s", p.name, got, p.reason, r.raw)
			}
			detail, _ := r.body["detail"].(string)
			for _, s := range secretsOf(p.state) {
				if s != "" && strings.Contains(detail, s) {
					t.Fatalf("%s token: the answer names %q: %s", p.name, s, r.raw)
				}
			}
			if p.status == 404 && len(p.token) <= 64 { // a longer one is refused for its length alone
				if notFound == nil {
					notFound = &r
				} else if !sameProblem(r, *notFound) {
					t.Fatalf("%s token (%s%s) answers\n%s\nanother unknown token\n%s", p.name, rt.method, rt.suffix, r.raw, notFound.raw)
				}
			}
		}
	}
	// A pending token answers only its addressee's acceptance.
	call(t, "GET", "/invitations/"+tokens["pending"], "", nil).want(t, 200)
	call(t, "POST", "/invitations/"+tokens["pending"]+"/accept", invitees["used"].token, nil).problem(t, 403, "")
}

// guesses is how many wrong tokens one caller tries.
const guesses = 100

// Guessing invitation tokens is limited per asker: past the budget of
// misses (lowered to 10 here) every lookup of theirs answers 429 with
// Retry-After, a right token too, so guessing learns nothing more; a signed
// caller is counted apart from the client address of unsigned lookups, and
// another user is not limited by the guesser's tries.
func TestInvitationGuessing(t *testing.T) {
	devstack.NeedStack(t)
	const limit = 10
	addr := "198.51.100." + strconv.Itoa(int(time.Now().UnixNano()%250)+1) // this test's own unsigned client
	base := apiWithLimitsFrom(t, collab.RateLimits{TokenMisses: limit}, func(*http.Request) string { return addr })
	guesser, other := newActor(t, "guesser"), newActor(t, "other")
	// A real pending invitation, to see a right token refused once the
	// guesser's budget is spent.
	host := newActor(t, "guess-host")
	org := orgOf(t, host, "Guess Host")
	call(t, "POST", "/orgs/"+org+"/invitations", host.token, map[string]string{"email": guesser.email, "role": "member"}).want(t, 201)
	right := tokenMailedTo(t, guesser.email, 1)

	at := func(method, path, token string) response {
		t.Helper()
		return callOn(t, base, method, path, token, nil)
	}
	var signedMisses, unsignedMisses int
	var limited, limitedUnsigned *response
	for i := 0; i < guesses && (limited == nil || limitedUnsigned == nil); i++ {
		path := "/invitations/" + randomToken(t)
		var r response
		switch {
		case i%3 == 0 && limitedUnsigned == nil:
			r = at("GET", path, "")
			if r.status == http.StatusTooManyRequests {
				limitedUnsigned = &r
				continue
			}
			unsignedMisses++
		case limited == nil:
			if i%2 == 0 {
				r = at("POST", path+"/accept", guesser.token)
			} else {
				r = at("POST", path+"/decline", guesser.token)
			}
			if r.status == http.StatusTooManyRequests {
				limited = &r
				continue
			}
			signedMisses++
		default:
			continue
		}
		r.problem(t, 404, "")
	}
	if limited == nil || limitedUnsigned == nil {
		t.Fatalf("%d guesses: signed refused %v, unsigned refused %v: guessing is not rate limited", guesses, limited != nil, limitedUnsigned != nil)
	}
	if signedMisses != limit || unsignedMisses != limit {
		t.Fatalf("refused after %d signed and %d unsigned misses, want %d each", signedMisses, unsignedMisses, limit)
	}
	limited.rateLimited(t, "invitation links that match nothing")
	limitedUnsigned.rateLimited(t, "invitation links that match nothing")
	// Spent: the guesser's right token is refused too, signed and unsigned.
	at("POST", "/invitations/"+right+"/accept", guesser.token).rateLimited(t, "match nothing")
	at("GET", "/invitations/"+right, "").rateLimited(t, "match nothing")
	// Per asker: someone else is not limited by the guesser's tries.
	at("POST", "/invitations/"+randomToken(t)+"/accept", other.token).problem(t, 404, "")
	at("POST", "/invitations/"+right+"/decline", other.token).problem(t, 403, "")
}
