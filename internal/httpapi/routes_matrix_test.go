package httpapi_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/httpapi"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

// The route × caller matrix of docs/security.md: every route of every router (read
// from the route table, so a route added without a row here fails) for
// every kind of caller, each cell asserting the status and that the answer
// holds no other tenant's or other wall's ids or emails.

// Caller kinds.
const (
	kOwner  = "host owner"
	kDev    = "host developer"
	kPM     = "host project_manager"
	kAMH    = "host annotation_manager"
	kAnnH   = "host annotator"
	kSL     = "share-link manager"
	kLCM    = "labeling-company manager"
	kLCA    = "labeling-company annotator"
	kCDev   = "collaborator developer"
	kCPM    = "collaborator project_manager"
	kCAM    = "collaborator annotation_manager"
	kTenant = "other tenant"
	kFormer = "former member"
	kEnded  = "member of an ended partnership"
	kNobody = "nobody"
)

// kinds in the order cells run (the share-link manager's stop of its own
// partnership is the last cell of the last route).
var kinds = []string{kOwner, kDev, kPM, kAMH, kAnnH, kLCM, kLCA, kCDev, kCPM, kCAM, kTenant, kFormer, kEnded, kNobody, kSL}

// matrixWorld is the scene every cell meets.
type matrixWorld struct {
	host, sOrg, lOrg, cOrg, tOrg, eOrg string
	ws, project, tenantProject         string
	users                              map[string]actor
	spare                              actor // a host org member not on the project
	hostGroup                          string
	jobID                              string
	shareToken                         string
	hostItem, annItem                  string
	lTask                              string // an annotation task handed to the labeling company, pulling allowed
	looseItem                          string // a host item in no task
	// secrets[kind]: what the kind must never see.
	secrets map[string][]string
}

func addPartner(t testing.TB, project, host, org, orgName string, kind collab.PartnerKind, manager actor) {
	t.Helper()
	a := store(t)
	p, _, err := a.Store.LoadStanding(context.Background(), project, "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	m := collab.ProjectMember{ProjectID: project, UserID: manager.id, Email: manager.email, Name: "Name of " + manager.email,
		Role: collab.RoleAnnotationManager, OrgID: org, Side: collab.SideExternal, AddedAt: now, Version: 1}
	if err := a.Store.AddPartner(context.Background(), p, collab.Partner{ProjectID: project, OrgID: org, OrgName: orgName, Kind: kind,
		Types: []collab.CollabType{collab.CollabAnnotationPartner}, ManagerID: manager.id, HostOrgID: host, AddedAt: now, Version: 1}, &m); err != nil {
		t.Fatal(err)
	}
}

func addCollaborator(t testing.TB, ws, org, name string, types ...collab.CollabType) {
	t.Helper()
	if err := store(t).Store.PutCollaborator(context.Background(), collab.Collaborator{WorkspaceID: ws, OrgID: org, OrgName: name, Types: types,
		Access: collab.ProjectAccess{Mode: "full"}, AddedAt: time.Now().UTC(), Version: 1}); err != nil {
		t.Fatal(err)
	}
}

