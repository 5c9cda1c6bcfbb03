// Package ddbstore implements the persistence ports of internal/collab on
// one DynamoDB table. It alone knows the table's keys.
package ddbstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/secretbox"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// Store is the DynamoDB adapter.
type Store struct {
	db      API
	table   string
	cursors cursorCodec
	now     func() time.Time // the clock (idempotency expiry)
	// places caches what never changes about a project: projectID ->
	// projectPlace.
	places sync.Map
	// shareLinks seals share-link tokens (sharelink.go); nil: none can be
	// enabled.
	shareLinks *secretbox.Box
	// webhookKeys seals the webhooks' secrets (a key of its own).
	webhookKeys *secretbox.Box
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the store's clock (default: time.Now in UTC).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// New returns a store on table. cursorSecret signs pagination cursors.
func New(db API, table string, cursorSecret []byte, opts ...Option) *Store {
	s := &Store{db: db, table: table, cursors: cursorCodec{secret: cursorSecret},
		now: func() time.Time { return time.Now().UTC() }}
	for _, o := range opts {
		o(s)
	}
	return s
}

// meta is in every row: the item's type and its version. The row structs,
// each in its capability's file, are the stored shape of an entity, with
// its keys, and the converters to and from the domain types.
type meta struct {
	Type    string `dynamodbav:"typ"`
	Version int    `dynamodbav:"v"`
}

func n(i int) types.AttributeValue { return &types.AttributeValueMemberN{Value: strconv.Itoa(i)} }

func str(v string) types.AttributeValue {
	return &types.AttributeValueMemberS{Value: v}
}

// Meter counts DynamoDB round trips and consumed capacity for one operation.
// Attach one to a context with WithMeter to measure what a request costs.
type Meter struct {
	mu         sync.Mutex
	RoundTrips int
	ReadUnits  float64
	WriteUnits float64
}

// Totals reads the meter.
func (m *Meter) Totals() (roundTrips int, readUnits, writeUnits float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.RoundTrips, m.ReadUnits, m.WriteUnits
}

type meterKey struct{}

// WithMeter returns a context that records DynamoDB usage into a new Meter.
func WithMeter(ctx context.Context) (context.Context, *Meter) {
	m := &Meter{}
	return context.WithValue(ctx, meterKey{}, m), m
}

// meter books one round trip and its consumed capacity on the context's
// Meter, if any. On-demand tables report only CapacityUnits, booked by the
// kind of call.
func meter(ctx context.Context, read bool, ccs ...types.ConsumedCapacity) {
	m, ok := ctx.Value(meterKey{}).(*Meter)
	if !ok {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.RoundTrips++
	for _, cc := range ccs {
		if cc.ReadCapacityUnits != nil || cc.WriteCapacityUnits != nil {
			m.ReadUnits += aws.ToFloat64(cc.ReadCapacityUnits)
			m.WriteUnits += aws.ToFloat64(cc.WriteCapacityUnits)
			continue
		}
		if read {
			m.ReadUnits += aws.ToFloat64(cc.CapacityUnits)
		} else {
			m.WriteUnits += aws.ToFloat64(cc.CapacityUnits)
		}
	}
}

// get reads one item into out; a missing item is notFound.
func (s *Store) get(ctx context.Context, k keys, out any, notFound error) error {
	if k.tooLong() {
		return notFound // no such key can exist
	}
	av, err := attributevalue.MarshalMap(k)
	if err != nil {
		return fmt.Errorf("marshal key: %w", err)
	}
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: av, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		return fmt.Errorf("get %s/%s: %w", k.PK, k.SK, err)
	}
	meter(ctx, true, consumed(res.ConsumedCapacity)...)
	if res.Item == nil {
		return notFound
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return fmt.Errorf("decode %s/%s: %w", k.PK, k.SK, err)
	}
	return nil
}

// txItem is one write of a transaction and the domain error its condition
// failure means.
type txItem struct {
	write      types.TransactWriteItem
	onConflict error
}

// put returns a transaction Put of row, conditioned on the item being absent.
func (s *Store) putNew(row any, onConflict error) (txItem, error) {
	av, err := attributevalue.MarshalMap(row)
	if err != nil {
		return txItem{}, fmt.Errorf("marshal: %w", err)
	}
	return txItem{
		write: types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}},
		onConflict: onConflict,
	}, nil
}

