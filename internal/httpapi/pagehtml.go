package httpapi

import (
	"strings"
	"unicode/utf8"

	"github.com/annobridge/annobridge/internal/collab"
)

// The acceptance page is written by plain Go rather than html/template:
// html/template (through text/template) calls reflect.Value.Method, which
// makes the linker keep every exported method of every type in the binary,
// all of each AWS SDK client's operations among them, in every function
// (docs/benchmarks.md, "Cold start").
//
// Every value interpolated into the page goes through one of two escapers,
// which do what html/template's contextual escaping does in the same
// places, byte for byte (a test renders the page both ways and compares):
//
//   - pageHTML.text: element text, the <title> and quoted attribute values
//     (html/template's htmlEscaper, rcdataEscaper and attrEscaper): NUL
//     becomes U+FFFD, and " & ' + < > character references.
//   - pageHTML.url: a whole URL in a quoted href (html/template's urlFilter,
//     urlNormalizer, attrEscaper): a URL with a scheme other than http,
//     https or mailto becomes "#ZgotmplZ"; bytes a URL may not hold are
//     percent-encoded; then it is escaped as an attribute value.
//
// Every attribute value is double-quoted; no value is interpolated into a
// tag's name, an attribute's name, a script or a style.

// pageHTML builds the page.
type pageHTML struct{ strings.Builder }

// raw writes the page's own markup, never data.
func (b *pageHTML) raw(ss ...string) {
	for _, s := range ss {
		b.WriteString(s)
	}
}

// text writes a value as element text or a double-quoted attribute value.
func (b *pageHTML) text(s string) {
	written := 0
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		var repl string
		switch r {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		}
		if repl != "" {
			b.WriteString(s[written:i])
			b.WriteString(repl)
			written = i + w
		}
		i += w
	}
	b.WriteString(s[written:])
}

// url writes a URL as the whole value of a double-quoted href.
func (b *pageHTML) url(s string) {
	if !safeURL(s) {
		s = "#ZgotmplZ"
	}
	b.text(normalizeURL(s))
}

// safeURL reports a relative URL or one whose scheme is http, https or
// mailto.
func safeURL(s string) bool {
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") {
		return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "mailto")
	}
	return true
}

// normalizeURL percent-encodes every byte of s that is neither unreserved
// nor reserved in RFC 3986 (a quote, a space, a control, a non-ASCII
// byte, ...), keeping valid percent escapes.
func normalizeURL(s string) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			continue
		case strings.IndexByte("!#$&*+,/:;=?@[]-._~", c) >= 0:
			continue
		case c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
			continue
		}
		if written == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[written:i])
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
		written = i + 1
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// pageStyle is the page's style sheet.
const pageStyle = `<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2430}
main{max-width:34rem;margin:3rem auto;background:#fff;border-radius:10px;padding:2rem;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin-top:0} dl{display:grid;grid-template-columns:9rem 1fr;gap:.3rem .8rem}
dt{color:#5b6575} dd{margin:0} .problem{background:#fdecea;border-left:4px solid #c0392b;padding:.8rem}
.ok{background:#e9f7ef;border-left:4px solid #1e8449;padding:.8rem}
button{font:inherit;padding:.5rem 1.1rem;border-radius:6px;border:1px solid #1f4fd1;background:#1f4fd1;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1f4fd1} input[type=email],input[type=text]{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}
form{margin:1rem 0} label{display:block;margin:.4rem 0} .row{display:flex;gap:.6rem} small{color:#5b6575}
fieldset{border:1px solid #d5d9e0;border-radius:6px} #ways{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center} #ways form{margin:0}
button.link{background:none;border:0;color:#1f4fd1;padding:0;text-decoration:underline}
</style>`

// callbackScript moves the id_token and the state from the URL fragment
// into the session form (Callback).
const callbackScript = `<script>var f=new URLSearchParams(location.hash.slice(1)),t=f.get("id_token");history.replaceState(null,"",location.pathname);if(t){document.getElementById("id_token").value=t;document.getElementById("state").value=f.get("state")||"";document.getElementById("session").submit()}else{document.getElementById("wait").hidden=true;document.getElementById("callback-problem").hidden=false}</script>`

