// Rate limits: fixed-window counters, one item per budget and window.

package ddbstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

var _ collab.Limiter = (*Store)(nil)

const typeRate = "rate_counter"

// rateGrace is how long a window's counter outlives its window before the
// table's TTL may delete it (no read ever looks at a past window's row: the
// window is part of its key).
const rateGrace = time.Hour

// Take takes units of the budget's counter for the window holding now in
// one conditional UpdateItem: ADD used :units if used <= limit-units (used < limit
// for one unit), creating the row, with its TTL, on the window's first use.
// A refusal writes nothing and reads the count from the failed condition's
// old item, so it too is one round trip.
func (s *Store) Take(ctx context.Context, b collab.Budget, units int, now time.Time) (bool, int, error) {
	if units <= 0 || b.Window <= 0 {
		return false, 0, fmt.Errorf("take %d units of %s per %s: both must be positive", units, b.Key, b.Window)
	}
	start := b.WindowStart(now)
	k := rateKey(b.Key, start)
	if units > b.Limit { // can never fit: say how many are left
		used, err := s.rateUsed(ctx, k)
		return false, max(b.Limit-used, 0), err
	}
	res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           &s.table,
		Key:                                 keyAV(k),
		UpdateExpression:                    aws.String("SET #typ = :typ, #ttl = :ttl ADD #used :n"),
		ConditionExpression:                 aws.String("attribute_not_exists(#used) OR #used <= :max"),
		ExpressionAttributeNames:            map[string]string{"#typ": "typ", "#ttl": "ttl", "#used": "used"},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":typ": str(typeRate), ":ttl": n64(start.Add(b.Window + rateGrace).Unix()), ":n": n(units), ":max": n(b.Limit - units)},
		ReturnValues:                        types.ReturnValueUpdatedNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		ReturnConsumedCapacity:              types.ReturnConsumedCapacityTotal,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		meter(ctx, false, consumed(res.ConsumedCapacity)...)
		used, err := usedOf(res.Attributes)
		return true, max(b.Limit-used, 0), err
	case errors.As(err, &ccf):
		meter(ctx, false)
		used, err := usedOf(ccf.Item)
		return false, max(b.Limit-used, 0), err
	}
	return false, 0, fmt.Errorf("take rate budget %s: %w", b.Key, err)
}

// Give returns units to the counter of the window holding now; a counter
// that is gone (its window passed and TTL removed it) is left alone.
func (s *Store) Give(ctx context.Context, b collab.Budget, units int, now time.Time) error {
	if units <= 0 || b.Window <= 0 {
		return nil
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       keyAV(rateKey(b.Key, b.WindowStart(now))),
		UpdateExpression:          aws.String("ADD #used :neg"),
		ConditionExpression:       aws.String("attribute_exists(#used) AND #used >= :n"),
		ExpressionAttributeNames:  map[string]string{"#used": "used"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":neg": n(-units), ":n": n(units)},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("give back rate budget %s: %w", b.Key, err)
	}
	meter(ctx, false)
	return nil
}

// rateUsed reads a counter (0 when the window has no row yet).
func (s *Store) rateUsed(ctx context.Context, k keys) (int, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: keyAV(k), ConsistentRead: aws.Bool(true),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		return 0, fmt.Errorf("read rate budget %s: %w", k.PK, err)
	}
	meter(ctx, true, consumed(res.ConsumedCapacity)...)
	return usedOf(res.Item)
}

// usedOf reads the count of a counter item (0 for none).
func usedOf(item map[string]types.AttributeValue) (int, error) {
	v, ok := item["used"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	used, err := strconv.Atoi(v.Value)
	if err != nil {
		return 0, fmt.Errorf("rate counter: %w", err)
	}
	return used, nil
}

func n64(i int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(i, 10)}
}

// Left reads the units left of the budget's counter for the window holding
// now, in one consistent GetItem.
func (s *Store) Left(ctx context.Context, b collab.Budget, now time.Time) (int, error) {
	used, err := s.rateUsed(ctx, rateKey(b.Key, b.WindowStart(now)))
	return max(b.Limit-used, 0), err
}
