package httpapi_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// The page without a browser: the token leaves the URL for a cookie; the
// session endpoint (the OIDC return path) takes only a verified token and a
// matching CSRF token; forms without the CSRF token are refused.
func TestPageSessionAndCSRF(t *testing.T) {
	owner := newActor(t, "powner")
	orgID := orgOf(t, owner, "Page Org")
	invitee := newActor(t, "pinvitee")
	call(t, "POST", "/orgs/"+orgID+"/invitations", owner.token, map[string]string{"email": invitee.email, "role": "member"}).want(t, 201)
	token := tokenMailedTo(t, invitee.email, 1)

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	get := func(path string) (int, string, string) {
		req, _ := http.NewRequest("GET", api(t).URL+path, nil)
		req.Header.Set("Accept", "text/html")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Request.URL.Path, string(b)
	}
	post := func(path string, form url.Values) (int, string) {
		res, err := client.PostForm(api(t).URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, path, page := get("/invitations/" + token)
	if code != 200 || path != "/invitations/page" || !strings.Contains(page, "Page Org") || strings.Contains(page, token) {
		t.Fatalf("landing: %d %s", code, path)
	}
	u, _ := url.Parse(api(t).URL + "/invitations/page")
	var csrf string
	for _, c := range jar.Cookies(u) {
		if c.Name == "ab_csrf" {
			csrf = c.Value
		}
	}
	if csrf == "" || !strings.Contains(page, csrf) {
		t.Fatal("no CSRF token")
	}
	// Without the CSRF token, or with a forged session token: refused.
	if code, _ := post("/invitations/page/session", url.Values{"id_token": {invitee.token}}); code != 403 {
		t.Fatalf("session without csrf: %d", code)
	}
	if code, _ := post("/invitations/page/session", url.Values{"id_token": {"forged.token.value"}, "csrf": {csrf}}); code != 401 {
		t.Fatalf("forged session: %d", code)
	}
	if code, _ := post("/invitations/page/accept", url.Values{"csrf": {"wrong"}}); code != 403 {
		t.Fatalf("accept with a wrong csrf: %d", code)
	}
	// With both: signed in, then accepted.
	if code, body := post("/invitations/page/session", url.Values{"id_token": {invitee.token}, "csrf": {csrf}}); code != 200 || !strings.Contains(body, invitee.email) {
		t.Fatalf("session: %d", code)
	}
	if code, body := post("/invitations/page/accept", url.Values{"csrf": {csrf}}); code != 200 || !strings.Contains(body, "You joined the organization") {
		t.Fatalf("accept: %d %s", code, body)
	}
	if o := call(t, "GET", "/orgs/"+orgID, invitee.token, nil).want(t, 200); o.str("role") != "member" {
		t.Fatalf("member: %s", o.raw)
	}
	// JSON clients still get JSON for the same URL.
	call(t, "GET", "/invitations/"+token, "", nil).problem(t, 410, "")
}