// renderPage writes the page of a view.
func renderPage(v view) string {
	var b pageHTML
	b.raw("<!doctype html>\n",
		`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`, "\n",
		"<title>")
	b.text(v.Title)
	b.raw(" · annobridge</title>\n", pageStyle, "</head><body><main>\n",
		`<h1 id="title">`)
	b.text(v.Title)
	b.raw("</h1>\n")
	switch {
	case v.Problem != "":
		b.raw(`<p class="problem" id="problem">`)
		b.text(v.Problem)
		b.raw("</p>\n", `<div id="ways">`, "\n")
		if v.NewOrgHint {
			b.raw(`<a href="/invitations/page" id="new-org-hint">Accept for a new organization instead</a>`)
		}
		b.raw("\n")
		if v.Back {
			b.raw(`<a href="/invitations/page" id="back">Back to the invitation</a>`)
		}
		b.raw("\n")
		if v.User != nil {
			b.raw(`<form method="post" action="/invitations/page/sign-out"><input type="hidden" name="csrf" value="`)
			b.text(v.CSRF)
			b.raw(`"><button class="link" type="submit" id="switch-user">Sign in as someone else</button></form>`)
		}
		b.raw("\n")
		if v.Home != "" {
			b.raw(`<a href="`)
			b.url(v.Home)
			b.raw(`" id="home">Go to annobridge</a>`)
		}
		b.raw("\n</div>\n")
	case v.Back:
		b.raw(`<p><a href="/invitations/page" id="back">Back to the invitation</a></p>`)
	}
	b.raw("\n")
	if v.Notice == "callback" {
		b.raw("\n", `<p id="wait">One moment…</p>`, "\n",
			`<p class="problem" id="callback-problem" hidden>The sign-in did not complete. <a href="/invitations/page">Back to the invitation</a></p>`, "\n",
			`<form id="session" method="post" action="/invitations/page/session"><input type="hidden" name="csrf" value="`)
		b.text(v.CSRF)
		b.raw(`"><input type="hidden" name="id_token" id="id_token"><input type="hidden" name="state" id="state"></form>`, "\n",
			callbackScript, "\n")
	}
	b.raw("\n")
	if d := v.Done; d != nil {
		b.done(d, v.Link)
	}
	b.raw("\n")
	if v.Declined {
		b.raw(`<p class="ok" id="result">You declined the invitation. Nothing was changed.</p>`)
	}
	b.raw("\n")
	if v.Inv != nil {
		b.invitation(v)
	}
	b.raw("\n</main></body></html>")
	return b.String()
}

// done writes the result of an acceptance.
func (b *pageHTML) done(d *collab.Accepted, link string) {
	b.raw(`<p class="ok" id="result">`)
	switch {
	case d.ProjectID != "":
		b.raw("You joined the project <strong>")
		b.text(d.ProjectName)
	case d.WorkspaceID != "":
		b.raw("You joined the workspace <strong>")
		b.text(d.WorkspaceName)
	default:
		b.raw("You joined the organization <strong>")
		b.text(d.OrgName)
	}
	b.raw("</strong>")
	if d.OrgName != "" && (d.ProjectID != "" || d.WorkspaceID != "") {
		b.raw(` for <strong id="result-org">`)
		b.text(d.OrgName)
		b.raw("</strong>")
	}
	if d.Role != "" {
		b.raw(` as <strong id="result-role">`)
		b.text(roleLabel(d.Role))
		b.raw("</strong>")
	}
	b.raw(".</p>\n")
	if d.PendingApproval {
		b.raw(`<p id="pending">Your organization approves the partnerships it accepts: this one takes effect once an owner or admin of <strong>`)
		b.text(d.OrgName)
		b.raw("</strong> approves it.</p>\n")
	}
	if d.OrgCreated {
		b.raw(`<p id="founded">You founded <strong>`)
		b.text(d.OrgName)
		b.raw("</strong> and are its owner.</p>")
	}
	b.raw("\n", `<p><a id="open" href="`)
	b.url(link)
	b.raw(`">Open `)
	switch {
	case d.ProjectID != "":
		b.raw("the project")
	case d.WorkspaceID != "":
		b.raw("the workspace")
	default:
		b.raw("the organization")
	}
	b.raw("</a></p>")
}

