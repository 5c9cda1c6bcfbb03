package httpapi_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

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
	if !strings.Contains(result, "annotation_manager") || !strings.HasSuffix(href, "/projects/"+project) {
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
