// Workspace collaborators (orgs) and workspace members.

package ddbstore

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

type collaboratorRow struct {
	keys
	gsi1
	meta
	WorkspaceID    string    `dynamodbav:"workspaceId"`
	OrgID          string    `dynamodbav:"orgId"`
	OrgName        string    `dynamodbav:"orgName"`
	Types          []string  `dynamodbav:"types"`
	AccessMode     string    `dynamodbav:"accessMode"`
	AccessIDs      []string  `dynamodbav:"accessProjectIds,omitempty"`
	AutoInvite     bool      `dynamodbav:"autoInvite"`
	AutoInviteRole string    `dynamodbav:"autoInviteRole,omitempty"`
	AddedAt        time.Time `dynamodbav:"addedAt"`
	RemovingJob    string    `dynamodbav:"removingJob,omitempty"`
	EndsAt         time.Time `dynamodbav:"endsAt,omitempty"`
	EndWarned      bool      `dynamodbav:"endWarned,omitempty"`
	EndSetBy       string    `dynamodbav:"endSetBy,omitempty"`
	// PendingApproval: waiting for the collaborator org's approval.
	PendingApproval bool   `dynamodbav:"pendingApproval,omitempty"`
	AcceptedBy      string `dynamodbav:"acceptedBy,omitempty"`
	gsi3                   // in the index of collaborations by end time, while one is set
}

func toCollaboratorRow(c collab.Collaborator) collaboratorRow {
	return collaboratorRow{keys: collaboratorKey(c.WorkspaceID, c.OrgID), gsi1: collaboratorIndex(c.WorkspaceID, c.OrgID),
		meta: meta{Type: typeCollab, Version: c.Version}, WorkspaceID: c.WorkspaceID, OrgID: c.OrgID, OrgName: c.OrgName,
		Types: typesOut(c.Types), AccessMode: c.Access.Mode, AccessIDs: c.Access.ProjectIDs, AutoInvite: c.AutoInvite,
		AutoInviteRole: string(c.AutoInviteRole), AddedAt: c.AddedAt, RemovingJob: c.RemovingJob,
		EndsAt: c.EndsAt, EndWarned: c.EndWarned, EndSetBy: c.EndSetBy, PendingApproval: c.PendingApproval, AcceptedBy: c.AcceptedBy,
		gsi3: collaboratorEndIndex(c)}
}

func (r collaboratorRow) domain() collab.Collaborator {
	return collab.Collaborator{WorkspaceID: r.WorkspaceID, OrgID: r.OrgID, OrgName: r.OrgName, Types: typesIn(r.Types),
		Access: collab.ProjectAccess{Mode: r.AccessMode, ProjectIDs: r.AccessIDs}, AutoInvite: r.AutoInvite,
		AutoInviteRole: collab.WorkspaceRole(r.AutoInviteRole), AddedAt: r.AddedAt, RemovingJob: r.RemovingJob,
		EndsAt: r.EndsAt, EndWarned: r.EndWarned, EndSetBy: r.EndSetBy, PendingApproval: r.PendingApproval, AcceptedBy: r.AcceptedBy,
		Version: r.Version}
}

