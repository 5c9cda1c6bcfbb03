package httpapi_test

import (
	"context"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/annobridge/annobridge/internal/auth"
	"github.com/annobridge/annobridge/internal/collab"
)

// browser starts headless Debian Chromium for one test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("chromium is not installed at %s (make test installs Debian's chromium): %v", path, err)
	}
	// Chromium's helpers may still write to the profile for a moment after
	// the browser is gone, so it is removed on a best-effort basis.
	profile, err := os.MkdirTemp("", "annobridge-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return ctx
}

var mailedLink = regexp.MustCompile(`https?://\S+/invitations/[A-Za-z0-9_-]{43}`)

// The whole acceptance, as a person does it: open the link from the email in
// the outbox, sign in, choose one of two orgs, confirm, see the result.
func TestBrowserAcceptsEmailedInvitation(t *testing.T) {
	owner := newActor(t, "bowner")
	hostOrg := call(t, "POST", "/orgs", owner.token, map[string]string{"name": "Host <b>Bold</b> & Co"}).want(t, 201)
	project := call(t, "POST", "/workspaces/"+hostOrg.str("defaultWorkspaceId")+"/projects", owner.token,
		map[string]string{"name": "Street <script>alert(1)</script> scenes"}).want(t, 201).str("id")
	admin := newActor(t, "badmin")
	orgOf(t, admin, "First Labels")
	second := orgOf(t, admin, "Second Labels")
	call(t, "POST", "/projects/"+project+"/labeling-companies", owner.token,
		map[string]string{"name": "Labels United", "adminEmail": admin.email}).want(t, 201)
	tokenMailedTo(t, admin.email, 1)
	link := mailedLink.FindString(emailsTo(t, admin.email)[0])
	if link == "" {
		t.Fatal("no link in the email")
	}

	ctx := browser(t)
	var title, offer, offerHTML, url string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(`#signin`, chromedp.ByID),
		chromedp.Location(&url),
		chromedp.Text(`#title`, &title, chromedp.ByID),
		chromedp.Text(`#offer`, &offer, chromedp.ByID),
		chromedp.InnerHTML(`main`, &offerHTML, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(url, tokenOf(t, link)) || !strings.HasSuffix(url, "/invitations/page") {
		t.Fatalf("token still in the address bar: %s", url)
	}
	if title != "You are invited" || !strings.Contains(offer, "Street <script>alert(1)</script> scenes") || !strings.Contains(offer, "Labels United") {
		t.Fatalf("title %q offer %q", title, offer)
	}
	if strings.Contains(offerHTML, "<script>alert") || strings.Contains(offerHTML, "<b>Bold</b>") {
		t.Fatalf("page does not escape names:\n%s", offerHTML)
	}

	var who, result, href string
	if err := chromedp.Run(ctx,
		chromedp.SendKeys(`#email`, admin.email, chromedp.ByID),
		chromedp.SendKeys(`#name`, "Bea Admin", chromedp.ByID),
		chromedp.Click(`#signin-button`, chromedp.ByID),
		chromedp.WaitVisible(`#accept`, chromedp.ByID),
		chromedp.Location(&url),
		chromedp.Text(`#who`, &who, chromedp.ByID),
		chromedp.Click(`input[name=orgId][value="`+second+`"]`, chromedp.ByQuery),
		chromedp.Click(`#confirm`, chromedp.ByID),
		chromedp.WaitVisible(`#result`, chromedp.ByID),
		chromedp.Text(`#result`, &result, chromedp.ByID),
		chromedp.AttributeValue(`#open`, "href", &href, nil, chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	if who != admin.email || strings.Contains(url, tokenOf(t, link)) {
		t.Fatalf("signed in as %q at %s", who, url)
	}
	if !strings.Contains(result, "Annotation manager") || !strings.Contains(result, "Second Labels") || !strings.HasSuffix(href, "/projects/"+project) {
		t.Fatalf("result %q link %q", result, href)
	}
	// The API agrees: the chosen org is the company, the admin its manager.
	p := call(t, "GET", "/projects/"+project+"/permissions", admin.token, nil).want(t, 200)
	if p.str("orgId") != second || p.str("role") != "annotation_manager" || p.str("side") != "external" {
		t.Fatalf("after the page: %s", p.raw)
	}
	// Opening the used link again says so.
	var gone string
	if err := chromedp.Run(ctx, chromedp.Navigate(link), chromedp.WaitVisible(`#problem`, chromedp.ByID),
		chromedp.Text(`#title`, &gone, chromedp.ByID)); err != nil {
		t.Fatal(err)
	}
	if gone != "This invitation has already been used" {
		t.Fatalf("used link page %q", gone)
	}
}

func TestBrowserShowsExpiredLink(t *testing.T) {
	owner := newActor(t, "eowner")
	orgID := orgOf(t, owner, "Expiring Org")
	invitee := uniqueEmail(t, "late")
	call(t, "POST", "/orgs/"+orgID+"/invitations", owner.token, map[string]string{"email": invitee, "role": "member"}).want(t, 201)
	token := tokenMailedTo(t, invitee, 1)
	later := apiLater(t, collab.EmailInvitationTTL+time.Hour)

	ctx := browser(t)
	var title, problem string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(later+"/invitations/"+token),
		chromedp.WaitVisible(`#problem`, chromedp.ByID),
		chromedp.Text(`#title`, &title, chromedp.ByID),
		chromedp.Text(`#problem`, &problem, chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	if title != "This invitation has expired" || !strings.Contains(problem, "expired") {
		t.Fatalf("expired page: %q / %q", title, problem)
	}
	// The same link before its expiry offers the invitation.
	if err := chromedp.Run(ctx, chromedp.Navigate(api(t).URL+"/invitations/"+token), chromedp.WaitVisible(`#offer`, chromedp.ByID),
		chromedp.Text(`#title`, &title, chromedp.ByID)); err != nil {
		t.Fatal(err)
	}
	if title != "You are invited" {
		t.Fatalf("fresh page %q", title)
	}
}

// A person with no org opens the emailed labeling-company link, signs in,
// names a new org on the page and accepts: the page says who invited
// which company to what, in which role, beside the org they accept for;
// afterwards the org exists, they own it, the project is in its list and
// they are the company's annotation manager.
func TestBrowserAcceptsWithANewOrg(t *testing.T) {
	owner := newActor(t, "nowner")
	hostOrg := call(t, "POST", "/orgs", owner.token, map[string]string{"name": "Host Studio"}).want(t, 201)
	project := call(t, "POST", "/workspaces/"+hostOrg.str("defaultWorkspaceId")+"/projects", owner.token,
		map[string]string{"name": "Harbour scenes"}).want(t, 201).str("id")
	founder := newActor(t, "nfounder") // signed up, in no org
	call(t, "POST", "/projects/"+project+"/labeling-companies", owner.token,
		map[string]string{"name": "Labels As The Host Typed", "adminEmail": founder.email}).want(t, 201)
	tokenMailedTo(t, founder.email, 1)
	link := mailedLink.FindString(emailsTo(t, founder.email)[0])
	if link == "" {
		t.Fatal("no link in the email")
	}

	ctx := browser(t)
	var summary, role, addressed, acceptFor string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(`#signin`, chromedp.ByID),
		chromedp.SendKeys(`#email`, founder.email, chromedp.ByID),
		chromedp.SendKeys(`#name`, "Nia Founder", chromedp.ByID),
		chromedp.Click(`#signin-button`, chromedp.ByID),
		chromedp.WaitVisible(`#neworg`, chromedp.ByID),
		chromedp.Text(`#summary`, &summary, chromedp.ByID),
		chromedp.Text(`#role`, &role, chromedp.ByID),
		chromedp.Text(`#addressed-to`, &addressed, chromedp.ByID),
		chromedp.Text(`#accept-for`, &acceptFor, chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Host Studio", "Labels As The Host Typed", "Harbour scenes", "Annotation manager"} {
		if !strings.Contains(summary, want) {
			t.Fatalf("summary %q lacks %q", summary, want)
		}
	}
	if role != "Annotation manager" || addressed != "Labels As The Host Typed" || !strings.Contains(acceptFor, "do not belong to an organization") {
		t.Fatalf("role %q, addressed to %q, accept for %q", role, addressed, acceptFor)
	}

	var result, founded, href string
	if err := chromedp.Run(ctx,
		chromedp.SendKeys(`#neworg`, "Nia's Labels", chromedp.ByID),
		chromedp.Click(`#confirm`, chromedp.ByID),
		chromedp.WaitVisible(`#result`, chromedp.ByID),
		chromedp.Text(`#result`, &result, chromedp.ByID),
		chromedp.Text(`#founded`, &founded, chromedp.ByID),
		chromedp.AttributeValue(`#open`, "href", &href, nil, chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Harbour scenes", "Nia's Labels", "Annotation manager"} {
		if !strings.Contains(result, want) {
			t.Fatalf("result %q lacks %q", result, want)
		}
	}
	if !strings.Contains(founded, "Nia's Labels") || !strings.HasSuffix(href, "/projects/"+project) {
		t.Fatalf("founded %q, link %q", founded, href)
	}

	// The API agrees.
	var orgID string
	for id, o := range orgsOfMe(t, founder) {
		if o["name"] == "Nia's Labels" && o["role"] == "owner" {
			orgID = id
		}
	}
	if orgID == "" {
		t.Fatalf("no org owned by the founder: %v", orgsOfMe(t, founder))
	}
	projects := call(t, "GET", "/orgs/"+orgID+"/projects", founder.token, nil).want(t, 200).items()
	if len(projects) != 1 || projects[0]["id"] != project || projects[0]["shared"] != true {
		t.Fatalf("the new org's projects %v", projects)
	}
	p := call(t, "GET", "/projects/"+project+"/permissions", founder.token, nil).want(t, 200)
	if p.str("orgId") != orgID || p.str("role") != "annotation_manager" || p.str("side") != "external" {
		t.Fatalf("after the page: %s", p.raw)
	}
	partners := call(t, "GET", "/projects/"+project+"/partners", owner.token, nil).want(t, 200)
	if !strings.Contains(string(partners.raw), orgID) || !strings.Contains(string(partners.raw), "labeling_company") {
		t.Fatalf("partners %s", partners.raw)
	}
}

// Someone the API would refuse gets no Accept button but a way on: the
// wrong addressee is told whom the invitation is for and can sign in as
// someone else; an error page after a refused acceptance offers going
// back, signing in as someone else, a new org and the platform.
func TestPageOffersAWayOn(t *testing.T) {
	owner := newActor(t, "wowner")
	hostOrg := call(t, "POST", "/orgs", owner.token, map[string]string{"name": "Way Host"}).want(t, 201)
	project := call(t, "POST", "/workspaces/"+hostOrg.str("defaultWorkspaceId")+"/projects", owner.token,
		map[string]string{"name": "Way project"}).want(t, 201).str("id")
	addressee := uniqueEmail(t, "waddressee")
	call(t, "POST", "/projects/"+project+"/labeling-companies", owner.token,
		map[string]string{"name": "Way Co", "adminEmail": addressee}).want(t, 201)
	token := tokenMailedTo(t, addressee, 1)

	b := newBrowserless(t, api(t).URL)
	b.get("/invitations/" + token)
	csrf := b.cookie("ab_csrf")
	stranger := newActor(t, "wstranger")
	if code, body := b.post("/invitations/page/sign-in", url.Values{"csrf": {csrf}, "email": {stranger.email}}); code != 200 ||
		strings.Contains(body, `id="accept"`) || !strings.Contains(body, `id="refusal"`) || !strings.Contains(body, addressee) ||
		!strings.Contains(body, "Sign in as someone else") {
		t.Fatalf("wrong addressee: %d\n%s", code, body)
	}
	// The API refuses what the page does not offer, and the error page
	// offers ways on.
	invID := call(t, "GET", "/invitations?projectId="+project, owner.token, nil).want(t, 200).items()[0]["id"].(string)
	code, body := b.post("/invitations/page/accept", url.Values{"csrf": {csrf}, "invitationId": {invID}, "orgId": {"new"}, "newOrgName": {"X"}})
	if code != 403 {
		t.Fatalf("accept as the wrong addressee: %d", code)
	}
	for _, way := range []string{`id="back"`, `id="switch-user"`, `id="home"`} {
		if !strings.Contains(body, way) {
			t.Fatalf("error page lacks %s:\n%s", way, body)
		}
	}

	// The addressee, a plain member of an org: that org is not offered,
	// a new one is; choosing "new" without a name is a 400 with ways on.
	b2 := newBrowserless(t, api(t).URL)
	b2.get("/invitations/" + token)
	csrf2 := b2.cookie("ab_csrf")
	boss := newActor(t, "wboss")
	plainOrg := orgOf(t, boss, "Plain Member Org")
	joinOrg(t, plainOrg, actor{email: addressee, id: auth.DevSubject(addressee)}, collab.OrgMember, "Plain Member Org")
	code, body = b2.post("/invitations/page/sign-in", url.Values{"csrf": {csrf2}, "email": {addressee}})
	if code != 200 || !strings.Contains(body, `id="accept"`) || strings.Contains(body, `value="`+plainOrg+`"`) ||
		!strings.Contains(body, "Plain Member Org (only its owners and admins accept for it)") || !strings.Contains(body, `id="neworg"`) {
		t.Fatalf("plain member's page: %d\n%s", code, body)
	}
	code, body = b2.post("/invitations/page/accept", url.Values{"csrf": {csrf2}, "invitationId": {invID}, "orgId": {plainOrg}})
	if code != 403 || !strings.Contains(body, `id="new-org-hint"`) || !strings.Contains(body, `id="back"`) {
		t.Fatalf("accept for a plain member's org: %d\n%s", code, body)
	}
}
