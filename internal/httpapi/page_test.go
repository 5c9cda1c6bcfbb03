package httpapi_test

import (
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/auth"
	"github.com/annobridge/annobridge/internal/config"
	"github.com/annobridge/annobridge/internal/httpapi"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

const testSignInURL = "https://idp.example/oauth2/authorize?client_id=annobridge&response_type=id_token"

// oidcPageServer serves the API with the acceptance page as AWS runs it: an
// OIDC provider's sign-in and no development sign-in. baseURL "" means the
// server's own URL.
func oidcPageServer(t *testing.T, baseURL string) *httptest.Server {
	t.Helper()
	api(t)
	pc := *theApp.Page
	srv := httptest.NewUnstartedServer(nil)
	pc.BaseURL = baseURL
	if pc.BaseURL == "" {
		pc.BaseURL = "http://" + srv.Listener.Addr().String()
	}
	pc.SignInURL = testSignInURL
	pc.DevSignIn = nil
	srv.Config.Handler = httpapi.New(httpapi.Deps{Service: theApp.Service, Auth: theApp.Auth, Idempotency: theApp.Store,
		Page: &pc, Log: slog.New(slog.DiscardHandler)}, lambdafn.HTTP...)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// browserless is a cookie-keeping client of the page.
type browserless struct {
	t    *testing.T
	base string
	jar  *cookiejar.Jar
	c    *http.Client
}

func newBrowserless(t *testing.T, base string) *browserless {
	jar, _ := cookiejar.New(nil)
	return &browserless{t: t, base: base, jar: jar, c: &http.Client{Jar: jar}}
}

// get returns the status, the final path, the body and the final response.
func (b *browserless) get(path string) (int, string, string, *http.Response) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	req.Header.Set("Accept", "text/html")
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Request.URL.Path, string(body), res
}

func (b *browserless) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	res, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func (b *browserless) cookie(name string) string {
	u, _ := url.Parse(b.base + "/invitations/page")
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

var (
	oidcLinkRE     = regexp.MustCompile(`<a href="([^"]+)" id="oidc">`)
	invitationIDRE = regexp.MustCompile(`name="invitationId" value="([^"]+)"`)
)

// beginSignIn opens the page and returns the state and nonce of its OIDC
// sign-in link.
func (b *browserless) beginSignIn() (state, nonce string) {
	b.t.Helper()
	code, _, page, _ := b.get("/invitations/page")
	m := oidcLinkRE.FindStringSubmatch(page)
	if code != 200 || m == nil {
		b.t.Fatalf("no sign-in link (%d):\n%s", code, page)
	}
	link, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		b.t.Fatal(err)
	}
	return link.Query().Get("state"), link.Query().Get("nonce")
}

// idToken mints a token for email as the provider would return it.
func idToken(t *testing.T, email string, c auth.Claims) string {
	t.Helper()
	c.Subject, c.Email = auth.DevSubject(email), email
	tok, err := auth.MintHS256(config.DefaultDevJWTSecret, config.DefaultJWTIssuer, config.DefaultJWTAudience, c, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// The page without a browser: the token leaves the URL for a cookie; the
// OIDC sign-in link carries state and nonce, kept in a short-lived HttpOnly
// cookie; the session endpoint (the OIDC return path) takes only a verified
// token with the matching nonce, the matching state and a matching CSRF
// token; the accept form names the invitation it shows; forms without the
// CSRF token are refused.
func TestPageSessionAndCSRF(t *testing.T) {
	owner := newActor(t, "powner")
	orgID := orgOf(t, owner, "Page Org")
	invitee := newActor(t, "pinvitee")
	invID := call(t, "POST", "/orgs/"+orgID+"/invitations", owner.token, map[string]string{"email": invitee.email, "role": "member"}).want(t, 201).str("id")
	token := tokenMailedTo(t, invitee.email, 1)
	srv := oidcPageServer(t, "")
	b := newBrowserless(t, srv.URL)

	code, path, page, res := b.get("/invitations/" + token)
	if code != 200 || path != "/invitations/page" || !strings.Contains(page, "Page Org") || strings.Contains(page, token) {
		t.Fatalf("landing: %d %s", code, path)
	}
	csrf := b.cookie("ab_csrf")
	if csrf == "" {
		t.Fatal("no CSRF token")
	}
	// No development sign-in here; the provider's link carries redirect_uri,
	// state and nonce after the URL's own query.
	if strings.Contains(page, `id="signin"`) {
		t.Fatal("development sign-in offered with an OIDC provider")
	}
	if code, _ := b.post("/invitations/page/sign-in", url.Values{"csrf": {csrf}, "email": {invitee.email}}); code != 404 {
		t.Fatalf("development sign-in: %d", code)
	}
	m := oidcLinkRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no sign-in link:\n%s", page)
	}
	raw := html.UnescapeString(m[1])
	link, err := url.Parse(raw)
	if err != nil || strings.Count(raw, "?") != 1 || link.Host != "idp.example" || link.Path != "/oauth2/authorize" {
		t.Fatalf("sign-in link %q: %v", raw, err)
	}
	q := link.Query()
	state, nonce := q.Get("state"), q.Get("nonce")
	if q.Get("client_id") != "annobridge" || q.Get("response_type") != "id_token" ||
		q.Get("redirect_uri") != srv.URL+"/invitations/page/callback" || len(state) != 32 || len(nonce) != 32 || state == nonce {
		t.Fatalf("sign-in link query %v", q)
	}
	var oidc *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "ab_oidc" {
			oidc = c
		}
	}
	if oidc == nil || !oidc.HttpOnly || oidc.SameSite != http.SameSiteLaxMode || oidc.Secure || oidc.MaxAge <= 0 || oidc.MaxAge > 600 ||
		!strings.Contains(oidc.Value, state) || !strings.Contains(oidc.Value, nonce) {
		t.Fatalf("sign-in cookie %+v", oidc)
	}

	good := idToken(t, invitee.email, auth.Claims{Name: "Invitee", Nonce: nonce})
	// Without the CSRF token: refused.
	if code, _ := b.post("/invitations/page/session", url.Values{"id_token": {good}, "state": {state}}); code != 403 {
		t.Fatalf("session without csrf: %d", code)
	}
	// Another state: refused, and the sign-in is spent.
	if code, body := b.post("/invitations/page/session", url.Values{"id_token": {good}, "state": {strings.Repeat("0", 32)}, "csrf": {csrf}}); code != 403 || !strings.Contains(body, "Sign-in refused") {
		t.Fatalf("session with another state: %d", code)
	}
	if code, _ := b.post("/invitations/page/session", url.Values{"id_token": {good}, "state": {state}, "csrf": {csrf}}); code != 403 {
		t.Fatalf("session of a spent sign-in: %d", code)
	}
	// A forged token, a token without a nonce, one with another nonce: refused.
	state, _ = b.beginSignIn()
	if code, _ := b.post("/invitations/page/session", url.Values{"id_token": {"forged.token.value"}, "state": {state}, "csrf": {csrf}}); code != 401 {
		t.Fatalf("forged session: %d", code)
	}
	state, _ = b.beginSignIn()
	if code, _ := b.post("/invitations/page/session", url.Values{"id_token": {invitee.token}, "state": {state}, "csrf": {csrf}}); code != 401 {
		t.Fatalf("session without a nonce: %d", code)
	}
	state, _ = b.beginSignIn()
	if code, body := b.post("/invitations/page/session", url.Values{"id_token": {good}, "state": {state}, "csrf": {csrf}}); code != 401 || !strings.Contains(body, "Sign-in refused") {
		t.Fatalf("session with another sign-in's nonce: %d", code)
	}
	// With everything: signed in.
	state, nonce = b.beginSignIn()
	good = idToken(t, invitee.email, auth.Claims{Name: "Invitee", Nonce: nonce})
	code, body := b.post("/invitations/page/session", url.Values{"id_token": {good}, "state": {state}, "csrf": {csrf}})
	if code != 200 || !strings.Contains(body, invitee.email) {
		t.Fatalf("session: %d", code)
	}
	if b.cookie("ab_oidc") != "" {
		t.Fatal("the sign-in cookie outlives the sign-in")
	}
	// The form names the invitation on screen; another one, or none, is refused.
	if m := invitationIDRE.FindStringSubmatch(body); m == nil || m[1] != invID {
		t.Fatalf("accept form does not name invitation %s:\n%s", invID, body)
	}
	if code, _ := b.post("/invitations/page/accept", url.Values{"csrf": {"wrong"}, "invitationId": {invID}}); code != 403 {
		t.Fatalf("accept with a wrong csrf: %d", code)
	}
	if code, _ := b.post("/invitations/page/accept", url.Values{"csrf": {csrf}}); code != 400 {
		t.Fatalf("accept without the invitation: %d", code)
	}
	if code, body := b.post("/invitations/page/accept", url.Values{"csrf": {csrf}, "invitationId": {"inv-another"}}); code != 409 || !strings.Contains(body, "The invitation changed") {
		t.Fatalf("accept for another invitation: %d", code)
	}
	if code, _ := b.post("/invitations/page/decline", url.Values{"csrf": {csrf}, "invitationId": {"inv-another"}}); code != 409 {
		t.Fatalf("decline for another invitation: %d", code)
	}
	if code, body := b.post("/invitations/page/accept", url.Values{"csrf": {csrf}, "invitationId": {invID}}); code != 200 || !strings.Contains(body, "You joined the organization") {
		t.Fatalf("accept: %d %s", code, body)
	}
	if o := call(t, "GET", "/orgs/"+orgID, invitee.token, nil).want(t, 200); o.str("role") != "member" {
		t.Fatalf("member: %s", o.raw)
	}
	// JSON clients still get JSON for the same URL.
	call(t, "GET", "/invitations/"+token, "", nil).problem(t, 410, "")
}

// Behind https the sign-in cookie is Secure, and redirect_uri is https.
func TestPageSignInCookieSecureBehindHTTPS(t *testing.T) {
	owner := newActor(t, "sowner")
	orgID := orgOf(t, owner, "Secure Org")
	invitee := uniqueEmail(t, "sinvitee")
	call(t, "POST", "/orgs/"+orgID+"/invitations", owner.token, map[string]string{"email": invitee, "role": "member"}).want(t, 201)
	token := tokenMailedTo(t, invitee, 1)
	srv := oidcPageServer(t, "https://annobridge.example")

	req, _ := http.NewRequest("GET", srv.URL+"/invitations/page", nil)
	req.Header.Set("Accept", "text/html")
	req.AddCookie(&http.Cookie{Name: "ab_invite", Value: token})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	m := oidcLinkRE.FindStringSubmatch(string(body))
	if res.StatusCode != 200 || m == nil {
		t.Fatalf("page %d:\n%s", res.StatusCode, body)
	}
	link, _ := url.Parse(html.UnescapeString(m[1]))
	if got := link.Query().Get("redirect_uri"); got != "https://annobridge.example/invitations/page/callback" {
		t.Fatalf("redirect_uri %q", got)
	}
	for _, c := range res.Cookies() {
		if c.Name == "ab_oidc" {
			if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Fatalf("sign-in cookie %+v", c)
			}
			return
		}
	}
	t.Fatal("no sign-in cookie")
}