func typesOut(ts []collab.CollabType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

func typesIn(ts []string) []collab.CollabType {
	out := make([]collab.CollabType, len(ts))
	for i, t := range ts {
		out[i] = collab.CollabType(t)
	}
	return out
}

// ListCollaborators lists a workspace's collaborators.
func (s *Store) ListCollaborators(ctx context.Context, wsID string) ([]collab.Collaborator, error) {
	pk, sk := collaboratorsOf(wsID)
	rows, err := allRows[collaboratorRow](ctx, s, queryInput{pk: pk, skPrefix: sk}, 10000)
	out := make([]collab.Collaborator, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, err
}

// ListOrgCollaborations lists an org's collaborator items through GSI1.
func (s *Store) ListOrgCollaborations(ctx context.Context, orgID string) ([]collab.Collaborator, error) {
	pk, sk := collaborationsOf(orgID)
	rows, err := allRows[collaboratorRow](ctx, s, queryInput{index: indexGSI1, pk: pk, skPrefix: sk}, 10000)
	out := make([]collab.Collaborator, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, err
}

// GetCollaborator reads one collaborator.
func (s *Store) GetCollaborator(ctx context.Context, wsID, orgID string) (collab.Collaborator, error) {
	var r collaboratorRow
	if err := s.get(ctx, collaboratorKey(wsID, orgID), &r, collab.NotFound(collab.RecordCollaborator, orgID)); err != nil {
		return collab.Collaborator{}, err
	}
	return r.domain(), nil
}

// PutCollaborator creates a collaborator, with its audit entries, in one
// transaction.
func (s *Store) PutCollaborator(ctx context.Context, c collab.Collaborator, audit ...collab.AuditEntry) error {
	it, err := s.putNew(toCollaboratorRow(c), collab.AlreadyCollaborator(c.OrgID))
	if err != nil {
		return err
	}
	return s.transactAudited(ctx, audit, it)
}

// UpdateCollaborator saves the collaborator (version-checked, not while
// being removed) and deletes the given workspace memberships, in one
// transaction.
func (s *Store) UpdateCollaborator(ctx context.Context, c collab.Collaborator, version int, remove []collab.WorkspaceMember, audit ...collab.AuditEntry) error {
	row := toCollaboratorRow(c)
	row.Version = version + 1
	av, err := attributevalue.MarshalMap(row)
	if err != nil {
		return err
	}
	items := []txItem{{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av,
		ConditionExpression:       aws.String("v = :v AND attribute_not_exists(removingJob)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(version)}}}, onConflict: collab.Stale(collab.RecordCollaborator)}}
	for _, m := range remove {
		items = append(items, s.deleteVersioned(workspaceMemberKey(m.WorkspaceID, m.UserID), m.Version, collab.Stale(collab.RecordWorkspaceRole)))
	}
	return s.transactAudited(ctx, audit, items...)
}

// MarkCollaboratorRemoving flags the collaborator as being removed and
// writes the removal job, in one transaction.
func (s *Store) MarkCollaboratorRemoving(ctx context.Context, c collab.Collaborator, j collab.Job, audit ...collab.AuditEntry) error {
	job, err := s.putNew(toJobRow(j), collab.AlreadyExists(collab.RecordJob, j.ID))
	if err != nil {
		return err
	}
	return s.transactAudited(ctx, audit, s.versioned(collaboratorKey(c.WorkspaceID, c.OrgID), c.Version, "SET removingJob = :j REMOVE #g3pk, #g3sk",
		map[string]string{"#g3pk": attrGSI3PK, "#g3sk": attrGSI3SK},
		map[string]types.AttributeValue{":j": str(j.ID)}, collab.Stale(collab.RecordCollaborator)), job)
}

// DeleteCollaborator deletes the collaborator item.
func (s *Store) DeleteCollaborator(ctx context.Context, wsID, orgID string) error {
	return s.transact(ctx, s.deleteKey(collaboratorKey(wsID, orgID)))
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

// PutWorkspaceMember sets one workspace role. For a collaborator org's
// member it also bumps the collaborator's version (conditioned on the
// version the role was checked against, and on no removal having begun),
// so a concurrent change of the collaborator's types and this grant cannot
// both commit.
func (s *Store) PutWorkspaceMember(ctx context.Context, m collab.WorkspaceMember, through *collab.Collaborator, audit ...collab.AuditEntry) error {
	av, err := attributevalue.MarshalMap(toWorkspaceMemberRow(m))
	if err != nil {
		return err
	}
	items := []txItem{{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}}}
	if c := through; c != nil {
		items = append(items, txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table,
			Key: keyAV(collaboratorKey(c.WorkspaceID, c.OrgID)), UpdateExpression: aws.String("ADD v :one"),
			ConditionExpression:       aws.String("v = :v AND attribute_not_exists(removingJob)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(c.Version), ":one": n(1)}}},
			onConflict: collab.Stale(collab.RecordCollaborator)})
	}
	return s.transactAudited(ctx, audit, items...)
}

// DeleteWorkspaceMember removes one workspace role (version-checked).
func (s *Store) DeleteWorkspaceMember(ctx context.Context, m collab.WorkspaceMember, audit ...collab.AuditEntry) error {
	return s.transactAudited(ctx, audit, s.deleteVersioned(workspaceMemberKey(m.WorkspaceID, m.UserID), m.Version, collab.Stale(collab.RecordWorkspaceRole)))
}

// GetWorkspaceMembers reads many workspace memberships.
func (s *Store) GetWorkspaceMembers(ctx context.Context, wsID string, userIDs []string) (map[string]collab.WorkspaceMember, error) {
	rows, err := rowsByUser(ctx, s, userIDs, func(u string) keys { return workspaceMemberKey(wsID, u) },
		func(r workspaceMemberRow) string { return r.UserID })
	out := make(map[string]collab.WorkspaceMember, len(rows))
	for u, r := range rows {
		out[u] = r.domain()
	}
	return out, err
}

// ListWorkspaceMembers lists every workspace member of one org.
func (s *Store) ListWorkspaceMembers(ctx context.Context, wsID, orgID string) ([]collab.WorkspaceMember, error) {
	pk, sk := workspaceOrgMembersOf(wsID, orgID)
	rows, err := allRows[workspaceMemberRow](ctx, s, queryInput{index: indexGSI2, pk: pk, skPrefix: sk}, 100000)
	out := make([]collab.WorkspaceMember, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, err
}

// ListAllWorkspaceMembers lists one page of a workspace's members, every
// org's, from the workspace's partition.
func (s *Store) ListAllWorkspaceMembers(ctx context.Context, wsID string, p collab.Page) ([]collab.WorkspaceMember, string, error) {
	pk, sk := workspaceMembersOf(wsID)
	var rows []workspaceMemberRow
	next, err := s.query(ctx, queryInput{pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor}, &rows)
	out := make([]collab.WorkspaceMember, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, next, err
}

// ListWorkspaceMembersPage lists one page of an org's workspace members.
func (s *Store) ListWorkspaceMembersPage(ctx context.Context, wsID, orgID string, p collab.Page) ([]collab.WorkspaceMember, string, error) {
	pk, sk := workspaceOrgMembersOf(wsID, orgID)
	var rows []workspaceMemberRow
	next, err := s.query(ctx, queryInput{index: indexGSI2, pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor}, &rows)
	out := make([]collab.WorkspaceMember, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, next, err
}

// PutWorkspaceMembers writes memberships in batches of maxBatchWriteItems
// (idempotent puts;
// unprocessed items are retried).
func (s *Store) PutWorkspaceMembers(ctx context.Context, ms []collab.WorkspaceMember) error {
	reqs := make([]types.WriteRequest, 0, len(ms))
	for _, m := range ms {
		av, err := attributevalue.MarshalMap(toWorkspaceMemberRow(m))
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	return s.batchWrite(ctx, reqs)
}

// DeleteWorkspaceMembers deletes memberships in batches of
// maxBatchWriteItems.
func (s *Store) DeleteWorkspaceMembers(ctx context.Context, ms []collab.WorkspaceMember) error {
	ks := make([]keys, len(ms))
	for i, m := range ms {
		ks[i] = workspaceMemberKey(m.WorkspaceID, m.UserID)
	}
	return s.batchDelete(ctx, ks)
}

// SetCollaboratorEnd sets (or, with a zero time, clears) when a workspace
// collaboration ends, version-checked, with its audit entry (as
// SetPartnerEnd).
func (s *Store) SetCollaboratorEnd(ctx context.Context, c collab.Collaborator, endsAt time.Time, setBy string, audit ...collab.AuditEntry) error {
	c.EndsAt = endsAt
	return s.transactAudited(ctx, audit, s.setEnd(collaboratorKey(c.WorkspaceID, c.OrgID), c.Version, endsAt, setBy, collaboratorEndIndex(c),
		collab.Stale(collab.RecordCollaborator)))
}

// MarkCollaboratorEndWarned notes both orgs were told the collaboration's
// end draws near (version-checked).
func (s *Store) MarkCollaboratorEndWarned(ctx context.Context, c collab.Collaborator) error {
	return s.transact(ctx, s.versioned(collaboratorKey(c.WorkspaceID, c.OrgID), c.Version, "SET endWarned = :t", nil,
		map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}}, collab.Stale(collab.RecordCollaborator)))
}

// ListCollaboratorEnds lists the collaborations (workspace, org) whose end
// is at or before t, soonest first (at most limit).
func (s *Store) ListCollaboratorEnds(ctx context.Context, t time.Time, limit int) ([][2]string, error) {
	return s.listEnds(ctx, pkCollaboratorEnds, t, limit, collaboratorOfKey)
}

// ApproveCollaborator ends a collaboration's wait for its org's approval
// (version-checked), with the audit entry.
func (s *Store) ApproveCollaborator(ctx context.Context, c collab.Collaborator, audit ...collab.AuditEntry) error {
	return s.transactAudited(ctx, audit, s.versioned(collaboratorKey(c.WorkspaceID, c.OrgID), c.Version, "REMOVE pendingApproval", nil, nil,
		collab.Stale(collab.RecordCollaborator)))
}