func newMatrixWorld(t *testing.T) matrixWorld {
	w := matrixWorld{users: map[string]actor{}, secrets: map[string][]string{}}
	for _, k := range kinds {
		w.users[k] = newActor(t, strings.ReplaceAll(strings.ReplaceAll(k, " ", ""), "-", ""))
	}
	u := w.users
	w.spare = newActor(t, "spare")
	owner := u[kOwner]
	org := call(t, "POST", "/orgs", owner.token, map[string]string{"name": "Host Org"}).want(t, 201)
	w.host, w.ws = org.str("id"), org.str("defaultWorkspaceId")
	w.project = call(t, "POST", "/workspaces/"+w.ws+"/projects", owner.token, map[string]string{"name": "Cats"}).want(t, 201).str("id")
	P := "/projects/" + w.project
	for _, k := range []string{kDev, kPM, kAMH, kAnnH, kFormer} {
		joinOrg(t, w.host, u[k], collab.OrgMember, "Host Org")
	}
	joinOrg(t, w.host, w.spare, collab.OrgMember, "Host Org")
	for k, role := range map[string]string{kDev: "developer", kPM: "project_manager", kAMH: "annotation_manager", kAnnH: "annotator", kFormer: "owner"} {
		call(t, "POST", P+"/members", owner.token, map[string]string{"email": u[k].email, "role": role}).want(t, 201)
	}
	// The former member was a workspace admin and in a group, then left.
	call(t, "PUT", "/workspaces/"+w.ws+"/members/"+u[kFormer].id, owner.token, map[string]string{"role": "admin"}).want(t, 200)
	w.hostGroup = call(t, "POST", "/orgs/"+w.host+"/groups", owner.token, map[string]string{"name": "Host group"}).want(t, 201).str("id")
	call(t, "PUT", "/orgs/"+w.host+"/groups/"+w.hostGroup+"/members/"+u[kFormer].id, owner.token, nil).want(t, 200)
	call(t, "DELETE", "/orgs/"+w.host+"/members/"+u[kFormer].id, owner.token, nil).want(t, 204)

	// A share-link partner, a labeling company with its annotator.
	w.sOrg = orgOf(t, u[kSL], "Share Partner")
	addPartner(t, w.project, w.host, w.sOrg, "Share Partner", collab.PartnerShareLink, u[kSL])
	w.lOrg = orgOf(t, u[kLCM], "Label Co")
	addPartner(t, w.project, w.host, w.lOrg, "Label Co", collab.PartnerLabelingCompany, u[kLCM])
	joinOrg(t, w.lOrg, u[kLCA], collab.OrgMember, "Label Co")
	call(t, "POST", P+"/members", u[kLCM].token, map[string]string{"email": u[kLCA].email, "role": "annotator"}).want(t, 201)
	// A workspace collaborator (data and producer partner, full access)
	// with a developer, a project manager and an annotation manager.
	cOwner := newActor(t, "cowner")
	w.cOrg = orgOf(t, cOwner, "Collab Co")
	addCollaborator(t, w.ws, w.cOrg, "Collab Co", collab.CollabDataPartner, collab.CollabProducerPartner)
	for k, role := range map[string]string{kCDev: "developer", kCPM: "project_manager", kCAM: "annotation_manager"} {
		joinOrg(t, w.cOrg, u[k], collab.OrgMember, "Collab Co")
		call(t, "PUT", "/workspaces/"+w.ws+"/members/"+u[k].id, owner.token, map[string]string{"role": role}).want(t, 200)
	}
	// An ended partnership.
	w.eOrg = orgOf(t, u[kEnded], "Ended Co")
	addPartner(t, w.project, w.host, w.eOrg, "Ended Co", collab.PartnerShareLink, u[kEnded])
	stopPartner(t, owner, w.project, w.eOrg)
	// Another tenant.
	tenant := call(t, "POST", "/orgs", u[kTenant].token, map[string]string{"name": "Tenant Org"}).want(t, 201)
	w.tOrg = tenant.str("id")
	w.tenantProject = call(t, "POST", "/workspaces/"+tenant.str("defaultWorkspaceId")+"/projects", u[kTenant].token,
		map[string]string{"name": "Tenant secret"}).want(t, 201).str("id")
	// A job of the host owner's, the share link, two items.
	gone := newActor(t, "goneorg")
	goneOrg := orgOf(t, gone, "Gone Co")
	addCollaborator(t, w.ws, goneOrg, "Gone Co", collab.CollabAnnotationPartner)
	w.jobID = call(t, "DELETE", "/workspaces/"+w.ws+"/collaborators/"+goneOrg, owner.token, nil).want(t, 202).str("jobId")
	w.shareToken = tokenOf(t, call(t, "PUT", P+"/share-link", owner.token, nil).want(t, 201).str("url"))
	w.hostItem = call(t, "POST", P+"/items", owner.token, map[string]string{"name": "host-item-secret"}).want(t, 201).str("id")
	w.annItem = w.newAssignedItem(t)
	// A task handed to the labeling company, with an item in it; a loose
	// host item to put in tasks.
	w.lTask = w.newTask(t, owner, w.lOrg, lTaskName)
	w.newTaskItem(t, w.lTask)
	w.looseItem = call(t, "POST", P+"/items", owner.token, map[string]string{"name": "loose"}).want(t, 201).str("id")

	// Secrets: every external sees nothing of the host's people or of the
	// other walls; outsiders see nothing of the project at all.
	// (The spare host member is left out: partners' managers send
	// invitations to that address themselves in some cells.)
	hostPeople := []string{owner.email, u[kDev].email, u[kPM].email, u[kAMH].email, u[kAnnH].email}
	wall := map[string][]string{
		w.sOrg: {u[kSL].email, u[kSL].id, w.sOrg},
		w.lOrg: {u[kLCM].email, u[kLCM].id, u[kLCA].email, u[kLCA].id, w.lOrg, lTaskName},
		w.cOrg: {u[kCDev].email, u[kCPM].email, u[kCAM].email, w.cOrg},
	}
	tenantSecrets := []string{"Tenant secret", w.tenantProject, w.tOrg, u[kTenant].email}
	for _, k := range kinds {
		w.secrets[k] = append([]string{}, tenantSecrets...)
	}
	for k, org := range map[string]string{kSL: w.sOrg, kLCM: w.lOrg, kLCA: w.lOrg, kCDev: w.cOrg, kCPM: w.cOrg, kCAM: w.cOrg} {
		w.secrets[k] = append(w.secrets[k], hostPeople...)
		w.secrets[k] = append(w.secrets[k], "host-item-secret")
		for o, s := range wall {
			if o != org {
				w.secrets[k] = append(w.secrets[k], s...)
			}
		}
	}
	for _, k := range []string{kTenant, kFormer, kEnded, kNobody} {
		w.secrets[k] = append(w.secrets[k], hostPeople...)
		w.secrets[k] = append(w.secrets[k], "Cats", "host-item-secret", w.sOrg, w.lOrg, w.cOrg, lTaskName)
		if k == kTenant {
			w.secrets[k] = w.secrets[k][len(tenantSecrets):]
		}
	}
	return w
}

// newAssignedItem registers an item assigned to the host annotator.
func (w matrixWorld) newAssignedItem(t testing.TB) string {
	t.Helper()
	P := "/projects/" + w.project
	id := call(t, "POST", P+"/items", w.users[kOwner].token, map[string]string{"name": "assigned"}).want(t, 201).str("id")
	call(t, "POST", P+"/items/"+id+"/assign", w.users[kOwner].token, map[string]string{"userId": w.users[kAnnH].id}).want(t, 200)
	return id
}

// lTaskName names the labeling company's task: only the host and the
// company may see it.
const lTaskName = "lc-task-secret"

// newTask creates an annotation task for org as who, pulling allowed.
func (w matrixWorld) newTask(t testing.TB, who actor, org, name string) string {
	t.Helper()
	return call(t, "POST", "/projects/"+w.project+"/tasks", who.token,
		map[string]any{"name": name, "kind": "annotation", "orgId": org, "allowPull": true}).want(t, 201).str("id")
}

