package ddbstore

import (
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
}

func toOrgRow(o collab.Org) orgRow {
	return orgRow{keys: orgKey(o.ID), meta: meta{Type: typeOrg, Version: o.Version},
		ID: o.ID, Name: o.Name, CreatedBy: o.CreatedBy, CreatedAt: o.CreatedAt}
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
