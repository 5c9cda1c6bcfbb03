package httpapi

import "net/http"

// Function names, as in template.yaml and functions/.
const (
	FnMembership    = "membership"
	FnInvite        = "invite"
	FnAccept        = "accept"
	FnCollaborators = "collaborators"
	FnReview        = "review"
)

// Functions lists every HTTP function.
var Functions = []string{FnMembership, FnInvite, FnAccept, FnCollaborators, FnReview}

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
	case FnMembership:
		return []route{
			health,
			{"POST /orgs", a.authed(a.createOrg)},
			{"GET /orgs", a.authed(a.listOrgs)},
			{"GET /orgs/{orgId}", a.authed(a.getOrg)},
			{"GET /orgs/{orgId}/members", a.authed(a.listOrgMembers)},
			{"PATCH /orgs/{orgId}/members/{userId}", a.authed(a.changeOrgMemberRole)},
			{"DELETE /orgs/{orgId}/members/{userId}", a.authed(a.removeOrgMember)},
			{"POST /orgs/{orgId}/groups", a.authed(a.createGroup)},
			{"PUT /orgs/{orgId}/groups/{groupId}/members/{userId}", a.authed(a.addGroupMember)},
			{"GET /orgs/{orgId}/projects", a.authed(a.listOrgProjects)},
			{"POST /orgs/{orgId}/workspaces", a.authed(a.createWorkspace)},
			{"GET /orgs/{orgId}/workspaces", a.authed(a.listWorkspaces)},
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
	case FnInvite, FnAccept, FnCollaborators, FnReview:
		return []route{health}
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
