// Groups, their members and their links to projects.

package ddbstore

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

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

// CreateGroup writes a new group.
func (s *Store) CreateGroup(ctx context.Context, g collab.Group) error {
	it, err := s.putNew(groupRow{keys: groupKey(g.OrgID, g.ID), meta: meta{Type: typeGroup, Version: 1},
		ID: g.ID, OrgID: g.OrgID, Name: g.Name, CreatedAt: g.CreatedAt}, collab.AlreadyExists(collab.RecordGroup, g.ID))
	if err != nil {
		return err
	}
	return s.transact(ctx, it)
}

// GetGroup reads a group of an org.
func (s *Store) GetGroup(ctx context.Context, orgID, groupID string) (collab.Group, error) {
	var r groupRow
	if err := s.get(ctx, groupKey(orgID, groupID), &r, collab.NotFound(collab.RecordGroup, groupID)); err != nil {
		return collab.Group{}, err
	}
	return r.domain(), nil
}

// ListGroupMembers lists every member of a group.
func (s *Store) ListGroupMembers(ctx context.Context, groupID string) ([]collab.GroupMember, error) {
	pk, sk := groupMembersOf(groupID)
	rows, err := allRows[groupMemberRow](ctx, s, queryInput{pk: pk, skPrefix: sk}, 100000)
	out := make([]collab.GroupMember, len(rows))
	for i, r := range rows {
		out[i] = collab.GroupMember{GroupID: r.GroupID, UserID: r.UserID, Email: r.Email, Name: r.Name}
	}
	return out, err
}

// ListGroupLinks lists the projects a group is attached to.
func (s *Store) ListGroupLinks(ctx context.Context, groupID string) ([]collab.GroupLink, error) {
	pk, sk := groupLinksOf(groupID)
	rows, err := allRows[groupLinkRow](ctx, s, queryInput{pk: pk, skPrefix: sk}, 10000)
	out := make([]collab.GroupLink, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, err
}

// AddGroupMember puts a user in a group and adds them to every project the
// group is attached to where they are not yet a member: the group
// membership, its audit entries and the first projects in one transaction,
// the projects that do not fit in further transactions of up to
// collab.MaxTransactionItems records (each membership conditioned on
// absence, so a re-run completes what an interrupted one began).
func (s *Store) AddGroupMember(ctx context.Context, gm collab.GroupMember, projects []collab.ProjectMember, audit ...collab.AuditEntry) error {
	row := groupMemberRow{keys: groupMemberKey(gm.GroupID, gm.UserID), gsi1: groupMemberIndex(gm.GroupID, gm.UserID),
		meta: meta{Type: typeGroupMember, Version: 1}, GroupID: gm.GroupID, UserID: gm.UserID, Email: gm.Email, Name: gm.Name}
	av, err := attributevalue.MarshalMap(row)
	if err != nil {
		return err
	}
	items := []txItem{{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}}}
	// Each project's writes (the membership and, for an owner, the
	// project's owner counter) stay in one transaction.
	room := collab.MaxTransactionItems - len(audit) // the first transaction carries the audit entries
	for _, m := range projects {
		it, err := s.putNew(toProjectMemberRow(m), collab.Stale(collab.RecordTeam))
		if err != nil {
			return err
		}
		join := []txItem{it}
		if m.Role == collab.RoleOwner {
			if d, ok := s.ownerDelta(counted{kind: collab.RecordProject, id: m.ProjectID}, false, true); ok {
				join = append(join, d)
			}
		}
		if len(items) > 0 && len(items)+len(join) > room {
			if err := s.transactAudited(ctx, audit, items...); err != nil {
				return err
			}
			items, audit, room = nil, nil, collab.MaxTransactionItems
		}
		items = append(items, join...)
	}
	return s.transactAudited(ctx, audit, items...)
}

// LinkGroup attaches a group to a project and adds its users who are not yet
// members: the link, the audit entries and the first members in one
// transaction, the rest in further transactions through AddProjectMembers
// (each member conditioned on absence, so a re-run completes what an
// interrupted one began).
func (s *Store) LinkGroup(ctx context.Context, l collab.GroupLink, members []collab.ProjectMember, audit ...collab.AuditEntry) error {
	av, err := attributevalue.MarshalMap(groupLinkRow{keys: groupLinkKey(l.GroupID, l.ProjectID), gsi2: groupLinkIndex(l.GroupID, l.ProjectID),
		meta: meta{Type: typeGroupLink, Version: 1}, GroupID: l.GroupID, ProjectID: l.ProjectID, Role: string(l.Role),
		OrgID: l.OrgID, Side: string(l.Side)})
	if err != nil {
		return err
	}
	// The first transaction: the link, the members, the project's owner
	// counter and the audit entries.
	first := max(0, min(len(members), collab.MaxTransactionItems-2-len(audit)))
	items := []txItem{
		{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}},
	}
	var owners int
	for _, m := range members[:first] {
		it, err := s.putNew(toProjectMemberRow(m), collab.Stale(collab.RecordTeam))
		if err != nil {
			return err
		}
		items = append(items, it)
		if m.Role == collab.RoleOwner {
			owners++
		}
	}
	items = append(items, txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table,
		Key: keyAV(projectKey(l.ProjectID)), UpdateExpression: aws.String("ADD owners :n"),
		ConditionExpression: aws.String("attribute_exists(PK)"), ExpressionAttributeValues: map[string]types.AttributeValue{":n": n(owners)}}},
		onConflict: collab.NotFound(collab.RecordProject, l.ProjectID)})
	if err := s.transactAudited(ctx, audit, items...); err != nil {
		return err
	}
	for rest := members[first:]; len(rest) > 0; {
		k := min(len(rest), collab.MaxTransactionItems-1) // and the project's owner counter
		if err := s.AddProjectMembers(ctx, l.ProjectID, rest[:k]); err != nil {
			return err
		}
		rest = rest[k:]
	}
	return nil
}
