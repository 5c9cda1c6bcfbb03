package ddbstore

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

func toCollaboratorRow(c collab.Collaborator) collaboratorRow {
	return collaboratorRow{keys: collaboratorKey(c.WorkspaceID, c.OrgID), gsi1: collaboratorIndex(c.WorkspaceID, c.OrgID),
		meta: meta{Type: typeCollab, Version: c.Version}, WorkspaceID: c.WorkspaceID, OrgID: c.OrgID, OrgName: c.OrgName,
		Types: typesOut(c.Types), AccessMode: c.Access.Mode, AccessIDs: c.Access.ProjectIDs, AutoInvite: c.AutoInvite,
		AutoInviteRole: string(c.AutoInviteRole), AddedAt: c.AddedAt, RemovingJob: c.RemovingJob}
}

func (r collaboratorRow) domain() collab.Collaborator {
	return collab.Collaborator{WorkspaceID: r.WorkspaceID, OrgID: r.OrgID, OrgName: r.OrgName, Types: typesIn(r.Types),
		Access: collab.ProjectAccess{Mode: r.AccessMode, ProjectIDs: r.AccessIDs}, AutoInvite: r.AutoInvite,
		AutoInviteRole: collab.WorkspaceRole(r.AutoInviteRole), AddedAt: r.AddedAt, RemovingJob: r.RemovingJob, Version: r.Version}
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
	rows, err := allRows[collaboratorRow](ctx, s, queryInput{index: indexGSI1, pk: prefixOrg + orgID, skPrefix: prefixCollab}, 10000)
	out := make([]collab.Collaborator, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, err
}

// GetCollaborator reads one collaborator.
func (s *Store) GetCollaborator(ctx context.Context, wsID, orgID string) (collab.Collaborator, error) {
	var r collaboratorRow
	if err := s.get(ctx, collaboratorKey(wsID, orgID), &r, collab.Errorf(collab.CodeNotFound, "collaborator %q not found", orgID)); err != nil {
		return collab.Collaborator{}, err
	}
	return r.domain(), nil
}

// PutCollaborator creates a collaborator, with its audit entries, in one
// transaction.
func (s *Store) PutCollaborator(ctx context.Context, c collab.Collaborator, audit ...collab.AuditEntry) error {
	it, err := s.putNew(toCollaboratorRow(c), collab.Errorf(collab.CodeConflict, "org %q already collaborates in this workspace", c.OrgID))
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
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(version)}}}, onConflict: changed("the collaborator")}}
	for _, m := range remove {
		items = append(items, s.deleteVersioned(workspaceMemberKey(m.WorkspaceID, m.UserID), m.Version, changed("a workspace member")))
	}
	return s.transactAudited(ctx, audit, items...)
}

// MarkCollaboratorRemoving flags the collaborator as being removed and
// writes the removal job, in one transaction.
func (s *Store) MarkCollaboratorRemoving(ctx context.Context, c collab.Collaborator, j collab.Job, audit ...collab.AuditEntry) error {
	job, err := s.putNew(toJobRow(j), collab.Errorf(collab.CodeConflict, "job exists"))
	if err != nil {
		return err
	}
	return s.transactAudited(ctx, audit, s.versioned(collaboratorKey(c.WorkspaceID, c.OrgID), c.Version, "SET removingJob = :j", nil,
		map[string]types.AttributeValue{":j": str(j.ID)}, changed("the collaborator")), job)
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
			onConflict: changed("the collaborator")})
	}
	return s.transactAudited(ctx, audit, items...)
}

// DeleteWorkspaceMember removes one workspace role (version-checked).
func (s *Store) DeleteWorkspaceMember(ctx context.Context, m collab.WorkspaceMember, audit ...collab.AuditEntry) error {
	return s.transactAudited(ctx, audit, s.deleteVersioned(workspaceMemberKey(m.WorkspaceID, m.UserID), m.Version, changed("the workspace role")))
}

