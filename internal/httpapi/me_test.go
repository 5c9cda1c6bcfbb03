package httpapi_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/auth"
	"github.com/annobridge/annobridge/internal/collab"
)

// orgsOfMe returns GET /me's orgs by id.
func orgsOfMe(t testing.TB, u actor) map[string]map[string]any {
	t.Helper()
	me := call(t, "GET", "/me", u.token, nil).want(t, 200)
	out := map[string]map[string]any{}
	raw, _ := me.body["orgs"].([]any)
	for _, o := range raw {
		m := o.(map[string]any)
		out[m["id"].(string)] = m
	}
	return out
}

// Someone with no org accepts a share link by naming a new org: the org
// exists, they own it (with its default workspace), it partners the
// project, and they are its annotation manager there. orgId and
// newOrgName together, a new org for an invitation that attaches none,
// and a bad name are 400s naming newOrgName; without either, the 422 says
// so with an empty orgs list.
func TestAcceptWithNewOrg(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	token := tokenOf(t, call(t, "PUT", P+"/share-link", tm.owner.token, nil).want(t, 201).str("url"))
	loner := newActor(t, "founder")
	accept := "/invitations/" + token + "/accept"

	r := call(t, "POST", accept, loner.token, nil)
	r.problem(t, 422, "newOrgName")
	if orgs, ok := r.body["orgs"].([]any); !ok || len(orgs) != 0 {
		t.Fatalf("no-org refusal %s", r.raw)
	}
	call(t, "POST", accept, loner.token, map[string]string{"orgId": tm.partnerOrg, "newOrgName": "Both"}).problem(t, 400, "newOrgName")
	call(t, "POST", accept, loner.token, map[string]string{"newOrgName": "   "}).problem(t, 400, "newOrgName")
	call(t, "POST", accept, loner.token, map[string]any{"newOrgName": "Loner Labs", "extra": 1}).problem(t, 400, "")
	if len(orgsOfMe(t, loner)) != 0 {
		t.Fatal("a refused acceptance left an org behind")
	}

	acc := call(t, "POST", accept, loner.token, map[string]string{"newOrgName": "Loner Labs"}).want(t, 200)
	orgID := acc.str("orgId")
	if orgID == "" || acc.body["orgCreated"] != true || acc.str("orgName") != "Loner Labs" || acc.str("role") != "annotation_manager" ||
		acc.str("projectId") != tm.project || acc.str("kind") != "share_link" {
		t.Fatalf("accept %s", acc.raw)
	}
	if o := call(t, "GET", "/orgs/"+orgID, loner.token, nil).want(t, 200); o.str("role") != "owner" || o.str("name") != "Loner Labs" {
		t.Fatalf("new org %s", o.raw)
	}
	if ws := call(t, "GET", "/orgs/"+orgID+"/workspaces", loner.token, nil).want(t, 200).items(); len(ws) != 1 {
		t.Fatalf("new org's workspaces %v", ws)
	}
	projects := call(t, "GET", "/orgs/"+orgID+"/projects", loner.token, nil).want(t, 200).items()
	if len(projects) != 1 || projects[0]["id"] != tm.project || projects[0]["shared"] != true {
		t.Fatalf("new org's projects %v", projects)
	}
	perm := call(t, "GET", P+"/permissions", loner.token, nil).want(t, 200)
	if perm.str("role") != "annotation_manager" || perm.str("side") != "external" || perm.str("orgId") != orgID {
		t.Fatalf("permissions %s", perm.raw)
	}
	if o := orgsOfMe(t, loner)[orgID]; o == nil || o["role"] != "owner" || o["name"] != "Loner Labs" {
		t.Fatalf("GET /me orgs %v", orgsOfMe(t, loner))
	}
	hasAudit(t, collab.OrgScope(orgID), "org.created", orgID)
	hasAudit(t, collab.ProjectScope(tm.project), "partner.joined", orgID)

	// A second new org for the same project is its own partner; the
	// accepter, already on the project, gets 409 and no org is left.
	call(t, "POST", accept, loner.token, map[string]string{"newOrgName": "Loner Two"}).problem(t, 409, "")
	if len(orgsOfMe(t, loner)) != 1 {
		t.Fatalf("a refused acceptance left an org: %v", orgsOfMe(t, loner))
	}

	// An invitation that attaches no org takes no new org.
	joiner := newActor(t, "joiner")
	call(t, "POST", "/orgs/"+tm.hostOrg+"/invitations", tm.owner.token, map[string]string{"email": joiner.email, "role": "member"}).want(t, 201)
	call(t, "POST", "/invitations/"+tokenMailedTo(t, joiner.email, 1)+"/accept", joiner.token,
		map[string]string{"newOrgName": "Mine"}).problem(t, 400, "newOrgName")

	// A collaborator invitation founds an org too.
	vendor := newActor(t, "vendor")
	call(t, "POST", "/workspaces/"+tm.workspace+"/collaborators", tm.owner.token,
		map[string]any{"email": vendor.email, "types": []string{"annotation_partner"}}).want(t, 202)
	col := call(t, "POST", "/invitations/"+tokenMailedTo(t, vendor.email, 1)+"/accept", vendor.token,
		map[string]string{"newOrgName": "Vendor Founded"}).want(t, 200)
	if col.body["orgCreated"] != true || col.str("workspaceId") != tm.workspace {
		t.Fatalf("collaborator with a new org %s", col.raw)
	}
	if cols := call(t, "GET", "/workspaces/"+tm.workspace+"/collaborators", tm.owner.token, nil).want(t, 200); !strings.Contains(string(cols.raw), col.str("orgId")) {
		t.Fatalf("collaborators %s", cols.raw)
	}
}

