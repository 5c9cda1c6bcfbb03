package httpapi_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/auth"
	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

// orgOf creates an org owned by u and returns its id.
func orgOf(t testing.TB, u actor, name string) string {
	t.Helper()
	return call(t, "POST", "/orgs", u.token, map[string]string{"name": name}).want(t, 201).str("id")
}

func tokenOf(t testing.TB, url string) string {
	t.Helper()
	i := strings.LastIndex(url, "/invitations/")
	if i < 0 {
		t.Fatalf("url %q", url)
	}
	return url[i+len("/invitations/"):]
}

func TestShareLink(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	for _, u := range []actor{tm.dev, tm.pm, tm.amExt} {
		call(t, "PUT", P+"/share-link", u.token, nil).problem(t, 403, "")
	}
	call(t, "PUT", P+"/share-link", tm.tenant.token, nil).problem(t, 404, "")
	link := call(t, "PUT", P+"/share-link", tm.owner.token, nil).want(t, 201)
	url := link.str("url")
	if !strings.HasPrefix(url, api(t).URL+"/invitations/") || link.body["expiresAt"] != nil {
		t.Fatalf("share link %s", link.raw)
	}
	token := tokenOf(t, url)
	if st := call(t, "GET", P+"/share-link", tm.pm.token, nil); st.status != 403 || strings.Contains(string(st.raw), token) {
		t.Fatalf("share link state to a project manager: %s", st.raw)
	}
	if st := call(t, "GET", P+"/share-link", tm.owner.token, nil).want(t, 200); st.body["enabled"] != true || st.str("url") != url {
		t.Fatalf("share link state %s", st.raw)
	}
	pv := call(t, "GET", "/invitations/"+token, "", nil).want(t, 200)
	if pv.str("kind") != "share_link" || pv.str("projectName") != "Cats" || pv.str("orgName") != "Host Org" || pv.str("status") != "pending" {
		t.Fatalf("preview %s", pv.raw)
	}

	// The first accepter of an org becomes its external manager.
	vendor := newActor(t, "vendor")
	vendorOrg := orgOf(t, vendor, "Vendor Co")
	acc := call(t, "POST", "/invitations/"+token+"/accept", vendor.token, nil).want(t, 200)
	if acc.str("kind") != "share_link" || acc.str("orgId") != vendorOrg || acc.str("projectId") != tm.project || acc.str("role") != "annotation_manager" {
		t.Fatalf("accept %s", acc.raw)
	}
	perm := call(t, "GET", P+"/permissions", vendor.token, nil).want(t, 200)
	if perm.str("role") != "annotation_manager" || perm.str("side") != "external" || perm.str("orgId") != vendorOrg {
		t.Fatalf("vendor permissions %s", perm.raw)
	}
	// The project shows in both orgs' lists.
	shared := call(t, "GET", "/orgs/"+vendorOrg+"/projects", vendor.token, nil).want(t, 200).items()
	if len(shared) != 1 || shared[0]["shared"] != true || shared[0]["hostOrgId"] != tm.hostOrg {
		t.Fatalf("vendor projects %v", shared)
	}
	// Another member of the partnering org gets 409 naming the manager.
	colleague := newActor(t, "colleague")
	joinOrg(t, vendorOrg, colleague, collab.OrgMember, "Vendor Co")
	r := call(t, "POST", "/invitations/"+token+"/accept", colleague.token, nil)
	r.problem(t, 409, "")
	if m, _ := r.body["manager"].(map[string]any); m["userId"] != vendor.id || !strings.Contains(r.str("detail"), vendor.email) {
		t.Fatalf("409 does not name the manager: %s", r.raw)
	}
	// A user with no org is refused.
	loner := newActor(t, "loner")
	r = call(t, "POST", "/invitations/"+token+"/accept", loner.token, nil)
	r.problem(t, 422, "")
	if !strings.Contains(r.str("detail"), "organization") {
		t.Fatalf("no-org refusal %s", r.raw)
	}
	// A user in several orgs who names none chooses from a list.
	multi := newActor(t, "multi")
	a1, a2 := orgOf(t, multi, "Multi A"), orgOf(t, multi, "Multi B")
	r = call(t, "POST", "/invitations/"+token+"/accept", multi.token, nil)
	r.problem(t, 422, "orgId")
	orgs, _ := r.body["orgs"].([]any)
	if len(orgs) != 2 {
		t.Fatalf("choices %s", r.raw)
	}
	// An org the user is not in is refused.
	call(t, "POST", "/invitations/"+token+"/accept", multi.token, map[string]string{"orgId": tm.tenantOrg}).problem(t, 403, "orgId")
	call(t, "POST", "/invitations/"+token+"/accept", multi.token, map[string]string{"orgId": a2}).want(t, 200)
	_ = a1
	// The host's own org cannot partner its project.
	call(t, "POST", "/invitations/"+token+"/accept", tm.owner.token, nil).problem(t, 409, "")

	// Revoking kills the link; re-enabling gives a new one.
	call(t, "DELETE", P+"/share-link", tm.owner.token, nil).want(t, 204)
	late := newActor(t, "late")
	orgOf(t, late, "Late Co")
	gone := call(t, "POST", "/invitations/"+token+"/accept", late.token, nil)
	gone.problem(t, 410, "")
	if gone.body["reason"] != "revoked" {
		t.Fatalf("revoked link %s", gone.raw)
	}
	call(t, "GET", "/invitations/"+token, "", nil).problem(t, 410, "")
	again := call(t, "PUT", P+"/share-link", tm.owner.token, map[string]int{"expiresInDays": 3}).want(t, 201)
	if again.str("url") == url || again.body["expiresAt"] == nil {
		t.Fatalf("re-enabled link %s", again.raw)
	}
	call(t, "POST", "/invitations/"+tokenOf(t, again.str("url"))+"/accept", late.token, nil).want(t, 200)
	// Enabling once more answers the active link; rotating replaces it at once.
	if same := call(t, "PUT", P+"/share-link", tm.owner.token, nil).want(t, 200); same.str("url") != again.str("url") {
		t.Fatalf("enabling an active link gave %s", same.raw)
	}
	third := call(t, "PUT", P+"/share-link?rotate=true", tm.owner.token, nil).want(t, 201)
	call(t, "GET", "/invitations/"+tokenOf(t, again.str("url")), "", nil).problem(t, 410, "")
	call(t, "GET", "/invitations/"+tokenOf(t, third.str("url")), "", nil).want(t, 200)
	// An expiring link expires.
	later := apiLater(t, 4*24*time.Hour)
	exp := newActor(t, "expired")
	orgOf(t, exp, "Expired Co")
	fourth := call(t, "PUT", P+"/share-link?rotate=true", tm.owner.token, map[string]int{"expiresInDays": 3}).want(t, 201)
	r = callOn(t, later, "POST", "/invitations/"+tokenOf(t, fourth.str("url"))+"/accept", exp.token, nil)
	r.problem(t, 410, "")
	if r.body["reason"] != "expired" {
		t.Fatalf("expired link %s", r.raw)
	}
	call(t, "GET", "/invitations/not-a-token", "", nil).problem(t, 404, "")
	call(t, "GET", "/invitations/"+strings.Repeat("A", 43), "", nil).problem(t, 404, "")
}