// transact runs the writes as one transaction and turns a cancellation into
// the domain error of the write whose condition failed. It refuses more
// writes than one transaction takes (collab.MaxTransactionItems): a change
// that can grow so large is split by its caller, never cut here.
func (s *Store) transact(ctx context.Context, items ...txItem) error {
	if len(items) > collab.MaxTransactionItems {
		return collab.TooManyChanges(len(items))
	}
	writes := make([]types.TransactWriteItem, len(items))
	for i, it := range items {
		writes[i] = it.write
	}
	res, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: writes, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err == nil {
		meter(ctx, false, res.ConsumedCapacity...)
		return nil
	}
	return translateTxError(err, items)
}

func translateTxError(err error, items []txItem) error {
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		for i, r := range canceled.CancellationReasons {
			code := aws.ToString(r.Code)
			switch {
			case code == "ConditionalCheckFailed" && i < len(items) && items[i].onConflict != nil:
				return items[i].onConflict
			case code == "ConditionalCheckFailed":
				stale := collab.Stale("")
				stale.Err = err
				return stale
			case code == "TransactionConflict":
				return collab.Contended(err)
			}
		}
		return fmt.Errorf("transaction canceled: %w", err)
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) && len(items) == 1 && items[0].onConflict != nil {
		return items[0].onConflict
	}
	var tc *types.TransactionConflictException
	if errors.As(err, &tc) {
		return collab.Contended(err)
	}
	return fmt.Errorf("transact write: %w", err)
}

func (s *Store) versioned(k keys, version int, update string, names map[string]string, values map[string]types.AttributeValue, onConflict error) txItem {
	if values == nil {
		values = map[string]types.AttributeValue{}
	}
	values[":v"] = n(version)
	values[":one"] = n(1)
	u := &types.Update{TableName: &s.table, Key: keyAV(k),
		UpdateExpression:          aws.String(update + " ADD v :one"),
		ConditionExpression:       aws.String("v = :v"),
		ExpressionAttributeValues: values}
	if len(names) > 0 {
		u.ExpressionAttributeNames = names
	}
	return txItem{write: types.TransactWriteItem{Update: u}, onConflict: onConflict}
}

func (s *Store) deleteVersioned(k keys, version int, onConflict error) txItem {
	return txItem{write: types.TransactWriteItem{Delete: &types.Delete{
		TableName: &s.table, Key: keyAV(k), ConditionExpression: aws.String("v = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(version)},
	}}, onConflict: onConflict}
}

func (s *Store) deleteKey(k keys) txItem {
	return txItem{write: types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: keyAV(k)}}}
}

// counted is a record that counts its owners (an org or a project), as
// errors name it: by id, or as "the project" when the caller acts on it
// (byID false).
type counted struct {
	kind collab.Record
	id   string
	byID bool
}

func (c counted) key() keys {
	if c.kind == collab.RecordOrg {
		return orgKey(c.id)
	}
	return projectKey(c.id)
}

// ownerDelta returns the update of c's owners counter for a role change
// from → to: the counter may not drop below one, and c must still exist.
func (s *Store) ownerDelta(c counted, wasOwner, isOwner bool) (txItem, bool) {
	k := c.key()
	name := ""
	if c.byID {
		name = c.id
	}
	switch {
	case wasOwner && !isOwner:
		return txItem{write: types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: keyAV(k),
			UpdateExpression:          aws.String("ADD owners :minus"),
			ConditionExpression:       aws.String("owners > :one"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":minus": n(-1), ":one": n(1)},
		}}, onConflict: collab.LastOwner(c.kind, name)}, true
	case !wasOwner && isOwner:
		return txItem{write: types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: keyAV(k),
			UpdateExpression:    aws.String("ADD owners :plus"),
			ConditionExpression: aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":plus": n(1)},
		}}, onConflict: collab.NotFound(c.kind, c.id)}, true
	}
	return txItem{}, false
}

