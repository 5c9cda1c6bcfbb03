package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// A time-boxed partnership ends by itself: given an end a few seconds
// ahead, both sides are told at once (less than a day is left), and at the
// end the sweep begins the same stop a person's DELETE would: the
// partner's people lose access, its work returns to the host, both sides
// hear it stopped. An end two days ahead warns nobody yet; only those who
// may stop it time-box it, and only with an end ahead.
func TestPartnershipEndsByItself(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	partner := P + "/partners/" + tm.partnerOrg
	item := newItem(t, tm, "timed.jpg", tm.annExt)

	// Refused: the host's developer (403), the partner's annotator (404), a
	// past end or one too far ahead (400).
	soon := func(d time.Duration) map[string]string {
		return map[string]string{"endsAt": time.Now().UTC().Add(d).Format(time.RFC3339Nano)}
	}
	call(t, "PATCH", partner, tm.dev.token, soon(time.Hour)).problem(t, 403, "")
	call(t, "PATCH", partner, tm.annExt.token, soon(time.Hour)).problem(t, 404, "")
	call(t, "PATCH", partner, tm.owner.token, soon(-time.Minute)).problem(t, 400, "endsAt")
	call(t, "PATCH", partner, tm.owner.token, soon(6*365*24*time.Hour)).problem(t, 400, "endsAt")

	// Two days ahead: set, listed, and nobody is warned yet.
	later := call(t, "PATCH", partner, tm.amExt.token, soon(48*time.Hour)).want(t, 200)
	if later.str("endsAt") == "" {
		t.Fatalf("no end: %s", later.raw)
	}
	if got := call(t, "GET", P+"/partners", tm.owner.token, nil).want(t, 200).items(); len(got) != 1 || got[0]["endsAt"] != later.str("endsAt") {
		t.Fatalf("partners %v", got)
	}
	time.Sleep(2500 * time.Millisecond) // two sweeps
	if n := len(mailsAbout(t, tm.owner.email, "ends on")); n != 0 {
		t.Fatalf("warned %d times two days ahead", n)
	}
	if later.str("endSetBy") != "partner" {
		t.Fatalf("set by %s", later.raw)
	}
	// The side that set an end moves it; the other side only brings it
	// earlier, save the host's owner, who may always.
	call(t, "PATCH", partner, tm.amExt.token, soon(72*time.Hour)).want(t, 200)
	if host := call(t, "PATCH", partner, tm.owner.token, soon(40*time.Hour)).want(t, 200); host.str("endSetBy") != "host" {
		t.Fatalf("set by %s", host.raw)
	}
	call(t, "PATCH", partner, tm.amExt.token, soon(50*time.Hour)).problem(t, 403, "")
	call(t, "PATCH", partner, tm.amExt.token, map[string]any{"endsAt": nil}).problem(t, 403, "")
	if earlier := call(t, "PATCH", partner, tm.amExt.token, soon(30*time.Hour)).want(t, 200); earlier.str("endSetBy") != "host" {
		t.Fatalf("brought earlier by the partner, the host's end became %s", earlier.raw)
	}
	call(t, "PATCH", partner, tm.amExt.token, soon(35*time.Hour)).problem(t, 403, "") // not later again
	call(t, "PATCH", partner, tm.owner.token, map[string]any{}).problem(t, 400, "endsAt")
	// Cleared: open-ended again.
	if cleared := call(t, "PATCH", partner, tm.owner.token, map[string]any{"endsAt": nil}).want(t, 200); cleared.body["endsAt"] != nil {
		t.Fatalf("not cleared: %s", cleared.raw)
	}

	// Four seconds ahead: both sides are told at once, once.
	call(t, "PATCH", partner, tm.owner.token, soon(4*time.Second)).want(t, 200)
	wantLink(t, waitMails(t, tm.amExt.email, `The collaboration on "Cats" ends on`, 1)[0], "/orgs/"+tm.partnerOrg+"/projects")
	wantLink(t, waitMails(t, tm.owner.email, `The collaboration on "Cats" ends on`, 1)[0], P)
	call(t, "GET", P, tm.annExt.token, nil).want(t, 200) // not yet

	// At the end, the stop begins by itself.
	deadline := time.Now().Add(30 * time.Second)
	for call(t, "GET", P, tm.annExt.token, nil).status != 404 {
		if time.Now().After(deadline) {
			t.Fatal("the partnership did not end by itself")
		}
		time.Sleep(200 * time.Millisecond)
	}
	e := hasAudit(t, collab.ProjectScope(tm.project), "partner.ended", tm.partnerOrg)
	if e.Actor != collab.PlatformActor {
		t.Fatalf("ended by %q", e.Actor)
	}
	waitMails(t, tm.amExt.email, `The collaboration on "Cats" stopped`, 1)
	waitMails(t, tm.owner.email, `The collaboration on "Cats" stopped`, 1)
	waitItemBack(t, tm, item)
	wantNoPartnerPeople(t, tm, tm.partnerOrg)
	call(t, "PATCH", partner, tm.owner.token, soon(time.Hour)).problem(t, 404, "")
}

// mailsAbout lists the mails to addr whose subject contains about.
func mailsAbout(t testing.TB, addr, about string) []sentMail {
	var out []sentMail
	for _, m := range mailsTo(t, addr) {
		if strings.Contains(m.subject, about) {
			out = append(out, m)
		}
	}
	return out
}