func TestLabelingCompanies(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	body := func(name, email string) map[string]string {
		return map[string]string{"name": name, "adminEmail": email}
	}
	for _, u := range []actor{tm.dev, tm.pm, tm.amHost} {
		call(t, "POST", P+"/labeling-companies", u.token, body("X", "x@example.com")).problem(t, 403, "")
	}
	call(t, "POST", P+"/labeling-companies", tm.owner.token, body("", "bad")).problem(t, 400, "adminEmail")
	// email is the field's name; adminEmail its older one, not both.
	call(t, "POST", P+"/labeling-companies", tm.owner.token, map[string]string{"name": "Co", "email": "bad"}).problem(t, 400, "email")
	call(t, "POST", P+"/labeling-companies", tm.owner.token, map[string]string{"name": "Co", "email": "a@x.example", "adminEmail": "a@x.example"}).problem(t, 400, "adminEmail")
	adminA, adminB := newActor(t, "lca"), newActor(t, "lcb")
	orgA, orgB := orgOf(t, adminA, "Label A"), orgOf(t, adminB, "Label B")
	invA := call(t, "POST", P+"/labeling-companies", tm.owner.token, body("Label A Inc", adminA.email)).want(t, 201)
	call(t, "POST", P+"/labeling-companies", tm.owner.token, body("Label B Inc", adminB.email)).want(t, 201)
	if invA.str("kind") != "labeling_company" || invA.str("companyName") != "Label A Inc" {
		t.Fatalf("invitation %s", invA.raw)
	}
	tokA, tokB := tokenMailedTo(t, adminA.email, 1), tokenMailedTo(t, adminB.email, 1)
	// Bound to the invited email.
	call(t, "POST", "/invitations/"+tokA+"/accept", adminB.token, nil).problem(t, 403, "")
	call(t, "POST", "/invitations/"+tokA+"/accept", adminA.token, nil).want(t, 200)
	call(t, "POST", "/invitations/"+tokB+"/accept", adminB.token, nil).want(t, 200)
	// Used up.
	r := call(t, "POST", "/invitations/"+tokA+"/accept", adminA.token, nil)
	r.problem(t, 410, "")
	if r.body["reason"] != "used" {
		t.Fatalf("used %s", r.raw)
	}
	// Each company's manager adds their own users, walled off from the other.
	workerA, workerB := newActor(t, "wa"), newActor(t, "wb")
	joinOrg(t, orgA, workerA, collab.OrgMember, "Label A")
	joinOrg(t, orgB, workerB, collab.OrgMember, "Label B")
	call(t, "POST", P+"/members", adminA.token, map[string]string{"email": workerA.email, "role": "annotator"}).want(t, 201)
	call(t, "POST", P+"/members", adminB.token, map[string]string{"email": workerB.email, "role": "annotator"}).want(t, 201)
	// Someone of another org gets what anyone outside A gets: an
	// invitation for A, never a word about their org (docs/security.md, invariant 5).
	call(t, "POST", P+"/members", adminA.token, map[string]string{"email": workerB.email, "role": "annotator"}).want(t, 202)
	call(t, "POST", P+"/members", adminA.token, map[string]string{"email": adminB.email, "role": "annotator"}).want(t, 202)
	call(t, "POST", P+"/members", adminA.token, map[string]string{"email": "x." + workerA.email, "role": "developer"}).problem(t, 403, "")
	for _, c := range []struct {
		admin actor
		org   string
		peer  actor
	}{{adminA, orgA, workerB}, {adminB, orgB, workerA}} {
		r := call(t, "GET", P+"/members", c.admin.token, nil).want(t, 200)
		for _, it := range r.items() {
			if it["orgId"] != c.org {
				t.Fatalf("company sees %v", it)
			}
		}
		noLeak(t, r, c.peer.email, tm.owner.email)
		if got := call(t, "GET", "/orgs/"+c.org+"/projects", c.admin.token, nil).want(t, 200).items(); len(got) != 1 || got[0]["shared"] != true {
			t.Fatalf("company projects %v", got)
		}
	}
	// The owner sees both companies' members.
	all := call(t, "GET", P+"/members", tm.owner.token, nil).want(t, 200)
	for _, u := range []actor{adminA, adminB, workerA, workerB} {
		if !strings.Contains(string(all.raw), u.email) {
			t.Fatalf("owner does not see %s", u.email)
		}
	}
	// A company manager's email invitation brings the invitee into the company.
	freshEmail := uniqueEmail(t, "fresh") // no account yet
	call(t, "POST", P+"/members", adminA.token, map[string]string{"email": freshEmail, "role": "annotator"}).want(t, 202)
	fresh := actor{email: freshEmail, token: userToken(t, freshEmail), id: auth.DevSubject(freshEmail)}
	call(t, "POST", "/invitations/"+tokenMailedTo(t, fresh.email, 1)+"/accept", fresh.token, nil).want(t, 200)
	if p := call(t, "GET", P+"/permissions", fresh.token, nil).want(t, 200); p.str("orgId") != orgA || p.str("side") != "external" {
		t.Fatalf("fresh member %s", p.raw)
	}
}

