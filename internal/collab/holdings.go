package collab

import (
	"fmt"
	"slices"
	"strings"
)

// What groups, workspaces and orgs hold, as their removal reads it, and the
// rules that decide what removing them takes along (docs/architecture.md,
// "Read-back and management").

// GroupReach is what a group reaches, read for taking people out of it:
// which of the users asked about are in it, its links to projects and, on
// each linked project, the memberships of those users and the other linked
// groups that hold each of them.
type GroupReach struct {
	// InGroup holds the memberships of the group among the users asked.
	InGroup map[string]GroupMember
	Links   []GroupLink
	// Members[projectID][userID] is the user's membership of the project.
	Members map[string]map[string]ProjectMember
	// Feeds[projectID][userID] lists the other groups linked to the project
	// that have the user as a member.
	Feeds map[string]map[string][]string
}

// GroupRemoval is one store change taking people out of a group, or the
// group itself: the group's rows that go and, project by project, the
// memberships it alone brought.
type GroupRemoval struct {
	Group Group
	// Delete: the group row itself goes (with every membership and link);
	// otherwise Members names the memberships that go.
	Delete   bool
	Members  []GroupMember
	Links    []GroupLink
	Projects []ProjectRemoval
}

// ProjectRemoval is what a group removal changes on one project, with the
// project's audit entry: memberships that go, and memberships that stay
// because another linked group still holds the user (their GroupIDs
// rewritten to those groups).
type ProjectRemoval struct {
	ProjectID string
	Drop      []ProjectMember
	Regroup   []ProjectMember
	Audit     AuditEntry
}

// Writes counts the records the removal changes (audit entries included):
// what decides whether it fits one transaction.
func (r GroupRemoval) Writes() int {
	n := 1 + len(r.Members) + len(r.Links) // the group row or the one membership
	for _, p := range r.Projects {
		n += len(p.Drop) + len(p.Regroup) + 2 // an owners counter, an audit entry
	}
	return n
}

// planGroupRemoval decides what taking users out of group groupID does to
// the projects the group feeds. A membership the group brought (its
// GroupIDs name the group) goes, unless another group linked to the
// project still holds the user: then it stays, owed to those groups. A
// membership added directly, or brought by another group, stays as it is.
// Projects come out in the order of the links, users in the order given.
func planGroupRemoval(groupID string, reach GroupReach, userIDs []string) []ProjectRemoval {
	var out []ProjectRemoval
	seen := map[string]bool{}
	for _, l := range reach.Links {
		if seen[l.ProjectID] {
			continue
		}
		seen[l.ProjectID] = true
		pr := ProjectRemoval{ProjectID: l.ProjectID}
		for _, u := range userIDs {
			m, ok := reach.Members[l.ProjectID][u]
			if !ok || !slices.Contains(m.GroupIDs, groupID) {
				continue
			}
			others := slices.DeleteFunc(slices.Clone(reach.Feeds[l.ProjectID][u]), func(g string) bool { return g == groupID })
			if len(others) == 0 {
				pr.Drop = append(pr.Drop, m)
				continue
			}
			ids := slices.DeleteFunc(slices.Clone(m.GroupIDs), func(g string) bool { return g == groupID })
			for _, g := range others {
				if !slices.Contains(ids, g) {
					ids = append(ids, g)
				}
			}
			m.GroupIDs = ids
			pr.Regroup = append(pr.Regroup, m)
		}
		if len(pr.Drop)+len(pr.Regroup) > 0 {
			out = append(out, pr)
		}
	}
	return out
}

// WorkspaceContents is what a workspace holds, as its deletion reads it.
type WorkspaceContents struct {
	Workspace     Workspace
	Projects      int
	Collaborators []Collaborator
	Members       []WorkspaceMember
	// Invitations are the pending collaborator invitations to it; they are
	// revoked with it.
	Invitations []Invitation
}

// GroupContents is a group with its memberships and links.
type GroupContents struct {
	Group   Group
	Members []GroupMember
	Links   []GroupLink
}

// OrgContents is what an org holds, as its deletion reads it.
type OrgContents struct {
	// Projects counts its own projects; Partnerships the projects of other
	// orgs it partners; Collaborations the workspaces of other orgs it
	// collaborates in.
	Projects       int
	Partnerships   int
	Collaborations []Collaborator
	Workspaces     []WorkspaceContents
	Groups         []GroupContents
	Members        []OrgMembership
	// Invitations are its pending org-member invitations.
	Invitations []Invitation
	// Webhooks are its webhooks (deleted with it, their count too; their
	// logs expire by themselves).
	Webhooks []Webhook
}

// Writes counts the records deleting the org changes, its audit entry
// included.
func (o OrgContents) Writes() int {
	n := 2 + len(o.Members) + len(o.Invitations) // the org row and its audit entry
	if len(o.Webhooks) > 0 {
		n += 1 + len(o.Webhooks) // and the webhooks' count
	}
	for _, w := range o.Workspaces {
		n += 1 + len(w.Members) + len(w.Invitations)
	}
	for _, g := range o.Groups {
		n += 1 + len(g.Members) + len(g.Links)
	}
	return n
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// refusal says why a workspace may not go yet: it still holds projects or
// collaborators (other orgs rely on it), or it is the org's default one.
func (w WorkspaceContents) refusal() error {
	var why []string
	if w.Workspace.Default {
		why = append(why, "the default workspace goes only with its org")
	}
	if w.Projects > 0 {
		why = append(why, "the workspace still has "+plural(w.Projects, "project", "projects")+"; delete or move them first")
	}
	if n := len(w.Collaborators); n > 0 {
		why = append(why, "the workspace still has "+plural(n, "collaborator", "collaborators")+"; remove them first")
	}
	return refused(why)
}

// refusal says why an org may not go yet: it still holds projects, or
// takes part in other orgs' work (partnerships, collaborations), or other
// orgs collaborate in its workspaces.
func (o OrgContents) refusal() error {
	var why []string
	collaborators := 0
	for _, w := range o.Workspaces {
		collaborators += len(w.Collaborators)
	}
	if o.Projects > 0 {
		why = append(why, "the org still has "+plural(o.Projects, "project", "projects")+"; delete or move them first")
	}
	if o.Partnerships > 0 {
		why = append(why, "the org still partners "+plural(o.Partnerships, "project", "projects")+" of other orgs; stop those partnerships first")
	}
	if n := len(o.Collaborations); n > 0 {
		why = append(why, "the org still collaborates in "+plural(n, "workspace", "workspaces")+" of other orgs; end those collaborations first")
	}
	if collaborators > 0 {
		why = append(why, "the org's workspaces still have "+plural(collaborators, "collaborator", "collaborators")+"; remove them first")
	}
	return refused(why)
}

func refused(why []string) error {
	if len(why) == 0 {
		return nil
	}
	return Errorf(CodeConflict, "%s", strings.Join(why, "; also, "))
}