// DeleteCollaborator deletes the collaborator item.
func (s *Store) DeleteCollaborator(ctx context.Context, wsID, orgID string) error {
	return s.transact(ctx, s.deleteKey(collaboratorKey(wsID, orgID)))
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

// PutWorkspaceMembers writes memberships in batches of 25 (idempotent puts;
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

// DeleteWorkspaceMembers deletes memberships in batches of 25.
func (s *Store) DeleteWorkspaceMembers(ctx context.Context, ms []collab.WorkspaceMember) error {
	ks := make([]keys, len(ms))
	for i, m := range ms {
		ks[i] = workspaceMemberKey(m.WorkspaceID, m.UserID)
	}
	return s.batchDelete(ctx, ks)
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

// DeletePartner deletes a partner item (version-checked) with its audit
// entries.
func (s *Store) DeletePartner(ctx context.Context, p collab.Partner, audit ...collab.AuditEntry) error {
	return s.transactAudited(ctx, audit, s.deleteVersioned(partnerKey(p.ProjectID, p.OrgID), p.Version, changed("the partner")))
}

// RemoveOrgFromProject deletes the partner item, every project membership
// of the org on the project (found through the per-org index) and the
// links of the org's groups to the project, so nothing the org had there
// grants anything later.
func (s *Store) RemoveOrgFromProject(ctx context.Context, projectID, orgID string) (int, error) {
	ks := []keys{partnerKey(projectID, orgID)}
	pk, sk := projectOrgMembersOf(projectID, orgID)
	err := s.queryAll(ctx, queryInput{index: indexGSI2, pk: pk, skPrefix: sk}, 0, func(items []map[string]types.AttributeValue) error {
		for _, it := range items {
			ks = append(ks, keyOf(it))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	members := len(ks) - 1
	gpk, gsk := projectGroupsOf(projectID)
	links, err := allRows[groupLinkRow](ctx, s, queryInput{index: indexGSI2, pk: gpk, skPrefix: gsk}, 10000)
	if err != nil {
		return 0, err
	}
	for _, l := range links {
		if l.OrgID == orgID {
			ks = append(ks, l.keys)
		}
	}
	return members, s.batchDelete(ctx, ks)
}

type jobRow struct {
	keys
	meta
	ID          string    `dynamodbav:"id"`
	Kind        string    `dynamodbav:"kind"`
	Status      string    `dynamodbav:"status"`
	WorkspaceID string    `dynamodbav:"workspaceId"`
	OrgID       string    `dynamodbav:"orgId"`
	Role        string    `dynamodbav:"role,omitempty"`
	CreatedBy   string    `dynamodbav:"createdBy"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
	UpdatedAt   time.Time `dynamodbav:"updatedAt"`
	Done        int       `dynamodbav:"done"`
	Total       int       `dynamodbav:"total"`
	Written     int       `dynamodbav:"written"`
	Errors      []string  `dynamodbav:"errors,omitempty"`
	Phase       string    `dynamodbav:"phase,omitempty"`
	Cursor      string    `dynamodbav:"cursor,omitempty"`
}

func toJobRow(j collab.Job) jobRow {
	return jobRow{keys: jobKey(j.ID), meta: meta{Type: "job", Version: j.Version}, ID: j.ID, Kind: string(j.Kind),
		Status: string(j.Status), WorkspaceID: j.WorkspaceID, OrgID: j.OrgID, Role: string(j.Role), CreatedBy: j.CreatedBy,
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, Done: j.Done, Total: j.Total, Written: j.Written, Errors: j.Errors,
		Phase: j.Phase, Cursor: j.Cursor}
}

func (r jobRow) domain() collab.Job {
	return collab.Job{ID: r.ID, Kind: collab.JobKind(r.Kind), Status: collab.JobStatus(r.Status), WorkspaceID: r.WorkspaceID,
		OrgID: r.OrgID, Role: collab.WorkspaceRole(r.Role), CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Done: r.Done, Total: r.Total, Written: r.Written, Errors: r.Errors, Phase: r.Phase, Cursor: r.Cursor, Version: r.Version}
}

// CreateJob writes a new job with its audit entries.
func (s *Store) CreateJob(ctx context.Context, j collab.Job, audit ...collab.AuditEntry) error {
	it, err := s.putNew(toJobRow(j), collab.Errorf(collab.CodeConflict, "job exists"))
	if err != nil {
		return err
	}
	return s.transactAudited(ctx, audit, it)
}

// GetJob reads a job.
func (s *Store) GetJob(ctx context.Context, id string) (collab.Job, error) {
	var r jobRow
	if err := s.get(ctx, jobKey(id), &r, collab.Errorf(collab.CodeNotFound, "job %q not found", id)); err != nil {
		return collab.Job{}, err
	}
	return r.domain(), nil
}

// SaveJob writes a checkpoint if nobody else moved the job meanwhile.
func (s *Store) SaveJob(ctx context.Context, j collab.Job) error {
	row := toJobRow(j)
	row.Version = j.Version + 1
	av, err := attributevalue.MarshalMap(row)
	if err != nil {
		return err
	}
	return s.transact(ctx, txItem{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av,
		ConditionExpression: aws.String("v = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(j.Version)}}},
		onConflict: changed("the job")})
}
