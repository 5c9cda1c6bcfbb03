package httpapi

import (
	"html/template"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/annobridge/annobridge/internal/collab"
)

// The page was an html/template; renderPage writes it by hand. Rendered
// both ways, over views of every shape and values holding everything
// html/template escapes (markup, quotes, NUL, invalid UTF-8, URLs with
// unsafe schemes, spaces, quotes and non-ASCII), the bytes are the same:
// the hand-written escaping is html/template's contextual escaping.
func TestPageMatchesHTMLTemplate(t *testing.T) {
	nasty := []string{"", "Acme", "<script>alert(1)</script>", `a"b'c`, "x+y & z", "\x00nul\x00", "bad\xffutf8", "\ufdd0\uffff",
		"Tête à tête", "javascript:alert(1)", "JavaScript:x", "https://app.example.com/p?a=1&b=<2>", "/rel:ative", "http://a b/\"x\"",
		"%zz%41%", "mailto:x@y", "data:text/html,<b>", "{{.Title}}", "\r\n\t", "https://x/ü?q=é#frag"}
	pick := func(r *rand.Rand) string { return nasty[r.IntN(len(nasty))] }
	kinds := []collab.InvitationKind{collab.KindShareLink, collab.KindLabelingCompany, collab.KindCollaborator, collab.KindProjectMember, collab.KindOrgMember, "other"}
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 5000 {
		flip := func() bool { return r.IntN(2) == 0 }
		v := view{Title: pick(r), Problem: pick(r), Notice: pick(r), Expires: pick(r), OfferNew: flip(), OnlyNew: flip(), NoOrg: flip(),
			CanDecide: flip(), Refusal: pick(r), DevSignIn: flip(), SignInURL: pick(r), CSRF: pick(r), Declined: flip(), Link: pick(r),
			Back: flip(), NewOrgHint: flip(), Home: pick(r)}
		if flip() {
			v.Notice = "callback"
		}
		if flip() {
			v.User = &collab.Caller{UserID: pick(r), Email: pick(r), Name: pick(r)}
		}
		if flip() {
			v.Inv = &collab.Invitation{ID: pick(r), Kind: kinds[r.IntN(len(kinds))], ProjectName: pick(r), WorkspaceName: pick(r), OrgName: pick(r),
				InvitedByName: pick(r), Email: pick(r), Role: pick(r), CompanyName: pick(r)}
		}
		if flip() {
			v.Done = &collab.Accepted{OrgName: pick(r), OrgCreated: flip(), ProjectID: pick(r), WorkspaceID: pick(r), Role: pick(r),
				ProjectName: pick(r), WorkspaceName: pick(r)}
		}
		for range r.IntN(3) {
			v.Orgs = append(v.Orgs, orgChoice{ID: pick(r), Name: pick(r)})
		}
		for range r.IntN(3) {
			v.NotOrgs = append(v.NotOrgs, pick(r))
		}
		var want strings.Builder
		if err := templatePage.Execute(&want, v); err != nil {
			t.Fatal(err)
		}
		if got := renderPage(v); got != want.String() {
			t.Fatalf("view %d %+v:\n got %q\nwant %q", n, v, got, want.String())
		}
	}
}