// GET /me is the caller and their orgs; GET /me/invitations lists the
// pending, unexpired invitations bound to their verified email (never a
// token, nobody else's); POST /me/invitations/{id}/accept accepts one by id
// for its addressee alone (anyone else: 404).
func TestMeAndMyInvitations(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	me := call(t, "GET", "/me", tm.amExt.token, nil).want(t, 200)
	if me.str("userId") != tm.amExt.id || me.str("email") != tm.amExt.email || me.str("name") != "Name of "+tm.amExt.email {
		t.Fatalf("GET /me %s", me.raw)
	}
	if o := orgsOfMe(t, tm.amExt)[tm.partnerOrg]; o == nil || o["role"] != "owner" || o["name"] != "Partner Org" {
		t.Fatalf("GET /me orgs %s", me.raw)
	}
	if nob := call(t, "GET", "/me", tm.nobody.token, nil).want(t, 200); len(nob.body["orgs"].([]any)) != 0 {
		t.Fatalf("nobody's orgs %s", nob.raw)
	}

	invitee := newActor(t, "invitee")
	lc := call(t, "POST", P+"/labeling-companies", tm.owner.token, map[string]string{"name": "Typed Co", "adminEmail": strings.ToUpper(invitee.email)}).want(t, 201).str("id")
	pm := call(t, "POST", P+"/members", tm.owner.token, map[string]string{"email": invitee.email, "role": "annotator"}).want(t, 202).str("invitationId")
	om := call(t, "POST", "/orgs/"+tm.hostOrg+"/invitations", tm.owner.token, map[string]string{"email": invitee.email, "role": "admin"}).want(t, 201).str("id")
	call(t, "POST", "/orgs/"+tm.hostOrg+"/invitations", tm.owner.token, map[string]string{"email": tm.spareExt.email, "role": "member"}).want(t, 201)
	tokens := []string{tokenMailedTo(t, invitee.email, 1), tokenMailedTo(t, invitee.email, 2), tokenMailedTo(t, invitee.email, 3)}
	byKind := map[string]string{}
	for _, tok := range tokens {
		byKind[call(t, "GET", "/invitations/"+tok, "", nil).want(t, 200).str("kind")] = tok
	}

	list := call(t, "GET", "/me/invitations", invitee.token, nil).want(t, 200)
	items := list.items()
	var ids []string
	for _, it := range items {
		ids = append(ids, it["id"].(string))
	}
	if !slices.Equal(ids, []string{lc, pm, om}) {
		t.Fatalf("my invitations %v, want %v", ids, []string{lc, pm, om})
	}
	if it := items[0]; it["kind"] != "labeling_company" || it["projectName"] != "Cats" || it["orgName"] != "Host Org" ||
		it["companyName"] != "Typed Co" || it["role"] != "annotation_manager" || it["expiresAt"] == nil {
		t.Fatalf("labeling-company item %v", it)
	}
	if it := items[2]; it["kind"] != "org_member" || it["orgName"] != "Host Org" || it["role"] != "admin" {
		t.Fatalf("org item %v", it)
	}
	noLeak(t, list, append(tokens, tm.spareExt.email, "tokenHash")...)
	// Nobody else sees them; without a verified email there are none.
	if other := call(t, "GET", "/me/invitations", tm.spareExt.token, nil).want(t, 200); strings.Contains(string(other.raw), lc) || len(other.items()) != 1 {
		t.Fatalf("someone else's list %s", other.raw)
	}
	unverified := idToken(t, invitee.email, auth.Claims{EmailVerified: new(bool)})
	if r := call(t, "GET", "/me/invitations", unverified, nil).want(t, 200); len(r.items()) != 0 {
		t.Fatalf("unverified list %s", r.raw)
	}
	// Expired: out of the list.
	if r := callOn(t, apiLater(t, collab.EmailInvitationTTL+time.Minute), "GET", "/me/invitations", invitee.token, nil).want(t, 200); len(r.items()) != 0 {
		t.Fatalf("expired invitations listed %s", r.raw)
	}

	// Accept by id: 404 to everyone but the addressee, whatever the id.
	for _, u := range []actor{tm.owner, tm.spareExt, tm.nobody} {
		call(t, "POST", "/me/invitations/"+lc+"/accept", u.token, map[string]string{"newOrgName": "Thief Co"}).problem(t, 404, "")
	}
	call(t, "POST", "/me/invitations/"+lc+"/accept", unverified, map[string]string{"newOrgName": "Thief Co"}).problem(t, 404, "")
	call(t, "POST", "/me/invitations/inv_nonexistent/accept", invitee.token, nil).problem(t, 404, "")
	call(t, "POST", "/me/invitations/"+lc+"/accept", invitee.token, map[string]string{"orgId": "x", "newOrgName": "Y"}).problem(t, 400, "newOrgName")
	call(t, "POST", "/me/invitations/"+lc+"/accept", invitee.token, nil).problem(t, 422, "newOrgName")
	acc := call(t, "POST", "/me/invitations/"+lc+"/accept", invitee.token, map[string]string{"newOrgName": "Invitee Labels"}).want(t, 200)
	if acc.str("kind") != "labeling_company" || acc.body["orgCreated"] != true || acc.str("role") != "annotation_manager" {
		t.Fatalf("accept by id %s", acc.raw)
	}
	call(t, "POST", "/me/invitations/"+lc+"/accept", invitee.token, nil).problem(t, 410, "")
	call(t, "POST", "/invitations/"+byKind["labeling_company"]+"/accept", invitee.token, nil).problem(t, 410, "")
	// Accepted, declined and revoked ones leave the list.
	call(t, "POST", "/invitations/"+byKind["org_member"]+"/decline", invitee.token, nil).want(t, 200)
	if got := call(t, "GET", "/me/invitations", invitee.token, nil).want(t, 200).items(); len(got) != 1 || got[0]["id"] != pm {
		t.Fatalf("after accept and decline %v", got)
	}
	call(t, "DELETE", "/invitations/"+pm, tm.owner.token, nil).want(t, 204)
	if got := call(t, "GET", "/me/invitations", invitee.token, nil).want(t, 200).items(); len(got) != 0 {
		t.Fatalf("after revoke %v", got)
	}
	call(t, "POST", "/me/invitations/"+pm+"/accept", invitee.token, nil).problem(t, 410, "")
}
