// Projects: creation, renaming, settings, deletion and listings.

package ddbstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

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

// CreateProject writes the project and its first owner in one
// transaction, and counts the project on its workspace (which must exist):
// a workspace is deleted only while that count is zero, so a project
// created during a deletion is never left without its workspace.
func (s *Store) CreateProject(ctx context.Context, p collab.Project, owner collab.ProjectMember) error {
	exists := collab.AlreadyExists(collab.RecordProject, p.ID)
	proj, err := s.putNew(toProjectRow(p, 1), exists)
	if err != nil {
		return err
	}
	mem, err := s.putNew(toProjectMemberRow(owner), exists)
	if err != nil {
		return err
	}
	return s.transact(ctx, proj, mem, s.countProject(p.WorkspaceID, 1))
}

// countProject adds delta to a workspace's project count; the workspace
// must exist.
func (s *Store) countProject(wsID string, delta int) txItem {
	return txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: keyAV(workspaceKey(wsID)),
		UpdateExpression: aws.String("ADD projects :d"), ConditionExpression: aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": n(delta)}}},
		onConflict: collab.NotFound(collab.RecordWorkspace, wsID)}
}

// RenameProject renames a project (version-checked), keeping the name copies
// on its partner items in step, in one transaction: a project with more
// partners than that takes (collab.MaxTransactionItems-1, the project
// itself) is refused.
func (s *Store) RenameProject(ctx context.Context, p collab.Project, name string) (collab.Project, error) {
	partners, err := s.ListPartners(ctx, p.ID)
	if err != nil {
		return collab.Project{}, err
	}
	items := []txItem{s.versioned(projectKey(p.ID), p.Version, "SET #n = :n", map[string]string{"#n": "name"},
		map[string]types.AttributeValue{":n": str(name)}, collab.Stale(collab.RecordProject))}
	for _, pa := range partners {
		items = append(items, txItem{write: types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: keyAV(partnerKey(p.ID, pa.OrgID)),
			UpdateExpression:          aws.String("SET projectName = :n"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": str(name)},
		}}, onConflict: collab.Stale(collab.RecordPartner)})
	}
	if err := s.transact(ctx, items...); err != nil {
		return collab.Project{}, err
	}
	p.Name, p.Version = name, p.Version+1
	return p, nil
}

// SetProjectSettings saves the project's review settings (version-checked).
func (s *Store) SetProjectSettings(ctx context.Context, p collab.Project, audit ...collab.AuditEntry) (collab.Project, error) {
	if err := s.transactAudited(ctx, audit, s.versioned(projectKey(p.ID), p.Version, "SET hostMayBypass = :b", nil,
		map[string]types.AttributeValue{":b": &types.AttributeValueMemberBOOL{Value: p.HostMayBypassCollaboratorReview}}, collab.Stale(collab.RecordProject))); err != nil {
		return collab.Project{}, err
	}
	p.Version++
	return p, nil
}

// DeleteProject removes the project: first, in one transaction, its META
// item (version-checked) and its partner items, so it vanishes for everyone
// at once (access checks read META; shared lists read partner items); a
// project with more partners than one transaction takes
// (collab.MaxTransactionItems-2, the META item and the workspace's project
// count) is refused; then
// everything else under the project (members, items, …) and its group
// links, in batches. It returns how many items were deleted.
func (s *Store) DeleteProject(ctx context.Context, p collab.Project) (int, error) {
	partners, err := s.ListPartners(ctx, p.ID)
	if err != nil {
		return 0, err
	}
	items := []txItem{s.deleteVersioned(projectKey(p.ID), p.Version, collab.Stale(collab.RecordProject))}
	for _, pa := range partners {
		items = append(items, txItem{write: types.TransactWriteItem{Delete: &types.Delete{
			TableName: &s.table, Key: keyAV(partnerKey(p.ID, pa.OrgID))}}})
	}
	// The workspace's project count goes down in the same transaction (a
	// workspace already gone, which only a project older than the count
	// can outlive, has nothing to count).
	if _, err := s.GetWorkspace(ctx, p.WorkspaceID); err == nil {
		items = append(items, s.countProject(p.WorkspaceID, -1))
	} else if !collab.IsCode(err, collab.CodeNotFound) {
		return 0, err
	}
	if err := s.transact(ctx, items...); err != nil {
		return 0, err
	}
	s.places.Delete(p.ID)
	var rest []keys
	collect := func(items []map[string]types.AttributeValue) error {
		for _, it := range items {
			rest = append(rest, keyOf(it))
		}
		return nil
	}
	if err := s.queryAll(ctx, queryInput{pk: projectPartition(p.ID), skPrefix: ""}, 0, collect); err != nil {
		return 0, err
	}
	// Members and tasks keep their analytics counters in partitions of
	// their own.
	subs := spreadKeys(orgReviewStatsOf(p.ID))
	for _, k := range rest {
		switch {
		case strings.HasPrefix(k.SK, prefixMember):
			subs = append(subs, statsKey(p.ID, strings.TrimPrefix(k.SK, prefixMember), "").PK)
		case strings.HasPrefix(k.SK, prefixTask):
			subs = append(subs, spreadKeys(taskStatsOf(p.ID, strings.TrimPrefix(k.SK, prefixTask)))...)
		}
	}
	// Items are partitions of their own (the row, its history and
	// comments), found through the status index.
	for _, st := range collab.ItemStatuses {
		rows, err := allShardRows[keys](ctx, s, queryInput{index: indexGSI1, pk: itemsByStatus(p.ID, st), skPrefix: prefixItem}, 0)
		if err != nil {
			return 0, err
		}
		for _, k := range rows {
			subs = append(subs, k.PK)
		}
	}
	for _, sub := range subs {
		if err := s.queryAll(ctx, queryInput{pk: sub}, 0, collect); err != nil {
			return 0, err
		}
	}
	pk, sk := projectGroupsOf(p.ID)
	if err := s.queryAll(ctx, queryInput{index: indexGSI2, pk: pk, skPrefix: sk}, 0, collect); err != nil {
		return 0, err
	}
	if err := s.batchDelete(ctx, rest); err != nil {
		return 0, err
	}
	return len(items) + len(rest), nil
}

