// Review: item transitions, their history, comments and analytics counters.

package ddbstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

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

// ApplyItemChange writes a transition in one transaction: the item
// (conditioned on the version read), its history event, the analytics
// counters, the outbox messages and the audit entry.
func (s *Store) ApplyItemChange(ctx context.Context, ch collab.ItemChange) error {
	items, err := s.itemChangeWrites(ch)
	if err != nil {
		return err
	}
	items = append(items, s.statWrites(ch.Stats, ch.OrgReview)...)
	return s.transact(ctx, items...)
}

// ApplyItemChanges writes several item changes in one transaction, each
// conditioned on the version read, with their counters merged (a
// transaction writes each counter row once) and the audit entries.
func (s *Store) ApplyItemChanges(ctx context.Context, chs []collab.ItemChange, audit ...collab.AuditEntry) error {
	var items []txItem
	var stats []collab.StatDelta
	var reviews []*collab.OrgReviewDelta
	for _, ch := range chs {
		w, err := s.itemChangeWrites(ch)
		if err != nil {
			return err
		}
		items = append(items, w...)
		stats = append(stats, ch.Stats...)
		reviews = append(reviews, ch.OrgReview)
	}
	items = append(items, s.statWrites(stats, reviews...)...)
	return s.transactAudited(ctx, audit, items...)
}

// itemChangeWrites are an item change's writes but its counters: the item
// (conditioned on the version read), its history event, the outbox
// messages and the audit entry.
func (s *Store) itemChangeWrites(ch collab.ItemChange) ([]txItem, error) {
	row := toItemRow(ch.After)
	row.Version = ch.Before.Version + 1
	av, err := attributevalue.MarshalMap(row)
	if err != nil {
		return nil, err
	}
	items := []txItem{{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av,
		ConditionExpression: aws.String("v = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(ch.Before.Version)}}},
		onConflict: collab.Stale(collab.RecordItem)}}
	if e := ch.Event; e != nil {
		it, err := s.putNew(eventRow{keys: itemEventKey(e.ItemID, e.At, e.ID), meta: meta{Type: "item_event", Version: 1},
			ItemID: e.ItemID, ID: e.ID, From: string(e.From), To: string(e.To), ActorID: e.ActorID, OrgID: e.OrgID, At: e.At, Comment: e.Comment}, nil)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	for _, m := range ch.Outbox {
		it, err := s.putNew(outboxRow{keys: outboxKey(m.At, m.ID), meta: meta{Type: "outbox", Version: 1}, ID: m.ID, Queue: m.Queue,
			Group: m.Group, Kind: m.Kind, Body: m.Body, At: m.At}, nil)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	if e := ch.Audit; e != nil {
		av, err := attributevalue.MarshalMap(toAuditRow(*e))
		if err != nil {
			return nil, err
		}
		items = append(items, txItem{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}})
	}
	return items, nil
}

// statWrites adds counters: one row per member and day, and for an item in
// a task one per task, member and day too; and the review metrics' row of
// the org and day (in its item's shard). Deltas on the same row are merged
// first.
func (s *Store) statWrites(stats []collab.StatDelta, reviews ...*collab.OrgReviewDelta) []txItem {
	type row struct {
		k      keys
		counts map[collab.Counter]int
	}
	var order []keys
	rows := map[keys]*row{}
	add := func(k keys, counts map[collab.Counter]int) {
		r, ok := rows[k]
		if !ok {
			r = &row{k: k, counts: map[collab.Counter]int{}}
			rows[k] = r
			order = append(order, k)
		}
		for c, v := range counts {
			r.counts[c] += v
		}
	}
	for _, d := range stats {
		add(statsKey(d.ProjectID, d.UserID, d.Day), d.Counts)
		if d.TaskID != "" {
			add(taskStatsKey(d.ProjectID, d.TaskID, d.UserID, d.Day), d.Counts)
		}
	}
	for _, d := range reviews {
		if d != nil {
			add(orgReviewStatsKey(d.ProjectID, d.OrgID, d.ItemID, d.Day), d.Counts)
		}
	}
	var items []txItem
	for _, k := range order {
		r := rows[k]
		counters := slices.Sorted(maps.Keys(r.counts))
		if len(counters) == 0 {
			continue
		}
		var sets []string
		vals := map[string]types.AttributeValue{}
		names := map[string]string{}
		for i, c := range counters {
			sets = append(sets, fmt.Sprintf("#c%d :c%d", i, i))
			names[fmt.Sprintf("#c%d", i)] = string(c)
			vals[fmt.Sprintf(":c%d", i)] = n(r.counts[c])
		}
		items = append(items, txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table,
			Key: keyAV(k), UpdateExpression: aws.String("ADD " + strings.Join(sets, ", ")),
			ExpressionAttributeNames: names, ExpressionAttributeValues: vals}}})
	}
	return items
}

// from is the sort key a listing from since on starts at (none for the
// zero time).
func from(prefix string, since time.Time) string {
	if since.IsZero() {
		return ""
	}
	return prefix + sortTime(since)
}

// ListHistory lists an item's transitions, oldest first.
func (s *Store) ListHistory(ctx context.Context, itemID string, since time.Time, p collab.Page) ([]collab.ItemEvent, string, error) {
	pk, sk := itemEventsOf(itemID)
	var rows []eventRow
	next, err := s.query(ctx, queryInput{pk: pk, skPrefix: sk, skFrom: from(sk, since), limit: p.Limit, cursor: p.Cursor}, &rows)
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
func (s *Store) ListComments(ctx context.Context, itemID string, since time.Time, p collab.Page) ([]collab.Comment, string, error) {
	pk, sk := commentsOf(itemID)
	var rows []commentRow
	next, err := s.query(ctx, queryInput{pk: pk, skPrefix: sk, skFrom: from(sk, since), limit: p.Limit, cursor: p.Cursor}, &rows)
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
	a := collab.NewAnalytics()
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
			a.Add(collab.Counter(name), int(f))
		}
	}
	return a, nil
}
