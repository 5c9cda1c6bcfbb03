package httpapi_test

import (
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// Inbound approval: an org that requires it accepts a share link and gets
// nothing until an owner or admin of it approves: no access for its
// people, no tasks for it, the project not in its list. Only its owners and
// admins see and decide what waits; approving gives the partnership its
// effect; rejecting ends it cleanly; a trusted host's partnership never
// waits.
func TestInboundApproval(t *testing.T) {
	tm := newTeam(t)
	P := "/projects/" + tm.project
	boss := newActor(t, "inbound-owner")
	admin := newActor(t, "inbound-admin")
	plain := newActor(t, "inbound-member")
	org := orgOf(t, boss, "Careful Co")
	joinOrg(t, org, admin, collab.OrgAdmin, "Careful Co")
	joinOrg(t, org, plain, collab.OrgMember, "Careful Co")

	// Only owners and admins set the policy; a bad value names its field.
	call(t, "PATCH", "/orgs/"+org, plain.token, map[string]string{"inboundApproval": "required"}).problem(t, 403, "")
	call(t, "PATCH", "/orgs/"+org, admin.token, map[string]string{"inboundApproval": "sometimes"}).problem(t, 400, "inboundApproval")
	set := call(t, "PATCH", "/orgs/"+org, admin.token, map[string]string{"inboundApproval": "required"}).want(t, 200)
	if set.str("inboundApproval") != "required" || set.str("name") != "Careful Co" {
		t.Fatalf("policy %s", set.raw)
	}
	if got := call(t, "GET", "/orgs/"+org, plain.token, nil).want(t, 200); got.str("inboundApproval") != "required" {
		t.Fatalf("org %s", got.raw)
	}

	// The admin accepts the share link for the org: it waits.
	token := tokenOf(t, call(t, "PUT", P+"/share-link", tm.owner.token, nil).want(t, 201).str("url"))
	acc := call(t, "POST", "/invitations/"+token+"/accept", admin.token, map[string]string{"orgId": org}).want(t, 200)
	if acc.body["pendingApproval"] != true || acc.str("orgId") != org {
		t.Fatalf("accept %s", acc.raw)
	}
	call(t, "GET", P, admin.token, nil).problem(t, 404, "")
	call(t, "GET", P+"/permissions", admin.token, nil).problem(t, 404, "")
	if got := call(t, "GET", "/orgs/"+org+"/projects", admin.token, nil).want(t, 200).items(); len(got) != 0 {
		t.Fatalf("the waiting project is listed: %v", got)
	}
	for _, p := range call(t, "GET", P+"/partners", tm.owner.token, nil).want(t, 200).items() {
		if p["orgId"] == org {
			t.Fatalf("a waiting partner is listed: %v", p)
		}
	}
	// No work reaches it.
	call(t, "POST", P+"/tasks", tm.owner.token, map[string]any{"name": "For Careful", "kind": "annotation", "orgId": org}).problem(t, 400, "orgId")
	hasAudit(t, collab.ProjectScope(tm.project), "partner.pending_approval", org)

	// Accepted again while it waits: decided there, not accepted twice.
	call(t, "POST", "/invitations/"+token+"/accept", boss.token, map[string]string{"orgId": org}).problem(t, 409, "")
	// What waits: seen and decided by owners and admins only.
	call(t, "GET", "/orgs/"+org+"/inbound", plain.token, nil).problem(t, 403, "")
	call(t, "GET", "/orgs/"+org+"/inbound", tm.owner.token, nil).problem(t, 404, "")
	waiting := call(t, "GET", "/orgs/"+org+"/inbound", boss.token, nil).want(t, 200).items()
	if len(waiting) != 1 || waiting[0]["id"] != tm.project || waiting[0]["projectName"] != "Cats" || waiting[0]["hostOrgId"] != tm.hostOrg ||
		waiting[0]["managerId"] != admin.id {
		t.Fatalf("inbound %v", waiting)
	}
	call(t, "POST", "/orgs/"+org+"/inbound/"+tm.project+"/approve", plain.token, nil).problem(t, 403, "")
	call(t, "POST", "/orgs/"+org+"/inbound/prj_none/approve", boss.token, nil).problem(t, 404, "")
	call(t, "POST", "/orgs/"+org+"/inbound/"+tm.project+"/approve", boss.token, nil).want(t, 200)
	// Approved: the partnership takes effect.
	perm := call(t, "GET", P+"/permissions", admin.token, nil).want(t, 200)
	if perm.str("role") != "annotation_manager" || perm.str("orgId") != org {
		t.Fatalf("after approval %s", perm.raw)
	}
	call(t, "POST", P+"/tasks", tm.owner.token, map[string]any{"name": "For Careful", "kind": "annotation", "orgId": org}).want(t, 201)
	if got := call(t, "GET", "/orgs/"+org+"/inbound", boss.token, nil).want(t, 200).items(); len(got) != 0 {
		t.Fatalf("still waiting: %v", got)
	}
	call(t, "POST", "/orgs/"+org+"/inbound/"+tm.project+"/approve", boss.token, nil).problem(t, 404, "")
	call(t, "POST", "/orgs/"+org+"/inbound/"+tm.project+"/reject", boss.token, nil).problem(t, 404, "")
	hasAudit(t, collab.ProjectScope(tm.project), "partner.joined", org)

	// A second project of another host: rejected, it ends cleanly.
	host2 := newActor(t, "inbound-host2")
	ws2 := call(t, "POST", "/orgs", host2.token, map[string]string{"name": "Second Host"}).want(t, 201).str("defaultWorkspaceId")
	p2 := call(t, "POST", "/workspaces/"+ws2+"/projects", host2.token, map[string]string{"name": "Dogs"}).want(t, 201).str("id")
	token2 := tokenOf(t, call(t, "PUT", "/projects/"+p2+"/share-link", host2.token, nil).want(t, 201).str("url"))
	call(t, "POST", "/invitations/"+token2+"/accept", admin.token, map[string]string{"orgId": org}).want(t, 200)
	job := call(t, "POST", "/orgs/"+org+"/inbound/"+p2+"/reject", boss.token, nil).want(t, 202).str("jobId")
	if j := waitJob(t, host2, job, 30*time.Second); j.str("kind") != "stop_partner" {
		t.Fatalf("reject job %s", j.raw)
	}
	call(t, "GET", "/projects/"+p2, admin.token, nil).problem(t, 404, "")
	if got := call(t, "GET", "/projects/"+p2+"/members", host2.token, nil).want(t, 200).items(); len(got) != 1 {
		t.Fatalf("members after the rejection: %v", got)
	}
	hasAudit(t, collab.ProjectScope(p2), "partner.rejected", org)
	// The same link accepted again, now from a trusted host: no wait.
	call(t, "PATCH", "/orgs/"+org, boss.token, map[string]any{"trustedHostOrgIds": []string{call(t, "GET", "/projects/"+p2, host2.token, nil).want(t, 200).str("hostOrgId")}}).want(t, 200)
	trusted := call(t, "POST", "/invitations/"+token2+"/accept", admin.token, map[string]string{"orgId": org}).want(t, 200)
	if trusted.body["pendingApproval"] != nil {
		t.Fatalf("a trusted host's partnership waits: %s", trusted.raw)
	}
	call(t, "GET", "/projects/"+p2, admin.token, nil).want(t, 200)
}

// A collaborator invitation accepted for an org that requires approval
// waits as a partnership does: the acceptor's workspace role reaches
// nothing, no task reaches the org, its project list is empty, until an
// owner or admin of the org approves; rejecting removes the collaboration.
func TestInboundApprovalOfCollaborations(t *testing.T) {
	tm := newTeam(t)
	W := "/workspaces/" + tm.workspace
	P := "/projects/" + tm.project
	boss := newActor(t, "careful-collab-owner")
	pm := newActor(t, "careful-collab-pm")
	org := orgOf(t, boss, "Careful Producer")
	joinOrg(t, org, pm, collab.OrgAdmin, "Careful Producer")
	call(t, "PATCH", "/orgs/"+org, boss.token, map[string]string{"inboundApproval": "required"}).want(t, 200)

	call(t, "POST", W+"/collaborators", tm.owner.token, map[string]any{"email": pm.email, "types": []string{"annotation_partner"},
		"role": "annotation_manager", "projectAccess": map[string]any{"mode": "full"}}).want(t, 202)
	token := tokenMailedTo(t, pm.email, 1)
	acc := call(t, "POST", "/invitations/"+token+"/accept", pm.token, map[string]string{"orgId": org}).want(t, 200)
	if acc.body["pendingApproval"] != true || acc.str("orgId") != org {
		t.Fatalf("accept %s", acc.raw)
	}
	hasAudit(t, collab.WorkspaceScope(tm.workspace), "collaborator.pending_approval", org)
	// Nothing reaches the org while it waits; the host sees it waiting.
	call(t, "GET", P, pm.token, nil).problem(t, 404, "")
	call(t, "GET", P+"/permissions", pm.token, nil).problem(t, 404, "")
	if got := call(t, "GET", "/orgs/"+org+"/projects", pm.token, nil).want(t, 200).items(); len(got) != 0 {
		t.Fatalf("a waiting collaboration lists %v", got)
	}
	call(t, "POST", P+"/tasks", tm.owner.token, map[string]any{"name": "For Careful", "kind": "annotation", "orgId": org}).problem(t, 400, "orgId")
	var row map[string]any
	for _, c := range call(t, "GET", W+"/collaborators", tm.owner.token, nil).want(t, 200).items() {
		if c["orgId"] == org {
			row = c
		}
	}
	if row == nil || row["pendingApproval"] != true {
		t.Fatalf("the host's row %v", row)
	}

	// The inbound list shows it; only the org's owners and admins decide.
	waiting := call(t, "GET", "/orgs/"+org+"/inbound", boss.token, nil).want(t, 200).items()
	if len(waiting) != 1 || waiting[0]["id"] != tm.workspace || waiting[0]["kind"] != "collaborator" || waiting[0]["workspaceName"] != "Default workspace" ||
		waiting[0]["hostOrgId"] != tm.hostOrg || waiting[0]["managerId"] != pm.id {
		t.Fatalf("inbound %v", waiting)
	}
	call(t, "POST", "/orgs/"+org+"/inbound/"+tm.workspace+"/approve", tm.owner.token, nil).problem(t, 404, "")
	call(t, "POST", "/orgs/"+org+"/inbound/ws_none/approve", boss.token, nil).problem(t, 404, "")
	call(t, "POST", "/orgs/"+org+"/inbound/"+tm.workspace+"/approve", boss.token, nil).want(t, 200)
	hasAudit(t, collab.WorkspaceScope(tm.workspace), "collaborator.added", org)
	perm := call(t, "GET", P+"/permissions", pm.token, nil).want(t, 200)
	if perm.str("role") != "annotation_manager" || perm.str("orgId") != org {
		t.Fatalf("after approval %s", perm.raw)
	}
	call(t, "POST", P+"/tasks", tm.owner.token, map[string]any{"name": "For Careful", "kind": "annotation", "orgId": org}).want(t, 201)
	call(t, "POST", "/orgs/"+org+"/inbound/"+tm.workspace+"/approve", boss.token, nil).problem(t, 404, "")

	// Another workspace's invitation, rejected: the collaboration is removed.
	ws2 := call(t, "POST", "/orgs/"+tm.hostOrg+"/workspaces", tm.owner.token, map[string]string{"name": "Second"}).want(t, 201).str("id")
	call(t, "POST", "/workspaces/"+ws2+"/collaborators", tm.owner.token, map[string]any{"email": pm.email, "types": []string{"annotation_partner"},
		"role": "annotation_manager", "projectAccess": map[string]any{"mode": "full"}}).want(t, 202)
	token2 := tokenMailedTo(t, pm.email, 2)
	call(t, "POST", "/invitations/"+token2+"/accept", pm.token, map[string]string{"orgId": org}).want(t, 200)
	j := call(t, "POST", "/orgs/"+org+"/inbound/"+ws2+"/reject", boss.token, nil).want(t, 202)
	waitForJob(t, boss.token, j.str("jobId"), collab.JobSucceeded)
	for _, c := range call(t, "GET", "/workspaces/"+ws2+"/collaborators", tm.owner.token, nil).want(t, 200).items() {
		if c["orgId"] == org {
			t.Fatalf("a rejected collaboration remains: %v", c)
		}
	}
	hasAudit(t, collab.WorkspaceScope(ws2), "collaborator.rejected", org)
}
