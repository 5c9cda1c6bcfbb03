package httpapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// PageConfig configures the invitation acceptance page.
type PageConfig struct {
	// DevSignIn mints a local token for an email and name; set only in a
	// local run (config.Config.DevSignInAllowed), never in AWS.
	DevSignIn func(email, name string) (string, error)
	// Verify checks a session token (the same verifier as the API's).
	Verify func(token string) (Identity, error)
	// SignInURL is the OIDC provider's sign-in page (AWS). The page adds
	// redirect_uri=<base>/invitations/page/callback, state and nonce to its
	// query; the provider must return the id_token and the state in the URL
	// fragment.
	SignInURL string
	// BaseURL is the public base URL; AppURL where project links point.
	BaseURL, AppURL string
}

// Identity is what the page reads of a verified token: the caller, and the
// OpenID Connect nonce claim (empty when the token has none).
type Identity struct {
	Caller collab.Caller
	Nonce  string
}

// Page serves the acceptance page. The token travels from the email link
// into an HttpOnly cookie and is dropped from the URL at once; the session
// is an HttpOnly cookie holding the verified token; every form carries a
// CSRF token matched against a cookie; the OIDC sign-in carries a state and
// a nonce kept in a short-lived cookie and checked on return; the accept and
// decline form names the invitation it was shown for.
type Page struct {
	svc  *collab.Service
	cfg  PageConfig
	addr func(*http.Request) string // the client, for the token-miss limit
}

const (
	cookieInvite  = "ab_invite"
	cookieSession = "ab_session"
	cookieCSRF    = "ab_csrf"
	cookieOIDC    = "ab_oidc" // state "." nonce of the sign-in under way
	pagePath      = "/invitations/page"

	// oidcMaxAge is how long a sign-in at the provider may take.
	oidcMaxAge = 10 * time.Minute
)

func prefersHTML(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "text/html") && !strings.HasPrefix(accept, "application/json")
}

// asker is who looks the page's invitation up: the signed-in user, else
// the client's address.
func (p *Page) asker(r *http.Request) collab.Asker {
	if c := p.caller(r); c != nil {
		return collab.AskerOf(*c)
	}
	return collab.Asker{Addr: p.addr(r)}
}

func (p *Page) secure() bool { return strings.HasPrefix(p.cfg.BaseURL, "https://") }

func (p *Page) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/invitations", MaxAge: maxAge, HttpOnly: true,
		Secure: p.secure(), SameSite: http.SameSiteLaxMode})
}

// Land takes the token from the emailed URL into a cookie and redirects to
// the page, so the token leaves the address bar (and any later Referer).
func (p *Page) Land(w http.ResponseWriter, r *http.Request, token string) {
	if !collab.WellFormedToken(token) {
		p.render(w, r, http.StatusNotFound, view{Title: "This link is not valid", Problem: "This invitation link is not valid. Check that you copied all of it."})
		return
	}
	p.setCookie(w, cookieInvite, token, 3600)
	http.Redirect(w, r, pagePath, http.StatusSeeOther)
}

type orgChoice struct{ ID, Name string }

type view struct {
	Title   string
	Problem string
	Notice  string
	Inv     *collab.Invitation
	Expires string
	User    *collab.Caller
	// The acceptance's org, for the kinds that attach one: the orgs the
	// user may accept for (owner or admin, not the inviting org), the
	// ones they may not (with why), and a new org they found here.
	Orgs       []orgChoice
	NotOrgs    []string // names of the user's orgs they cannot accept for
	OfferNew   bool     // a new org may be named
	OnlyNew    bool     // ... and is the only way: no org to choose
	NoOrg      bool     // the user belongs to no org at all
	CanDecide  bool     // the API would hear this user: offer the buttons
	Refusal    string   // why not, when it would not
	DevSignIn  bool
	SignInURL  string
	CSRF       string
	Done       *collab.Accepted
	Declined   bool
	Link       string
	Back       bool   // offer a link back to the invitation
	NewOrgHint bool   // offer accepting for a new org instead
	Home       string // the platform's app, always a way on
}

func (p *Page) caller(r *http.Request) *collab.Caller {
	ck, err := r.Cookie(cookieSession)
	if err != nil || p.cfg.Verify == nil {
		return nil
	}
	id, err := p.cfg.Verify(ck.Value)
	if err != nil {
		return nil
	}
	return &id.Caller
}

// randomHex returns 16 random bytes in hex.
func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

func (p *Page) csrf(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(cookieCSRF); err == nil && len(ck.Value) == 32 {
		return ck.Value
	}
	v := randomHex()
	p.setCookie(w, cookieCSRF, v, 3600)
	return v
}