// newTaskItem registers an item as the host owner and puts it in the task.
func (w matrixWorld) newTaskItem(t testing.TB, task string) string {
	t.Helper()
	P := "/projects/" + w.project
	id := call(t, "POST", P+"/items", w.users[kOwner].token, map[string]string{"name": "handed"}).want(t, 201).str("id")
	r := call(t, "POST", P+"/tasks/"+task+"/items", w.users[kOwner].token, map[string]any{"itemIds": []string{id}}).want(t, 200)
	if added, _ := r.body["added"].([]any); len(added) != 1 || added[0] != id {
		t.Fatalf("setup: item %s not added to task %s: %s", id, task, r.raw)
	}
	return id
}

// cell expectations: a status per kind; kinds absent get the row's deny.
type statuses map[string]int

// standing lists the kinds with standing on the project.
var standing = []string{kOwner, kDev, kPM, kAMH, kAnnH, kSL, kLCM, kLCA, kCDev, kCPM, kCAM}

// every gives status s to the kinds named.
func every(s int, ks ...string) statuses {
	out := statuses{}
	for _, k := range ks {
		out[k] = s
	}
	return out
}

func (a statuses) and(b statuses) statuses {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// matrixRow is one route's cells.
type matrixRow struct {
	// path for a kind (most rows ignore the kind).
	path func(w *matrixWorld, k string) string
	body any
	// want per kind; kinds not listed get deny.
	want statuses
	deny int
	// public: the answer must be the same whatever the caller.
	public bool
}

func fixed(p string) func(*matrixWorld, string) string {
	return func(*matrixWorld, string) string { return p }
}

func TestRouteMatrix(t *testing.T) {
	w := newMatrixWorld(t)
	u := w.users
	P, H, W := "/projects/"+w.project, "/orgs/"+w.host, "/workspaces/"+w.ws
	hostMembers := []string{kDev, kPM, kAMH, kAnnH}
	extManagers := []string{kSL, kLCM, kCDev, kCPM, kCAM}
	collabKinds := []string{kCDev, kCPM, kCAM}
	hostReaders := append([]string{kOwner}, hostMembers...)
	orgRead := every(200, hostReaders...)
	orgWrite := func(ok int) statuses { return every(ok, kOwner).and(every(403, hostMembers...)) }
	fresh := func(f func(w *matrixWorld, k string) string) func(*matrixWorld, string) string { return f }
	item := func(suffix string) func(*matrixWorld, string) string {
		return func(w *matrixWorld, _ string) string { return P + "/items/" + w.annItem + suffix }
	}
	// The labeling company's task: the host side sees it, the company's
	// people see it, the other walls do not.
	task := func(suffix string) func(*matrixWorld, string) string {
		return func(w *matrixWorld, _ string) string { return P + "/tasks/" + w.lTask + suffix }
	}
	lcSees := []string{kOwner, kDev, kPM, kAMH, kAnnH, kLCM, kLCA}
	otherWalls := []string{kSL, kCDev, kCPM, kCAM}
	pendingInvite := func(w *matrixWorld) string {
		lastInvitee = uniqueEmail(t, "inv")
		return call(t, "POST", P+"/members", u[kOwner].token, map[string]string{"email": lastInvitee, "role": "annotator"}).want(t, 202).str("invitationId")
	}
	rows := map[string]matrixRow{
		"GET /healthz":      {path: fixed("/healthz"), public: true},
		"GET /openapi.yaml": {path: fixed("/openapi.yaml"), public: true},

		// membership
		"POST /orgs":                    {path: fixed("/orgs"), body: map[string]string{"name": "Another"}, want: every(201, kinds...)},
		"GET /orgs":                     {path: fixed("/orgs"), want: every(200, kinds...)},
		"GET /orgs/{orgId}":             {path: fixed(H), want: orgRead, deny: 404},
		"GET /orgs/{orgId}/members":     {path: fixed(H + "/members"), want: orgRead, deny: 404},
		"GET /orgs/{orgId}/projects":    {path: fixed(H + "/projects"), want: orgRead, deny: 404},
		"GET /orgs/{orgId}/workspaces":  {path: fixed(H + "/workspaces"), want: orgRead, deny: 404},
		"POST /orgs/{orgId}/workspaces": {path: fixed(H + "/workspaces"), body: map[string]string{"name": "W2"}, want: orgWrite(201), deny: 404},
		// Read-back and management (issue 12): renames keep the scene's
		// names; deletes take a fresh org, group or workspace of the
		// owner's (the scene's own are refused while they hold anything).
		"PATCH /orgs/{orgId}": {path: fixed(H), body: map[string]string{"name": "Host Org"}, want: orgWrite(200), deny: 404},
		// Inbound approval (issue 16): the org's owners and admins; nothing
		// of the host org's waits, so deciding finds none (404) for them.
		"GET /orgs/{orgId}/inbound": {path: fixed(H + "/inbound"), want: orgWrite(200), deny: 404},
		"POST /orgs/{orgId}/inbound/{partnershipId}/approve": {path: fixed(H + "/inbound/prj_none/approve"),
			want: every(404, kOwner).and(every(403, hostMembers...)), deny: 404},
		"POST /orgs/{orgId}/inbound/{partnershipId}/reject": {path: fixed(H + "/inbound/prj_none/reject"),
			want: every(404, kOwner).and(every(403, hostMembers...)), deny: 404},
		// Webhooks (issue 16): the org's owners and admins. The scene's
		// webhook takes only a rare event, so nothing is delivered to its
		// closed port.
		"POST /orgs/{orgId}/webhooks": {path: fixed(H + "/webhooks"), body: map[string]any{"url": "http://127.0.0.1:9/matrix", "events": []string{"org.deleted"}},
			want: orgWrite(201), deny: 404},
		"GET /orgs/{orgId}/webhooks": {path: fixed(H + "/webhooks"), want: orgWrite(200), deny: 404},
		"DELETE /orgs/{orgId}/webhooks/{webhookId}": {path: fresh(func(w *matrixWorld, k string) string {
			if k != kOwner {
				return H + "/webhooks/whk_none"
			}
			return H + "/webhooks/" + call(t, "POST", H+"/webhooks", u[kOwner].token, map[string]any{"url": "http://127.0.0.1:9/doomed", "events": []string{"org.deleted"}}).want(t, 201).str("id")
		}), want: orgWrite(204), deny: 404},
		"PATCH /orgs/{orgId}/webhooks/{webhookId}": {path: fixed(H + "/webhooks/whk_none"), body: map[string]any{"enabled": true},
			want: every(404, kOwner).and(every(403, hostMembers...)), deny: 404},
		"GET /orgs/{orgId}/webhooks/{webhookId}/deliveries": {path: fixed(H + "/webhooks/whk_none/deliveries"),
			want: every(404, kOwner).and(every(403, hostMembers...)), deny: 404},
		"DELETE /orgs/{orgId}": {path: fresh(func(w *matrixWorld, k string) string {
			if k != kOwner {
				return H
			}
			return "/orgs/" + call(t, "POST", "/orgs", u[kOwner].token, map[string]string{"name": "Doomed Org"}).want(t, 201).str("id")
		}), want: orgWrite(204), deny: 404},
		"GET /orgs/{orgId}/groups": {path: fixed(H + "/groups"), want: orgRead, deny: 404},
		"PATCH /orgs/{orgId}/groups/{groupId}": {path: fixed(H + "/groups/" + w.hostGroup), body: map[string]string{"name": "Host group"},
			want: orgWrite(200), deny: 404},
		"DELETE /orgs/{orgId}/groups/{groupId}": {path: fresh(func(w *matrixWorld, k string) string {
			if k != kOwner {
				return H + "/groups/" + w.hostGroup
			}
			return H + "/groups/" + call(t, "POST", H+"/groups", u[kOwner].token, map[string]string{"name": "Doomed group"}).want(t, 201).str("id")
		}), want: orgWrite(204), deny: 404},
		"GET /orgs/{orgId}/groups/{groupId}/members": {path: fixed(H + "/groups/" + w.hostGroup + "/members"), want: orgRead, deny: 404},
		"DELETE /orgs/{orgId}/groups/{groupId}/members/{userId}": {path: fresh(func(w *matrixWorld, k string) string {
			if k == kOwner {
				call(t, "PUT", H+"/groups/"+w.hostGroup+"/members/"+w.spare.id, u[kOwner].token, nil).want(t, 200)
			}
			return H + "/groups/" + w.hostGroup + "/members/" + w.spare.id
		}), want: orgWrite(204), deny: 404},
		"PATCH /workspaces/{wsId}": {path: fixed(W), body: map[string]string{"name": "Default workspace"},
			want: every(200, kOwner).and(every(403, hostMembers...)).and(every(403, collabKinds...)), deny: 404},
		"DELETE /workspaces/{wsId}": {path: fresh(func(w *matrixWorld, k string) string {
			if k != kOwner {
				return W
			}
			return "/workspaces/" + call(t, "POST", H+"/workspaces", u[kOwner].token, map[string]string{"name": "Doomed"}).want(t, 201).str("id")
		}), want: every(204, kOwner).and(every(403, hostMembers...)).and(every(403, collabKinds...)), deny: 404},
		"POST /orgs/{orgId}/groups": {path: fixed(H + "/groups"), body: map[string]string{"name": "G2"}, want: orgWrite(201), deny: 404},
		"PUT /orgs/{orgId}/groups/{groupId}/members/{userId}": {path: fixed(H + "/groups/" + w.hostGroup + "/members/" + w.spare.id),
			want: orgWrite(200), deny: 404},
		"PATCH /orgs/{orgId}/members/{userId}": {path: fixed(H + "/members/" + w.spare.id), body: map[string]string{"role": "member"},
			want: orgWrite(200), deny: 404},
		"DELETE /orgs/{orgId}/members/{userId}": {path: fresh(func(w *matrixWorld, k string) string {
			gone := newActor(t, "throwaway")
			joinOrg(t, w.host, gone, collab.OrgMember, "Host Org")
			return H + "/members/" + gone.id
		}), want: orgWrite(204), deny: 404},
		"POST /workspaces/{wsId}/projects": {path: fixed(W + "/projects"), body: map[string]string{"name": "New"},
			want: orgWrite(201).and(every(403, collabKinds...)), deny: 404},
		"GET /projects/{projectId}": {path: fixed(P), want: every(200, standing...), deny: 404},
		"PATCH /projects/{projectId}": {path: fixed(P), body: map[string]string{"name": "Cats"},
			want: every(200, kOwner, kDev).and(every(403, kPM, kAMH, kAnnH, kSL, kLCM, kLCA, kCDev, kCPM, kCAM)), deny: 404},
		"DELETE /projects/{projectId}": {path: fresh(func(w *matrixWorld, k string) string {
			if k != kOwner {
				return P
			}
			return "/projects/" + call(t, "POST", W+"/projects", u[kOwner].token, map[string]string{"name": "Doomed"}).want(t, 201).str("id")
		}), want: every(204, kOwner).and(every(403, kDev, kPM, kAMH, kAnnH, kSL, kLCM, kLCA, kCDev, kCPM, kCAM)), deny: 404},
		"GET /projects/{projectId}/members": {path: fixed(P + "/members"), want: every(200, standing...), deny: 404},
		"POST /projects/{projectId}/members": {path: fresh(func(w *matrixWorld, k string) string {
			call(t, "DELETE", P+"/members/"+w.spare.id, u[kOwner].token, nil)
			return P + "/members"
		}), body: map[string]string{"email": w.spare.email, "role": "annotator"},
			// An external manager, a collaborator's included, invites for
			// their own org (202), never says whether a host user exists.
			want: every(201, kOwner, kDev, kPM, kAMH).and(every(202, kSL, kLCM, kCDev, kCPM, kCAM)).and(every(403, kAnnH, kLCA)), deny: 404},
		"PATCH /projects/{projectId}/members/{userId}": {path: fixed(P + "/members/" + u[kAnnH].id), body: map[string]string{"role": "annotator"},
			want: every(200, kOwner, kDev, kPM, kAMH).and(every(403, kAnnH, kLCA)).and(every(404, extManagers...)), deny: 404},
		"DELETE /projects/{projectId}/members/{userId}": {path: fresh(func(w *matrixWorld, k string) string {
			r := call(t, "POST", P+"/members", u[kOwner].token, map[string]string{"email": w.spare.email, "role": "annotator"})
			if r.status != 201 && r.status != 409 {
				t.Fatalf("setup: %d %s", r.status, r.raw)
			}
			return P + "/members/" + w.spare.id
		}), want: every(204, kOwner, kDev, kPM, kAMH).and(every(403, kAnnH, kLCA)).and(every(404, extManagers...)), deny: 404},
		"POST /projects/{projectId}/groups/{groupId}": {path: fixed(P + "/groups/" + w.hostGroup), body: map[string]string{"role": "annotator"},
			want: every(201, kOwner, kDev, kPM, kAMH).and(every(403, kAnnH, kLCA)).and(every(404, extManagers...)), deny: 404},
		"GET /projects/{projectId}/members/import-template": {path: fixed(P + "/members/import-template"), want: every(200, standing...), deny: 404},
		// An address nobody has: the row becomes an invitation for the
		// importer's org, whoever imports.
		"POST /projects/{projectId}/members/import": {path: fixed(P + "/members/import"), body: "email,role\nimport-newcomer@example.com,annotator\n",
			want: every(200, kOwner, kDev, kPM, kAMH, kSL, kLCM, kCDev, kCPM, kCAM).and(every(403, kAnnH, kLCA)), deny: 404},
		"GET /projects/{projectId}/permissions": {path: fixed(P + "/permissions"), want: every(200, standing...), deny: 404},
		"POST /projects/{projectId}/authorize": {path: fixed(P + "/authorize"), body: map[string]string{"action": "project.view"},
			want: every(200, standing...), deny: 404},

		// invite
		// The scene's link is active: enabling answers it again (200).
		"PUT /projects/{projectId}/share-link": {path: fixed(P + "/share-link"), want: every(200, kOwner).and(every(403, standing[1:]...)), deny: 404},
		"GET /projects/{projectId}/share-link": {path: fixed(P + "/share-link"), want: every(200, kOwner).and(every(403, standing[1:]...)), deny: 404},
		"DELETE /projects/{projectId}/share-link": {path: fresh(func(w *matrixWorld, k string) string {
			// A link is active: the one left by the cell before (200) or a new one (201).
			if r := call(t, "PUT", P+"/share-link", u[kOwner].token, nil); r.status != 200 && r.status != 201 {
				t.Fatalf("setup: %d %s", r.status, r.raw)
			}
			return P + "/share-link"
		}), want: every(204, kOwner).and(every(403, standing[1:]...)), deny: 404},
		"POST /projects/{projectId}/labeling-companies": {path: fixed(P + "/labeling-companies"),
			body: map[string]string{"name": "New Co", "adminEmail": "admin@newco.example.com"}, want: every(201, kOwner).and(every(403, standing[1:]...)), deny: 404},
		"POST /orgs/{orgId}/invitations": {path: fixed(H + "/invitations"), body: map[string]string{"email": "joiner@example.com", "role": "member"},
			want: orgWrite(201), deny: 404},
		"POST /workspaces/{wsId}/collaborators": {path: fixed(W + "/collaborators"),
			body: map[string]any{"email": "vendor@example.com", "types": []string{"annotation_partner"}},
			want: orgWrite(202).and(every(403, collabKinds...)), deny: 404},
		"GET /invitations": {path: fixed("/invitations?projectId=" + w.project),
			want: every(200, kOwner, kDev, kPM, kAMH, kSL, kLCM, kCDev, kCPM, kCAM).and(every(403, kAnnH, kLCA)), deny: 404},
		"POST /invitations/{ref}/resend": {path: fresh(func(w *matrixWorld, k string) string { return "/invitations/" + pendingInvite(w) + "/resend" }),
			want: every(200, kOwner, kDev, kPM, kAMH).and(every(403, kAnnH, kLCA)).and(every(404, extManagers...)), deny: 404},
		"DELETE /invitations/{ref}": {path: fresh(func(w *matrixWorld, k string) string { return "/invitations/" + pendingInvite(w) }),
			want: every(204, kOwner, kDev, kPM, kAMH).and(every(403, kAnnH, kLCA)).and(every(404, extManagers...)), deny: 404},

		// accept: the token is the capability; a bound invitation is
		// refused to everyone but its addressee.
		"GET /invitations/{ref}": {path: fixed("/invitations/" + w.shareToken), public: true},
		"POST /invitations/{ref}/accept": {path: fresh(func(w *matrixWorld, k string) string {
			pendingInvite(w)
			return "/invitations/" + tokenMailedTo(t, lastInvitee, 1) + "/accept"
		}), want: statuses{}, deny: 403},
		"POST /invitations/{ref}/decline": {path: fresh(func(w *matrixWorld, k string) string {
			pendingInvite(w)
			return "/invitations/" + tokenMailedTo(t, lastInvitee, 1) + "/decline"
		}), want: statuses{}, deny: 403},
		"GET /invitations/page":           {path: fixed("/invitations/page"), public: true},
		"GET /invitations/page/callback":  {path: fixed("/invitations/page/callback"), public: true},
		"POST /invitations/page/session":  {path: fixed("/invitations/page/session"), public: true},
		"POST /invitations/page/sign-in":  {path: fixed("/invitations/page/sign-in"), public: true},
		"POST /invitations/page/sign-out": {path: fixed("/invitations/page/sign-out"), public: true},
		"POST /invitations/page/accept":   {path: fixed("/invitations/page/accept"), public: true},
		"POST /invitations/page/decline":  {path: fixed("/invitations/page/decline"), public: true},
		// The invitee's own view: every signed-in caller, nobody included
		// (they are authenticated, only in no org), reads themselves; an
		// invitation bound to someone else is 404 to all, its addressee's alone.
		"GET /me":             {path: fixed("/me"), want: every(200, kinds...)},
		"GET /me/invitations": {path: fixed("/me/invitations"), want: every(200, kinds...)},
		"POST /me/invitations/{invitationId}/accept": {path: fresh(func(w *matrixWorld, k string) string {
			return "/me/invitations/" + pendingInvite(w) + "/accept"
		}), want: statuses{}, deny: 404},

		// collaborators
		"GET /workspaces/{wsId}/collaborators": {path: fixed(W + "/collaborators"),
			want: every(200, kOwner).and(every(403, hostMembers...)).and(every(200, collabKinds...)), deny: 404},
		"PATCH /workspaces/{wsId}/collaborators/{orgId}": {path: fixed(W + "/collaborators/" + w.cOrg), body: map[string]any{"autoInvite": false},
			want: every(200, kOwner).and(every(403, hostMembers...)).and(every(403, collabKinds...)), deny: 404},
		"POST /workspaces/{wsId}/collaborators/{orgId}/add-all-users": {path: fixed(W + "/collaborators/" + w.cOrg + "/add-all-users"),
			// Needs workforce access to the collaborator org: the host's
			// owner does not see it as theirs; its plain members are not
			// its owners or admins.
			want: every(404, kOwner).and(every(403, hostMembers...)).and(every(403, collabKinds...)), deny: 404},
		"DELETE /workspaces/{wsId}/collaborators/{orgId}": {path: fresh(func(w *matrixWorld, k string) string {
			if k != kOwner {
				return W + "/collaborators/" + w.cOrg
			}
			o := orgOf(t, newActor(t, "throwawayco"), "Throwaway Co")
			addCollaborator(t, w.ws, o, "Throwaway Co", collab.CollabAnnotationPartner)
			return W + "/collaborators/" + o
		}), want: every(202, kOwner).and(every(403, hostMembers...)).and(every(403, collabKinds...)), deny: 404},
		// The owning org's workspace admins read every row, a
		// collaborator's people their own org's.
		"GET /workspaces/{wsId}/members": {path: fixed(W + "/members"),
			want: every(200, kOwner).and(every(403, hostMembers...)).and(every(200, collabKinds...)), deny: 404},
		"GET /workspaces/{wsId}/members/{userId}": {path: fixed(W + "/members/" + u[kCDev].id),
			want: every(200, kOwner, kCDev).and(every(403, hostMembers...)).and(every(403, kCPM, kCAM)), deny: 404},
		"PUT /workspaces/{wsId}/members/{userId}": {path: fixed(W + "/members/" + u[kCAM].id), body: map[string]string{"role": "annotation_manager"},
			want: every(200, kOwner).and(every(403, hostMembers...)).and(every(403, collabKinds...)), deny: 404},
		"DELETE /workspaces/{wsId}/members/{userId}": {path: fresh(func(w *matrixWorld, k string) string {
			call(t, "PUT", W+"/members/"+w.spare.id, u[kOwner].token, map[string]string{"role": "annotation_manager"}).want(t, 200)
			return W + "/members/" + w.spare.id
		}), want: every(204, kOwner).and(every(403, hostMembers...)).and(every(403, collabKinds...)), deny: 404},
		"GET /projects/{projectId}/partners": {path: fixed(P + "/partners"), want: every(200, standing...), deny: 404},
		"GET /jobs/{jobId}":                  {path: fixed("/jobs/" + w.jobID), want: every(200, kOwner), deny: 404},
		// Its starter may retry the job, but only a failed one (this one
		// is not): 409; anyone else does not see it.
		"POST /jobs/{jobId}/retry": {path: fixed("/jobs/" + w.jobID + "/retry"), want: every(409, kOwner), deny: 404},
		// Whoever may stop a partnership time-boxes it: the host's owner
		// and the partner's manager (an end years ahead, which no sweep
		// acts on).
		"PATCH /projects/{projectId}/partners/{orgId}": {path: fixed(P + "/partners/" + w.sOrg), body: map[string]string{"endsAt": "2030-01-01T00:00:00Z"},
			want: every(200, kOwner, kSL).and(every(403, hostMembers...)), deny: 404},
		"DELETE /projects/{projectId}/partners/{orgId}": {path: fresh(func(w *matrixWorld, k string) string {
			if k != kOwner {
				return P + "/partners/" + w.sOrg
			}
			boss := newActor(t, "throwawaypartner")
			o := orgOf(t, boss, "Throwaway Partner")
			addPartner(t, w.project, w.host, o, "Throwaway Partner", collab.PartnerShareLink, boss)
			return P + "/partners/" + o
		}), want: every(202, kOwner, kSL).and(every(403, hostMembers...)), deny: 404},

		// review
		"POST /projects/{projectId}/items": {path: fixed(P + "/items"), body: map[string]string{"name": "new item"},
			// A data partner's developer provides data (datasets.manage).
			want: every(201, kOwner, kDev, kCDev).and(every(403, kPM, kAMH, kAnnH, kSL, kLCM, kLCA, kCPM, kCAM)), deny: 404},
		"GET /projects/{projectId}/items":          {path: fixed(P + "/items?status=new"), want: every(200, standing...), deny: 404},
		"GET /projects/{projectId}/items/{itemId}": {path: item(""), want: every(200, kOwner, kDev, kPM, kAMH, kAnnH), deny: 404},
		"POST /projects/{projectId}/items/{itemId}/assign": {path: item("/assign"), body: map[string]string{"userId": u[kAnnH].id},
			want: every(200, kOwner, kDev, kPM, kAMH).and(every(403, kAnnH)), deny: 404},
		"PUT /projects/{projectId}/items/{itemId}/annotation": {path: item("/annotation"), body: map[string]any{"boxes": []int{1}},
			want: every(200, kOwner, kDev, kPM, kAMH, kAnnH), deny: 404},
		"POST /projects/{projectId}/items/{itemId}/submit": {path: fresh(func(w *matrixWorld, k string) string {
			return P + "/items/" + w.newAssignedItem(t) + "/submit"
		}), want: every(200, kOwner, kDev, kPM, kAMH, kAnnH), deny: 404},
		"POST /projects/{projectId}/items/{itemId}/skip": {path: fresh(func(w *matrixWorld, k string) string {
			return P + "/items/" + w.newAssignedItem(t) + "/skip"
		}), want: every(200, kOwner, kDev, kPM, kAMH, kAnnH), deny: 404},
		"POST /projects/{projectId}/items/{itemId}/review": {path: fresh(func(w *matrixWorld, k string) string {
			id := w.newAssignedItem(t)
			call(t, "POST", P+"/items/"+id+"/submit", u[kAnnH].token, nil).want(t, 200)
			return P + "/items/" + id + "/review"
		}), body: map[string]string{"decision": "approve"},
			// Every host member whose role has items.review reviews at the
			// host stages.
			want: every(200, kOwner, kDev, kPM, kAMH).and(every(403, kAnnH)), deny: 404},
		"GET /projects/{projectId}/items/{itemId}/history":   {path: item("/history"), want: every(200, kOwner, kDev, kPM, kAMH, kAnnH), deny: 404},
		"POST /projects/{projectId}/items/{itemId}/comments": {path: item("/comments"), body: map[string]string{"text": "hi"}, want: every(201, kOwner, kDev, kPM, kAMH, kAnnH), deny: 404},
		"GET /projects/{projectId}/items/{itemId}/comments":  {path: item("/comments"), want: every(200, kOwner, kDev, kPM, kAMH, kAnnH), deny: 404},
		"GET /projects/{projectId}/audit": {path: fixed(P + "/audit"),
			want: every(200, kOwner, kDev, kCDev).and(every(403, kPM, kAMH, kAnnH, kSL, kLCM, kLCA, kCPM, kCAM)), deny: 404},
		"GET /workspaces/{wsId}/audit": {path: fixed(W + "/audit"),
			want: every(200, kOwner).and(every(403, hostMembers...)).and(every(200, collabKinds...)), deny: 404},
		"GET /projects/{projectId}/members/{userId}/analytics": {path: fixed(P + "/members/" + u[kAnnH].id + "/analytics?from=2026-01-01&to=2026-12-31"),
			want: every(200, kOwner, kDev, kPM, kAMH, kAnnH).and(every(404, kSL, kLCM, kLCA, kCDev, kCPM, kCAM)), deny: 404},
		// The host's owners, developers, project managers and reviewers see
		// every partner's row; a partner's members their own org's.
		"GET /projects/{projectId}/review-metrics": {path: fixed(P + "/review-metrics?from=2026-01-01&to=2026-12-31"),
			want: every(200, kOwner, kDev, kPM, kAMH, kSL, kLCM, kLCA, kCDev, kCPM, kCAM).and(every(403, kAnnH)), deny: 404},

		// tasks
		"POST /projects/{projectId}/tasks": {path: fixed(P + "/tasks"), body: map[string]any{"name": "Batch 2", "kind": "annotation", "orgId": w.lOrg},
			// The host's owner, developers and project managers hand work
			// to any org taking part; anyone else with tasks.create only to
			// their own org (403 for the company's, whoever asks).
			want: every(201, kOwner, kDev, kPM, kLCM).and(every(403, kAMH, kAnnH, kLCA)).and(every(403, otherWalls...)), deny: 404},
		"GET /projects/{projectId}/tasks": {path: fixed(P + "/tasks"), want: every(200, standing...), deny: 404},
		"GET /projects/{projectId}/tasks/{taskId}": {path: task(""),
			want: every(200, lcSees...).and(every(404, otherWalls...)), deny: 404},
		"PATCH /projects/{projectId}/tasks/{taskId}": {path: task(""), body: map[string]string{"name": lTaskName},
			want: every(200, kOwner, kDev).and(every(403, kPM, kAMH, kAnnH, kLCM, kLCA)).and(every(404, otherWalls...)), deny: 404},
		"DELETE /projects/{projectId}/tasks/{taskId}": {path: fresh(func(w *matrixWorld, k string) string {
			// An empty task: the company's, made by the host owner; the
			// host annotation manager's own one (own_tasks).
			if k == kAMH {
				return P + "/tasks/" + w.newTask(t, u[kAMH], w.host, "Doomed")
			}
			return P + "/tasks/" + w.newTask(t, u[kOwner], w.lOrg, "Doomed")
		}), want: every(204, kOwner, kDev, kPM, kAMH).and(every(403, kAnnH, kLCM, kLCA)).and(every(404, otherWalls...)), deny: 404},
		"POST /projects/{projectId}/tasks/{taskId}/items": {path: task("/items"), body: map[string]any{"itemIds": []string{w.looseItem}},
			// The owner's cell hands the loose item to the company; the
			// later allowed cells skip it (already in the task): 200.
			want: every(200, kOwner, kDev, kPM, kLCM).and(every(403, kAMH, kAnnH, kLCA)).and(every(404, otherWalls...)), deny: 404},
		"DELETE /projects/{projectId}/tasks/{taskId}/items/{itemId}": {path: fresh(func(w *matrixWorld, k string) string {
			return P + "/tasks/" + w.lTask + "/items/" + w.newTaskItem(t, w.lTask)
		}), want: every(200, kOwner, kDev, kPM, kLCM).and(every(403, kAMH, kAnnH, kLCA)).and(every(404, otherWalls...)), deny: 404},
		"POST /projects/{projectId}/tasks/{taskId}/distribute": {path: fresh(func(w *matrixWorld, k string) string {
			// A task of its own per cell, so that no distribution runs on it yet.
			id := w.newTask(t, u[kOwner], w.lOrg, "Spread")
			w.newTaskItem(t, id)
			return P + "/tasks/" + id + "/distribute"
		}), body: map[string]any{"userIds": []string{u[kLCA].id}, "mode": "even"},
			want: every(202, kOwner, kDev, kPM, kLCM).and(every(403, kAMH, kAnnH, kLCA)).and(every(404, otherWalls...)), deny: 404},
		"GET /projects/{projectId}/tasks/{taskId}/next": {path: fresh(func(w *matrixWorld, k string) string {
			// The company's people pull from a task of their own with one
			// item left; the others ask the company's task. Only the
			// task's org works on it: the host side sees it but gets 403.
			if k != kLCM && k != kLCA {
				return P + "/tasks/" + w.lTask + "/next"
			}
			id := w.newTask(t, u[kOwner], w.lOrg, "Pull")
			w.newTaskItem(t, id)
			return P + "/tasks/" + id + "/next"
		}), want: every(200, kLCM, kLCA).and(every(403, kOwner, kDev, kPM, kAMH, kAnnH)).and(every(404, otherWalls...)), deny: 404},
		"GET /projects/{projectId}/tasks/{taskId}/analytics": {path: task("/analytics?from=2026-01-01&to=2026-12-31"),
			// members.view on the task's org: the host's owner, developers
			// and project managers, and the company's people (own_org,
			// annotators included, as for member analytics); the host's
			// annotation manager and annotator hold it only for the host
			// org.
			want: every(200, kOwner, kDev, kPM, kLCM, kLCA).and(every(403, kAMH, kAnnH)).and(every(404, otherWalls...)), deny: 404}, // verify: kLCA 200 and kAMH/kAnnH 403 follow TaskAnalytics (requireOn members.view), not the brief's "host side, or the task org's managers"
	}

	var patterns []string
	for _, fn := range lambdafn.HTTP {
		patterns = append(patterns, httpapi.Patterns(fn)...)
	}
	patterns = uniq(patterns)
	cells := 0
	var costs routeUsage // each route's most costly successful cell, for docs/benchmarks.md
	// The stop of a partnership runs last: the share-link manager's cell
	// ends the scene's share-link partnership.
	sort.SliceStable(patterns, func(i, j int) bool {
		return !strings.Contains(patterns[i], "/partners/{orgId}") && strings.Contains(patterns[j], "/partners/{orgId}")
	})
	for _, pat := range patterns {
		row, ok := rows[pat]
		if !ok {
			t.Errorf("route %q has no row in the route matrix", pat)
			continue
		}
		method := pat[:strings.IndexByte(pat, ' ')]
		first := -1
		for _, k := range kinds {
			t.Run(pat+"/"+k, func(t *testing.T) {
				path := row.path(&w, k)
				var r response
				switch b := row.body.(type) {
				case string:
					r = call(t, method, path, u[k].token, b, "Content-Type", "text/csv")
				default:
					r = call(t, method, path, u[k].token, row.body)
				}
				cells++
				if r.status >= 500 {
					t.Fatalf("%s %s as %s: %d: %s", method, path, k, r.status, r.raw)
				}
				if row.public {
					if first == -1 {
						first = r.status
					}
					if r.status != first {
						t.Fatalf("%s as %s: %d, but %d for another caller: %s", pat, k, r.status, first, r.raw)
					}
				} else {
					want, ok := row.want[k]
					if !ok {
						want = row.deny
					}
					if r.status != want {
						t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, k, r.status, want, r.raw)
					}
					if r.status >= 400 {
						r.problem(t, r.status, "")
					}
				}
				// What the caller sent (the path, echoed as the problem's
				// instance, and the body) is theirs already.
				r.raw = []byte(strings.ReplaceAll(string(r.raw), path, ""))
				if b, ok := row.body.(string); ok {
					for _, line := range strings.Split(b, "\n") {
						for _, cell := range strings.Split(line, ",") {
							if cell != "" {
								r.raw = []byte(strings.ReplaceAll(string(r.raw), cell, ""))
							}
						}
					}
				}
				noLeak(t, r, w.secrets[k]...)
				if r.status/100 == 2 {
					if got, ok := usageOf(r.header.Get("X-Request-Id")); ok {
						costs.add(pat, got)
					}
				}
			})
		}
	}
	if err := costs.writeUsage(); err != nil {
		t.Error(err)
	}
	t.Logf("route matrix: %d routes × %d caller kinds = %d cells", len(patterns), len(kinds), cells)
	if want := len(patterns) * len(kinds); cells != want {
		t.Fatalf("%d cells ran, want %d", cells, want)
	}
	for pat := range rows {
		if !contains(patterns, pat) {
			t.Errorf("row %q names no route", pat)
		}
	}
}

// lastInvitee is the address of the newest invitation pendingInvite made.
var lastInvitee string

func uniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
