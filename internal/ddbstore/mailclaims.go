// Mail claims: which mail message ids were sent, so a redelivery sends
// nothing twice.

package ddbstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// MailClaimTTL is how long a sent message's id is remembered: longer than
// any queue's retention, so every redelivery finds it.
const MailClaimTTL = 15 * 24 * time.Hour

type mailClaimRow struct {
	keys
	meta
	TTL int64 `dynamodbav:"ttl"`
}

// ClaimMail records that the message id is being sent; false when it was
// claimed already (a redelivery).
func (s *Store) ClaimMail(ctx context.Context, id string) (bool, error) {
	av, err := attributevalue.MarshalMap(mailClaimRow{keys: mailSentKey(id), meta: meta{Type: "mail_sent", Version: 1},
		TTL: s.now().Add(MailClaimTTL).Unix()})
	if err != nil {
		return false, err
	}
	res, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: av,
		ConditionExpression:    aws.String("attribute_not_exists(PK)"),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim mail %s: %w", id, err)
	}
	meter(ctx, false, consumed(res.ConsumedCapacity)...)
	return true, nil
}

// ReleaseMail forgets a claim whose send failed, so a retry sends.
func (s *Store) ReleaseMail(ctx context.Context, id string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: keyAV(mailSentKey(id))})
	if err != nil {
		return fmt.Errorf("release mail %s: %w", id, err)
	}
	return nil
}
