package ddbstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

type itemRow struct {
	keys
	gsi1
	gsi2
	meta
	ID             string    `dynamodbav:"id"`
	ProjectID      string    `dynamodbav:"projectId"`
	Name           string    `dynamodbav:"name"`
	FileRef        string    `dynamodbav:"fileRef,omitempty"`
	Status         string    `dynamodbav:"status"`
	AssigneeID     string    `dynamodbav:"assigneeId,omitempty"`
	OrgID          string    `dynamodbav:"orgId"`
	LastAnnotator  string    `dynamodbav:"lastAnnotator,omitempty"`
	Annotation     []byte    `dynamodbav:"annotation,omitempty"`
	PendingHandoff string    `dynamodbav:"pendingHandoff,omitempty"`
	StatusSince    time.Time `dynamodbav:"statusSince"`
	CreatedAt      time.Time `dynamodbav:"createdAt"`
	CreatedBy      string    `dynamodbav:"createdBy"`
}

func toItemRow(it collab.Item) itemRow {
	g1, g2 := itemIndexes(it)
	return itemRow{keys: itemKey(it.ProjectID, it.ID), gsi1: g1, gsi2: g2, meta: meta{Type: "item", Version: it.Version},
		ID: it.ID, ProjectID: it.ProjectID, Name: it.Name, FileRef: it.FileRef, Status: string(it.Status), AssigneeID: it.AssigneeID,
		OrgID: it.OrgID, LastAnnotator: it.LastAnnotator, Annotation: it.Annotation, PendingHandoff: it.PendingHandoff,
		StatusSince: it.StatusSince, CreatedAt: it.CreatedAt, CreatedBy: it.CreatedBy}
}

func (r itemRow) domain() collab.Item {
	return collab.Item{ID: r.ID, ProjectID: r.ProjectID, Name: r.Name, FileRef: r.FileRef, Status: collab.ItemStatus(r.Status),
		AssigneeID: r.AssigneeID, OrgID: r.OrgID, LastAnnotator: r.LastAnnotator, Annotation: r.Annotation,
		PendingHandoff: r.PendingHandoff, StatusSince: r.StatusSince, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy, Version: r.Version}
}

// CreateItem registers an item (the project must exist).
func (s *Store) CreateItem(ctx context.Context, it collab.Item) error {
	put, err := s.putNew(toItemRow(it), collab.Errorf(collab.CodeConflict, "item exists"))
	if err != nil {
		return err
	}
	return s.transact(ctx, put, txItem{write: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &s.table,
		Key: keyAV(projectKey(it.ProjectID)), ConditionExpression: aws.String("attribute_exists(PK)")}},
		onConflict: collab.Errorf(collab.CodeNotFound, "project %q not found", it.ProjectID)})
}

// GetItem reads an item.
func (s *Store) GetItem(ctx context.Context, projectID, itemID string) (collab.Item, error) {
	var r itemRow
	if err := s.get(ctx, itemKey(projectID, itemID), &r, collab.Errorf(collab.CodeNotFound, "item %q not found", itemID)); err != nil {
		return collab.Item{}, err
	}
	return r.domain(), nil
}

// ListItems lists items in one status through the host or the per-org index.
func (s *Store) ListItems(ctx context.Context, projectID string, st collab.ItemStatus, orgID, assigneeID string, p collab.Page) ([]collab.Item, string, error) {
	q := queryInput{index: indexGSI1, limit: p.Limit, cursor: p.Cursor}
	q.pk, q.skPrefix = itemsByStatus(projectID, st)
	if orgID != "" {
		q.index = indexGSI2
		q.pk, q.skPrefix = orgItemsByStatus(projectID, orgID, st)
	}
	if assigneeID != "" {
		q.filter, q.filterScope = "assigneeId = :me", assigneeID
		q.filterValues = map[string]types.AttributeValue{":me": str(assigneeID)}
	}
	var rows []itemRow
	next, err := s.query(ctx, q, &rows)
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
		pk, sk := orgItemsByStatus(projectID, orgID, st)
		rows, err := allRows[itemRow](ctx, s, queryInput{index: indexGSI2, pk: pk, skPrefix: sk}, 100000)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, r.domain())
		}
	}
	return out, nil
}

