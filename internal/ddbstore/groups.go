// Groups, their members and their links to projects.

package ddbstore

import (
	"context"
	"fmt"
	"slices"
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
	// Deleting marks a deletion under way (set only when it takes more
	// than one transaction).
	Deleting bool `dynamodbav:"deleting,omitempty"`
}

func (r groupRow) domain() collab.Group {
	return collab.Group{ID: r.ID, OrgID: r.OrgID, Name: r.Name, CreatedAt: r.CreatedAt, Deleting: r.Deleting, Version: r.Version}
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

// CreateGroup writes a new group of an org that exists and is not being
// deleted.
func (s *Store) CreateGroup(ctx context.Context, g collab.Group) error {
	it, err := s.putNew(groupRow{keys: groupKey(g.OrgID, g.ID), meta: meta{Type: typeGroup, Version: 1},
		ID: g.ID, OrgID: g.OrgID, Name: g.Name, CreatedAt: g.CreatedAt}, collab.AlreadyExists(collab.RecordGroup, g.ID))
	if err != nil {
		return err
	}
	return s.transact(ctx, it, s.orgLive(g.OrgID))
}

// ListGroups lists one page of an org's groups.
func (s *Store) ListGroups(ctx context.Context, orgID string, p collab.Page) ([]collab.Group, string, error) {
	pk, sk := groupsOf(orgID)
	var rows []groupRow
	next, err := s.query(ctx, queryInput{pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor}, &rows)
	out := make([]collab.Group, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, next, err
}

// ListGroupMembersPage lists one page of a group's members.
func (s *Store) ListGroupMembersPage(ctx context.Context, groupID string, p collab.Page) ([]collab.GroupMember, string, error) {
	pk, sk := groupMembersOf(groupID)
	var rows []groupMemberRow
	next, err := s.query(ctx, queryInput{pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor}, &rows)
	out := make([]collab.GroupMember, len(rows))
	for i, r := range rows {
		out[i] = collab.GroupMember{GroupID: r.GroupID, UserID: r.UserID, Email: r.Email, Name: r.Name}
	}
	return out, next, err
}

// RenameGroup renames a group (version-checked) with its audit entries.
func (s *Store) RenameGroup(ctx context.Context, g collab.Group, name string, audit ...collab.AuditEntry) (collab.Group, error) {
	if err := s.transactAudited(ctx, audit, s.versioned(groupKey(g.OrgID, g.ID), g.Version, "SET #n = :n", map[string]string{"#n": "name"},
		map[string]types.AttributeValue{":n": str(name)}, collab.Stale(collab.RecordGroup))); err != nil {
		return collab.Group{}, err
	}
	g.Name, g.Version = name, g.Version+1
	return g, nil
}

// groupTouched bumps a group's version, and requires it to exist and not
// be being deleted: a write that adds to a group does it, so a removal
// that read the group earlier fails its version check instead of missing
// what was added.
func (s *Store) groupTouched(orgID, groupID string) txItem {
	return txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: keyAV(groupKey(orgID, groupID)),
		UpdateExpression:          aws.String("ADD v :one"),
		ConditionExpression:       aws.String("attribute_exists(PK) AND attribute_not_exists(deleting)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1)}}},
		onConflict: collab.Errorf(collab.CodeConflict, "group %q is gone or being deleted", groupID)}
}

// GroupReach reads what a group reaches: its links and, in one batch read,
// the users' memberships of the group and of each linked project; then,
// where they have a project membership, the other groups linked to the
// project that hold them (one index query per such project, one batch
// read).
func (s *Store) GroupReach(ctx context.Context, groupID string, userIDs []string) (collab.GroupReach, error) {
	links, err := s.ListGroupLinks(ctx, groupID)
	reach := collab.GroupReach{InGroup: map[string]collab.GroupMember{}, Links: links,
		Members: map[string]map[string]collab.ProjectMember{}, Feeds: map[string]map[string][]string{}}
	if err != nil || len(userIDs) == 0 {
		return reach, err
	}
	var ks []keys
	for _, u := range userIDs {
		ks = append(ks, groupMemberKey(groupID, u))
		for _, l := range links {
			ks = append(ks, projectMemberKey(l.ProjectID, u))
		}
	}
	found, err := s.batchGet(ctx, ks)
	if err != nil {
		return reach, err
	}
	for _, item := range found {
		var m meta
		if err := attributevalue.UnmarshalMap(item, &m); err != nil {
			return reach, err
		}
		if m.Type == typeGroupMember {
			var r groupMemberRow
			if err := attributevalue.UnmarshalMap(item, &r); err != nil {
				return reach, err
			}
			reach.InGroup[r.UserID] = collab.GroupMember{GroupID: r.GroupID, UserID: r.UserID, Email: r.Email, Name: r.Name}
			continue
		}
		var r projectMemberRow
		if err := attributevalue.UnmarshalMap(item, &r); err != nil {
			return reach, err
		}
		if reach.Members[r.ProjectID] == nil {
			reach.Members[r.ProjectID] = map[string]collab.ProjectMember{}
		}
		reach.Members[r.ProjectID][r.UserID] = r.domain()
	}
	var feedKeys []keys
	linked := map[string][]string{} // another group -> the reached projects it is linked to
	for project, members := range reach.Members {
		pk, sk := projectGroupsOf(project)
		others, err := allRows[groupLinkRow](ctx, s, queryInput{index: indexGSI2, pk: pk, skPrefix: sk}, 0)
		if err != nil {
			return reach, err
		}
		for _, o := range others {
			if o.GroupID == groupID {
				continue
			}
			linked[o.GroupID] = append(linked[o.GroupID], project)
			for u := range members {
				feedKeys = append(feedKeys, groupMemberKey(o.GroupID, u))
			}
		}
	}
	if len(feedKeys) == 0 {
		return reach, nil
	}
	held, err := s.batchGet(ctx, feedKeys)
	if err != nil {
		return reach, err
	}
	for _, item := range held {
		var r groupMemberRow
		if err := attributevalue.UnmarshalMap(item, &r); err != nil {
			return reach, err
		}
		for _, project := range linked[r.GroupID] {
			if _, ok := reach.Members[project][r.UserID]; !ok {
				continue
			}
			if reach.Feeds[project] == nil {
				reach.Feeds[project] = map[string][]string{}
			}
			reach.Feeds[project][r.UserID] = append(reach.Feeds[project][r.UserID], r.GroupID)
		}
	}
	return reach, nil
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
	if gm.OrgID == "" {
		return fmt.Errorf("add group member: the group's org is not named")
	}
	items := []txItem{{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}}, s.groupTouched(gm.OrgID, gm.GroupID)}
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
	// The first transaction: the link, the group's version, the members,
	// the project's owner counter and the audit entries.
	first := max(0, min(len(members), collab.MaxTransactionItems-3-len(audit)))
	items := []txItem{
		{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}},
		s.groupTouched(l.OrgID, l.GroupID),
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

// projectRemovalChunk bounds the memberships of one project changed in one
// transaction (with the project's owners counter and audit entry): two
// chunks of a project never share a transaction, which may touch the
// project's counter once.
const projectRemovalChunk = 90

// RemoveFromGroup applies a group removal. Project by project, the
// memberships the group alone brought go (version-checked; owners counted
// down, each project keeping one) and those another group still feeds are
// re-owed to it, each project's chunk with the project's audit entry;
// then the links and memberships of the group; the defining write last:
// the group row (deleted version-checked, or, for a delete too large for
// one transaction, marked deleting first with the audit entries, so it
// takes nothing new, and deleted last) or the one membership (with a check
// that the group's version is still the one read). Everything that fits in
// one transaction is one.
func (s *Store) RemoveFromGroup(ctx context.Context, r collab.GroupRemoval, audit ...collab.AuditEntry) error {
	g := r.Group
	var units [][]txItem
	for _, pr := range r.Projects {
		changes := make([]txItem, 0, len(pr.Drop)+len(pr.Regroup))
		owners := make([]int, 0, 1) // owners leaving, per chunk
		for _, m := range pr.Drop {
			changes = append(changes, s.deleteVersioned(projectMemberKey(m.ProjectID, m.UserID), m.Version, collab.Stale(collab.RecordMembership)))
			if m.Role == collab.RoleOwner {
				for len(owners) <= (len(changes)-1)/projectRemovalChunk {
					owners = append(owners, 0)
				}
				owners[(len(changes)-1)/projectRemovalChunk]++
			}
		}
		for _, m := range pr.Regroup {
			ids, err := attributevalue.Marshal(m.GroupIDs)
			if err != nil {
				return err
			}
			changes = append(changes, s.versioned(projectMemberKey(m.ProjectID, m.UserID), m.Version, "SET groupIds = :g", nil,
				map[string]types.AttributeValue{":g": ids}, collab.Stale(collab.RecordMembership)))
		}
		for i := 0; i*projectRemovalChunk < len(changes); i++ {
			unit := slices.Clone(changes[i*projectRemovalChunk : min(len(changes), (i+1)*projectRemovalChunk)])
			if i < len(owners) && owners[i] > 0 {
				unit = append(unit, s.ownersDown(pr.ProjectID, owners[i]))
			}
			if i == 0 && pr.Audit.ID != "" {
				it, err := s.auditPut(pr.Audit)
				if err != nil {
					return err
				}
				unit = append(unit, it)
			}
			units = append(units, unit)
		}
	}
	for _, l := range r.Links {
		units = append(units, []txItem{s.deleteKey(groupLinkKey(g.ID, l.ProjectID))})
	}
	auditItems, err := s.auditItems(audit)
	if err != nil {
		return err
	}
	if !r.Delete {
		var last []txItem
		for _, m := range r.Members {
			last = append(last, txItem{write: types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table,
				Key: keyAV(groupMemberKey(g.ID, m.UserID)), ConditionExpression: aws.String("attribute_exists(PK)")}},
				onConflict: collab.NotMember(m.UserID, collab.RecordGroup, "")})
		}
		last = append(last, txItem{write: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &s.table,
			Key: keyAV(groupKey(g.OrgID, g.ID)), ConditionExpression: aws.String("v = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(g.Version)}}}, onConflict: collab.Stale(collab.RecordGroup)})
		return s.writeInOrder(ctx, nil, units, append(last, auditItems...))
	}
	for _, m := range r.Members {
		units = append(units, []txItem{s.deleteKey(groupMemberKey(g.ID, m.UserID))})
	}
	if !g.Deleting && r.Writes()+len(audit) <= collab.MaxTransactionItems {
		last := append(auditItems, s.deleteVersioned(groupKey(g.OrgID, g.ID), g.Version, collab.Stale(collab.RecordGroup)))
		return s.writeInOrder(ctx, nil, units, last)
	}
	var first []txItem
	if !g.Deleting {
		first = append(auditItems, s.versioned(groupKey(g.OrgID, g.ID), g.Version, "SET deleting = :t", nil,
			map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}}, collab.Stale(collab.RecordGroup)))
	}
	last := []txItem{{write: types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: keyAV(groupKey(g.OrgID, g.ID)),
		ConditionExpression: aws.String("attribute_exists(deleting)")}}, onConflict: collab.Stale(collab.RecordGroup)}}
	return s.writeInOrder(ctx, first, units, last)
}
