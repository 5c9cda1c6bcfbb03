// Project members.

package ddbstore

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

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

// GetProjectMember reads one membership.
func (s *Store) GetProjectMember(ctx context.Context, projectID, userID string) (collab.ProjectMember, error) {
	var r projectMemberRow
	nf := collab.NotMember(userID, collab.RecordProject, "")
	if err := s.get(ctx, projectMemberKey(projectID, userID), &r, nf); err != nil {
		return collab.ProjectMember{}, err
	}
	return r.domain(), nil
}

// GetProjectMembers reads many memberships of one project in batches.
func (s *Store) GetProjectMembers(ctx context.Context, projectID string, userIDs []string) (map[string]collab.ProjectMember, error) {
	rows, err := rowsByUser(ctx, s, userIDs, func(u string) keys { return projectMemberKey(projectID, u) },
		func(r projectMemberRow) string { return r.UserID })
	out := make(map[string]collab.ProjectMember, len(rows))
	for u, r := range rows {
		out[u] = r.domain()
	}
	return out, err
}

// ListProjectMembers lists a project's members, all of them from the
// project's partition or, with f.OrgID, one org's from GSI2; search and
// role are filters within that listing.
func (s *Store) ListProjectMembers(ctx context.Context, projectID string, f collab.MemberFilter, p collab.Page) ([]collab.ProjectMember, string, error) {
	q := queryInput{limit: p.Limit, cursor: p.Cursor}
	if f.OrgID != "" {
		q.index = indexGSI2
		q.pk, q.skPrefix = projectOrgMembersOf(projectID, f.OrgID)
	} else {
		q.pk, q.skPrefix = projectMembersOf(projectID)
	}
	var conds []string
	q.filterNames, q.filterValues = map[string]string{}, map[string]types.AttributeValue{}
	if f.Query != "" {
		conds = append(conds, "contains(#search, :q)")
		q.filterNames["#search"] = "search"
		q.filterValues[":q"] = str(strings.ToLower(f.Query))
	}
	if f.Role != "" {
		conds = append(conds, "#role = :role")
		q.filterNames["#role"] = "role"
		q.filterValues[":role"] = str(string(f.Role))
	}
	if len(conds) > 0 {
		q.filter = strings.Join(conds, " AND ")
		q.filterScope = strings.ToLower(f.Query) + "|" + string(f.Role)
	}
	var rows []projectMemberRow
	next, err := s.query(ctx, q, &rows)
	if err != nil {
		return nil, "", err
	}
	out := make([]collab.ProjectMember, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, next, nil
}

// ListUserProjects lists a user's project memberships (all pages).
func (s *Store) ListUserProjects(ctx context.Context, userID string) ([]collab.ProjectMember, error) {
	pk, sk := projectsOfUser(userID)
	rows, err := allRows[projectMemberRow](ctx, s, queryInput{index: indexGSI1, pk: pk, skPrefix: sk}, 10000)
	out := make([]collab.ProjectMember, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, err
}

// AddProjectMembers adds new memberships in one transaction, with the
// project's owner counter and the audit entries: at most
// collab.MaxTransactionItems-1-len(audit) members (more is refused, not
// cut); none may exist already; owners are counted on the project.
func (s *Store) AddProjectMembers(ctx context.Context, projectID string, ms []collab.ProjectMember, audit ...collab.AuditEntry) error {
	if len(ms) == 0 {
		return nil
	}
	var items []txItem
	owners := 0
	for _, m := range ms {
		it, err := s.putNew(toProjectMemberRow(m), collab.AlreadyMember(collab.RecordProject, m.Email))
		if err != nil {
			return err
		}
		items = append(items, it)
		if m.Role == collab.RoleOwner {
			owners++
		}
	}
	check := &types.Update{TableName: &s.table, Key: keyAV(projectKey(projectID)),
		UpdateExpression:          aws.String("ADD owners :n"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": n(owners)}}
	items = append(items, txItem{write: types.TransactWriteItem{Update: check},
		onConflict: collab.NotFound(collab.RecordProject, projectID)})
	return s.transactAudited(ctx, audit, items...)
}

// SetProjectMemberRole changes a member's role (version-checked); the
// project keeps an owner.
func (s *Store) SetProjectMemberRole(ctx context.Context, m collab.ProjectMember, role collab.Role, guard collab.Basis, audit ...collab.AuditEntry) (collab.ProjectMember, error) {
	items := []txItem{s.versioned(projectMemberKey(m.ProjectID, m.UserID), m.Version, "SET #r = :r",
		map[string]string{"#r": "role"}, map[string]types.AttributeValue{":r": str(string(role))}, collab.Stale(collab.RecordMembership))}
	if d, ok := s.ownerDelta(counted{kind: collab.RecordProject, id: m.ProjectID}, m.Role == collab.RoleOwner, role == collab.RoleOwner); ok {
		items = append(items, d)
	}
	items = s.guarded(items, guard, m.ProjectID, m.UserID)
	if err := s.transactAudited(ctx, audit, items...); err != nil {
		return collab.ProjectMember{}, err
	}
	m.Role, m.Version = role, m.Version+1
	return m, nil
}

// RemoveProjectMember deletes a membership (version-checked); the project
// keeps an owner.
func (s *Store) RemoveProjectMember(ctx context.Context, m collab.ProjectMember, guard collab.Basis, audit ...collab.AuditEntry) error {
	items := []txItem{s.deleteVersioned(projectMemberKey(m.ProjectID, m.UserID), m.Version, collab.Stale(collab.RecordMembership))}
	if d, ok := s.ownerDelta(counted{kind: collab.RecordProject, id: m.ProjectID}, m.Role == collab.RoleOwner, false); ok {
		items = append(items, d)
	}
	return s.transactAudited(ctx, audit, s.guarded(items, guard, m.ProjectID, m.UserID)...)
}
