package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

// Functions lists every HTTP function.
var Functions = lambdafn.HTTP

type route struct {
	pattern string
	h       http.Handler
	doc     op // what it takes and answers, for the OpenAPI document
}

// The health check's answer, and the free-form annotation document.
type (
	healthJSON    = statusJSON
	annotationDoc = json.RawMessage
)

// routes is the one list of every function's routes, with what each takes
// and answers (the OpenAPI document is built from it). Each function also
// answers GET /healthz. A route added here must be added to the function's
// HttpApi events in template.yaml (a test compares the two).
func (a *API) routes(fn string) []route {
	health := route{"GET /healthz", public(a.healthz), doc("Health check").ok(200, healthJSON{})}
	switch fn {
	case lambdafn.Membership:
		return []route{
			health,
			{"GET /openapi.yaml", public(a.openapi), doc("This OpenAPI document").okMedia(200, "application/yaml")},
			{"POST /orgs", a.authed(a.createOrg), doc("Create an org (the caller owns it; a default workspace comes with it)").body(nameBody{}).idempotent().ok(201, orgJSON{})},
			{"GET /orgs", a.authed(a.listOrgs), doc("List the caller's orgs").paged().ok(200, list[orgJSON]{})},
			{"GET /orgs/{orgId}", a.authed(a.getOrg), doc("Get an org").ok(200, orgJSON{})},
			{"PATCH /orgs/{orgId}", a.authed(a.updateOrg), doc("Rename an org or set whether the partnerships it accepts wait for approval").body(orgPatchBody{}).ok(200, orgJSON{})},
			{"POST /orgs/{orgId}/webhooks", a.authed(a.createWebhook), doc("Register a webhook for the org's events (its secret is shown this once)").body(webhookBody{}).ok(201, createdWebhookJSON{})},
			{"GET /orgs/{orgId}/webhooks", a.authed(a.listWebhooks), doc("List the org's webhooks (never their secrets)").ok(200, list[webhookJSON]{})},
			{"PATCH /orgs/{orgId}/webhooks/{webhookId}", a.authed(a.updateWebhook), doc("Enable or disable a webhook").body(webhookPatchBody{}).ok(200, webhookJSON{})},
			{"DELETE /orgs/{orgId}/webhooks/{webhookId}", a.authed(a.deleteWebhook), doc("Delete a webhook").noContent(204)},
			{"GET /orgs/{orgId}/webhooks/{webhookId}/deliveries", a.authed(a.listDeliveries), doc("A webhook's delivery attempts, newest first").paged().ok(200, list[deliveryJSON]{})},
			{"GET /orgs/{orgId}/inbound", a.authed(a.listInbound), doc("List the partnerships waiting for the org's approval").ok(200, list[inboundJSON]{})},
			{"POST /orgs/{orgId}/inbound/{partnershipId}/approve", a.authed(a.approveInbound), doc("Approve a partnership the org accepted: it takes effect").ok(200, inboundJSON{})},
			{"POST /orgs/{orgId}/inbound/{partnershipId}/reject", a.authed(a.rejectInbound), doc("Reject a partnership the org accepted: it ends (a job)").ok(202, jobRefJSON{})},
			{"DELETE /orgs/{orgId}", a.authed(a.deleteOrg), doc("Delete an org with nothing left in it").noContent(204)},
			{"GET /orgs/{orgId}/members", a.authed(a.listOrgMembers), doc("List an org's members").paged().ok(200, list[orgMemberJSON]{})},
			{"PATCH /orgs/{orgId}/members/{userId}", a.authed(a.changeOrgMemberRole), doc("Change an org member's role").body(roleBody{}).ok(200, orgMemberJSON{})},
			{"DELETE /orgs/{orgId}/members/{userId}", a.authed(a.removeOrgMember), doc("Remove an org member (from every project of the org too)").noContent(204)},
			{"POST /orgs/{orgId}/groups", a.authed(a.createGroup), doc("Create a group").body(nameBody{}).idempotent().ok(201, groupJSON{})},
			{"PUT /orgs/{orgId}/groups/{groupId}/members/{userId}", a.authed(a.addGroupMember), doc("Add an org member to a group (and the group's projects)").ok(200, groupMembershipJSON{})},
			{"GET /orgs/{orgId}/groups", a.authed(a.listGroups), doc("List an org's groups").paged().ok(200, list[groupJSON]{})},
			{"PATCH /orgs/{orgId}/groups/{groupId}", a.authed(a.renameGroup), doc("Rename a group").body(nameBody{}).ok(200, groupJSON{})},
			{"DELETE /orgs/{orgId}/groups/{groupId}", a.authed(a.deleteGroup), doc("Delete a group").noContent(204)},
			{"GET /orgs/{orgId}/groups/{groupId}/members", a.authed(a.listGroupMembers), doc("List a group's members").paged().ok(200, list[groupMemberJSON]{})},
			{"DELETE /orgs/{orgId}/groups/{groupId}/members/{userId}", a.authed(a.removeGroupMember), doc("Remove a group member (from the projects the group placed them in)").noContent(204)},
			{"GET /orgs/{orgId}/projects", a.authed(a.listOrgProjects), doc("List an org's own projects and those shared with it").paged().ok(200, list[orgProjectJSON]{})},
			{"POST /orgs/{orgId}/workspaces", a.authed(a.createWorkspace), doc("Create a workspace").body(nameBody{}).idempotent().ok(201, workspaceJSON{})},
			{"GET /orgs/{orgId}/workspaces", a.authed(a.listWorkspaces), doc("List an org's workspaces").paged().ok(200, list[workspaceJSON]{})},
			{"PATCH /workspaces/{wsId}", a.authed(a.renameWorkspace), doc("Rename a workspace").body(nameBody{}).ok(200, workspaceJSON{})},
			{"DELETE /workspaces/{wsId}", a.authed(a.deleteWorkspace), doc("Delete an empty workspace").noContent(204)},
			{"POST /workspaces/{wsId}/projects", a.authed(a.createProject), doc("Create a project").body(nameBody{}).idempotent().ok(201, projectJSON{})},
			{"GET /projects/{projectId}", a.authed(a.getProject), doc("Get a project, with the caller's role and side").ok(200, projectJSON{})},
			{"PATCH /projects/{projectId}", a.authed(a.renameProject), doc("Rename a project or change its review policy").body(projectPatchBody{}).ok(200, projectJSON{})},
			{"DELETE /projects/{projectId}", a.authed(a.deleteProject), doc("Delete a project").noContent(204)},
			{"GET /projects/{projectId}/members", a.authed(a.listProjectMembers), doc("List a project's members within the caller's wall").paged().
				q("q", "Filter by name or email.").q("role", "Filter by role.").q("orgId", "Filter by org.").ok(200, list[memberJSON]{})},
			{"POST /projects/{projectId}/members", a.authed(a.addProjectMember), doc("Add a project member by email (invited when they have no account)").
				body(projectMemberBody{}).idempotent().ok(201, memberJSON{}).ok(202, invitedJSON{})},
			{"PATCH /projects/{projectId}/members/{userId}", a.authed(a.changeProjectMemberRole), doc("Change a project member's role").body(roleBody{}).ok(200, memberJSON{})},
			{"DELETE /projects/{projectId}/members/{userId}", a.authed(a.removeProjectMember), doc("Remove a project member").noContent(204)},
			{"POST /projects/{projectId}/groups/{groupId}", a.authed(a.addProjectGroup), doc("Add a group's members to a project").optionalBody(optionalRoleBody{}).idempotent().ok(201, projectGroupJSON{})},
			{"GET /projects/{projectId}/members/import-template", a.authed(a.importTemplate), doc("The CSV import template").okMedia(200, "text/csv")},
			{"POST /projects/{projectId}/members/import", a.authed(a.importMembers), doc("Import members from CSV (email, role)").media("text/csv").idempotent().ok(200, importJSON{})},
			{"GET /projects/{projectId}/permissions", a.authed(a.projectPermissions), doc("What the caller may do in a project").ok(200, permissionsJSON{})},
			{"POST /projects/{projectId}/authorize", a.authed(a.authorize), doc("Whether a user may take an action in a project").body(authorizeBody{}).ok(200, decisionJSON{})},
		}
	case lambdafn.Invite:
		return []route{
			health,
			{"PUT /projects/{projectId}/share-link", a.authed(a.enableShareLink), doc("Enable the share link (answers the active one again, or makes one)").
				q("rotate", "true replaces the active link with a new one.", map[string]any{"type": "string", "enum": []any{"true", "false"}}).
				optionalBody(shareLinkBody{}).ok(200, shareLinkJSON{}).ok(201, shareLinkJSON{})},
			{"GET /projects/{projectId}/share-link", a.authed(a.getShareLink), doc("The share link (its url for the project's owner only)").ok(200, shareLinkJSON{})},
			{"DELETE /projects/{projectId}/share-link", a.authed(a.disableShareLink), doc("Disable the share link").noContent(204)},
			{"POST /projects/{projectId}/labeling-companies", a.authed(a.inviteLabelingCompany), doc("Invite a labeling company by its admin's email").body(labelingCompanyBody{}).idempotent().ok(201, invitationJSON{})},
			{"POST /orgs/{orgId}/invitations", a.authed(a.inviteOrgMember), doc("Invite someone to an org").body(emailRoleBody{}).idempotent().ok(201, invitationJSON{})},
			{"POST /workspaces/{wsId}/collaborators", a.authed(a.inviteCollaborator), doc("Add a collaborator org (one the caller administers) or invite one by email").
				body(collaboratorInviteBody{}).idempotent().ok(201, collaboratorJSON{}).ok(202, invitedJSON{})},
			{"GET /invitations", a.authed(a.listInvitations), doc("List the invitations of one project, workspace or org").paged().
				q("projectId", "The project's invitations.").q("workspaceId", "The workspace's invitations.").q("orgId", "The org's invitations.").ok(200, list[invitationJSON]{})},
			{"POST /invitations/{ref}/resend", a.authed(a.resendInvitation), doc("Resend an invitation (ref: its id) with a new token").idempotent().ok(200, invitationJSON{})},
			{"DELETE /invitations/{ref}", a.authed(a.revokeInvitation), doc("Revoke an invitation (ref: its id)").noContent(204)},
		}
	case lambdafn.Accept:
		page := func(summary string, status int) op {
			o := doc(summary)
			if status == http.StatusSeeOther {
				o = o.noContent(status) // POST-redirect-GET
			} else {
				o = o.okMedia(status, "text/html")
			}
			o.html = true
			return o
		}
		return []route{
			health,
			{"GET /invitations/{ref}", public(a.previewInvitation), doc("What an invitation offers (ref: its token); a browser gets the acceptance page").
				ok(200, previewJSON{}).okMedia(303, "text/html")},
			{"POST /invitations/{ref}/accept", a.authed(a.acceptInvitation), doc("Accept an invitation (ref: its token)").optionalBody(orgPickBody{}).ok(200, acceptedJSON{})},
			{"POST /invitations/{ref}/decline", a.authed(a.declineInvitation), doc("Decline an invitation (ref: its token)").ok(200, statusJSON{})},
			{"GET /invitations/page", a.pageRoute(func(p *Page) http.HandlerFunc { return p.Show }), page("The acceptance page", 200)},
			{"GET /invitations/page/callback", a.pageRoute(func(p *Page) http.HandlerFunc { return p.Callback }), page("The sign-in callback of the acceptance page", 200)},
			{"POST /invitations/page/session", a.pageRoute(func(p *Page) http.HandlerFunc { return p.Session }), page("Start the acceptance page's session from a sign-in", 303).media("application/x-www-form-urlencoded")},
			{"POST /invitations/page/sign-in", a.pageRoute(func(p *Page) http.HandlerFunc { return p.SignIn }), page("Sign in from the acceptance page", 303).media("application/x-www-form-urlencoded")},
			{"POST /invitations/page/sign-out", a.pageRoute(func(p *Page) http.HandlerFunc { return p.SignOut }), page("Sign out of the acceptance page", 303).media("application/x-www-form-urlencoded")},
			{"POST /invitations/page/accept", a.pageRoute(func(p *Page) http.HandlerFunc { return p.Decide(true) }), page("Accept from the acceptance page", 200).media("application/x-www-form-urlencoded")},
			{"POST /invitations/page/decline", a.pageRoute(func(p *Page) http.HandlerFunc { return p.Decide(false) }), page("Decline from the acceptance page", 200).media("application/x-www-form-urlencoded")},
			{"GET /me", a.authed(a.getMe), doc("The caller and their orgs").ok(200, meJSON{})},
			{"GET /me/invitations", a.authed(a.listMyInvitations), doc("The pending invitations sent to the caller's verified email").paged().ok(200, list[myInvitationJSON]{})},
			{"POST /me/invitations/{invitationId}/accept", a.authed(a.acceptMyInvitation), doc("Accept one of the caller's invitations by id").optionalBody(orgPickBody{}).ok(200, acceptedJSON{})},
		}
	case lambdafn.Collaborators:
		return []route{
			health,
			{"GET /workspaces/{wsId}/collaborators", a.authed(a.listCollaborators), doc("List a workspace's collaborator orgs, the owner's row first").ok(200, list[collaboratorJSON]{})},
			{"PATCH /workspaces/{wsId}/collaborators/{orgId}", a.authed(a.updateCollaborator), doc("Change a collaborator's types, project access or auto-invite (or preview it)").body(collaboratorPatchBody{}).ok(200, collaboratorChangeJSON{})},
			{"POST /workspaces/{wsId}/collaborators/{orgId}/add-all-users", a.authed(a.addAllUsers), doc("Add every member of a collaborator org to the workspace (a job)").optionalBody(optionalRoleBody{}).idempotent().ok(202, jobRefJSON{})},
			{"DELETE /workspaces/{wsId}/collaborators/{orgId}", a.authed(a.removeCollaborator), doc("Remove a collaborator org (a job)").ok(202, jobRefJSON{})},
			{"GET /workspaces/{wsId}/members", a.authed(a.listWorkspaceMembers), doc("List a workspace's members").paged().ok(200, list[wsMemberJSON]{})},
			{"GET /workspaces/{wsId}/members/{userId}", a.authed(a.getWorkspaceMember), doc("Get a workspace member").ok(200, wsMemberJSON{})},
			{"PUT /workspaces/{wsId}/members/{userId}", a.authed(a.putWorkspaceMember), doc("Set a workspace member's role").body(roleBody{}).ok(200, wsMemberJSON{})},
			{"DELETE /workspaces/{wsId}/members/{userId}", a.authed(a.deleteWorkspaceMember), doc("Remove a workspace member").noContent(204)},
			{"GET /projects/{projectId}/partners", a.authed(a.listPartners), doc("List a project's partner orgs").ok(200, list[partnerJSON]{})},
			{"PATCH /projects/{projectId}/partners/{orgId}", a.authed(a.updatePartner), doc("Time-box a partnership: set or clear when it ends by itself").body(partnerPatchBody{}).ok(200, partnerJSON{})},
			{"DELETE /projects/{projectId}/partners/{orgId}", a.authed(a.stopPartner), doc("Stop collaborating with a partner (a job), or with dryRun=true answer what the stop would do").
				q("dryRun", "true answers what the stop would do now and changes nothing.", map[string]any{"type": "string", "enum": []any{"true", "false"}}).
				q("inFlight", "return (default): in-flight items return to the host and access ends now (202, a job). finish: the partnership is ending (200): its items at the collaborator stage finish their review, the rest leave it at once, it takes no new work, and its stop begins when none is left.",
					map[string]any{"type": "string", "enum": []any{"return", "finish"}}).
				ok(202, jobRefJSON{}).ok(200, stopTallyJSON{})},
			{"GET /jobs/{jobId}", a.authed(a.getJob), doc("A background job's progress").ok(200, jobJSON{})},
			{"POST /jobs/{jobId}/retry", a.authed(a.retryJob), doc("Retry a failed job").ok(202, jobRefJSON{})},
		}
	case lambdafn.Review:
		const it = "/projects/{projectId}/items/{itemId}"
		const task = "/projects/{projectId}/tasks/{taskId}"
		statuses := map[string]any{"type": "string", "enum": itemStatuses()}
		return []route{
			health,
			{"POST /projects/{projectId}/items", a.authed(a.registerItem), doc("Register an item").body(itemBody{}).idempotent().ok(201, itemJSON{})},
			{"GET /projects/{projectId}/items", a.authed(a.listItems), doc("List a project's items in one status").paged().q("status", "The status (default new).", statuses).ok(200, list[itemJSON]{})},
			{"GET " + it, a.authed(a.getItem), doc("Get an item").ok(200, itemJSON{})},
			{"POST " + it + "/assign", a.authed(a.assignItem), doc("Assign or unassign an item").body(assignBody{}).ok(200, itemJSON{})},
			{"PUT " + it + "/annotation", a.authed(a.saveAnnotation), doc("Save an item's annotation document").body(annotationDoc{}).
				header("If-Match", "The item's version: saved only if it still is.").ok(200, itemJSON{})},
			{"POST " + it + "/submit", a.authed(a.submitItem), doc("Submit an item for review").ok(200, itemJSON{})},
			{"POST " + it + "/skip", a.authed(a.skipItem), doc("Skip an item").ok(200, itemJSON{})},
			{"POST " + it + "/review", a.authed(a.reviewItem), doc("Approve or reject an item (202 while an approval crosses to the host)").body(reviewBody{}).ok(200, itemJSON{}).ok(202, itemJSON{})},
			{"GET " + it + "/history", a.authed(a.itemHistory), doc("An item's history within the caller's wall").paged().ok(200, list[historyEventJSON]{})},
			{"POST " + it + "/comments", a.authed(a.addComment), doc("Comment on an item").body(commentBody{}).idempotent().ok(201, commentJSON{})},
			{"GET " + it + "/comments", a.authed(a.listComments), doc("List an item's comments").paged().ok(200, list[commentJSON]{})},
			{"GET /projects/{projectId}/audit", a.authed(a.projectAudit), doc("A project's audit log").paged().ok(200, list[auditJSON]{})},
			{"GET /workspaces/{wsId}/audit", a.authed(a.workspaceAudit), doc("A workspace's audit log").paged().ok(200, list[auditJSON]{})},
			{"GET /projects/{projectId}/members/{userId}/analytics", a.authed(a.memberAnalytics), doc("A member's review analytics").
				q("from", "First day (2006-01-02).", dateSchema).q("to", "Last day (2006-01-02).", dateSchema).ok(200, memberAnalyticsJSON{})},
			{"GET /projects/{projectId}/review-metrics", a.authed(a.reviewMetrics), doc("Review metrics per partner org: own-stage reviews and approvals, and approvals the host overturned").
				q("from", "First day (2006-01-02).", dateSchema).q("to", "Last day (2006-01-02).", dateSchema).ok(200, reviewMetricsJSON{})},
			{"POST /projects/{projectId}/tasks", a.authed(a.createTask), doc("Create a task").body(taskBody{}).idempotent().ok(201, taskJSON{})},
			{"GET /projects/{projectId}/tasks", a.authed(a.listTasks), doc("List a project's tasks within the caller's wall").paged().ok(200, list[taskJSON]{})},
			{"GET " + task, a.authed(a.getTask), doc("Get a task with its progress").ok(200, taskJSON{})},
			{"PATCH " + task, a.authed(a.updateTask), doc("Rename a task, set its due date or allow pulling").body(taskPatchBody{}).ok(200, taskJSON{})},
			{"DELETE " + task, a.authed(a.deleteTask), doc("Delete an empty task").noContent(204)},
			{"POST " + task + "/items", a.authed(a.addTaskItems), doc("Add items to a task").body(taskItemsBody{}).idempotent().ok(200, taskItemsJSON{})},
			{"DELETE " + task + "/items/{itemId}", a.authed(a.removeTaskItem), doc("Take an item out of a task").ok(200, itemJSON{})},
			{"POST " + task + "/distribute", a.authed(a.distributeTask), doc("Spread a task's unassigned items over annotators (a job)").body(distributeBody{}).idempotent().ok(202, jobRefJSON{})},
			{"GET " + task + "/next", a.authed(a.nextTaskItem), doc("Pull the next item of a task (204 when none is left)").ok(200, itemJSON{}).noContent(204)},
			{"GET " + task + "/analytics", a.authed(a.taskAnalytics), doc("A task's review analytics").
				q("from", "First day (2006-01-02).", dateSchema).q("to", "Last day (2006-01-02).", dateSchema).ok(200, taskAnalyticsJSON{})},
		}
	}
	return nil
}

// dateSchema is a day, as the analytics ranges take it.
var dateSchema = map[string]any{"type": "string", "format": "date"}

// itemStatuses lists the item statuses, for the status filter.
func itemStatuses() []any {
	var out []any
	for _, st := range collab.ItemStatuses {
		out = append(out, string(st))
	}
	return out
}

// Patterns lists the route patterns of a function, for checking the
// template against the routers.
func Patterns(fn string) []string {
	var out []string
	for _, rt := range (&API{}).routes(fn) {
		out = append(out, rt.pattern)
	}
	return out
}

func (a *API) healthz(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, healthJSON{Status: "ok"})
	return nil
}

// pageRoute serves a page handler, or 404 when the page is not configured.
func (a *API) pageRoute(h func(*Page) http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.page == nil {
			writeProblem(w, r, http.StatusNotFound, string(collab.CodeNotFound), "the acceptance page is not configured", nil)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		h(a.page)(w, r)
	})
}