// An email the provider marks unverified counts as empty: the page's
// session and the API both refuse an invitation bound to that address.
func TestPageUnverifiedEmailCannotAccept(t *testing.T) {
	owner := newActor(t, "uowner")
	orgID := orgOf(t, owner, "Unverified Org")
	invitee := newActor(t, "uinvitee")
	invID := call(t, "POST", "/orgs/"+orgID+"/invitations", owner.token, map[string]string{"email": invitee.email, "role": "member"}).want(t, 201).str("id")
	token := tokenMailedTo(t, invitee.email, 1)
	srv := oidcPageServer(t, "")
	b := newBrowserless(t, srv.URL)
	b.get("/invitations/" + token)
	csrf := b.cookie("ab_csrf")
	state, nonce := b.beginSignIn()
	unverified := idToken(t, invitee.email, auth.Claims{Name: "Invitee", Nonce: nonce, EmailVerified: new(bool)})
	code, body := b.post("/invitations/page/session", url.Values{"id_token": {unverified}, "state": {state}, "csrf": {csrf}})
	if code != 200 || !strings.Contains(body, `id="unverified"`) || strings.Contains(body, invitee.email+"</strong>") {
		t.Fatalf("session: %d", code)
	}
	if code, body := b.post("/invitations/page/accept", url.Values{"csrf": {csrf}, "invitationId": {invID}}); code != 403 {
		t.Fatalf("accept with an unverified email: %d %s", code, body)
	}
	apiToken := idToken(t, invitee.email, auth.Claims{EmailVerified: new(bool)})
	call(t, "POST", "/invitations/"+token+"/accept", apiToken, nil).problem(t, 403, "")
	// Verified, the same address accepts.
	verified := true
	call(t, "POST", "/invitations/"+token+"/accept", idToken(t, invitee.email, auth.Claims{EmailVerified: &verified}), nil).want(t, 200)
}

// A token whose sub is out of bounds is unauthenticated (401), never a store
// error; on the page it is no session.
func TestOversizedSubjectIsUnauthenticated(t *testing.T) {
	long, err := auth.MintHS256(config.DefaultDevJWTSecret, config.DefaultJWTIssuer, config.DefaultJWTAudience,
		auth.Claims{Subject: strings.Repeat("s", 5000), Email: "long@example.com"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	call(t, "GET", "/orgs", long, nil).problem(t, 401, "")
	call(t, "POST", "/orgs", long, map[string]string{"name": "Long Sub Org"}).problem(t, 401, "")
	control, err := auth.MintHS256(config.DefaultDevJWTSecret, config.DefaultJWTIssuer, config.DefaultJWTAudience,
		auth.Claims{Subject: "user\n1", Email: "ctl@example.com"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	call(t, "GET", "/orgs", control, nil).problem(t, 401, "")
}
