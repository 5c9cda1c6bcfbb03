// Tasks: named sets of a project's items handed to one org, and the task
// index over their items.

package ddbstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

type taskRow struct {
	keys
	gsi2
	meta
	ID        string    `dynamodbav:"id"`
	ProjectID string    `dynamodbav:"projectId"`
	Name      string    `dynamodbav:"name"`
	Kind      string    `dynamodbav:"kind"`
	OrgID     string    `dynamodbav:"orgId"`
	DueAt     time.Time `dynamodbav:"dueAt,omitempty"`
	AllowPull bool      `dynamodbav:"allowPull"`
	CreatedBy string    `dynamodbav:"createdBy"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
}

func toTaskRow(t collab.Task) taskRow {
	return taskRow{keys: taskKey(t.ProjectID, t.ID), gsi2: orgTaskIndex(t.ProjectID, t.OrgID, t.ID), meta: meta{Type: "task", Version: t.Version},
		ID: t.ID, ProjectID: t.ProjectID, Name: t.Name, Kind: string(t.Kind), OrgID: t.OrgID, DueAt: t.DueAt, AllowPull: t.AllowPull,
		CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt}
}

func (r taskRow) domain() collab.Task {
	return collab.Task{ID: r.ID, ProjectID: r.ProjectID, Name: r.Name, Kind: collab.TaskKind(r.Kind), OrgID: r.OrgID, DueAt: r.DueAt,
		AllowPull: r.AllowPull, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, Version: r.Version}
}

// CreateTask writes a new task of an existing project, with its audit entry.
func (s *Store) CreateTask(ctx context.Context, t collab.Task, audit ...collab.AuditEntry) error {
	put, err := s.putNew(toTaskRow(t), collab.AlreadyExists(collab.RecordTask, t.ID))
	if err != nil {
		return err
	}
	return s.transactAudited(ctx, audit, put, txItem{write: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &s.table,
		Key: keyAV(projectKey(t.ProjectID)), ConditionExpression: aws.String("attribute_exists(PK)")}},
		onConflict: collab.NotFound(collab.RecordProject, t.ProjectID)})
}

// GetTask reads a task.
func (s *Store) GetTask(ctx context.Context, projectID, taskID string) (collab.Task, error) {
	var r taskRow
	if err := s.get(ctx, taskKey(projectID, taskID), &r, collab.NotFound(collab.RecordTask, taskID)); err != nil {
		return collab.Task{}, err
	}
	return r.domain(), nil
}

// ListTasks lists a project's tasks, or one org's through GSI2.
func (s *Store) ListTasks(ctx context.Context, projectID, orgID string, p collab.Page) ([]collab.Task, string, error) {
	q := queryInput{limit: p.Limit, cursor: p.Cursor}
	q.pk, q.skPrefix = tasksOf(projectID)
	if orgID != "" {
		q.index = indexGSI2
		q.pk, q.skPrefix = orgTasksOf(projectID, orgID)
	}
	var rows []taskRow
	next, err := s.query(ctx, q, &rows)
	out := make([]collab.Task, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, next, err
}

// UpdateTask saves a task if its version is still t.Version.
func (s *Store) UpdateTask(ctx context.Context, t collab.Task, audit ...collab.AuditEntry) (collab.Task, error) {
	row := toTaskRow(t)
	row.Version = t.Version + 1
	av, err := attributevalue.MarshalMap(row)
	if err != nil {
		return collab.Task{}, err
	}
	if err := s.transactAudited(ctx, audit, txItem{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av,
		ConditionExpression: aws.String("v = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(t.Version)}}},
		onConflict: collab.Stale(collab.RecordTask)}); err != nil {
		return collab.Task{}, err
	}
	t.Version++
	return t, nil
}

// DeleteTask deletes a task at the version read.
func (s *Store) DeleteTask(ctx context.Context, t collab.Task, audit ...collab.AuditEntry) error {
	return s.transactAudited(ctx, audit, s.deleteVersioned(taskKey(t.ProjectID, t.ID), t.Version, collab.Stale(collab.RecordTask)))
}

// TaskItems lists a task's items from the task index (GSI3), reading only
// the index's sort keys: by holder (nil: all; "": unassigned) and status
// (none: all), at most limit of them (0: all).
func (s *Store) TaskItems(ctx context.Context, projectID, taskID string, holder *string, statuses []collab.ItemStatus, limit int) ([]collab.TaskItemRef, error) {
	var prefixes []string
	switch {
	case holder == nil:
		_, sk := taskItemsOf(taskID, "", "")
		prefixes = []string{sk}
	case len(statuses) == 0:
		_, sk := taskItemsOf(taskID, holderOr(*holder), "")
		prefixes = []string{sk}
	default:
		for _, st := range statuses {
			_, sk := taskItemsOf(taskID, holderOr(*holder), st)
			prefixes = append(prefixes, sk)
		}
	}
	pk, _ := taskItemsOf(taskID, "", "")
	var out []collab.TaskItemRef
	for _, prefix := range prefixes {
		q := queryInput{index: indexGSI3, pk: pk, skPrefix: prefix}
		in := s.queryInput(q)
		in.ProjectionExpression = aws.String(attrGSI3SK)
		for {
			if limit > 0 {
				in.Limit = aws.Int32(int32(limit - len(out)))
			}
			res, err := s.db.Query(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("task items %s: %w", taskID, err)
			}
			meter(ctx, true, consumed(res.ConsumedCapacity)...)
			for _, item := range res.Items {
				sk, _ := item[attrGSI3SK].(*types.AttributeValueMemberS)
				if sk == nil {
					continue
				}
				if h, st, id, ok := parseTaskItemSK(sk.Value); ok {
					out = append(out, collab.TaskItemRef{ItemID: id, Holder: h, Status: st})
				}
			}
			if limit > 0 && len(out) >= limit {
				return out[:limit], nil
			}
			if len(res.LastEvaluatedKey) == 0 {
				break
			}
			in.ExclusiveStartKey = res.LastEvaluatedKey
		}
	}
	return out, nil
}

// GetItems reads items by id (consistent batch reads); absent ones are
// left out.
func (s *Store) GetItems(ctx context.Context, projectID string, itemIDs []string) (map[string]collab.Item, error) {
	ks := make([]keys, len(itemIDs))
	for i, id := range itemIDs {
		ks[i] = itemKey(projectID, id)
	}
	found, err := s.batchGet(ctx, ks)
	if err != nil {
		return nil, err
	}
	out := make(map[string]collab.Item, len(found))
	for _, item := range found {
		var r itemRow
		if err := attributevalue.UnmarshalMap(item, &r); err != nil {
			return nil, fmt.Errorf("decode item: %w", err)
		}
		out[r.ID] = r.domain()
	}
	return out, nil
}

// ReadTaskAnalytics sums a task's counters over [fromDay, toDay]: in total
// and per member.
func (s *Store) ReadTaskAnalytics(ctx context.Context, projectID, taskID, fromDay, toDay string) (collab.Analytics, map[string]collab.Analytics, error) {
	total := collab.NewAnalytics()
	sums, err := s.sumCounters(ctx, taskStatsOf(projectID, taskID), fromDay, toDay)
	if err != nil {
		return total, nil, err
	}
	members := map[string]collab.Analytics{}
	for user, counts := range sums {
		a := collab.NewAnalytics()
		for c, v := range counts {
			a.Add(c, v)
			total.Add(c, v)
		}
		members[user] = a
	}
	return total, members, nil
}

// ReadOrgReviewCounts sums a project's review-metrics counters over
// [fromDay, toDay], per org.
func (s *Store) ReadOrgReviewCounts(ctx context.Context, projectID, fromDay, toDay string) (map[string]map[collab.Counter]int, error) {
	return s.sumCounters(ctx, orgReviewStatsOf(projectID), fromDay, toDay)
}

// sumCounters sums the counter rows of [fromDay, toDay] in every shard of
// base (queried at once), per owner (counterOwner).
func (s *Store) sumCounters(ctx context.Context, base, fromDay, toDay string) (map[string]map[collab.Counter]int, error) {
	from, to := counterDays(fromDay, toDay)
	shards := spreadKeys(base)
	found := make([][]map[string]types.AttributeValue, len(shards))
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, pk := range shards {
		wg.Go(func() {
			in := &dynamodb.QueryInput{TableName: &s.table,
				KeyConditionExpression:    aws.String("PK = :pk AND SK BETWEEN :from AND :to"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":from": str(from), ":to": str(to)},
				ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal}
			for {
				res, err := s.db.Query(ctx, in)
				if err != nil {
					errs[i] = fmt.Errorf("counters %s: %w", pk, err)
					return
				}
				meter(ctx, true, consumed(res.ConsumedCapacity)...)
				found[i] = append(found[i], res.Items...)
				if len(res.LastEvaluatedKey) == 0 {
					return
				}
				in.ExclusiveStartKey = res.LastEvaluatedKey
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sums := map[string]map[collab.Counter]int{}
	for _, items := range found {
		for _, item := range items {
			var m map[string]any
			if err := attributevalue.UnmarshalMap(item, &m); err != nil {
				return nil, err
			}
			owner := counterOwner(fmt.Sprint(m[attrSK]))
			counts, ok := sums[owner]
			if !ok {
				counts = map[collab.Counter]int{}
				sums[owner] = counts
			}
			for name, v := range m {
				if f, ok := v.(float64); ok && name != "v" {
					counts[collab.Counter(name)] += int(f)
				}
			}
		}
	}
	return sums, nil
}
