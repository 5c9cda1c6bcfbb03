package collab

import "slices"

// Role is a project role.
type Role string

// Project roles, highest first (docs/permissions.md).
const (
	RoleOwner             Role = "owner"
	RoleDeveloper         Role = "developer"
	RoleProjectManager    Role = "project_manager"
	RoleAnnotationManager Role = "annotation_manager"
	RoleAnnotator         Role = "annotator"
)

// Roles lists the project roles, highest first.
var Roles = []Role{RoleOwner, RoleDeveloper, RoleProjectManager, RoleAnnotationManager, RoleAnnotator}

// Rank orders roles: higher is more; 0 is no role.
func (r Role) Rank() int {
	if i := slices.Index(Roles, r); i >= 0 {
		return len(Roles) - i
	}
	return 0
}

// Valid reports whether r is a project role.
func (r Role) Valid() bool { return r.Rank() > 0 }

// Side says whom a project member acts for.
type Side string

// Sides.
const (
	SideHost     Side = "host"
	SideExternal Side = "external"
)

// Sides lists both sides.
var Sides = []Side{SideHost, SideExternal}

// WorkspaceRole is a role in a workspace; it applies to every project the
// member's org can access there.
type WorkspaceRole string

// Workspace roles (docs/permissions.md).
const (
	WSAdmin             WorkspaceRole = "admin"
	WSDeveloper         WorkspaceRole = "developer"
	WSProjectManager    WorkspaceRole = "project_manager"
	WSAnnotationManager WorkspaceRole = "annotation_manager"
)

// ProjectRole is the project role a workspace role acts as: admin acts as
// owner, the others by name.
func (w WorkspaceRole) ProjectRole() Role {
	switch w {
	case WSAdmin:
		return RoleOwner
	case WSDeveloper:
		return RoleDeveloper
	case WSProjectManager:
		return RoleProjectManager
	case WSAnnotationManager:
		return RoleAnnotationManager
	}
	return ""
}

// CollabType is a collaboration type of an org in a workspace.
type CollabType string

// Collaboration types (docs/permissions.md).
const (
	CollabOwner             CollabType = "owner"
	CollabDataPartner       CollabType = "data_partner"
	CollabProducerPartner   CollabType = "producer_partner"
	CollabAnnotationPartner CollabType = "annotation_partner"
)

// CollabTypeRoles is the one table of which workspace roles each
// collaboration type allows.
var CollabTypeRoles = map[CollabType][]WorkspaceRole{
	CollabOwner:             {WSAdmin, WSDeveloper, WSProjectManager, WSAnnotationManager},
	CollabDataPartner:       {WSDeveloper},
	CollabProducerPartner:   {WSProjectManager, WSAnnotationManager},
	CollabAnnotationPartner: {WSAnnotationManager},
}

// AllowedWorkspaceRoles returns the workspace roles the types allow together.
func AllowedWorkspaceRoles(types []CollabType) []WorkspaceRole {
	var out []WorkspaceRole
	for _, r := range CollabTypeRoles[CollabOwner] { // keeps the order
		for _, t := range types {
			if slices.Contains(CollabTypeRoles[t], r) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// ExternalBaseRoles are the project roles an external member may always
// hold (docs/permissions.md).
var ExternalBaseRoles = []Role{RoleAnnotationManager, RoleAnnotator}

// ExternalRoles returns the project roles a member of an external org may
// hold: annotation_manager and annotator, plus what the org's collaboration
// types allow in the workspace.
func ExternalRoles(types []CollabType) []Role {
	out := slices.Clone(ExternalBaseRoles)
	for _, w := range AllowedWorkspaceRoles(types) {
		if r := w.ProjectRole(); !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Role) int { return b.Rank() - a.Rank() })
	return out
}

// capRole lowers r to the highest role in allowed that is not above r.
func capRole(r Role, allowed []Role) Role {
	var best Role
	for _, a := range allowed {
		if a.Rank() <= r.Rank() && a.Rank() > best.Rank() {
			best = a
		}
	}
	return best
}