type eventRow struct {
	keys
	meta
	ItemID  string    `dynamodbav:"itemId"`
	ID      string    `dynamodbav:"id"`
	From    string    `dynamodbav:"from"`
	To      string    `dynamodbav:"to"`
	ActorID string    `dynamodbav:"actorId"`
	OrgID   string    `dynamodbav:"orgId"`
	At      time.Time `dynamodbav:"at"`
	Comment string    `dynamodbav:"comment,omitempty"`
}

type outboxRow struct {
	keys
	meta
	ID    string    `dynamodbav:"id"`
	Queue string    `dynamodbav:"queue"`
	Group string    `dynamodbav:"group,omitempty"`
	Kind  string    `dynamodbav:"kind"`
	Body  []byte    `dynamodbav:"body"`
	At    time.Time `dynamodbav:"at"`
}

// ApplyItemChange writes a transition in one transaction: the item
// (conditioned on the version read), its history event, the analytics
// counters, the outbox messages and the audit entry.
func (s *Store) ApplyItemChange(ctx context.Context, ch collab.ItemChange) error {
	row := toItemRow(ch.After)
	row.Version = ch.Before.Version + 1
	av, err := attributevalue.MarshalMap(row)
	if err != nil {
		return err
	}
	items := []txItem{{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av,
		ConditionExpression: aws.String("v = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(ch.Before.Version)}}},
		onConflict: collab.Errorf(collab.CodeConflict, "the item changed meanwhile (version %d is stale); reload and retry", ch.Before.Version)}}
	if e := ch.Event; e != nil {
		it, err := s.putNew(eventRow{keys: itemEventKey(e.ItemID, e.At, e.ID), meta: meta{Type: "item_event", Version: 1},
			ItemID: e.ItemID, ID: e.ID, From: string(e.From), To: string(e.To), ActorID: e.ActorID, OrgID: e.OrgID, At: e.At, Comment: e.Comment}, nil)
		if err != nil {
			return err
		}
		items = append(items, it)
	}
	for _, d := range ch.Stats {
		var sets []string
		vals := map[string]types.AttributeValue{}
		names := map[string]string{}
		i := 0
		for k, v := range d.Counts {
			sets = append(sets, fmt.Sprintf("#c%d :c%d", i, i))
			names[fmt.Sprintf("#c%d", i)] = k
			vals[fmt.Sprintf(":c%d", i)] = n(v)
			i++
		}
		if len(sets) == 0 {
			continue
		}
		items = append(items, txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table,
			Key: keyAV(statsKey(d.ProjectID, d.UserID, d.Day)), UpdateExpression: aws.String("ADD " + strings.Join(sets, ", ")),
			ExpressionAttributeNames: names, ExpressionAttributeValues: vals}}})
	}
	for _, m := range ch.Outbox {
		it, err := s.putNew(outboxRow{keys: outboxKey(m.At, m.ID), meta: meta{Type: "outbox", Version: 1}, ID: m.ID, Queue: m.Queue,
			Group: m.Group, Kind: m.Kind, Body: m.Body, At: m.At}, nil)
		if err != nil {
			return err
		}
		items = append(items, it)
	}
	if e := ch.Audit; e != nil {
		av, err := attributevalue.MarshalMap(toAuditRow(*e))
		if err != nil {
			return err
		}
		items = append(items, txItem{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}})
	}
	return s.transact(ctx, items...)
}

// ListHistory lists an item's transitions, oldest first.
func (s *Store) ListHistory(ctx context.Context, itemID string, p collab.Page) ([]collab.ItemEvent, string, error) {
	pk, sk := itemEventsOf(itemID)
	var rows []eventRow
	next, err := s.query(ctx, queryInput{pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor}, &rows)
	out := make([]collab.ItemEvent, len(rows))
	for i, r := range rows {
		out[i] = collab.ItemEvent{ItemID: r.ItemID, ID: r.ID, From: collab.ItemStatus(r.From), To: collab.ItemStatus(r.To),
			ActorID: r.ActorID, OrgID: r.OrgID, At: r.At, Comment: r.Comment}
	}
	return out, next, err
}

type commentRow struct {
	keys
	meta
	ID       string    `dynamodbav:"id"`
	ItemID   string    `dynamodbav:"itemId"`
	AuthorID string    `dynamodbav:"authorId"`
	OrgID    string    `dynamodbav:"orgId"`
	Text     string    `dynamodbav:"text"`
	At       time.Time `dynamodbav:"at"`
}

