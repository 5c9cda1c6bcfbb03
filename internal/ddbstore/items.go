package ddbstore

import (
	"strings"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// Row structs: the stored shape of each entity, with its keys, its type and
// its version, and the converters to and from the domain types.

type meta struct {
	Type    string `dynamodbav:"typ"`
	Version int    `dynamodbav:"v"`
}

type userRow struct {
	keys
	gsi1
	meta
	Email     string    `dynamodbav:"email"`
	Name      string    `dynamodbav:"name"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
}

type orgRow struct {
	keys
	meta
	ID        string    `dynamodbav:"id"`
	Name      string    `dynamodbav:"name"`
	CreatedBy string    `dynamodbav:"createdBy"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	// Owners counts owner memberships, so the last owner cannot go.
	Owners int `dynamodbav:"owners"`
}

func toOrgRow(o collab.Org) orgRow {
	return orgRow{keys: orgKey(o.ID), meta: meta{Type: typeOrg, Version: o.Version},
		ID: o.ID, Name: o.Name, CreatedBy: o.CreatedBy, CreatedAt: o.CreatedAt, Owners: 1}
}

func (r orgRow) domain() collab.Org {
	return collab.Org{ID: r.ID, Name: r.Name, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, Version: r.Version}
}

type orgMemberRow struct {
	keys
	gsi1
	meta
	OrgID    string    `dynamodbav:"orgId"`
	OrgName  string    `dynamodbav:"orgName"`
	UserID   string    `dynamodbav:"userId"`
	Email    string    `dynamodbav:"email"`
	Name     string    `dynamodbav:"name"`
	Role     string    `dynamodbav:"role"`
	JoinedAt time.Time `dynamodbav:"joinedAt"`
}

func toOrgMemberRow(m collab.OrgMembership) orgMemberRow {
	return orgMemberRow{
		keys: orgMemberKey(m.OrgID, m.UserID), gsi1: orgMemberIndex(m.OrgID, m.UserID),
		meta:  meta{Type: typeOrgMember, Version: m.Version},
		OrgID: m.OrgID, OrgName: m.OrgName, UserID: m.UserID, Email: m.Email, Name: m.Name,
		Role: string(m.Role), JoinedAt: m.JoinedAt,
	}
}

func (r orgMemberRow) domain() collab.OrgMembership {
	return collab.OrgMembership{OrgID: r.OrgID, OrgName: r.OrgName, UserID: r.UserID, Email: r.Email,
		Name: r.Name, Role: collab.OrgRole(r.Role), JoinedAt: r.JoinedAt, Version: r.Version}
}

type workspaceRow struct {
	keys
	gsi1
	meta
	ID        string    `dynamodbav:"id"`
	OrgID     string    `dynamodbav:"orgId"`
	Name      string    `dynamodbav:"name"`
	Default   bool      `dynamodbav:"default"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
}

func toWorkspaceRow(w collab.Workspace) workspaceRow {
	return workspaceRow{keys: workspaceKey(w.ID), gsi1: workspaceIndex(w.OrgID, w.ID),
		meta: meta{Type: typeWorkspace, Version: w.Version},
		ID:   w.ID, OrgID: w.OrgID, Name: w.Name, Default: w.Default, CreatedAt: w.CreatedAt}
}

func (r workspaceRow) domain() collab.Workspace {
	return collab.Workspace{ID: r.ID, OrgID: r.OrgID, Name: r.Name, Default: r.Default, CreatedAt: r.CreatedAt, Version: r.Version}
}

type workspaceMemberRow struct {
	keys
	gsi1
	gsi2
	meta
	WorkspaceID string `dynamodbav:"workspaceId"`
	UserID      string `dynamodbav:"userId"`
	Email       string `dynamodbav:"email"`
	Name        string `dynamodbav:"name"`
	Role        string `dynamodbav:"role"`
	OrgID       string `dynamodbav:"orgId"`
	External    bool   `dynamodbav:"external"`
}

func toWorkspaceMemberRow(m collab.WorkspaceMember) workspaceMemberRow {
	g1, g2 := workspaceMemberIndexes(m.WorkspaceID, m.OrgID, m.UserID)
	return workspaceMemberRow{keys: workspaceMemberKey(m.WorkspaceID, m.UserID), gsi1: g1, gsi2: g2,
		meta: meta{Type: typeWSMember, Version: m.Version}, WorkspaceID: m.WorkspaceID, UserID: m.UserID,
		Email: m.Email, Name: m.Name, Role: string(m.Role), OrgID: m.OrgID, External: m.External}
}

func (r workspaceMemberRow) domain() collab.WorkspaceMember {
	return collab.WorkspaceMember{WorkspaceID: r.WorkspaceID, UserID: r.UserID, Email: r.Email, Name: r.Name,
		Role: collab.WorkspaceRole(r.Role), OrgID: r.OrgID, External: r.External, Version: r.Version}
}

type projectRow struct {
	keys
	gsi1
	gsi2
	meta
	ID          string    `dynamodbav:"id"`
	WorkspaceID string    `dynamodbav:"workspaceId"`
	HostOrgID   string    `dynamodbav:"hostOrgId"`
	Name        string    `dynamodbav:"name"`
	CreatedBy   string    `dynamodbav:"createdBy"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
	Owners      int       `dynamodbav:"owners"`
	HostMay     bool      `dynamodbav:"hostMayBypass"`
}

func toProjectRow(p collab.Project, owners int) projectRow {
	g1, g2 := projectIndexes(p)
	return projectRow{keys: projectKey(p.ID), gsi1: g1, gsi2: g2, meta: meta{Type: typeProject, Version: p.Version},
		ID: p.ID, WorkspaceID: p.WorkspaceID, HostOrgID: p.HostOrgID, Name: p.Name, CreatedBy: p.CreatedBy,
		CreatedAt: p.CreatedAt, Owners: owners}
}

func (r projectRow) domain() collab.Project {
	return collab.Project{ID: r.ID, WorkspaceID: r.WorkspaceID, HostOrgID: r.HostOrgID, Name: r.Name,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, HostMayBypassCollaboratorReview: r.HostMay, Version: r.Version}
}

type projectMemberRow struct {
	keys
	gsi1
	gsi2
	meta
	ProjectID string `dynamodbav:"projectId"`
	UserID    string `dynamodbav:"userId"`
	Email     string `dynamodbav:"email"`
	Name      string `dynamodbav:"name"`
	Search    string `dynamodbav:"search"` // lower-case name and email, for search
	Role      string `dynamodbav:"role"`
	OrgID     string `dynamodbav:"orgId"`
	Side      string `dynamodbav:"side"`
	// Individual: a host-side member who is not in the host org.
	Individual bool      `dynamodbav:"individual,omitempty"`
	AddedBy    string    `dynamodbav:"addedBy"`
	AddedAt    time.Time `dynamodbav:"addedAt"`
	GroupIDs   []string  `dynamodbav:"groupIds,omitempty"`
}

func toProjectMemberRow(m collab.ProjectMember) projectMemberRow {
	g1, g2 := projectMemberIndexes(m)
	return projectMemberRow{keys: projectMemberKey(m.ProjectID, m.UserID), gsi1: g1, gsi2: g2,
		meta:      meta{Type: typeProjMember, Version: m.Version},
		ProjectID: m.ProjectID, UserID: m.UserID, Email: m.Email, Name: m.Name,
		Search: strings.ToLower(m.Name + "\x00" + m.Email), Role: string(m.Role), OrgID: m.OrgID,
		Side: string(m.Side), Individual: m.Individual, AddedBy: m.AddedBy, AddedAt: m.AddedAt, GroupIDs: m.GroupIDs}
}

func (r projectMemberRow) domain() collab.ProjectMember {
	return collab.ProjectMember{ProjectID: r.ProjectID, UserID: r.UserID, Email: r.Email, Name: r.Name,
		Role: collab.Role(r.Role), OrgID: r.OrgID, Side: collab.Side(r.Side), Individual: r.Individual, AddedBy: r.AddedBy,
		AddedAt: r.AddedAt, GroupIDs: r.GroupIDs, Version: r.Version}
}

type partnerRow struct {
	keys
	gsi1
	meta
	ProjectID   string    `dynamodbav:"projectId"`
	ProjectName string    `dynamodbav:"projectName"`
	WorkspaceID string    `dynamodbav:"workspaceId"`
	HostOrgID   string    `dynamodbav:"hostOrgId"`
	OrgID       string    `dynamodbav:"orgId"`
	OrgName     string    `dynamodbav:"orgName"`
	Kind        string    `dynamodbav:"kind"`
	Types       []string  `dynamodbav:"types"`
	ManagerID   string    `dynamodbav:"managerId"`
	AddedAt     time.Time `dynamodbav:"addedAt"`
}

func toPartnerRow(p collab.Partner, project collab.Project) partnerRow {
	types := make([]string, len(p.Types))
	for i, t := range p.Types {
		types[i] = string(t)
	}
	return partnerRow{keys: partnerKey(p.ProjectID, p.OrgID), gsi1: partnerIndex(p.ProjectID, p.OrgID),
		meta:      meta{Type: typePartner, Version: p.Version},
		ProjectID: p.ProjectID, ProjectName: project.Name, WorkspaceID: project.WorkspaceID, HostOrgID: project.HostOrgID,
		OrgID: p.OrgID, OrgName: p.OrgName, Kind: string(p.Kind), Types: types, ManagerID: p.ManagerID, AddedAt: p.AddedAt}
}

func (r partnerRow) domain() collab.Partner {
	types := make([]collab.CollabType, len(r.Types))
	for i, t := range r.Types {
		types[i] = collab.CollabType(t)
	}
	return collab.Partner{ProjectID: r.ProjectID, OrgID: r.OrgID, OrgName: r.OrgName, Kind: collab.PartnerKind(r.Kind),
		Types: types, ManagerID: r.ManagerID, HostOrgID: r.HostOrgID, AddedAt: r.AddedAt, Version: r.Version}
}

type groupRow struct {
	keys
	meta
	ID        string    `dynamodbav:"id"`
	OrgID     string    `dynamodbav:"orgId"`
	Name      string    `dynamodbav:"name"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
}

func (r groupRow) domain() collab.Group {
	return collab.Group{ID: r.ID, OrgID: r.OrgID, Name: r.Name, CreatedAt: r.CreatedAt, Version: r.Version}
}

type groupMemberRow struct {
	keys
	gsi1
	meta
	GroupID string `dynamodbav:"groupId"`
	UserID  string `dynamodbav:"userId"`
	Email   string `dynamodbav:"email"`
	Name    string `dynamodbav:"name"`
}

type groupLinkRow struct {
	keys
	gsi2
	meta
	GroupID   string `dynamodbav:"groupId"`
	ProjectID string `dynamodbav:"projectId"`
	Role      string `dynamodbav:"role"`
	OrgID     string `dynamodbav:"orgId"`
	Side      string `dynamodbav:"side"`
}

func (r groupLinkRow) domain() collab.GroupLink {
	return collab.GroupLink{GroupID: r.GroupID, ProjectID: r.ProjectID, Role: collab.Role(r.Role),
		OrgID: r.OrgID, Side: collab.Side(r.Side)}
}
