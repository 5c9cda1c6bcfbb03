// The outbox: messages written with a change, awaiting relay.

package ddbstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

type outboxRow struct {
	keys
	meta
	ID    string    `dynamodbav:"id"`
	Queue string    `dynamodbav:"queue"`
	Group string    `dynamodbav:"group,omitempty"`
	Kind  string    `dynamodbav:"kind"`
	Body  []byte    `dynamodbav:"body"`
	At    time.Time `dynamodbav:"at"`
	// The relay's failed attempts to publish it, and the last one's error.
	Attempts  int    `dynamodbav:"attempts,omitempty"`
	LastError string `dynamodbav:"lastError,omitempty"`
}

// parkedOutboxRow is a message in the dead-letter outbox.
type parkedOutboxRow struct {
	outboxRow
	ParkedAt time.Time `dynamodbav:"parkedAt"`
}

// ParkedOutboxMessage is a message the relay gave up on.
type ParkedOutboxMessage struct {
	collab.OutboxMessage
	Attempts  int
	LastError string
	ParkedAt  time.Time
}

// ListOutbox lists outbox messages written before olderThan, oldest first:
// the oldest of each partition, queried at once (OutboxShards round trips,
// in parallel), merged, at most limit.
func (s *Store) ListOutbox(ctx context.Context, olderThan time.Time, limit int) ([]collab.OutboxMessage, error) {
	before := outboxBefore(olderThan)
	shards := outboxShards()
	found := make([][]outboxRow, len(shards))
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, pk := range shards {
		wg.Go(func() {
			res, err := s.db.Query(ctx, &dynamodb.QueryInput{TableName: &s.table,
				KeyConditionExpression:    aws.String("PK = :pk AND SK < :before"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":before": str(before)},
				Limit:                     aws.Int32(int32(limit)), ConsistentRead: aws.Bool(true),
				ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
			if err != nil {
				errs[i] = fmt.Errorf("outbox %s: %w", pk, err)
				return
			}
			meter(ctx, true, consumed(res.ConsumedCapacity)...)
			errs[i] = attributevalue.UnmarshalListOfMaps(res.Items, &found[i])
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var rows []outboxRow
	for _, f := range found {
		rows = append(rows, f...)
	}
	slices.SortFunc(rows, func(a, b outboxRow) int { return strings.Compare(a.SK, b.SK) })
	rows = rows[:min(len(rows), limit)]
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

// OutboxFailed counts one failed publish on the message's row (an atomic
// ADD, so concurrent sweeps each count), keeping the error; a row that is
// gone meanwhile is not recreated and counts 0.
func (s *Store) OutboxFailed(ctx context.Context, m collab.OutboxMessage, cause string) (int, error) {
	if len(cause) > 1000 {
		cause = cause[:1000]
	}
	res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       keyAV(outboxKey(m.At, m.ID)),
		UpdateExpression:          aws.String("SET lastError = :e ADD attempts :one, v :one"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":e": str(cause), ":one": n(1)},
		ReturnValues:              types.ReturnValueUpdatedNew,
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		meter(ctx, false)
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("outbox %s: count failure: %w", m.ID, err)
	}
	meter(ctx, false, consumed(res.ConsumedCapacity)...)
	attempts := 0
	if v, ok := res.Attributes["attempts"].(*types.AttributeValueMemberN); ok {
		attempts, _ = strconv.Atoi(v.Value)
	}
	return attempts, nil
}

// ParkOutbox moves a message to the dead-letter outbox in one
// transaction: the relay no longer reads it, an operator can.
func (s *Store) ParkOutbox(ctx context.Context, m collab.OutboxMessage, attempts int, cause string) error {
	if len(cause) > 1000 {
		cause = cause[:1000]
	}
	dead, err := s.putNew(parkedOutboxRow{outboxRow: outboxRow{keys: parkedOutboxKey(m.At, m.ID), meta: meta{Type: "outbox_parked", Version: 1},
		ID: m.ID, Queue: m.Queue, Group: m.Group, Kind: m.Kind, Body: m.Body, At: m.At, Attempts: attempts, LastError: cause}, ParkedAt: s.now()}, nil)
	if err != nil {
		return err
	}
	dead.write.Put.ConditionExpression = nil // parked again: the newer copy wins
	gone := s.deleteKey(outboxKey(m.At, m.ID))
	gone.write.Delete.ConditionExpression = aws.String("attribute_exists(PK)")
	gone.onConflict = collab.Errorf(collab.CodeConflict, "outbox message %s was relayed meanwhile", m.ID)
	return s.transact(ctx, gone, dead)
}

// ListParkedOutbox lists the dead-letter outbox, oldest first: for
// operators, who publish a message again by hand or drop it.
func (s *Store) ListParkedOutbox(ctx context.Context, limit int) ([]ParkedOutboxMessage, error) {
	pk := parkedOutboxKey(time.Time{}, "").PK
	var rows []parkedOutboxRow
	if _, err := s.query(ctx, queryInput{pk: pk, limit: limit}, &rows); err != nil {
		return nil, fmt.Errorf("parked outbox: %w", err)
	}
	out := make([]ParkedOutboxMessage, len(rows))
	for i, r := range rows {
		out[i] = ParkedOutboxMessage{OutboxMessage: collab.OutboxMessage{ID: r.ID, Queue: r.Queue, Group: r.Group, Kind: r.Kind, Body: r.Body, At: r.At},
			Attempts: r.Attempts, LastError: r.LastError, ParkedAt: r.ParkedAt}
	}
	return out, nil
}
