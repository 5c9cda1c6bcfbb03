// Items: the files a project annotates.

package ddbstore

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

type itemRow struct {
	keys
	gsi1
	gsi2
	gsi3
	meta
	ID             string    `dynamodbav:"id"`
	ProjectID      string    `dynamodbav:"projectId"`
	Name           string    `dynamodbav:"name"`
	FileRef        string    `dynamodbav:"fileRef,omitempty"`
	Status         string    `dynamodbav:"status"`
	AssigneeID     string    `dynamodbav:"assigneeId,omitempty"`
	OrgID          string    `dynamodbav:"orgId"`
	TaskID         string    `dynamodbav:"taskId,omitempty"`
	TaskKind       string    `dynamodbav:"taskKind,omitempty"`
	ReviewerID     string    `dynamodbav:"reviewerId,omitempty"`
	SegmentStart   time.Time `dynamodbav:"segmentStart,omitempty"`
	LastAnnotator  string    `dynamodbav:"lastAnnotator,omitempty"`
	Annotation     []byte    `dynamodbav:"annotation,omitempty"`
	PendingHandoff string    `dynamodbav:"pendingHandoff,omitempty"`
	StatusSince    time.Time `dynamodbav:"statusSince"`
	CreatedAt      time.Time `dynamodbav:"createdAt"`
	CreatedBy      string    `dynamodbav:"createdBy"`
}

func toItemRow(it collab.Item) itemRow {
	g1, g2 := itemIndexes(it)
	return itemRow{keys: itemKey(it.ProjectID, it.ID), gsi1: g1, gsi2: g2, gsi3: taskItemIndex(it), meta: meta{Type: "item", Version: it.Version},
		ID: it.ID, ProjectID: it.ProjectID, Name: it.Name, FileRef: it.FileRef, Status: string(it.Status), AssigneeID: it.AssigneeID,
		OrgID: it.OrgID, TaskID: it.TaskID, TaskKind: string(it.TaskKind), ReviewerID: it.ReviewerID, SegmentStart: it.SegmentStart, LastAnnotator: it.LastAnnotator, Annotation: it.Annotation, PendingHandoff: it.PendingHandoff,
		StatusSince: it.StatusSince, CreatedAt: it.CreatedAt, CreatedBy: it.CreatedBy}
}

func (r itemRow) domain() collab.Item {
	return collab.Item{ID: r.ID, ProjectID: r.ProjectID, Name: r.Name, FileRef: r.FileRef, Status: collab.ItemStatus(r.Status),
		AssigneeID: r.AssigneeID, OrgID: r.OrgID, TaskID: r.TaskID, TaskKind: collab.TaskKind(r.TaskKind), ReviewerID: r.ReviewerID,
		SegmentStart: r.SegmentStart, LastAnnotator: r.LastAnnotator, Annotation: r.Annotation,
		PendingHandoff: r.PendingHandoff, StatusSince: r.StatusSince, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy, Version: r.Version}
}

// CreateItem registers an item (the project must exist).
func (s *Store) CreateItem(ctx context.Context, it collab.Item) error {
	put, err := s.putNew(toItemRow(it), collab.AlreadyExists(collab.RecordItem, it.ID))
	if err != nil {
		return err
	}
	return s.transact(ctx, put, txItem{write: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &s.table,
		Key: keyAV(projectKey(it.ProjectID)), ConditionExpression: aws.String("attribute_exists(PK)")}},
		onConflict: collab.NotFound(collab.RecordProject, it.ProjectID)})
}

// GetItem reads an item.
func (s *Store) GetItem(ctx context.Context, projectID, itemID string) (collab.Item, error) {
	var r itemRow
	if err := s.get(ctx, itemKey(projectID, itemID), &r, collab.NotFound(collab.RecordItem, itemID)); err != nil {
		return collab.Item{}, err
	}
	return r.domain(), nil
}

// ListItems lists items in one status through the host or the per-org index.
func (s *Store) ListItems(ctx context.Context, projectID string, st collab.ItemStatus, orgID, assigneeID string, p collab.Page) ([]collab.Item, string, error) {
	q := queryInput{index: indexGSI1, limit: p.Limit, cursor: p.Cursor, pk: itemsByStatus(projectID, st), skPrefix: prefixItem}
	if orgID != "" {
		q.index, q.pk = indexGSI2, orgItemsByStatus(projectID, orgID, st)
	}
	if assigneeID != "" {
		q.filter, q.filterScope = "assigneeId = :me", assigneeID
		q.filterValues = map[string]types.AttributeValue{":me": str(assigneeID)}
	}
	var rows []itemRow
	next, err := s.queryShards(ctx, q, &rows)
	out := make([]collab.Item, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
		out[i].Annotation = nil // lists carry no documents
	}
	return out, next, err
}

// ListOrgItems lists one org's items that are not done or skipped.
func (s *Store) ListOrgItems(ctx context.Context, projectID, orgID string) ([]collab.Item, error) {
	var out []collab.Item
	for _, st := range collab.ItemStatuses {
		if st == collab.StDone || st == collab.StSkipped {
			continue
		}
		rows, err := allShardRows[itemRow](ctx, s, queryInput{index: indexGSI2, pk: orgItemsByStatus(projectID, orgID, st), skPrefix: prefixItem}, 100000)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, r.domain())
		}
	}
	return out, nil
}