// strong writes a value in <strong>.
func (b *pageHTML) strong(s string) {
	b.raw("<strong>")
	b.text(s)
	b.raw("</strong>")
}

// invitation writes the offer, and the sign-in or the decision.
func (b *pageHTML) invitation(v view) {
	inv := v.Inv
	b.raw("\n", `<p id="summary">`)
	if inv.InvitedByName != "" {
		b.strong(inv.InvitedByName)
		b.raw(" of ")
	}
	b.strong(inv.OrgName)
	b.raw(" invites")
	switch inv.Kind {
	case collab.KindShareLink:
		b.raw(" your organization to work on the project ")
		b.strong(inv.ProjectName)
		b.raw(" as a partner; the first of you to accept becomes its ")
		b.text(roleLabel(inv.Role))
		b.raw(" there.")
	case collab.KindLabelingCompany:
		b.raw(" the labeling company ")
		b.strong(inv.CompanyName)
		b.raw(" to label the project ")
		b.strong(inv.ProjectName)
		b.raw(", with you as its ")
		b.text(roleLabel(inv.Role))
		b.raw(".")
	case collab.KindCollaborator:
		b.raw(" your organization to collaborate in the workspace ")
		b.strong(inv.WorkspaceName)
		if inv.Role != "" {
			b.raw(", and you to work there as ")
			b.text(roleLabel(inv.Role))
		}
		b.raw(".")
	case collab.KindProjectMember:
		b.raw(" you to the project ")
		b.strong(inv.ProjectName)
		b.raw(" as ")
		b.text(roleLabel(inv.Role))
		b.raw(".")
	default:
		b.raw(" you to join the organization as ")
		b.text(roleLabel(inv.Role))
		b.raw(".")
	}
	b.raw("</p>\n", `<dl id="offer">`, "\n")
	if inv.ProjectName != "" {
		b.raw("<dt>Project</dt><dd>")
		b.text(inv.ProjectName)
		b.raw("</dd>")
	}
	b.raw("\n")
	if inv.WorkspaceName != "" {
		b.raw("<dt>Workspace</dt><dd>")
		b.text(inv.WorkspaceName)
		b.raw("</dd>")
	}
	b.raw("\n<dt>Inviting organization</dt><dd>")
	b.text(inv.OrgName)
	b.raw("</dd>\n")
	if inv.CompanyName != "" {
		b.raw(`<dt>Addressed to</dt><dd id="addressed-to">`)
		b.text(inv.CompanyName)
		b.raw("</dd>")
	}
	b.raw("\n")
	if inv.Role != "" {
		b.raw(`<dt>Your role</dt><dd id="role">`)
		b.text(roleLabel(inv.Role))
		b.raw("</dd>")
	}
	b.raw("\n")
	if inv.Email != "" {
		b.raw("<dt>Sent to</dt><dd>")
		b.text(inv.Email)
		b.raw("</dd>")
	}
	b.raw("\n<dt>Expires</dt><dd>")
	if v.Expires != "" {
		b.text(v.Expires)
	} else {
		b.raw("never")
	}
	b.raw("</dd>\n</dl>\n")
	if v.User != nil {
		b.decision(v)
	} else {
		b.signIn(v)
	}
	b.raw("\n")
}

