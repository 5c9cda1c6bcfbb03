// Batch reads and writes, whole-listing queries, and generic decoders on them.

package ddbstore

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func keyAV(k keys) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: k.PK},
		attrSK: &types.AttributeValueMemberS{Value: k.SK},
	}
}

func keyOf(item map[string]types.AttributeValue) keys {
	var k keys
	_ = attributevalue.UnmarshalMap(item, &k)
	return k
}

// DynamoDB's limits of the batch calls, unlike a transaction's
// (collab.MaxTransactionItems): neither is atomic, so a batch call splits
// any number of keys or writes into requests of these sizes.
const (
	maxBatchGetKeys    = 100 // keys in one BatchGetItem request
	maxBatchWriteItems = 25  // writes in one BatchWriteItem request
)

// batchGet reads any number of keys in batches of maxBatchGetKeys (one
// round trip per batch, plus retries of unprocessed keys) and returns the
// items found by key.
func (s *Store) batchGet(ctx context.Context, ks []keys) (map[keys]map[string]types.AttributeValue, error) {
	out := make(map[keys]map[string]types.AttributeValue, len(ks))
	seen := map[keys]bool{}
	var pending []map[string]types.AttributeValue
	for _, k := range ks {
		if k.tooLong() {
			continue // no such key can exist: absent
		}
		if !seen[k] {
			seen[k] = true
			pending = append(pending, keyAV(k))
		}
	}
	for attempt := 0; len(pending) > 0; attempt++ {
		n := min(maxBatchGetKeys, len(pending))
		chunk := pending[:n]
		pending = pending[n:]
		res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
			RequestItems:           map[string]types.KeysAndAttributes{s.table: {Keys: chunk, ConsistentRead: boolPtr(true)}},
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		})
		if err != nil {
			return nil, fmt.Errorf("batch get: %w", err)
		}
		meter(ctx, true, res.ConsumedCapacity...)
		for _, item := range res.Responses[s.table] {
			out[keyOf(item)] = item
		}
		if un, ok := res.UnprocessedKeys[s.table]; ok && len(un.Keys) > 0 {
			if attempt > 10 {
				return nil, fmt.Errorf("batch get: %d keys still unprocessed", len(un.Keys))
			}
			pending = append(pending, un.Keys...)
			time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
		}
	}
	return out, nil
}

// rowsByUser batch-reads one item per user and decodes those found, keyed
// by user.
func rowsByUser[R any](ctx context.Context, s *Store, userIDs []string, key func(string) keys, userOf func(R) string) (map[string]R, error) {
	ks := make([]keys, len(userIDs))
	for i, u := range userIDs {
		ks[i] = key(u)
	}
	found, err := s.batchGet(ctx, ks)
	if err != nil {
		return nil, err
	}
	out := make(map[string]R, len(found))
	for _, item := range found {
		var r R
		if err := attributevalue.UnmarshalMap(item, &r); err != nil {
			return nil, err
		}
		out[userOf(r)] = r
	}
	return out, nil
}

// decodeInto decodes the item found under k, if any, into *out through the
// row type's domain converter; *out stays nil when the item is absent.
func decodeInto[R any, D any](found map[keys]map[string]types.AttributeValue, k keys, out **D, domain func(R) D) error {
	item, ok := found[k]
	if !ok {
		return nil
	}
	var r R
	if err := attributevalue.UnmarshalMap(item, &r); err != nil {
		return fmt.Errorf("decode %s/%s: %w", k.PK, k.SK, err)
	}
	d := domain(r)
	*out = &d
	return nil
}

// batchDelete deletes keys in batches of maxBatchWriteItems, retrying
// unprocessed ones.
func (s *Store) batchDelete(ctx context.Context, ks []keys) error {
	var pending []types.WriteRequest
	for _, k := range ks {
		pending = append(pending, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: keyAV(k)}})
	}
	return s.batchWrite(ctx, pending)
}

// batchWrite runs write requests in batches of maxBatchWriteItems,
// retrying unprocessed items with a growing pause.
func (s *Store) batchWrite(ctx context.Context, pending []types.WriteRequest) error {
	retries := 0
	for len(pending) > 0 {
		n := min(maxBatchWriteItems, len(pending))
		chunk := pending[:n]
		pending = pending[n:]
		res, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems:           map[string][]types.WriteRequest{s.table: chunk},
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		})
		if err != nil {
			return fmt.Errorf("batch write: %w", err)
		}
		meter(ctx, false, res.ConsumedCapacity...)
		if un := res.UnprocessedItems[s.table]; len(un) > 0 {
			retries++
			if retries > 10 {
				return fmt.Errorf("batch write: %d items still unprocessed", len(un))
			}
			pending = append(pending, un...)
			time.Sleep(time.Duration(retries) * 20 * time.Millisecond)
			continue
		}
		retries = 0
	}
	return nil
}

// queryAll reads every page of a key-condition query (bounded by max items).
func (s *Store) queryAll(ctx context.Context, q queryInput, max int, out func([]map[string]types.AttributeValue) error) error {
	var start map[string]types.AttributeValue
	read := 0
	for {
		in := s.queryInput(q)
		in.ExclusiveStartKey = start
		in.Limit = nil
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return fmt.Errorf("query %s: %w", q.pk, err)
		}
		meter(ctx, true, consumed(res.ConsumedCapacity)...)
		if err := out(res.Items); err != nil {
			return err
		}
		read += len(res.Items)
		if len(res.LastEvaluatedKey) == 0 {
			return nil
		}
		if max > 0 && read >= max {
			return fmt.Errorf("query %s: more than %d items", q.pk, max)
		}
		start = res.LastEvaluatedKey
	}
}

// allRows reads every page of q and decodes the rows.
func allRows[R any](ctx context.Context, s *Store, q queryInput, max int) ([]R, error) {
	var out []R
	err := s.queryAll(ctx, q, max, func(items []map[string]types.AttributeValue) error {
		var rows []R
		if err := attributevalue.UnmarshalListOfMaps(items, &rows); err != nil {
			return err
		}
		out = append(out, rows...)
		return nil
	})
	return out, err
}

func boolPtr(b bool) *bool { return &b }
