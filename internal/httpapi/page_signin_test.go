package httpapi

import (
	"html"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// The provider's sign-in URL may carry a query string of its own (Cognito's
// hosted UI needs client_id, response_type and scope there): the page adds
// redirect_uri, state and nonce to that query, never a second "?", keeps the
// provider's parameters, and replaces, not repeats, a parameter it sets.
func TestSignInLinkKeepsTheProvidersQuery(t *testing.T) {
	const base = "https://annobridge.example"
	cases := []struct {
		name, signIn string
		keep         url.Values // the provider's parameters, as they must arrive
	}{
		{"no query", "https://idp.example/oauth2/authorize", url.Values{}},
		{"empty query", "https://idp.example/oauth2/authorize?", url.Values{}},
		{"cognito hosted UI", "https://auth.example.auth.eu-west-1.amazoncognito.com/oauth2/authorize?client_id=abc123&response_type=id_token&scope=openid+email+profile",
			url.Values{"client_id": {"abc123"}, "response_type": {"id_token"}, "scope": {"openid email profile"}}},
		{"escaped values", "https://idp.example/authorize?audience=https%3A%2F%2Fapi.example%2F&prompt=login%20consent",
			url.Values{"audience": {"https://api.example/"}, "prompt": {"login consent"}}},
		{"repeated parameter", "https://idp.example/authorize?scope=openid&scope=email",
			url.Values{"scope": {"openid", "email"}}},
		{"parameters the page sets", "https://idp.example/authorize?client_id=x&redirect_uri=https%3A%2F%2Fevil.example%2F&state=fixed&nonce=fixed",
			url.Values{"client_id": {"x"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &Page{cfg: PageConfig{SignInURL: c.signIn, BaseURL: base}}
			rec := httptest.NewRecorder()
			link, err := p.signInLink(rec)
			if err != nil {
				t.Fatal(err)
			}
			checkSignInLink(t, link, c.signIn, base, c.keep)

			// The state and nonce in the link are the ones the cookie keeps.
			var pending string
			for _, ck := range rec.Result().Cookies() {
				if ck.Name == cookieOIDC {
					pending = ck.Value
				}
			}
			u, _ := url.Parse(link)
			if want := u.Query().Get("state") + "." + u.Query().Get("nonce"); pending != want {
				t.Fatalf("sign-in cookie %q, link carries %q", pending, want)
			}

			// And the page shows it so: html/template escapes the & of the
			// href attribute, nothing more.
			rec = httptest.NewRecorder()
			p.render(rec, httptest.NewRequest("GET", pagePath, nil), 200, view{Title: "You are invited",
				Inv: &collab.Invitation{Kind: collab.KindShareLink, ProjectName: "P", ExpiresAt: time.Now().Add(time.Hour)}, SignInURL: link})
			m := regexp.MustCompile(`<a href="([^"]*)" id="oidc">`).FindStringSubmatch(rec.Body.String())
			if m == nil {
				t.Fatalf("no sign-in link on the page:\n%s", rec.Body)
			}
			if shown := html.UnescapeString(m[1]); shown != link {
				t.Fatalf("page links to\n%s\nwant\n%s", shown, link)
			}
		})
	}
}

func checkSignInLink(t *testing.T, link, signIn, base string, keep url.Values) {
	t.Helper()
	if n := strings.Count(link, "?"); n != 1 {
		t.Fatalf("%s: %d question marks", link, n)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := url.Parse(signIn)
	if u.Scheme != want.Scheme || u.Host != want.Host || u.Path != want.Path || u.Fragment != "" {
		t.Fatalf("%s does not go to %s", link, signIn)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		t.Fatalf("%s: %v", link, err)
	}
	for k, vs := range keep {
		if got := q[k]; strings.Join(got, "\x00") != strings.Join(vs, "\x00") {
			t.Errorf("%s = %q, want %q", k, got, vs)
		}
	}
	if got := q["redirect_uri"]; len(got) != 1 || got[0] != base+pagePath+"/callback" {
		t.Errorf("redirect_uri %q", got)
	}
	for _, k := range []string{"state", "nonce"} {
		if got := q[k]; len(got) != 1 || len(got[0]) != 32 || got[0] == "fixed" {
			t.Errorf("%s %q", k, got)
		}
	}
	for k := range q {
		if keep[k] == nil && k != "redirect_uri" && k != "state" && k != "nonce" {
			t.Errorf("unexpected parameter %s", k)
		}
	}
}
