package httpapi

import (
	"net/http"

	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

// Functions lists every HTTP function.
var Functions = lambdafn.HTTP

type route struct {
	pattern string
	h       http.Handler
}

// routes is the one list of every function's routes. Each function also
// answers GET /healthz. A route added here must be added to the function's
// HttpApi events in template.yaml (a test compares the two).
func (a *API) routes(fn string) []route {
	health := route{"GET /healthz", public(a.healthz)}
	switch fn {
	case lambdafn.Membership:
		return []route{
			health,
			{"GET /openapi.yaml", public(a.openapi)},
			{"POST /orgs", a.authed(a.createOrg)},
			{"GET /orgs", a.authed(a.listOrgs)},
			{"GET /orgs/{orgId}", a.authed(a.getOrg)},
			{"PATCH /orgs/{orgId}", a.authed(a.renameOrg)},
			{"DELETE /orgs/{orgId}", a.authed(a.deleteOrg)},
			{"GET /orgs/{orgId}/members", a.authed(a.listOrgMembers)},
			{"PATCH /orgs/{orgId}/members/{userId}", a.authed(a.changeOrgMemberRole)},
			{"DELETE /orgs/{orgId}/members/{userId}", a.authed(a.removeOrgMember)},
			{"POST /orgs/{orgId}/groups", a.authed(a.createGroup)},
			{"PUT /orgs/{orgId}/groups/{groupId}/members/{userId}", a.authed(a.addGroupMember)},
			{"GET /orgs/{orgId}/groups", a.authed(a.listGroups)},
			{"PATCH /orgs/{orgId}/groups/{groupId}", a.authed(a.renameGroup)},
			{"DELETE /orgs/{orgId}/groups/{groupId}", a.authed(a.deleteGroup)},
			{"GET /orgs/{orgId}/groups/{groupId}/members", a.authed(a.listGroupMembers)},
			{"DELETE /orgs/{orgId}/groups/{groupId}/members/{userId}", a.authed(a.removeGroupMember)},
			{"GET /orgs/{orgId}/projects", a.authed(a.listOrgProjects)},
			{"POST /orgs/{orgId}/workspaces", a.authed(a.createWorkspace)},
			{"GET /orgs/{orgId}/workspaces", a.authed(a.listWorkspaces)},
			{"PATCH /workspaces/{wsId}", a.authed(a.renameWorkspace)},
			{"DELETE /workspaces/{wsId}", a.authed(a.deleteWorkspace)},
			{"POST /workspaces/{wsId}/projects", a.authed(a.createProject)},
			{"GET /projects/{projectId}", a.authed(a.getProject)},
			{"PATCH /projects/{projectId}", a.authed(a.renameProject)},
			{"DELETE /projects/{projectId}", a.authed(a.deleteProject)},
			{"GET /projects/{projectId}/members", a.authed(a.listProjectMembers)},
			{"POST /projects/{projectId}/members", a.authed(a.addProjectMember)},
			{"PATCH /projects/{projectId}/members/{userId}", a.authed(a.changeProjectMemberRole)},
			{"DELETE /projects/{projectId}/members/{userId}", a.authed(a.removeProjectMember)},
			{"POST /projects/{projectId}/groups/{groupId}", a.authed(a.addProjectGroup)},
			{"GET /projects/{projectId}/members/import-template", a.authed(a.importTemplate)},
			{"POST /projects/{projectId}/members/import", a.authed(a.importMembers)},
			{"GET /projects/{projectId}/permissions", a.authed(a.projectPermissions)},
			{"POST /projects/{projectId}/authorize", a.authed(a.authorize)},
		}
	case lambdafn.Invite:
		return []route{
			health,
			{"PUT /projects/{projectId}/share-link", a.authed(a.enableShareLink)},
			{"GET /projects/{projectId}/share-link", a.authed(a.getShareLink)},
			{"DELETE /projects/{projectId}/share-link", a.authed(a.disableShareLink)},
			{"POST /projects/{projectId}/labeling-companies", a.authed(a.inviteLabelingCompany)},
			{"POST /orgs/{orgId}/invitations", a.authed(a.inviteOrgMember)},
			{"POST /workspaces/{wsId}/collaborators", a.authed(a.inviteCollaborator)},
			{"GET /invitations", a.authed(a.listInvitations)},
			{"POST /invitations/{ref}/resend", a.authed(a.resendInvitation)},
			{"DELETE /invitations/{ref}", a.authed(a.revokeInvitation)},
		}
	case lambdafn.Accept:
		return []route{
			health,
			{"GET /invitations/{ref}", public(a.previewInvitation)},
			{"POST /invitations/{ref}/accept", a.authed(a.acceptInvitation)},
			{"POST /invitations/{ref}/decline", a.authed(a.declineInvitation)},
			{"GET /invitations/page", a.pageRoute(func(p *Page) http.HandlerFunc { return p.Show })},
			{"GET /invitations/page/callback", a.pageRoute(func(p *Page) http.HandlerFunc { return p.Callback })},
			{"POST /invitations/page/session", a.pageRoute(func(p *Page) http.HandlerFunc { return p.Session })},
			{"POST /invitations/page/sign-in", a.pageRoute(func(p *Page) http.HandlerFunc { return p.SignIn })},
			{"POST /invitations/page/sign-out", a.pageRoute(func(p *Page) http.HandlerFunc { return p.SignOut })},
			{"POST /invitations/page/accept", a.pageRoute(func(p *Page) http.HandlerFunc { return p.Decide(true) })},
			{"POST /invitations/page/decline", a.pageRoute(func(p *Page) http.HandlerFunc { return p.Decide(false) })},
			{"GET /me", a.authed(a.getMe)},
			{"GET /me/invitations", a.authed(a.listMyInvitations)},
			{"POST /me/invitations/{invitationId}/accept", a.authed(a.acceptMyInvitation)},
		}
	case lambdafn.Collaborators:
		return []route{
			health,
			{"GET /workspaces/{wsId}/collaborators", a.authed(a.listCollaborators)},
			{"PATCH /workspaces/{wsId}/collaborators/{orgId}", a.authed(a.updateCollaborator)},
			{"POST /workspaces/{wsId}/collaborators/{orgId}/add-all-users", a.authed(a.addAllUsers)},
			{"DELETE /workspaces/{wsId}/collaborators/{orgId}", a.authed(a.removeCollaborator)},
			{"GET /workspaces/{wsId}/members", a.authed(a.listWorkspaceMembers)},
			{"GET /workspaces/{wsId}/members/{userId}", a.authed(a.getWorkspaceMember)},
			{"PUT /workspaces/{wsId}/members/{userId}", a.authed(a.putWorkspaceMember)},
			{"DELETE /workspaces/{wsId}/members/{userId}", a.authed(a.deleteWorkspaceMember)},
			{"GET /projects/{projectId}/partners", a.authed(a.listPartners)},
			{"DELETE /projects/{projectId}/partners/{orgId}", a.authed(a.stopPartner)},
			{"GET /jobs/{jobId}", a.authed(a.getJob)},
			{"POST /jobs/{jobId}/retry", a.authed(a.retryJob)},
		}
	case lambdafn.Review:
		const it = "/projects/{projectId}/items/{itemId}"
		const task = "/projects/{projectId}/tasks/{taskId}"
		return []route{
			health,
			{"POST /projects/{projectId}/items", a.authed(a.registerItem)},
			{"GET /projects/{projectId}/items", a.authed(a.listItems)},
			{"GET " + it, a.authed(a.getItem)},
			{"POST " + it + "/assign", a.authed(a.assignItem)},
			{"PUT " + it + "/annotation", a.authed(a.saveAnnotation)},
			{"POST " + it + "/submit", a.authed(a.submitItem)},
			{"POST " + it + "/skip", a.authed(a.skipItem)},
			{"POST " + it + "/review", a.authed(a.reviewItem)},
			{"GET " + it + "/history", a.authed(a.itemHistory)},
			{"POST " + it + "/comments", a.authed(a.addComment)},
			{"GET " + it + "/comments", a.authed(a.listComments)},
			{"GET /projects/{projectId}/audit", a.authed(a.projectAudit)},
			{"GET /workspaces/{wsId}/audit", a.authed(a.workspaceAudit)},
			{"GET /projects/{projectId}/members/{userId}/analytics", a.authed(a.memberAnalytics)},
			{"POST /projects/{projectId}/tasks", a.authed(a.createTask)},
			{"GET /projects/{projectId}/tasks", a.authed(a.listTasks)},
			{"GET " + task, a.authed(a.getTask)},
			{"PATCH " + task, a.authed(a.updateTask)},
			{"DELETE " + task, a.authed(a.deleteTask)},
			{"POST " + task + "/items", a.authed(a.addTaskItems)},
			{"DELETE " + task + "/items/{itemId}", a.authed(a.removeTaskItem)},
			{"POST " + task + "/distribute", a.authed(a.distributeTask)},
			{"GET " + task + "/next", a.authed(a.nextTaskItem)},
			{"GET " + task + "/analytics", a.authed(a.taskAnalytics)},
		}
	}
	return nil
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
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// pageRoute serves a page handler, or 404 when the page is not configured.
func (a *API) pageRoute(h func(*Page) http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.page == nil {
			writeProblem(w, r, http.StatusNotFound, string(collab.CodeNotFound), "the acceptance page is not configured", nil, nil)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		h(a.page)(w, r)
	})
}