// query runs one page of a key-condition query.
type queryInput struct {
	index    string // "" for the table
	pk       string
	skPrefix string
	skFrom   string // with skPrefix: only sort keys from this one on
	limit    int
	cursor   string
	// optional filter over the partition's items (never across tenants)
	filter       string
	filterNames  map[string]string
	filterValues map[string]types.AttributeValue
	filterScope  string // binds cursors to the filter
}

// queryInput builds the key-condition query of q (no paging).
func (s *Store) queryInput(q queryInput) *dynamodb.QueryInput {
	pkAttr, skAttr := attrPK, attrSK
	var index *string
	switch q.index {
	case indexGSI1:
		pkAttr, skAttr, index = attrGSI1PK, attrGSI1SK, aws.String(q.index)
	case indexGSI2:
		pkAttr, skAttr, index = attrGSI2PK, attrGSI2SK, aws.String(q.index)
	case indexGSI3:
		pkAttr, skAttr, index = attrGSI3PK, attrGSI3SK, aws.String(q.index)
	}
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 index,
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :sk)"),
		ExpressionAttributeNames:  map[string]string{"#pk": pkAttr, "#sk": skAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: q.pk}, ":sk": &types.AttributeValueMemberS{Value: q.skPrefix}},
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	}
	if q.skFrom != "" { // from skFrom on, within the prefix
		in.KeyConditionExpression = aws.String("#pk = :pk AND #sk BETWEEN :from AND :to")
		delete(in.ExpressionAttributeValues, ":sk")
		in.ExpressionAttributeValues[":from"] = &types.AttributeValueMemberS{Value: q.skFrom}
		in.ExpressionAttributeValues[":to"] = &types.AttributeValueMemberS{Value: q.skPrefix + "~"}
	} else if q.skPrefix == "" { // the whole partition
		in.KeyConditionExpression = aws.String("#pk = :pk")
		in.ExpressionAttributeNames = map[string]string{"#pk": pkAttr}
		delete(in.ExpressionAttributeValues, ":sk")
	}
	if q.filter != "" {
		in.FilterExpression = aws.String(q.filter)
		for k, v := range q.filterNames {
			in.ExpressionAttributeNames[k] = v
		}
		for k, v := range q.filterValues {
			in.ExpressionAttributeValues[k] = v
		}
	}
	return in
}

// query reads one page of q into out. With a filter, it reads on until the
// page is full or the listing ends (at most 10 round trips), so a filtered
// page is not needlessly short.
func (s *Store) query(ctx context.Context, q queryInput, out any) (string, error) {
	scope := q.index + "|" + q.pk + "|" + q.skPrefix + "|" + q.filterScope
	start, err := s.cursors.decode(scope, q.cursor)
	if err != nil {
		return "", err
	}
	var items []map[string]types.AttributeValue
	for round := 0; ; round++ {
		in := s.queryInput(q)
		in.ExclusiveStartKey = start
		in.Limit = aws.Int32(int32(q.limit - len(items)))
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return "", fmt.Errorf("query %s %s: %w", q.index, q.pk, err)
		}
		meter(ctx, true, consumed(res.ConsumedCapacity)...)
		items = append(items, res.Items...)
		start = res.LastEvaluatedKey
		if len(start) == 0 || len(items) >= q.limit || q.filter == "" || round >= 9 {
			break
		}
	}
	if raw, ok := out.(*[]map[string]types.AttributeValue); ok {
		*raw = items
	} else if err := attributevalue.UnmarshalListOfMaps(items, out); err != nil {
		return "", fmt.Errorf("decode query %s: %w", q.pk, err)
	}
	if len(start) == 0 {
		return "", nil
	}
	return s.cursors.encode(scope, start)
}

func consumed(cc *types.ConsumedCapacity) []types.ConsumedCapacity {
	if cc == nil {
		return nil
	}
	return []types.ConsumedCapacity{*cc}
}