func TestEmailInvitations(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	// project_member: someone without an account is invited (202).
	guest := newActor(t, "guest")
	inv := call(t, "POST", P+"/members", tm.pm.token, map[string]string{"email": strings.ToUpper(guest.email), "role": "annotation_manager"}).want(t, 202)
	id := inv.str("invitationId")
	pending := call(t, "GET", "/invitations?projectId="+tm.project, tm.pm.token, nil).want(t, 200).items()
	if len(pending) != 1 || pending[0]["id"] != id || pending[0]["email"] != guest.email {
		t.Fatalf("pending %v", pending)
	}
	call(t, "GET", "/invitations?projectId="+tm.project, tm.annHost.token, nil).problem(t, 403, "")
	call(t, "GET", "/invitations?projectId="+tm.project, tm.tenant.token, nil).problem(t, 404, "")
	call(t, "GET", "/invitations", tm.owner.token, nil).problem(t, 400, "projectId")
	token := tokenMailedTo(t, guest.email, 1)
	body := emailsTo(t, guest.email)[0]
	if !strings.Contains(body, api(t).URL+"/invitations/"+token) || !strings.Contains(body, "Cats") {
		t.Fatalf("email body:\n%s", body)
	}
	// The token is stored nowhere: only its hash.
	scanForToken(t, token)
	// Wrong email, then the right one (case-insensitive).
	call(t, "POST", "/invitations/"+token+"/accept", tm.spareHost.token, nil).problem(t, 403, "")
	acc := call(t, "POST", "/invitations/"+token+"/accept", guest.token, nil).want(t, 200)
	if acc.str("kind") != "project_member" || acc.str("role") != "annotation_manager" || acc.str("orgId") != tm.hostOrg {
		t.Fatalf("accept %s", acc.raw)
	}
	if p := call(t, "GET", P+"/permissions", guest.token, nil).want(t, 200); p.str("side") != "host" || p.str("role") != "annotation_manager" {
		t.Fatalf("guest %s", p.raw)
	}
	call(t, "POST", "/invitations/"+token+"/accept", guest.token, nil).problem(t, 410, "")
	if got := call(t, "GET", "/invitations?projectId="+tm.project, tm.pm.token, nil).want(t, 200).items(); len(got) != 0 {
		t.Fatalf("accepted invitation still pending: %v", got)
	}

	// org_member: only owners and admins invite; only owners invite owners.
	joiner := newActor(t, "joiner")
	O := "/orgs/" + tm.hostOrg + "/invitations"
	call(t, "POST", O, tm.dev.token, map[string]string{"email": joiner.email, "role": "member"}).problem(t, 403, "")
	call(t, "POST", O, tm.owner.token, map[string]string{"email": joiner.email, "role": "boss"}).problem(t, 400, "role")
	call(t, "POST", O, tm.owner.token, map[string]string{"email": tm.dev.email, "role": "member"}).problem(t, 409, "")
	oi := call(t, "POST", O, tm.owner.token, map[string]string{"email": joiner.email, "role": "admin"}).want(t, 201)
	if got := call(t, "GET", "/invitations?orgId="+tm.hostOrg, tm.owner.token, nil).want(t, 200).items(); len(got) != 1 || got[0]["id"] != oi.str("id") {
		t.Fatalf("org invitations %v", got)
	}
	jt := tokenMailedTo(t, joiner.email, 1)
	pv := call(t, "GET", "/invitations/"+jt, "", nil).want(t, 200)
	if pv.str("kind") != "org_member" || pv.str("orgName") != "Host Org" || pv.str("role") != "admin" || pv.body["expiresAt"] == nil {
		t.Fatalf("preview %s", pv.raw)
	}
	// Expired after seven days.
	later := apiLater(t, 7*24*time.Hour+time.Minute)
	r := callOn(t, later, "POST", "/invitations/"+jt+"/accept", joiner.token, nil)
	r.problem(t, 410, "")
	if r.body["reason"] != "expired" {
		t.Fatalf("expired %s", r.raw)
	}
	call(t, "POST", "/invitations/"+jt+"/accept", joiner.token, nil).want(t, 200)
	if o := call(t, "GET", "/orgs/"+tm.hostOrg, joiner.token, nil).want(t, 200); o.str("role") != "admin" {
		t.Fatalf("joined %s", o.raw)
	}

	// Decline, then the link says so.
	decliner := newActor(t, "decliner")
	call(t, "POST", P+"/members", tm.owner.token, map[string]string{"email": decliner.email, "role": "annotator"}).want(t, 202)
	dt := tokenMailedTo(t, decliner.email, 1)
	call(t, "POST", "/invitations/"+dt+"/decline", tm.dev.token, nil).problem(t, 403, "")
	call(t, "POST", "/invitations/"+dt+"/decline", decliner.token, nil).want(t, 200)
	r = call(t, "POST", "/invitations/"+dt+"/accept", decliner.token, nil)
	r.problem(t, 410, "")
	if r.body["reason"] != "declined" {
		t.Fatalf("declined %s", r.raw)
	}
}