// signInLink returns the provider's sign-in URL with redirect_uri and a fresh
// state and nonce added to its query, and keeps the state and nonce in a
// short-lived cookie for Session to check.
func (p *Page) signInLink(w http.ResponseWriter) (string, error) {
	u, err := url.Parse(p.cfg.SignInURL)
	if err != nil {
		return "", fmt.Errorf("sign-in URL: %w", err)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", fmt.Errorf("sign-in URL query: %w", err)
	}
	state, nonce := randomHex(), randomHex()
	q.Set("redirect_uri", p.cfg.BaseURL+pagePath+"/callback")
	q.Set("state", state)
	q.Set("nonce", nonce)
	u.RawQuery = q.Encode()
	p.setCookie(w, cookieOIDC, state+"."+nonce, int(oidcMaxAge.Seconds()))
	return u.String(), nil
}

// oidcPending returns the state and nonce of the sign-in under way.
func oidcPending(r *http.Request) (state, nonce string, ok bool) {
	ck, err := r.Cookie(cookieOIDC)
	if err != nil {
		return "", "", false
	}
	state, nonce, ok = strings.Cut(ck.Value, ".")
	return state, nonce, ok && len(state) == 32 && len(nonce) == 32
}

// same compares two secrets in constant time.
func same(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func (p *Page) checkCSRF(r *http.Request) bool {
	ck, err := r.Cookie(cookieCSRF)
	return err == nil && ck.Value != "" && same(ck.Value, r.PostFormValue("csrf"))
}

// load reads the invitation behind the cookie; a problem view when unusable.
func (p *Page) load(w http.ResponseWriter, r *http.Request) (string, *collab.Invitation, bool) {
	ck, err := r.Cookie(cookieInvite)
	if err != nil {
		p.render(w, r, http.StatusNotFound, view{Title: "No invitation", Problem: "Open the link from your invitation email to start."})
		return "", nil, false
	}
	inv, err := p.svc.Invitations.PreviewInvitation(r.Context(), p.asker(r), ck.Value)
	if err != nil {
		p.renderError(w, r, err, view{User: p.caller(r)})
		return "", nil, false
	}
	return ck.Value, &inv, true
}

// renderError renders a domain error as a page. ways carries the ways on
// the page can offer (the user, Back when the invitation itself is still
// usable, the invitation for the new-org hint); every error page offers
// at least the platform's app, and signing in as someone else when signed
// in.
func (p *Page) renderError(w http.ResponseWriter, r *http.Request, err error, ways view) {
	var de *collab.Error
	if !errors.As(err, &de) {
		de = &collab.Error{Code: collab.CodeInternal, Message: "Something went wrong. Try again later."}
	}
	status := statusOf[de.Code]
	if status == 0 || status == http.StatusInternalServerError {
		status, de = http.StatusInternalServerError, &collab.Error{Message: "Something went wrong. Try again later."}
	}
	title := map[int]string{400: "Please check what you entered", 404: "This link is not valid", 410: "This invitation can no longer be used",
		409: "You cannot accept this invitation", 403: "You cannot accept this invitation", 422: "One more step"}[status]
	if de.Reason != "" {
		title = map[collab.GoneReason]string{collab.GoneExpired: "This invitation has expired", collab.GoneRevoked: "This invitation was withdrawn",
			collab.GoneUsed: "This invitation has already been used", collab.GoneDeclined: "This invitation was declined"}[de.Reason]
	}
	if title == "" {
		title = "Something went wrong"
	}
	v := view{Title: title, Problem: de.Message, User: ways.User, Back: ways.Back}
	// An acceptance refused for the org it would attach (none, several,
	// not theirs to attach, already taking part, the inviting org) can go
	// on with a new org.
	if ways.Inv != nil && ways.Inv.Kind.AttachesOrg() && ways.Back {
		v.NewOrgHint = de.OrgChoice != nil || de.Code == collab.CodeConflict || hasField(de, "orgId") || hasField(de, "newOrgName")
	}
	p.render(w, r, status, v)
}

func hasField(de *collab.Error, field string) bool {
	for _, f := range de.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Show renders the offer, the sign-in, the org choice and the buttons. The
// buttons are offered only to someone the API would hear: the addressee of
// an email invitation (by verified address), and for a kind that attaches
// an org, with an org they may attach or a new one to found.
func (p *Page) Show(w http.ResponseWriter, r *http.Request) {
	_, inv, ok := p.load(w, r)
	if !ok {
		return
	}
	v := view{Title: "You are invited", Inv: inv, User: p.caller(r), CSRF: p.csrf(w, r), DevSignIn: p.cfg.DevSignIn != nil}
	if !inv.ExpiresAt.IsZero() {
		v.Expires = inv.ExpiresAt.UTC().Format("2 January 2006 15:04 MST")
	}
	if p.cfg.SignInURL != "" && v.User == nil {
		link, err := p.signInLink(w)
		if err != nil {
			logger(r.Context()).ErrorContext(r.Context(), "acceptance page sign-in link", "err", err)
		}
		v.SignInURL = link
	}
	if v.User == nil {
		p.render(w, r, http.StatusOK, v)
		return
	}
	v.CanDecide = true
	if inv.Email != "" && (v.User.Email == "" || !collab.SameEmail(v.User.Email, inv.Email)) {
		v.CanDecide = false
		if v.User.Email != "" {
			v.Refusal = "This invitation was sent to " + inv.Email + ", and you are signed in as " + v.User.Email +
				". Only its addressee can accept or decline it: sign in as " + inv.Email + "."
		}
	}
	if v.CanDecide && inv.Kind.AttachesOrg() {
		orgs, _, err := p.svc.Orgs.ListOrgs(r.Context(), *v.User, collab.Page{Limit: collab.MaxPageLimit})
		if err != nil {
			p.renderError(w, r, err, view{User: v.User})
			return
		}
		for _, o := range orgs {
			switch {
			case o.OrgID == inv.OrgID:
				v.NotOrgs = append(v.NotOrgs, o.OrgName+" (it is the inviting organization)")
			case !o.Role.HasWorkforceAccess():
				v.NotOrgs = append(v.NotOrgs, o.OrgName+" (only its owners and admins accept for it)")
			default:
				v.Orgs = append(v.Orgs, orgChoice{ID: o.OrgID, Name: o.OrgName})
			}
		}
		v.OfferNew, v.OnlyNew, v.NoOrg = true, len(v.Orgs) == 0, len(orgs) == 0
	}
	p.render(w, r, http.StatusOK, v)
}

// SignIn is the local development sign-in: it mints a token for the email
// and keeps it in the session cookie.
func (p *Page) SignIn(w http.ResponseWriter, r *http.Request) {
	if p.cfg.DevSignIn == nil {
		p.render(w, r, http.StatusNotFound, view{Title: "Not available", Problem: "Development sign-in is off here."})
		return
	}
	if !p.checkCSRF(r) {
		p.render(w, r, http.StatusForbidden, view{Title: "Please try again", Problem: "The form expired. Go back and try again."})
		return
	}
	email := collab.NormalizeEmail(r.PostFormValue("email"))
	if !collab.ValidEmail(email) {
		p.render(w, r, http.StatusBadRequest, view{Title: "Please try again", Problem: "Enter a valid email address."})
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" {
		name = email[:strings.IndexByte(email, '@')]
	}
	token, err := p.cfg.DevSignIn(email, name)
	if err != nil {
		p.renderError(w, r, err, view{Back: true})
		return
	}
	p.setCookie(w, cookieSession, token, int((12 * time.Hour).Seconds()))
	http.Redirect(w, r, pagePath, http.StatusSeeOther)
}

// Callback is where the OIDC provider returns: a script moves the id_token
// and the state from the fragment (never sent to servers) into a form post
// to Session.
func (p *Page) Callback(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusOK, view{Title: "Signing you in", Notice: "callback", CSRF: p.csrf(w, r)})
}

// Session stores a verified token posted by the callback page, when the
// state matches the sign-in this browser started and the token's nonce
// claim is that sign-in's nonce. A sign-in's state and nonce serve once.
func (p *Page) Session(w http.ResponseWriter, r *http.Request) {
	if !p.checkCSRF(r) || p.cfg.Verify == nil {
		p.render(w, r, http.StatusForbidden, view{Title: "Please try again", Problem: "Sign-in could not be completed.", Back: true})
		return
	}
	state, nonce, ok := oidcPending(r)
	p.setCookie(w, cookieOIDC, "", -1)
	if !ok {
		p.render(w, r, http.StatusForbidden, view{Title: "Sign-in refused", Back: true,
			Problem: "This sign-in was not started here, or took longer than 10 minutes. Go back to the invitation and sign in again."})
		return
	}
	if !same(state, r.PostFormValue("state")) {
		p.render(w, r, http.StatusForbidden, view{Title: "Sign-in refused", Back: true,
			Problem: "The answer of the sign-in does not belong to the sign-in started in this browser. Go back to the invitation and sign in again."})
		return
	}
	token := r.PostFormValue("id_token")
	id, err := p.cfg.Verify(token)
	if err != nil {
		p.render(w, r, http.StatusUnauthorized, view{Title: "Please try again", Problem: "Sign-in could not be verified.", Back: true})
		return
	}
	if !same(id.Nonce, nonce) {
		p.render(w, r, http.StatusUnauthorized, view{Title: "Sign-in refused", Back: true,
			Problem: "The sign-in token was not issued for the sign-in started in this browser. Go back to the invitation and sign in again."})
		return
	}
	p.setCookie(w, cookieSession, token, int((12 * time.Hour).Seconds()))
	http.Redirect(w, r, pagePath, http.StatusSeeOther)
}

// SignOut forgets the session.
func (p *Page) SignOut(w http.ResponseWriter, r *http.Request) {
	if p.checkCSRF(r) {
		p.setCookie(w, cookieSession, "", -1)
	}
	http.Redirect(w, r, pagePath, http.StatusSeeOther)
}

// Decide accepts or declines as the signed-in user.
func (p *Page) Decide(accept bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !p.checkCSRF(r) {
			p.render(w, r, http.StatusForbidden, view{Title: "Please try again", Problem: "The form expired. Go back and try again."})
			return
		}
		token, inv, ok := p.load(w, r)
		if !ok {
			return
		}
		// The form names the invitation it was shown for; the cookie may
		// since hold another one (a second link opened in another tab).
		switch shown := r.PostFormValue("invitationId"); {
		case shown == "":
			p.render(w, r, http.StatusBadRequest, view{Title: "Please try again", Back: true,
				Problem: "The form does not say which invitation it answers. Review the invitation and decide again."})
			return
		case shown != inv.ID:
			p.render(w, r, http.StatusConflict, view{Title: "The invitation changed", Back: true,
				Problem: "This form was for another invitation than the one open in this browser now. Nothing was changed. Review the invitation and decide again."})
			return
		}
		c := p.caller(r)
		if c == nil {
			http.Redirect(w, r, pagePath, http.StatusSeeOther)
			return
		}
		ways := view{User: c, Back: true, Inv: inv}
		if err := p.svc.Orgs.EnsureUser(r.Context(), *c); err != nil {
			p.renderError(w, r, err, ways)
			return
		}
		if !accept {
			if err := p.svc.Invitations.DeclineInvitation(r.Context(), *c, token); err != nil {
				p.renderError(w, r, err, ways)
				return
			}
			p.setCookie(w, cookieInvite, "", -1)
			p.render(w, r, http.StatusOK, view{Title: "Invitation declined", Declined: true, User: c})
			return
		}
		// The org: one of the radio buttons (an org id, or "new" with the
		// name field), or the name field alone (no org to choose).
		pick := collab.OrgPick{OrgID: r.PostFormValue("orgId"), NewOrgName: strings.TrimSpace(r.PostFormValue("newOrgName"))}
		switch pick.OrgID {
		case "new":
			pick.OrgID = ""
			if pick.NewOrgName == "" {
				p.render(w, r, http.StatusBadRequest, view{Title: "Please check what you entered", User: c, Back: true,
					Problem: "Name the new organization you accept for."})
				return
			}
		case "":
		default:
			pick.NewOrgName = "" // an org was chosen; the name field is not used
		}
		res, err := p.svc.Invitations.AcceptInvitation(r.Context(), *c, token, pick)
		if err != nil {
			p.renderError(w, r, err, ways)
			return
		}
		p.setCookie(w, cookieInvite, "", -1)
		v := view{Title: "Welcome aboard", Done: &res, User: c}
		switch {
		case res.ProjectID != "":
			v.Link = p.cfg.AppURL + "/projects/" + res.ProjectID
		case res.WorkspaceID != "":
			v.Link = p.cfg.AppURL + "/workspaces/" + res.WorkspaceID
		default:
			v.Link = p.cfg.AppURL + "/orgs/" + res.OrgID
		}
		p.render(w, r, http.StatusOK, v)
	}
}

func (p *Page) render(w http.ResponseWriter, r *http.Request, status int, v view) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	if v.User != nil && v.CSRF == "" {
		v.CSRF = p.csrf(w, r) // the sign-out form ("sign in as someone else")
	}
	if v.Problem != "" && v.Home == "" {
		v.Home = p.cfg.AppURL
	}
	w.WriteHeader(status)
	if _, err := io.WriteString(w, renderPage(v)); err != nil {
		logger(r.Context()).ErrorContext(r.Context(), "render page", "err", err)
	}
}

// roleLabel is a role's display name: "annotation_manager" reads
// "Annotation manager".
func roleLabel(role string) string {
	if role == "" {
		return ""
	}
	r := strings.ReplaceAll(role, "_", " ")
	return strings.ToUpper(r[:1]) + r[1:]
}