// templatePage is the page as it was, an html/template: the reference the
// hand-written page is held to.
var templatePage = template.Must(template.New("page").Funcs(template.FuncMap{"role": roleLabel}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · annobridge</title>
<style>
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
</style></head><body><main>
<h1 id="title">{{.Title}}</h1>
{{if .Problem}}<p class="problem" id="problem">{{.Problem}}</p>
<div id="ways">
{{if .NewOrgHint}}<a href="/invitations/page" id="new-org-hint">Accept for a new organization instead</a>{{end}}
{{if .Back}}<a href="/invitations/page" id="back">Back to the invitation</a>{{end}}
{{if .User}}<form method="post" action="/invitations/page/sign-out"><input type="hidden" name="csrf" value="{{.CSRF}}"><button class="link" type="submit" id="switch-user">Sign in as someone else</button></form>{{end}}
{{if .Home}}<a href="{{.Home}}" id="home">Go to annobridge</a>{{end}}
</div>
{{else if .Back}}<p><a href="/invitations/page" id="back">Back to the invitation</a></p>{{end}}
{{if eq .Notice "callback"}}
<p id="wait">One moment…</p>
<p class="problem" id="callback-problem" hidden>The sign-in did not complete. <a href="/invitations/page">Back to the invitation</a></p>
<form id="session" method="post" action="/invitations/page/session"><input type="hidden" name="csrf" value="{{.CSRF}}"><input type="hidden" name="id_token" id="id_token"><input type="hidden" name="state" id="state"></form>
<script>var f=new URLSearchParams(location.hash.slice(1)),t=f.get("id_token");history.replaceState(null,"",location.pathname);if(t){document.getElementById("id_token").value=t;document.getElementById("state").value=f.get("state")||"";document.getElementById("session").submit()}else{document.getElementById("wait").hidden=true;document.getElementById("callback-problem").hidden=false}</script>
{{end}}
{{with .Done}}<p class="ok" id="result">{{if .ProjectID}}You joined the project <strong>{{.ProjectName}}</strong>{{else if .WorkspaceID}}You joined the workspace <strong>{{.WorkspaceName}}</strong>{{else}}You joined the organization <strong>{{.OrgName}}</strong>{{end}}{{if and .OrgName (or .ProjectID .WorkspaceID)}} for <strong id="result-org">{{.OrgName}}</strong>{{end}}{{with .Role}} as <strong id="result-role">{{role .}}</strong>{{end}}.</p>
{{if .OrgCreated}}<p id="founded">You founded <strong>{{.OrgName}}</strong> and are its owner.</p>{{end}}
<p><a id="open" href="{{$.Link}}">Open {{if .ProjectID}}the project{{else if .WorkspaceID}}the workspace{{else}}the organization{{end}}</a></p>{{end}}
{{if .Declined}}<p class="ok" id="result">You declined the invitation. Nothing was changed.</p>{{end}}
{{with .Inv}}
<p id="summary">{{if .InvitedByName}}<strong>{{.InvitedByName}}</strong> of {{end}}<strong>{{.OrgName}}</strong> invites
{{- if eq .Kind "share_link"}} your organization to work on the project <strong>{{.ProjectName}}</strong> as a partner; the first of you to accept becomes its {{role .Role}} there.
{{- else if eq .Kind "labeling_company"}} the labeling company <strong>{{.CompanyName}}</strong> to label the project <strong>{{.ProjectName}}</strong>, with you as its {{role .Role}}.
{{- else if eq .Kind "collaborator"}} your organization to collaborate in the workspace <strong>{{.WorkspaceName}}</strong>{{with .Role}}, and you to work there as {{role .}}{{end}}.
{{- else if eq .Kind "project_member"}} you to the project <strong>{{.ProjectName}}</strong> as {{role .Role}}.
{{- else}} you to join the organization as {{role .Role}}.{{end}}</p>
<dl id="offer">
{{if .ProjectName}}<dt>Project</dt><dd>{{.ProjectName}}</dd>{{end}}
{{if .WorkspaceName}}<dt>Workspace</dt><dd>{{.WorkspaceName}}</dd>{{end}}
<dt>Inviting organization</dt><dd>{{.OrgName}}</dd>
{{if .CompanyName}}<dt>Addressed to</dt><dd id="addressed-to">{{.CompanyName}}</dd>{{end}}
{{if .Role}}<dt>Your role</dt><dd id="role">{{role .Role}}</dd>{{end}}
{{if .Email}}<dt>Sent to</dt><dd>{{.Email}}</dd>{{end}}
<dt>Expires</dt><dd>{{if $.Expires}}{{$.Expires}}{{else}}never{{end}}</dd>
</dl>
{{if $.User}}
{{if $.User.Email}}<p>Signed in as <strong id="who">{{$.User.Email}}</strong>.</p>
{{else}}<p id="unverified">Signed in{{with $.User.Name}} as <strong>{{.}}</strong>{{end}}, without a verified email address: an invitation sent to an email address can be accepted only once your sign-in provider has verified that address.</p>{{end}}
{{with $.Refusal}}<p class="problem" id="refusal">{{.}}</p>{{end}}
{{if $.CanDecide}}
<form method="post" action="/invitations/page/accept" id="accept">
<input type="hidden" name="csrf" value="{{$.CSRF}}">
<input type="hidden" name="invitationId" value="{{.ID}}">
{{if $.OfferNew}}<fieldset id="accept-for"><legend>Accept for{{with .CompanyName}} <small>(addressed to {{.}})</small>{{end}}</legend>
{{if $.NoOrg}}<p id="no-org">You do not belong to an organization yet. Name yours: it is created as you accept, with you as its owner.</p>
{{else if $.OnlyNew}}<p id="no-org">None of your organizations can accept this. Name a new one: it is created as you accept, with you as its owner.</p>{{end}}
{{range $i, $o := $.Orgs}}<label><input type="radio" name="orgId" value="{{$o.ID}}" required{{if eq $i 0}} checked{{end}}> {{$o.Name}}</label>{{end}}
{{if $.OnlyNew}}<label>Organization name <input type="text" name="newOrgName" id="neworg" maxlength="120" required></label>
{{else}}<label><input type="radio" name="orgId" value="new" id="neworg-choice" required> A new organization named <input type="text" name="newOrgName" id="neworg" maxlength="120"></label>{{end}}
{{range $.NotOrgs}}<small class="not-org">Not {{.}}.</small><br>{{end}}
</fieldset>{{end}}
<div class="row"><button type="submit" id="confirm">Accept</button>
<button type="submit" class="secondary" formaction="/invitations/page/decline" formnovalidate id="decline">Decline</button></div>
</form>{{end}}
<form method="post" action="/invitations/page/sign-out"><input type="hidden" name="csrf" value="{{$.CSRF}}"><button class="secondary" type="submit" id="sign-out">{{if $.CanDecide}}Sign out{{else}}Sign in as someone else{{end}}</button></form>
{{else}}
<p>Sign in to accept or decline.</p>
{{if $.DevSignIn}}<form method="post" action="/invitations/page/sign-in" id="signin">
<input type="hidden" name="csrf" value="{{$.CSRF}}">
<label>Email <input type="email" name="email" id="email" required></label>
<label>Name <input type="text" name="name" id="name"></label>
<button type="submit" id="signin-button">Sign in</button> <small>development sign-in</small>
</form>{{end}}
{{if $.SignInURL}}<p><a href="{{$.SignInURL}}" id="oidc">Sign in</a></p>{{end}}
{{end}}
{{end}}
</main></body></html>`))