func TestResendAndRevoke(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	invitee := newActor(t, "invitee")
	id := call(t, "POST", P+"/members", tm.owner.token, map[string]string{"email": invitee.email, "role": "annotator"}).want(t, 202).str("invitationId")
	first := tokenMailedTo(t, invitee.email, 1)
	call(t, "POST", "/invitations/"+id+"/resend", tm.annHost.token, nil).problem(t, 403, "")
	call(t, "POST", "/invitations/"+id+"/resend", tm.tenant.token, nil).problem(t, 404, "")
	for i := range collab.MaxResendsPerHour {
		call(t, "POST", "/invitations/"+id+"/resend", tm.owner.token, nil).want(t, 200)
		_ = i
	}
	r := call(t, "POST", "/invitations/"+id+"/resend", tm.owner.token, nil)
	r.problem(t, 429, "")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	newest := tokenMailedTo(t, invitee.email, 1+collab.MaxResendsPerHour)
	if newest == first {
		t.Fatal("resend reused the token")
	}
	// Every older link is void; the newest works.
	call(t, "GET", "/invitations/"+first, "", nil).problem(t, 404, "")
	call(t, "GET", "/invitations/"+newest, "", nil).want(t, 200)

	// Revoke.
	call(t, "DELETE", "/invitations/"+id, tm.annHost.token, nil).problem(t, 403, "")
	call(t, "DELETE", "/invitations/"+id, tm.owner.token, nil).want(t, 204)
	call(t, "DELETE", "/invitations/"+id, tm.owner.token, nil).problem(t, 410, "")
	r = call(t, "POST", "/invitations/"+newest+"/accept", invitee.token, nil)
	r.problem(t, 410, "")
	if r.body["reason"] != "revoked" {
		t.Fatalf("revoked %s", r.raw)
	}
	call(t, "POST", "/invitations/"+id+"/resend", tm.owner.token, nil).problem(t, 410, "")
}