// ListOrgProjects lists an org's own projects and the projects shared with
// it, in one GSI1 query a page.
func (s *Store) ListOrgProjects(ctx context.Context, orgID string, p collab.Page) ([]collab.OrgProject, string, error) {
	pk, sk := orgProjectsOf(orgID)
	var raw []map[string]types.AttributeValue
	next, err := s.query(ctx, queryInput{index: indexGSI1, pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor}, &raw)
	if err != nil {
		return nil, "", err
	}
	out := make([]collab.OrgProject, 0, len(raw))
	for _, item := range raw {
		var m meta
		_ = attributevalue.UnmarshalMap(item, &m)
		switch m.Type {
		case typeProject:
			var r projectRow
			if err := attributevalue.UnmarshalMap(item, &r); err != nil {
				return nil, "", err
			}
			out = append(out, collab.OrgProject{ID: r.ID, Name: r.Name, WorkspaceID: r.WorkspaceID, HostOrgID: r.HostOrgID})
		case typePartner:
			var r partnerRow
			if err := attributevalue.UnmarshalMap(item, &r); err != nil {
				return nil, "", err
			}
			if r.PendingApproval {
				continue // the org's approval is awaited: it takes part in nothing yet
			}
			out = append(out, collab.OrgProject{ID: r.ProjectID, Name: r.ProjectName, WorkspaceID: r.WorkspaceID,
				HostOrgID: r.HostOrgID, Shared: true})
		}
	}
	return out, next, nil
}

// ListWorkspaceProjects lists a workspace's projects through GSI2.
func (s *Store) ListWorkspaceProjects(ctx context.Context, wsID string, p collab.Page) ([]collab.Project, string, error) {
	pk, sk := workspaceProjectsOf(wsID)
	var rows []projectRow
	next, err := s.query(ctx, queryInput{index: indexGSI2, pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor}, &rows)
	out := make([]collab.Project, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, next, err
}

// HostedPartners lists, for each of a host's projects named, the orgs
// partnering it: one GSI2 range query over the host's partner items from
// the first project named to the last (a page of the host's project list
// is such a range), never a scan.
func (s *Store) HostedPartners(ctx context.Context, hostOrgID string, projectIDs []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(projectIDs) == 0 {
		return out, nil
	}
	ids := slices.Sorted(slices.Values(projectIDs))
	pk, from, to := hostedPartnersBetween(hostOrgID, ids[0], ids[len(ids)-1])
	in := s.queryInput(queryInput{index: indexGSI2, pk: pk, skPrefix: "-"})
	in.KeyConditionExpression = aws.String("#pk = :pk AND #sk BETWEEN :from AND :to")
	delete(in.ExpressionAttributeValues, ":sk")
	in.ExpressionAttributeValues[":from"], in.ExpressionAttributeValues[":to"] = str(from), str(to)
	in.ProjectionExpression = aws.String("projectId, orgId")
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("hosted partners of %s: %w", hostOrgID, err)
		}
		meter(ctx, true, consumed(res.ConsumedCapacity)...)
		var rows []struct {
			ProjectID string `dynamodbav:"projectId"`
			OrgID     string `dynamodbav:"orgId"`
		}
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &rows); err != nil {
			return nil, err
		}
		for _, r := range rows {
			if _, ok := slices.BinarySearch(ids, r.ProjectID); ok {
				out[r.ProjectID] = append(out[r.ProjectID], r.OrgID)
			}
		}
		if len(res.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}
