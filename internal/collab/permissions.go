package collab

import (
	"fmt"
	"strings"
)

// Action is something a project member may do.
type Action string

// Grant is one cell of the permission matrix.
type Grant string

// Grants: allowed, forbidden, or allowed within a limit.
const (
	Allow Grant = "Y"
	Deny  Grant = "-"
	// OwnOrg: limited to the member's own org (and to roles no higher than
	// their own).
	OwnOrg Grant = "own_org"
	// AssignedItems: limited to items assigned to the member.
	AssignedItems Grant = "assigned_items"
	// OwnTasks: limited to tasks the member created.
	OwnTasks Grant = "own_tasks"
	// ReviewAssignments: limited to items in review assigned to the member.
	ReviewAssignments Grant = "review_assignments"
)

// Limited reports whether the grant allows within a limit.
func (g Grant) Limited() bool { return g != Allow && g != Deny && g != "" }

// Allowed reports whether the grant allows in some scope.
func (g Grant) Allowed() bool { return g == Allow || g.Limited() }

// PermissionRow is one action of the matrix with its grant per role.
type PermissionRow struct {
	Action      Action
	Description string
	Grants      [5]Grant // in the order of Roles: owner … annotator
	// External is the most an external member (acting for a partner or
	// collaborator org) holds of the action, whatever their role
	// (docs/security.md, invariant 2): Deny keeps the action the host's, OwnOrg walls it to their
	// own org; empty leaves the role's grant as it is.
	External Grant
}

// Permissions is THE permission matrix of docs/permissions.md, the one source for the
// code, docs/permissions.md and the tests.
var Permissions = []PermissionRow{
	{"project.view", "see the project", [5]Grant{Allow, Allow, Allow, Allow, Allow}, ""},
	{"project.rename", "rename the project", [5]Grant{Allow, Allow, Deny, Deny, Deny}, Deny},
	{"project.delete", "delete the project", [5]Grant{Allow, Deny, Deny, Deny, Deny}, Deny},
	{"project.settings", "share link, review policy", [5]Grant{Allow, Deny, Deny, Deny, Deny}, Deny},
	{"partners.manage", "labeling companies, stop collaboration as host", [5]Grant{Allow, Deny, Deny, Deny, Deny}, Deny},
	{"labels.edit", "labels, recipes", [5]Grant{Allow, Allow, Deny, Deny, Deny}, ""},
	{"datasets.view", "see datasets", [5]Grant{Allow, Allow, Allow, Allow, Deny}, ""},
	{"datasets.manage", "datasets, folders, items, storage drivers, pipelines", [5]Grant{Allow, Allow, Deny, Deny, Deny}, ""},
	{"pipelines.view", "see pipelines", [5]Grant{Allow, Allow, Allow, Allow, Deny}, ""},
	{"data.download", "item files, annotation export", [5]Grant{Allow, Allow, Deny, Deny, Deny}, ""},
	{"members.view", "see project members", [5]Grant{Allow, Allow, Allow, OwnOrg, OwnOrg}, OwnOrg},
	{"members.manage", "add, remove, change role", [5]Grant{Allow, Allow, Allow, OwnOrg, Deny}, OwnOrg},
	{"tasks.create", "create tasks", [5]Grant{Allow, Allow, Allow, OwnOrg, Deny}, OwnOrg},
	{"tasks.assign", "assign work", [5]Grant{Allow, Allow, Allow, OwnOrg, Deny}, OwnOrg},
	{"tasks.rename", "rename tasks", [5]Grant{Allow, Allow, Deny, Deny, Deny}, OwnOrg},
	{"tasks.delete", "delete tasks", [5]Grant{Allow, Allow, Allow, OwnTasks, Deny}, OwnOrg},
	{"annotations.edit", "create, edit, delete annotations", [5]Grant{Allow, Allow, Allow, Allow, AssignedItems}, ""},
	{"items.review", "approve, reject", [5]Grant{Allow, Allow, Allow, Allow, Deny}, ""},
	{"issues.open", "open issues", [5]Grant{Allow, Allow, Allow, Allow, ReviewAssignments}, ""},
	{"issues.resolve", "resolve issues", [5]Grant{Allow, Allow, Allow, Allow, Deny}, ""},
	{"comments.create", "comment", [5]Grant{Allow, Allow, Allow, Allow, Allow}, ""},
	{"audit.view", "see the audit log", [5]Grant{Allow, Allow, Deny, Deny, Deny}, OwnOrg},
}

// Action names used by the code.
const (
	ActProjectView     Action = "project.view"
	ActProjectRename   Action = "project.rename"
	ActProjectDelete   Action = "project.delete"
	ActProjectSettings Action = "project.settings"
	ActPartnersManage  Action = "partners.manage"
	ActMembersView     Action = "members.view"
	ActMembersManage   Action = "members.manage"
	ActDatasetsManage  Action = "datasets.manage"
	ActTasksAssign     Action = "tasks.assign"
	ActTasksCreate     Action = "tasks.create"
	ActTasksRename     Action = "tasks.rename"
	ActTasksDelete     Action = "tasks.delete"
	ActAnnotationsEdit Action = "annotations.edit"
	ActItemsReview     Action = "items.review"
	ActAuditView       Action = "audit.view"
	ActCommentsCreate  Action = "comments.create"
)