// 20 concurrent accepts of one single-use invitation give one membership;
// 5 members of one org accepting one share link at once give one manager.
func TestConcurrentAcceptance(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	invitee := newActor(t, "racer")
	call(t, "POST", P+"/members", tm.owner.token, map[string]string{"email": invitee.email, "role": "annotator"}).want(t, 202)
	token := tokenMailedTo(t, invitee.email, 1)
	statuses := race(t, 20, func(i int) int {
		return call(t, "POST", "/invitations/"+token+"/accept", invitee.token, nil).status
	})
	if statuses[200] != 1 || statuses[200]+statuses[409]+statuses[410] != 20 {
		t.Fatalf("statuses %v", statuses)
	}
	n := 0
	for _, it := range call(t, "GET", P+"/members", tm.owner.token, nil).want(t, 200).items() {
		if it["userId"] == invitee.id {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d memberships", n)
	}

	link := tokenOf(t, call(t, "PUT", P+"/share-link", tm.owner.token, nil).want(t, 201).str("url"))
	boss := newActor(t, "crew0")
	crewOrg := orgOf(t, boss, "Crew")
	crew := []actor{boss}
	for i := 1; i < 5; i++ {
		u := newActor(t, "crew"+string(rune('0'+i)))
		joinOrg(t, crewOrg, u, collab.OrgAdmin, "Crew") // only owners and admins accept for an org
		crew = append(crew, u)
	}
	statuses = race(t, 5, func(i int) int {
		return call(t, "POST", "/invitations/"+link+"/accept", crew[i].token, nil).status
	})
	if statuses[200] != 1 || statuses[409] != 4 {
		t.Fatalf("statuses %v", statuses)
	}
	managers := 0
	for _, u := range crew {
		if r := call(t, "GET", P+"/permissions", u.token, nil); r.status == 200 && r.str("role") == "annotation_manager" {
			managers++
		}
	}
	if managers != 1 {
		t.Fatalf("%d managers", managers)
	}
}

func race(t testing.TB, n int, f func(i int) int) map[int]int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	out := map[int]int{}
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s := f(i)
			mu.Lock()
			out[s]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// scanForToken reads the whole table (a test may Scan) and fails if the raw
// token is stored anywhere.
func scanForToken(t testing.TB, token string) {
	t.Helper()
	a := store(t)
	p := dynamodb.NewScanPaginator(a.DB, &dynamodb.ScanInput{TableName: &a.Config.TableName})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			if strings.Contains(fmtItem(item), token) {
				t.Fatalf("the raw token is stored: %v", item)
			}
		}
	}
}