// AddComment writes a comment.
func (s *Store) AddComment(ctx context.Context, c collab.Comment) error {
	it, err := s.putNew(commentRow{keys: commentKey(c.ItemID, c.At, c.ID), meta: meta{Type: "comment", Version: 1}, ID: c.ID,
		ItemID: c.ItemID, AuthorID: c.AuthorID, OrgID: c.OrgID, Text: c.Text, At: c.At}, nil)
	if err != nil {
		return err
	}
	return s.transact(ctx, it)
}

// ListComments lists an item's comments, oldest first.
func (s *Store) ListComments(ctx context.Context, itemID string, p collab.Page) ([]collab.Comment, string, error) {
	pk, sk := commentsOf(itemID)
	var rows []commentRow
	next, err := s.query(ctx, queryInput{pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor}, &rows)
	out := make([]collab.Comment, len(rows))
	for i, r := range rows {
		out[i] = collab.Comment{ID: r.ID, ItemID: r.ItemID, AuthorID: r.AuthorID, OrgID: r.OrgID, Text: r.Text, At: r.At}
	}
	return out, next, err
}

// ReadAnalytics sums a member's daily counters over [fromDay, toDay]: one
// query on the member's counter partition, never the history.
func (s *Store) ReadAnalytics(ctx context.Context, projectID, userID, fromDay, toDay string) (collab.Analytics, error) {
	pk, from, to := statsRange(projectID, userID, fromDay, toDay)
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{TableName: &s.table,
		KeyConditionExpression:    aws.String("PK = :pk AND SK BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":from": str(from), ":to": str(to)},
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal})
	if err != nil {
		return collab.Analytics{}, fmt.Errorf("analytics: %w", err)
	}
	meter(ctx, true, consumed(res.ConsumedCapacity)...)
	a := collab.Analytics{SecondsIn: map[collab.ItemStatus]int{}, TimesIn: map[collab.ItemStatus]int{}}
	for _, item := range res.Items {
		var m map[string]any
		if err := attributevalue.UnmarshalMap(item, &m); err != nil {
			return collab.Analytics{}, err
		}
		for name, v := range m {
			f, ok := v.(float64)
			if !ok {
				continue
			}
			c := int(f)
			switch {
			case name == "assigned":
				a.Assigned += c
			case name == "submitted":
				a.Submitted += c
			case name == "approved":
				a.Approved += c
			case name == "rejected":
				a.Rejected += c
			case strings.HasPrefix(name, "sec_"):
				a.SecondsIn[collab.ItemStatus(strings.TrimPrefix(name, "sec_"))] += c
			case strings.HasPrefix(name, "n_"):
				a.TimesIn[collab.ItemStatus(strings.TrimPrefix(name, "n_"))] += c
			}
		}
	}
	return a, nil
}

// ListOutbox lists outbox messages written before olderThan.
func (s *Store) ListOutbox(ctx context.Context, olderThan time.Time, limit int) ([]collab.OutboxMessage, error) {
	pk, before := outboxBefore(olderThan)
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{TableName: &s.table,
		KeyConditionExpression:    aws.String("PK = :pk AND SK < :before"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":before": str(before)},
		Limit:                     aws.Int32(int32(limit)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	var rows []outboxRow
	if err := attributevalue.UnmarshalListOfMaps(res.Items, &rows); err != nil {
		return nil, err
	}
	out := make([]collab.OutboxMessage, len(rows))
	for i, r := range rows {
		out[i] = collab.OutboxMessage{ID: r.ID, Queue: r.Queue, Group: r.Group, Kind: r.Kind, Body: r.Body, At: r.At}
	}
	return out, nil
}

// DeleteOutbox removes a relayed message.
func (s *Store) DeleteOutbox(ctx context.Context, m collab.OutboxMessage) error {
	return s.transact(ctx, s.deleteKey(outboxKey(m.At, m.ID)))
}

// SetProjectSettings saves the project's review settings (version-checked).
func (s *Store) SetProjectSettings(ctx context.Context, p collab.Project, audit ...collab.AuditEntry) (collab.Project, error) {
	if err := s.transactAudited(ctx, audit, s.versioned(projectKey(p.ID), p.Version, "SET hostMayBypass = :b", nil,
		map[string]types.AttributeValue{":b": &types.AttributeValueMemberBOOL{Value: p.HostMayBypassCollaboratorReview}}, changed("the project"))); err != nil {
		return collab.Project{}, err
	}
	p.Version++
	return p, nil
}
