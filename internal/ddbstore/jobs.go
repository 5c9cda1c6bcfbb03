// Background jobs and their checkpoints.

package ddbstore

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

type jobRow struct {
	keys
	meta
	ID          string         `dynamodbav:"id"`
	Kind        string         `dynamodbav:"kind"`
	Status      string         `dynamodbav:"status"`
	WorkspaceID string         `dynamodbav:"workspaceId"`
	OrgID       string         `dynamodbav:"orgId"`
	Role        string         `dynamodbav:"role,omitempty"`
	ProjectID   string         `dynamodbav:"projectId,omitempty"`
	TaskID      string         `dynamodbav:"taskId,omitempty"`
	Targets     []string       `dynamodbav:"targets,omitempty"`
	CreatedBy   string         `dynamodbav:"createdBy"`
	CreatedAt   time.Time      `dynamodbav:"createdAt"`
	UpdatedAt   time.Time      `dynamodbav:"updatedAt"`
	Done        int            `dynamodbav:"done"`
	Total       int            `dynamodbav:"total"`
	Written     int            `dynamodbav:"written"`
	Errors      []string       `dynamodbav:"errors,omitempty"`
	Reason      string         `dynamodbav:"reason,omitempty"`
	Failures    int            `dynamodbav:"failures,omitempty"`
	LastError   string         `dynamodbav:"lastError,omitempty"`
	Phase       string         `dynamodbav:"phase,omitempty"`
	Cursor      string         `dynamodbav:"cursor,omitempty"`
	Counts      map[string]int `dynamodbav:"counts,omitempty"`
}

func toJobRow(j collab.Job) jobRow {
	return jobRow{keys: jobKey(j.ID), meta: meta{Type: "job", Version: j.Version}, ID: j.ID, Kind: string(j.Kind),
		Status: string(j.Status), WorkspaceID: j.WorkspaceID, OrgID: j.OrgID, Role: string(j.Role), ProjectID: j.ProjectID, TaskID: j.TaskID, Targets: j.Targets, CreatedBy: j.CreatedBy,
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, Done: j.Done, Total: j.Total, Written: j.Written, Errors: j.Errors,
		Reason: j.Reason, Failures: j.Failures, LastError: j.LastError, Phase: j.Phase, Cursor: j.Cursor, Counts: j.Counts}
}

func (r jobRow) domain() collab.Job {
	return collab.Job{ID: r.ID, Kind: collab.JobKind(r.Kind), Status: collab.JobStatus(r.Status), WorkspaceID: r.WorkspaceID,
		OrgID: r.OrgID, Role: collab.WorkspaceRole(r.Role), ProjectID: r.ProjectID, TaskID: r.TaskID, Targets: r.Targets, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Done: r.Done, Total: r.Total, Written: r.Written, Errors: r.Errors, Reason: r.Reason, Failures: r.Failures, LastError: r.LastError,
		Phase: r.Phase, Cursor: r.Cursor, Counts: r.Counts, Version: r.Version}
}

// CreateJob writes a new job with its audit entries.
func (s *Store) CreateJob(ctx context.Context, j collab.Job, audit ...collab.AuditEntry) error {
	it, err := s.putNew(toJobRow(j), collab.AlreadyExists(collab.RecordJob, j.ID))
	if err != nil {
		return err
	}
	return s.transactAudited(ctx, audit, it)
}

// GetJob reads a job.
func (s *Store) GetJob(ctx context.Context, id string) (collab.Job, error) {
	var r jobRow
	if err := s.get(ctx, jobKey(id), &r, collab.NotFound(collab.RecordJob, id)); err != nil {
		return collab.Job{}, err
	}
	return r.domain(), nil
}

// SaveJob writes a checkpoint if nobody else moved the job meanwhile, with
// its audit entries in the same transaction.
func (s *Store) SaveJob(ctx context.Context, j collab.Job, audit ...collab.AuditEntry) error {
	row := toJobRow(j)
	row.Version = j.Version + 1
	av, err := attributevalue.MarshalMap(row)
	if err != nil {
		return err
	}
	return s.transactAudited(ctx, audit, txItem{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av,
		ConditionExpression: aws.String("v = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(j.Version)}}},
		onConflict: collab.Stale(collab.RecordJob)})
}
