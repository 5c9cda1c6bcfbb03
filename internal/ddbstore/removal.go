// Changes that may outgrow one transaction (removing groups, workspaces and
// orgs), renamed copies, and counts.

package ddbstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

// auditItems are the transaction writes of audit entries.
func (s *Store) auditItems(audit []collab.AuditEntry) ([]txItem, error) {
	out := make([]txItem, 0, len(audit))
	for _, e := range audit {
		it, err := s.auditPut(e)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// writeInOrder writes first, then the units, then last, packed greedily
// into transactions of at most collab.MaxTransactionItems, in that order:
// a unit (writes that must commit together) is never split, first opens
// the first transaction and last closes the final one. Callers put what a
// change implies before what defines it, so a change cut off half way is
// found unfinished, and finished, by its repeat. Everything that fits in
// one transaction is one transaction.
func (s *Store) writeInOrder(ctx context.Context, first []txItem, units [][]txItem, last []txItem) error {
	if len(first) > collab.MaxTransactionItems || len(last) > collab.MaxTransactionItems {
		return collab.TooManyChanges(max(len(first), len(last)))
	}
	batch := slices.Clone(first)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.transact(ctx, batch...)
		batch = nil
		return err
	}
	for _, u := range units {
		if len(u) > collab.MaxTransactionItems {
			return collab.TooManyChanges(len(u))
		}
		if len(batch)+len(u) > collab.MaxTransactionItems {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, u...)
	}
	if len(batch)+len(last) > collab.MaxTransactionItems {
		if err := flush(); err != nil {
			return err
		}
	}
	batch = append(batch, last...)
	return flush()
}

// count counts the items of a key-condition query (every page, counts
// only: no item is returned).
func (s *Store) count(ctx context.Context, q queryInput) (int, error) {
	var start map[string]types.AttributeValue
	total := 0
	for {
		in := s.queryInput(q)
		in.Select = types.SelectCount
		in.ExclusiveStartKey = start
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return 0, fmt.Errorf("count %s: %w", q.pk, err)
		}
		meter(ctx, true, consumed(res.ConsumedCapacity)...)
		total += int(res.Count)
		if len(res.LastEvaluatedKey) == 0 {
			return total, nil
		}
		start = res.LastEvaluatedKey
	}
}

// renameCopies sets attr to value on every item of ks that still exists
// (a copy of a name kept for one-query listings), eight at a time. An item
// deleted meanwhile is skipped.
func (s *Store) renameCopies(ctx context.Context, ks []keys, attr, value string) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	work := make(chan keys)
	for range min(8, len(ks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: keyAV(k),
					UpdateExpression:          aws.String("SET #a = :n"),
					ConditionExpression:       aws.String("attribute_exists(PK)"),
					ExpressionAttributeNames:  map[string]string{"#a": attr},
					ExpressionAttributeValues: map[string]types.AttributeValue{":n": str(value)},
					ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal})
				var gone *types.ConditionalCheckFailedException
				if err != nil && !errors.As(err, &gone) {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("rename copy %s/%s: %w", k.PK, k.SK, err)
					}
					mu.Unlock()
					continue
				}
				if err == nil {
					meter(ctx, false, consumed(res.ConsumedCapacity)...)
				}
			}
		}()
	}
	for _, k := range ks {
		work <- k
	}
	close(work)
	wg.Wait()
	return first
}

// revoke is the transaction write revoking a pending invitation that goes
// with what it invites to; a change of the invitation meanwhile (accepted,
// resent) makes the removal stale, to be repeated.
func (s *Store) revoke(inv collab.Invitation) txItem {
	it := s.endPending(inv, collab.InvRevoked, "", nil)
	it.onConflict = collab.Stale(collab.RecordInvitation)
	return it
}

// allInvitations lists every pending invitation of a scope.
func (s *Store) allInvitations(ctx context.Context, scope collab.InvitationScope) ([]collab.Invitation, error) {
	var out []collab.Invitation
	for cursor := ""; ; {
		page, next, err := s.ListInvitations(ctx, scope, collab.Page{Limit: collab.MaxPageLimit, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}

// ownersDown lowers a project's owners counter by k (k owners leaving at
// once), keeping one.
func (s *Store) ownersDown(projectID string, k int) txItem {
	return txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: keyAV(projectKey(projectID)),
		UpdateExpression:          aws.String("ADD owners :minus"),
		ConditionExpression:       aws.String("owners > :k"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":minus": n(-k), ":k": n(k)}}},
		onConflict: collab.LastOwner(collab.RecordProject, projectID)}
}