var permissionIndex = func() map[Action]PermissionRow {
	m := make(map[Action]PermissionRow, len(Permissions))
	for _, p := range Permissions {
		m[p.Action] = p
	}
	return m
}()

// KnownAction reports whether a is in the matrix.
func KnownAction(a Action) bool { _, ok := permissionIndex[a]; return ok }

// GrantOf looks up the matrix.
func GrantOf(role Role, a Action) Grant {
	row, ok := permissionIndex[a]
	if !ok || !role.Valid() {
		return Deny
	}
	return row.Grants[len(Roles)-role.Rank()]
}

// Can is the authorization core's answer for a project action: the grant
// the matrix gives the effective role, narrowed to the action's external
// ceiling for a member acting for another org than the host. Every project
// use case asks it (through Access.require); the grant it returns is the
// scope the use case filters by.
func (e Effective) Can(a Action) Grant {
	if e.None() {
		return Deny
	}
	g := GrantOf(e.Role, a)
	if e.Side == SideExternal {
		g = g.Narrow(permissionIndex[a].External)
	}
	return g
}

// Narrow applies a ceiling to a grant: a denied ceiling denies, a limited
// one limits what the role holds outright; a grant already limited keeps
// its own (narrower) limit.
func (g Grant) Narrow(ceiling Grant) Grant {
	switch {
	case ceiling == "" || ceiling == Allow || g == Deny:
		return g
	case ceiling == Deny:
		return Deny
	case g == Allow:
		return ceiling
	}
	return g
}

// MayGrant reports whether a member with role actor may give role target:
// nobody grants above their own role; only owner grants owner.
func MayGrant(actor, target Role) bool {
	if !actor.Valid() || !target.Valid() {
		return false
	}
	if target == RoleOwner {
		return actor == RoleOwner
	}
	return target.Rank() <= actor.Rank()
}

// PermissionsMarkdown renders the matrix for docs/permissions.md.
func PermissionsMarkdown() string {
	var b strings.Builder
	b.WriteString("# Permissions\n\n")
	b.WriteString("Generated from `internal/collab/permissions.go` by `go generate ./internal/collab`; do not edit.\n\n")
	b.WriteString("`Y` allowed, `-` forbidden; a limited grant names its limit: `own_org` (the member's own organization, and roles no higher than their own), `assigned_items` (items assigned to them), `own_tasks` (tasks they created), `review_assignments` (items in review assigned to them).\n\n")
	b.WriteString("The last column is the external ceiling (docs/security.md, invariant 2): the most a member acting for a partner or collaborator org holds, whatever their role: `-` keeps the action the host's, `own_org` walls it to their own org.\n\n")
	b.WriteString("| action | meaning |")
	for _, r := range Roles {
		fmt.Fprintf(&b, " %s |", r)
	}
	b.WriteString(" external ceiling |\n| --- | --- |" + strings.Repeat(" --- |", len(Roles)+1) + "\n")
	for _, p := range Permissions {
		fmt.Fprintf(&b, "| %s | %s |", p.Action, p.Description)
		for _, g := range p.Grants {
			fmt.Fprintf(&b, " %s |", g)
		}
		ext := string(p.External)
		if ext == "" {
			ext = "as the role"
		}
		fmt.Fprintf(&b, " %s |\n", ext)
	}
	b.WriteString("\n## Rules on top of the matrix\n\n")
	b.WriteString("- A user's effective role on a project is the highest of their project role and their workspace role; a workspace `admin` (and every owner or admin of the host org) acts as `owner`.\n")
	b.WriteString("- External members (share-link partners, labeling companies) hold only: " + joinRoles(ExternalBaseRoles) + ", unless their org's collaboration types allow more.\n")
	b.WriteString("- Nobody grants a role higher than their own; only `owner` grants `owner`; a project keeps at least one `owner`.\n")
	b.WriteString("- `own_org`: an external or labeling-company member sees and manages only the members of their own org, never other orgs' users.\n")
	b.WriteString("- Standing comes from live facts only (docs/security.md, invariant 1): host-side rights need a membership of the host org now; external rights a live partnership or collaborator access of an org the user belongs to now.\n\n")
	b.WriteString("## Collaboration types\n\n| type | allowed workspace roles |\n| --- | --- |\n")
	for _, t := range []CollabType{CollabOwner, CollabDataPartner, CollabProducerPartner, CollabAnnotationPartner} {
		var rs []string
		for _, r := range CollabTypeRoles[t] {
			rs = append(rs, "`"+string(r)+"`")
		}
		fmt.Fprintf(&b, "| %s | %s |\n", t, strings.Join(rs, ", "))
	}
	b.WriteString(AuthorizationMarkdown())
	return b.String()
}

func joinRoles(rs []Role) string {
	var out []string
	for _, r := range rs {
		out = append(out, "`"+string(r)+"`")
	}
	return strings.Join(out, ", ")
}
