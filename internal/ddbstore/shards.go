// Listings spread over shards (keys.go, SpreadShards): read at once and
// merged in sort-key order.

package ddbstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// sortKeyAttr is the sort-key attribute of the table or an index.
func sortKeyAttr(index string) string {
	switch index {
	case indexGSI1:
		return attrGSI1SK
	case indexGSI2:
		return attrGSI2SK
	case indexGSI3:
		return attrGSI3SK
	}
	return attrSK
}

// cursorAfter is the one attribute of a sharded listing's cursor: the last
// sort key its page returned.
const cursorAfter = "after"

// queryShards reads one page of a listing whose rows are spread over the
// shards of q.pk (spreadKeys), in sort-key order: every shard is queried at
// once from the cursor on, and the page stops where the least-read shard
// that has more rows stopped, so no row is skipped or repeated. The cursor
// is the last sort key returned (signed like every cursor). With a filter,
// a page can be short, or empty with a cursor, as DynamoDB's own are.
func (s *Store) queryShards(ctx context.Context, q queryInput, out any) (string, error) {
	scope := "shards|" + q.index + "|" + q.pk + "|" + q.skPrefix + "|" + q.filterScope
	start, err := s.cursors.decode(scope, q.cursor)
	if err != nil {
		return "", err
	}
	after := ""
	if v, ok := start[cursorAfter].(*types.AttributeValueMemberS); ok {
		after = v.Value
	}
	skAttr := sortKeyAttr(q.index)
	shards := spreadKeys(q.pk)
	found := make([][]map[string]types.AttributeValue, len(shards))
	bounds := make([]string, len(shards)) // "" when the shard is read to its end
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, pk := range shards {
		wg.Go(func() {
			sq := q
			sq.pk = pk
			if after != "" {
				sq.skFrom = after
			}
			in := s.queryInput(sq)
			in.Limit = aws.Int32(int32(q.limit + 1)) // the row at the cursor may come back
			res, err := s.db.Query(ctx, in)
			if err != nil {
				errs[i] = fmt.Errorf("query %s %s: %w", q.index, pk, err)
				return
			}
			meter(ctx, true, consumed(res.ConsumedCapacity)...)
			found[i] = res.Items
			if v, ok := res.LastEvaluatedKey[skAttr].(*types.AttributeValueMemberS); ok {
				bounds[i] = v.Value
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	bound := "" // every shard is read up to here; "" when all are read to their end
	for _, b := range bounds {
		if b != "" && (bound == "" || b < bound) {
			bound = b
		}
	}
	sortKey := func(item map[string]types.AttributeValue) string {
		v, _ := item[skAttr].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	var items []map[string]types.AttributeValue
	for _, f := range found {
		for _, item := range f {
			if sk := sortKey(item); sk > after && (bound == "" || sk <= bound) {
				items = append(items, item)
			}
		}
	}
	slices.SortFunc(items, func(a, b map[string]types.AttributeValue) int { return strings.Compare(sortKey(a), sortKey(b)) })
	next := bound
	if len(items) > q.limit {
		items = items[:q.limit]
		next = sortKey(items[len(items)-1])
	}
	if raw, ok := out.(*[]map[string]types.AttributeValue); ok {
		*raw = items
	} else if err := attributevalue.UnmarshalListOfMaps(items, out); err != nil {
		return "", fmt.Errorf("decode query %s: %w", q.pk, err)
	}
	if next == "" {
		return "", nil
	}
	return s.cursors.encode(scope, map[string]types.AttributeValue{cursorAfter: str(next)})
}

// allShardRows reads every row of every shard of q.pk (spreadKeys), the
// shards at once, at most max in all (0: no bound), in no particular
// order.
func allShardRows[R any](ctx context.Context, s *Store, q queryInput, max int) ([]R, error) {
	shards := spreadKeys(q.pk)
	found := make([][]R, len(shards))
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, pk := range shards {
		wg.Go(func() {
			sq := q
			sq.pk = pk
			found[i], errs[i] = allRows[R](ctx, s, sq, max)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []R
	for _, rows := range found {
		out = append(out, rows...)
	}
	if max > 0 && len(out) > max {
		return nil, fmt.Errorf("query %s: more than %d items", q.pk, max)
	}
	return out, nil
}
