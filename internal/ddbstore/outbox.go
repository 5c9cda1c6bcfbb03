// The outbox: messages written with a change, awaiting relay.

package ddbstore

import (
	"context"
	"fmt"
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
