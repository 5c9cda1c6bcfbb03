// Idempotency records: the saved answers to requests with an Idempotency-Key.

package ddbstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

var _ collab.IdempotencyStore = (*Store)(nil)

type idempotencyRow struct {
	keys
	meta
	RequestHash string            `dynamodbav:"requestHash"`
	Done        bool              `dynamodbav:"done"`
	Status      int               `dynamodbav:"status,omitempty"`
	Header      map[string]string `dynamodbav:"header,omitempty"`
	Body        []byte            `dynamodbav:"body,omitempty"`
	TTL         int64             `dynamodbav:"ttl"`
}

func (r idempotencyRow) domain() collab.SavedResponse {
	return collab.SavedResponse{RequestHash: r.RequestHash, Done: r.Done, Status: r.Status, Header: r.Header, Body: r.Body}
}

// idemID hashes the client's key so any printable key fits a sort key.
func idemID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// Claim writes an in-progress record unless one exists (an expired record,
// not yet deleted by TTL, is taken over); one round trip either way.
func (s *Store) Claim(ctx context.Context, callerID, key, requestHash string) (collab.SavedResponse, bool, error) {
	expires := s.now().Add(collab.IdempotencyTTL)
	row := idempotencyRow{keys: idempotencyKey(callerID, idemID(key)), meta: meta{Type: typeIdempotency, Version: 1},
		RequestHash: requestHash, TTL: expires.Unix()}
	av, err := attributevalue.MarshalMap(row)
	if err != nil {
		return collab.SavedResponse{}, false, fmt.Errorf("marshal idempotency: %w", err)
	}
	now := s.now().Unix()
	res, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           &s.table,
		Item:                                av,
		ConditionExpression:                 aws.String("attribute_not_exists(PK) OR #ttl < :now"),
		ExpressionAttributeNames:            map[string]string{"#ttl": "ttl"},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: fmt.Sprint(now)}},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		ReturnConsumedCapacity:              types.ReturnConsumedCapacityTotal,
	})
	if err == nil {
		meter(ctx, false, consumed(res.ConsumedCapacity)...)
		return collab.SavedResponse{}, true, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return collab.SavedResponse{}, false, fmt.Errorf("claim idempotency key: %w", err)
	}
	meter(ctx, false)
	var old idempotencyRow
	if err := attributevalue.UnmarshalMap(ccf.Item, &old); err != nil {
		return collab.SavedResponse{}, false, fmt.Errorf("decode idempotency: %w", err)
	}
	return old.domain(), false, nil
}

// Complete stores the answer of the claimed request.
func (s *Store) Complete(ctx context.Context, callerID, key string, r collab.SavedResponse) error {
	expires := s.now().Add(collab.IdempotencyTTL)
	row := idempotencyRow{keys: idempotencyKey(callerID, idemID(key)), meta: meta{Type: typeIdempotency, Version: 2},
		RequestHash: r.RequestHash, Done: true, Status: r.Status, Header: r.Header, Body: r.Body, TTL: expires.Unix()}
	av, err := attributevalue.MarshalMap(row)
	if err != nil {
		return fmt.Errorf("marshal idempotency: %w", err)
	}
	res, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: av,
		ConditionExpression:       aws.String("requestHash = :h AND done = :f"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": &types.AttributeValueMemberS{Value: r.RequestHash}, ":f": &types.AttributeValueMemberBOOL{Value: false}},
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	meter(ctx, false, consumed(res.ConsumedCapacity)...)
	return nil
}

// Release deletes an unfinished claim.
func (s *Store) Release(ctx context.Context, callerID, key string) error {
	k := idempotencyKey(callerID, idemID(key))
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table,
		Key: map[string]types.AttributeValue{
			attrPK: &types.AttributeValueMemberS{Value: k.PK}, attrSK: &types.AttributeValueMemberS{Value: k.SK}},
		ConditionExpression:       aws.String("done = :f"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":f": &types.AttributeValueMemberBOOL{Value: false}},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	meter(ctx, false)
	return nil
}