func fmtItem(item map[string]types.AttributeValue) string {
	var b strings.Builder
	for k, v := range item {
		b.WriteString(k)
		if s, ok := v.(*types.AttributeValueMemberS); ok {
			b.WriteString(s.Value)
		}
	}
	return b.String()
}

func TestCollaboratorInvitation(t *testing.T) {
	tm := newTeam(t)
	W := "/workspaces/" + tm.workspace + "/collaborators"
	partner := newActor(t, "collab")
	partnerOrg := orgOf(t, partner, "Producer Co")
	body := map[string]any{"email": partner.email, "types": []string{"producer_partner"}, "role": "project_manager",
		"projectAccess": map[string]any{"mode": "limited", "projectIds": []string{tm.project}}}
	call(t, "POST", W, tm.dev.token, body).problem(t, 403, "") // an org member without a workspace role
	call(t, "POST", W, tm.tenant.token, body).problem(t, 404, "")
	call(t, "POST", W, tm.owner.token, map[string]any{"email": partner.email, "types": []string{"annotation_partner"}, "role": "developer"}).problem(t, 400, "role")
	call(t, "POST", W, tm.owner.token, map[string]any{"email": partner.email, "types": []string{"owner"}}).problem(t, 400, "types")
	call(t, "POST", W, tm.owner.token, map[string]any{"email": partner.email, "types": []string{"data_partner"}, "orgId": "x"}).problem(t, 400, "orgId")
	inv := call(t, "POST", W, tm.owner.token, body).want(t, 202)
	if got := call(t, "GET", "/invitations?workspaceId="+tm.workspace, tm.owner.token, nil).want(t, 200).items(); len(got) != 1 || got[0]["id"] != inv.str("invitationId") {
		t.Fatalf("workspace invitations %v", got)
	}
	call(t, "GET", "/invitations?workspaceId="+tm.workspace, tm.tenant.token, nil).problem(t, 404, "")
	token := tokenMailedTo(t, partner.email, 1)
	pv := call(t, "GET", "/invitations/"+token, "", nil).want(t, 200)
	if pv.str("kind") != "collaborator" || pv.str("workspaceName") != "Default workspace" || pv.str("role") != "project_manager" {
		t.Fatalf("preview %s", pv.raw)
	}
	acc := call(t, "POST", "/invitations/"+token+"/accept", partner.token, nil).want(t, 200)
	if acc.str("kind") != "collaborator" || acc.str("orgId") != partnerOrg || acc.str("workspaceId") != tm.workspace || acc.str("role") != "project_manager" {
		t.Fatalf("accept %s", acc.raw)
	}
	call(t, "POST", "/invitations/"+token+"/accept", partner.token, nil).problem(t, 410, "")
}