// decision writes who is signed in, why they may not decide, the accept
// and decline form, and the sign-out.
func (b *pageHTML) decision(v view) {
	inv, u := v.Inv, v.User
	b.raw("\n")
	if u.Email != "" {
		b.raw(`<p>Signed in as <strong id="who">`)
		b.text(u.Email)
		b.raw("</strong>.</p>\n")
	} else {
		b.raw(`<p id="unverified">Signed in`)
		if u.Name != "" {
			b.raw(" as ")
			b.strong(u.Name)
		}
		b.raw(", without a verified email address: an invitation sent to an email address can be accepted only once your sign-in provider has verified that address.</p>")
	}
	b.raw("\n")
	if v.Refusal != "" {
		b.raw(`<p class="problem" id="refusal">`)
		b.text(v.Refusal)
		b.raw("</p>")
	}
	b.raw("\n")
	if v.CanDecide {
		b.raw("\n", `<form method="post" action="/invitations/page/accept" id="accept">`, "\n",
			`<input type="hidden" name="csrf" value="`)
		b.text(v.CSRF)
		b.raw(`">`, "\n", `<input type="hidden" name="invitationId" value="`)
		b.text(inv.ID)
		b.raw(`">`, "\n")
		if v.OfferNew {
			b.raw(`<fieldset id="accept-for"><legend>Accept for`)
			if inv.CompanyName != "" {
				b.raw(" <small>(addressed to ")
				b.text(inv.CompanyName)
				b.raw(")</small>")
			}
			b.raw("</legend>\n")
			switch {
			case v.NoOrg:
				b.raw(`<p id="no-org">You do not belong to an organization yet. Name yours: it is created as you accept, with you as its owner.</p>`, "\n")
			case v.OnlyNew:
				b.raw(`<p id="no-org">None of your organizations can accept this. Name a new one: it is created as you accept, with you as its owner.</p>`)
			}
			b.raw("\n")
			for i, o := range v.Orgs {
				b.raw(`<label><input type="radio" name="orgId" value="`)
				b.text(o.ID)
				b.raw(`" required`)
				if i == 0 {
					b.raw(" checked")
				}
				b.raw("> ")
				b.text(o.Name)
				b.raw("</label>")
			}
			b.raw("\n")
			if v.OnlyNew {
				b.raw(`<label>Organization name <input type="text" name="newOrgName" id="neworg" maxlength="120" required></label>`, "\n")
			} else {
				b.raw(`<label><input type="radio" name="orgId" value="new" id="neworg-choice" required> A new organization named <input type="text" name="newOrgName" id="neworg" maxlength="120"></label>`)
			}
			b.raw("\n")
			for _, n := range v.NotOrgs {
				b.raw(`<small class="not-org">Not `)
				b.text(n)
				b.raw(".</small><br>")
			}
			b.raw("\n</fieldset>")
		}
		b.raw("\n", `<div class="row"><button type="submit" id="confirm">Accept</button>`, "\n",
			`<button type="submit" class="secondary" formaction="/invitations/page/decline" formnovalidate id="decline">Decline</button></div>`, "\n",
			"</form>")
	}
	b.raw("\n", `<form method="post" action="/invitations/page/sign-out"><input type="hidden" name="csrf" value="`)
	b.text(v.CSRF)
	b.raw(`"><button class="secondary" type="submit" id="sign-out">`)
	if v.CanDecide {
		b.raw("Sign out")
	} else {
		b.raw("Sign in as someone else")
	}
	b.raw("</button></form>\n")
}

// signIn writes the ways to sign in.
func (b *pageHTML) signIn(v view) {
	b.raw("\n<p>Sign in to accept or decline.</p>\n")
	if v.DevSignIn {
		b.raw(`<form method="post" action="/invitations/page/sign-in" id="signin">`, "\n",
			`<input type="hidden" name="csrf" value="`)
		b.text(v.CSRF)
		b.raw(`">`, "\n",
			`<label>Email <input type="email" name="email" id="email" required></label>`, "\n",
			`<label>Name <input type="text" name="name" id="name"></label>`, "\n",
			`<button type="submit" id="signin-button">Sign in</button> <small>development sign-in</small>`, "\n",
			"</form>")
	}
	b.raw("\n")
	if v.SignInURL != "" {
		b.raw(`<p><a href="`)
		b.url(v.SignInURL)
		b.raw(`" id="oidc">Sign in</a></p>`)
	}
	b.raw("\n")
}