// waitItemBack waits for an item to be back with the host (the stop job
// runs on).
func waitItemBack(t testing.TB, tm team, id string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for call(t, "GET", itemPath(tm, id), tm.owner.token, nil).want(t, 200).str("orgId") != tm.hostOrg {
		if time.Now().After(deadline) {
			t.Fatal("the item did not return to the host")
		}
		time.Sleep(200 * time.Millisecond)
	}
	wantBackWithHost(t, tm, id)
}

// An owner of an org unrelated to a project, asking to stop (or time-box)
// their org's partnership on it, learns nothing from the answer: the same
// 404 as for a project that does not exist (SPEC §11).
func TestStopAnswersNoProjectToOutsiders(t *testing.T) {
	tm := newTeam(t)
	for _, ask := range []struct{ method, query, endsAt string }{{"DELETE", "?dryRun=true", ""}, {"DELETE", "", ""},
		{"PATCH", "", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, {"PATCH", "", "2000-01-01T00:00:00Z"}} {
		var body any
		if ask.method == "PATCH" {
			body = map[string]string{"endsAt": ask.endsAt}
		}
		real := call(t, ask.method, "/projects/"+tm.project+"/partners/"+tm.tenantOrg+ask.query, tm.tenant.token, body)
		real.problem(t, 404, "")
		none := call(t, ask.method, "/projects/prj_none/partners/"+tm.tenantOrg+ask.query, tm.tenant.token, body)
		none.problem(t, 404, "")
		if strings.ReplaceAll(real.str("detail"), tm.project, "prj_none") != none.str("detail") {
			t.Errorf("%s%s: %q for a real project, %q for none", ask.method, ask.query, real.str("detail"), none.str("detail"))
		}
	}
}

// A time-boxed workspace collaboration ends by itself as a partnership
// does: both orgs' owners and admins are told at once (less than a day
// left), and at the end the removal begins (collaborator.ended by the
// platform) and the collaborator's people lose the workspace's projects.
// The collaborator org brings the end earlier but cannot push back one the
// workspace's org set.
func TestCollaborationEndsByItself(t *testing.T) {
	sc := newCollabScene(t)
	W := "/workspaces/" + sc.workspace
	C := W + "/collaborators/" + sc.xOrg
	joinOrg(t, sc.xOrg, sc.owner, collab.OrgAdmin, "Producer X")
	call(t, "POST", W+"/collaborators", sc.owner.token, map[string]any{"orgId": sc.xOrg, "types": []string{"producer_partner"},
		"projectAccess": map[string]any{"mode": "full"}}).want(t, 201)
	call(t, "PUT", W+"/members/"+sc.x1.id, sc.owner.token, map[string]string{"role": "project_manager"}).want(t, 200)
	call(t, "GET", "/projects/"+sc.project, sc.x1.token, nil).want(t, 200)
	soon := func(d time.Duration) map[string]string {
		return map[string]string{"endsAt": time.Now().UTC().Add(d).Format(time.RFC3339Nano)}
	}
	// Refused: a plain member of X (403: it may not remove it), a past
	// end (400), the end with another field (400).
	call(t, "PATCH", C, sc.x1.token, soon(time.Hour)).problem(t, 403, "")
	call(t, "PATCH", C, sc.owner.token, soon(-time.Hour)).problem(t, 400, "endsAt")
	call(t, "PATCH", C, sc.owner.token, map[string]any{"endsAt": nil, "autoInvite": true}).problem(t, 400, "endsAt")
	// The workspace's org sets it two days ahead; X's owner may bring it
	// earlier but not push it back or clear it.
	set := call(t, "PATCH", C, sc.owner.token, soon(48*time.Hour)).want(t, 200)
	if c := set.body["collaborator"].(map[string]any); c["endsAt"] == nil || c["endSetBy"] != "host" {
		t.Fatalf("set %s", set.raw)
	}
	call(t, "PATCH", C, sc.xOwner.token, soon(72*time.Hour)).problem(t, 403, "")
	call(t, "PATCH", C, sc.xOwner.token, map[string]any{"endsAt": nil}).problem(t, 403, "")
	call(t, "PATCH", C, sc.xOwner.token, soon(30*time.Hour)).want(t, 200)        // earlier: allowed
	call(t, "PATCH", C, sc.xOwner.token, soon(40*time.Hour)).problem(t, 403, "") // and still the host's end
	call(t, "PATCH", C, sc.xOwner.token, map[string]any{"endsAt": nil}).problem(t, 403, "")
	// Four seconds ahead: both orgs' owners and admins are told at once.
	call(t, "PATCH", C, sc.xOwner.token, soon(4*time.Second)).want(t, 200)
	waitMails(t, sc.xOwner.email, `The collaboration in "Default workspace" ends on`, 1)
	waitMails(t, sc.owner.email, `The collaboration in "Default workspace" ends on`, 1) // once, though in both orgs
	// At the end, the removal begins by itself.
	deadline := time.Now().Add(30 * time.Second)
	for call(t, "GET", "/projects/"+sc.project, sc.x1.token, nil).status != 404 {
		if time.Now().After(deadline) {
			t.Fatal("the collaboration did not end by itself")
		}
		time.Sleep(200 * time.Millisecond)
	}
	e := hasAudit(t, collab.WorkspaceScope(sc.workspace), "collaborator.ended", sc.xOrg)
	if e.Actor != collab.PlatformActor {
		t.Fatalf("ended by %q", e.Actor)
	}
}