// The project's owner reads the active share link again (the same url);
// enabling it again answers it rather than replacing it; rotate replaces
// it; nobody else reads it back; the raw token is nowhere in the table (it
// is kept sealed with SHARE_LINK_KEY), and an app with another key cannot
// read it back (the link keeps working).
func TestShareLinkReadBack(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	first := call(t, "PUT", P+"/share-link", tm.owner.token, nil).want(t, 201)
	url := first.str("url")
	token := tokenOf(t, url)
	read := call(t, "GET", P+"/share-link", tm.owner.token, nil).want(t, 200)
	if read.str("url") != url || read.body["enabled"] != true || read.str("invitationId") != first.str("invitationId") {
		t.Fatalf("owner's read-back %s", read.raw)
	}
	again := call(t, "PUT", P+"/share-link", tm.owner.token, nil).want(t, 200)
	if again.str("url") != url || again.str("invitationId") != first.str("invitationId") {
		t.Fatalf("enabling the active link %s", again.raw)
	}
	// Everyone else gets what they got before, never the url.
	for _, u := range []actor{tm.dev, tm.pm, tm.amHost, tm.annHost, tm.amExt, tm.annExt} {
		r := call(t, "GET", P+"/share-link", u.token, nil)
		r.problem(t, 403, "")
		noLeak(t, r, token)
		noLeak(t, call(t, "PUT", P+"/share-link", u.token, nil), token)
	}
	for _, u := range []actor{tm.tenant, tm.nobody} {
		r := call(t, "GET", P+"/share-link", u.token, nil)
		r.problem(t, 404, "")
		noLeak(t, r, token)
	}
	scanForToken(t, token)

	// Another expiry needs rotate; bad rotate values are refused.
	call(t, "PUT", P+"/share-link", tm.owner.token, map[string]int{"expiresInDays": 5}).problem(t, 409, "rotate")
	call(t, "PUT", P+"/share-link?rotate=maybe", tm.owner.token, nil).problem(t, 400, "rotate")
	rotated := call(t, "PUT", P+"/share-link?rotate=true", tm.owner.token, map[string]int{"expiresInDays": 5}).want(t, 201)
	newToken := tokenOf(t, rotated.str("url"))
	if newToken == token || rotated.body["expiresAt"] == nil {
		t.Fatalf("rotated %s", rotated.raw)
	}
	call(t, "GET", "/invitations/"+token, "", nil).problem(t, 410, "")
	if r := call(t, "GET", P+"/share-link", tm.owner.token, nil).want(t, 200); r.str("url") != rotated.str("url") {
		t.Fatalf("read-back after rotation %s", r.raw)
	}
	hasAudit(t, collab.ProjectScope(tm.project), "share_link.rotated", tm.hostOrg)
	if sealedTokens(t, first.str("invitationId")) != 0 || sealedTokens(t, rotated.str("invitationId")) != 1 {
		t.Fatal("the replaced link keeps its sealed token, or the new one has none")
	}
	scanForToken(t, newToken)

	// Another key opens nothing: no url, and enabling asks for rotate; the
	// link itself still works.
	other := apiWithShareLinkKey(t, strings.Repeat("k", 43))
	if r := callOn(t, other, "GET", P+"/share-link", tm.owner.token, nil).want(t, 200); r.str("url") != "" || r.body["enabled"] != true {
		t.Fatalf("read-back under another key %s", r.raw)
	}
	callOn(t, other, "PUT", P+"/share-link", tm.owner.token, nil).problem(t, 409, "rotate")
	call(t, "GET", "/invitations/"+newToken, "", nil).want(t, 200)

	// Revoked: the project has no link (404), and the sealed token is gone
	// with it.
	call(t, "DELETE", P+"/share-link", tm.owner.token, nil).want(t, 204)
	noLeak(t, call(t, "GET", P+"/share-link", tm.owner.token, nil), newToken)
	if n := sealedTokens(t, rotated.str("invitationId")); n != 0 {
		t.Fatalf("the revoked link keeps its sealed token")
	}
	scanForToken(t, newToken)
}

// apiWithShareLinkKey serves the same table with another share-link key.
func apiWithShareLinkKey(t testing.TB, key string) string {
	t.Helper()
	api(t)
	a, err := app.New(context.Background(), stack.Config(map[string]string{"SHARE_LINK_KEY": key, "PUBLIC_BASE_URL": server.URL,
		"MAIL_OUTBOX_DIR": outbox}), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(checked(a.Router(lambdafn.HTTP...)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// sealedTokens counts the sealed tokens an invitation's item holds (0 or 1).
func sealedTokens(t testing.TB, invitationID string) int {
	t.Helper()
	a := store(t)
	res, err := a.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &a.Config.TableName,
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "INV#" + invitationID},
			"SK": &types.AttributeValueMemberS{Value: "META"}}})
	if err != nil || res.Item == nil {
		t.Fatalf("invitation item %s: %v", invitationID, err)
	}
	if _, ok := res.Item["sealedToken"]; ok {
		return 1
	}
	return 0
}
