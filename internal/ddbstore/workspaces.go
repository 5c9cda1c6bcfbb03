// Workspaces.

package ddbstore

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

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

// CreateWorkspace writes a new workspace of an org that exists and is not
// being deleted.
func (s *Store) CreateWorkspace(ctx context.Context, w collab.Workspace) error {
	it, err := s.putNew(toWorkspaceRow(w), collab.AlreadyExists(collab.RecordWorkspace, w.ID))
	if err != nil {
		return err
	}
	return s.transact(ctx, it, s.orgLive(w.OrgID))
}

// orgLive checks that an org exists and no deletion of it has begun.
func (s *Store) orgLive(orgID string) txItem {
	return txItem{write: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &s.table, Key: keyAV(orgKey(orgID)),
		ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(deleting)")}},
		onConflict: collab.Errorf(collab.CodeConflict, "org %q is gone or being deleted", orgID)}
}

// RenameWorkspace renames a workspace (version-checked) with its audit
// entries.
func (s *Store) RenameWorkspace(ctx context.Context, w collab.Workspace, name string, audit ...collab.AuditEntry) (collab.Workspace, error) {
	if err := s.transactAudited(ctx, audit, s.versioned(workspaceKey(w.ID), w.Version, "SET #n = :n", map[string]string{"#n": "name"},
		map[string]types.AttributeValue{":n": str(name)}, collab.Stale(collab.RecordWorkspace))); err != nil {
		return collab.Workspace{}, err
	}
	w.Name, w.Version = name, w.Version+1
	return w, nil
}

// WorkspaceContents reads what a workspace holds: its project count (one
// count query on the workspace's project index), collaborators, members
// and pending collaborator invitations.
func (s *Store) WorkspaceContents(ctx context.Context, wsID string) (collab.WorkspaceContents, error) {
	var held collab.WorkspaceContents
	var err error
	if held.Workspace, err = s.GetWorkspace(ctx, wsID); err != nil {
		return held, err
	}
	pk, sk := workspaceProjectsOf(wsID)
	if held.Projects, err = s.count(ctx, queryInput{index: indexGSI2, pk: pk, skPrefix: sk}); err != nil {
		return held, err
	}
	if held.Collaborators, err = s.ListCollaborators(ctx, wsID); err != nil {
		return held, err
	}
	mpk, msk := workspaceMembersOf(wsID)
	rows, err := allRows[workspaceMemberRow](ctx, s, queryInput{pk: mpk, skPrefix: msk}, 0)
	if err != nil {
		return held, err
	}
	for _, r := range rows {
		held.Members = append(held.Members, r.domain())
	}
	held.Invitations, err = s.allInvitations(ctx, collab.InvitationScope{Kind: "workspace", ID: wsID})
	return held, err
}

// workspaceGone is the delete of a workspace row: version-checked, and only
// while no project counts on it.
func (s *Store) workspaceGone(w collab.Workspace) txItem {
	return txItem{write: types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: keyAV(workspaceKey(w.ID)),
		ConditionExpression:       aws.String("v = :v AND (attribute_not_exists(projects) OR projects <= :zero)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(w.Version), ":zero": n(0)}}},
		onConflict: collab.Errorf(collab.CodeConflict, "the workspace changed meanwhile (a project may have been added); reload and retry")}
}

// workspaceUnits are the deletes of what a workspace holds besides its
// row: its members and its pending invitations, one write each.
func (s *Store) workspaceUnits(held collab.WorkspaceContents) [][]txItem {
	var units [][]txItem
	for _, inv := range held.Invitations {
		units = append(units, []txItem{s.revoke(inv)})
	}
	for _, m := range held.Members {
		units = append(units, []txItem{s.deleteVersioned(workspaceMemberKey(m.WorkspaceID, m.UserID), m.Version, collab.Stale(collab.RecordWorkspaceRole))})
	}
	return units
}

// DeleteWorkspace deletes a workspace with its members and pending
// invitations; the workspace row (version-checked, only with no project
// counted on it) and the audit entries commit last, in one transaction with
// everything when it fits, so a repeat of a cut-off delete finishes it.
func (s *Store) DeleteWorkspace(ctx context.Context, held collab.WorkspaceContents, audit ...collab.AuditEntry) error {
	last, err := s.auditItems(audit)
	if err != nil {
		return err
	}
	return s.writeInOrder(ctx, nil, s.workspaceUnits(held), append(last, s.workspaceGone(held.Workspace)))
}

// GetOrgs reads orgs by id in batches; missing ones are left out.
func (s *Store) GetOrgs(ctx context.Context, orgIDs []string) (map[string]collab.Org, error) {
	ks := make([]keys, len(orgIDs))
	for i, id := range orgIDs {
		ks[i] = orgKey(id)
	}
	found, err := s.batchGet(ctx, ks)
	if err != nil {
		return nil, err
	}
	out := make(map[string]collab.Org, len(found))
	for _, item := range found {
		var r orgRow
		if err := attributevalue.UnmarshalMap(item, &r); err != nil {
			return nil, err
		}
		out[r.ID] = r.domain()
	}
	return out, nil
}

// GetWorkspace reads a workspace.
func (s *Store) GetWorkspace(ctx context.Context, wsID string) (collab.Workspace, error) {
	var r workspaceRow
	if err := s.get(ctx, workspaceKey(wsID), &r, collab.NotFound(collab.RecordWorkspace, wsID)); err != nil {
		return collab.Workspace{}, err
	}
	return r.domain(), nil
}

// ListOrgWorkspaces lists an org's own workspaces.
func (s *Store) ListOrgWorkspaces(ctx context.Context, orgID string, p collab.Page) ([]collab.Workspace, string, error) {
	pk, sk := workspacesOf(orgID)
	var rows []workspaceRow
	next, err := s.query(ctx, queryInput{index: indexGSI1, pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor}, &rows)
	out := make([]collab.Workspace, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, next, err
}
