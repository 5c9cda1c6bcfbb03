// Idempotency records: the saved answers to requests with an Idempotency-Key.

package ddbstore

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

var _ collab.IdempotencyStore = (*Store)(nil)

// An answer up to idemInlineBytes is kept in the record itself, as is
// (older records) or gzipped; a larger one is gzipped and split into parts
// of idemPartBytes, each its own item, all well under DynamoDB's 400 KB
// item size and written in one transaction with the record.
const (
	idemInlineBytes = 300 << 10
	idemPartBytes   = 300 << 10
)

type idempotencyRow struct {
	keys
	meta
	RequestHash string `dynamodbav:"requestHash"`
	Done        bool   `dynamodbav:"done"`
	// Claim is the holder's token; LeaseUntil (Unix milliseconds) is when
	// another request may take the claim over. A record written before
	// leases has neither: its claim is taken over at once.
	Claim      string            `dynamodbav:"claim,omitempty"`
	LeaseUntil int64             `dynamodbav:"lease,omitempty"`
	Status     int               `dynamodbav:"status,omitempty"`
	Header     map[string]string `dynamodbav:"header,omitempty"`
	Body       []byte            `dynamodbav:"body,omitempty"`   // the answer, as is
	BodyGz     []byte            `dynamodbav:"bodyGz,omitempty"` // the answer, gzipped
	Parts      int               `dynamodbav:"parts,omitempty"`  // the gzipped answer is in PART# items
	PartsSum   string            `dynamodbav:"partsSum,omitempty"`
	TTL        int64             `dynamodbav:"ttl"`
}

type idempotencyPartRow struct {
	keys
	meta
	Data []byte `dynamodbav:"data"`
	TTL  int64  `dynamodbav:"ttl"`
}

// idemID hashes the client's key so any printable key fits a sort key.
func idemID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

func newClaimToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// Claim writes an in-progress record with a lease unless one exists; an
// expired record (not yet deleted by TTL), or an unfinished claim of the
// same request whose lease ended, is taken over. One round trip, plus the
// reads of a large saved answer's parts when it is replayed.
func (s *Store) Claim(ctx context.Context, callerID, key, requestHash string) (collab.SavedResponse, bool, error) {
	now := s.now()
	row := idempotencyRow{keys: idempotencyKey(callerID, idemID(key)), meta: meta{Type: typeIdempotency, Version: 1},
		RequestHash: requestHash, Claim: newClaimToken(), LeaseUntil: now.Add(collab.IdempotencyLease).UnixMilli(),
		TTL: now.Add(collab.IdempotencyTTL).Unix()}
	av, err := attributevalue.MarshalMap(row)
	if err != nil {
		return collab.SavedResponse{}, false, fmt.Errorf("marshal idempotency: %w", err)
	}
	res, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table,
		Item:      av,
		ConditionExpression: aws.String("attribute_not_exists(PK) OR #ttl < :now OR " +
			"(done = :f AND requestHash = :h AND (attribute_not_exists(lease) OR lease < :nowms))"),
		ExpressionAttributeNames: map[string]string{"#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":   &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
			":nowms": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.UnixMilli(), 10)},
			":f":     &types.AttributeValueMemberBOOL{Value: false},
			":h":     &types.AttributeValueMemberS{Value: requestHash},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		ReturnConsumedCapacity:              types.ReturnConsumedCapacityTotal,
	})
	if err == nil {
		meter(ctx, false, consumed(res.ConsumedCapacity)...)
		return row.domain(), true, nil
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
	saved := old.domain()
	saved.Claim = "" // another request's
	if !old.Done || old.RequestHash != requestHash {
		return saved, false, nil
	}
	if saved.Body, err = s.savedBody(ctx, callerID, key, old); err != nil {
		return collab.SavedResponse{}, false, err
	}
	return saved, false, nil
}

func (r idempotencyRow) domain() collab.SavedResponse {
	out := collab.SavedResponse{RequestHash: r.RequestHash, Done: r.Done, Claim: r.Claim, Status: r.Status, Header: r.Header, Body: r.Body}
	if r.LeaseUntil > 0 {
		out.LeaseUntil = time.UnixMilli(r.LeaseUntil).UTC()
	}
	return out
}

// savedBody is a done record's answer: inline, inline gzipped, or gzipped
// in parts (read in one batch and checked against their sum).
func (s *Store) savedBody(ctx context.Context, callerID, key string, r idempotencyRow) ([]byte, error) {
	gz := r.BodyGz
	if r.Parts > 0 {
		ks := make([]keys, r.Parts)
		for i := range ks {
			ks[i] = idempotencyPartKey(callerID, idemID(key), i)
		}
		found, err := s.batchGet(ctx, ks)
		if err != nil {
			return nil, fmt.Errorf("idempotency answer parts: %w", err)
		}
		var buf bytes.Buffer
		for _, k := range ks {
			item, ok := found[k]
			if !ok {
				return nil, fmt.Errorf("idempotency answer: part %s is missing", k.SK)
			}
			var p idempotencyPartRow
			if err := attributevalue.UnmarshalMap(item, &p); err != nil {
				return nil, fmt.Errorf("decode idempotency part: %w", err)
			}
			buf.Write(p.Data)
		}
		if sum := sha256.Sum256(buf.Bytes()); hex.EncodeToString(sum[:]) != r.PartsSum {
			return nil, errors.New("idempotency answer: its parts do not match their sum")
		}
		gz = buf.Bytes()
	}
	if gz == nil {
		return r.Body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("idempotency answer: %w", err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("idempotency answer: %w", err)
	}
	return body, nil
}

// Complete stores the answer of the claim r.Claim, if that claim still
// holds the key. A large answer is gzipped and, if still large, split into
// parts written in the same transaction as the record.
func (s *Store) Complete(ctx context.Context, callerID, key string, r collab.SavedResponse) error {
	id := idemID(key)
	ttl := s.now().Add(collab.IdempotencyTTL).Unix()
	row := idempotencyRow{keys: idempotencyKey(callerID, id), meta: meta{Type: typeIdempotency, Version: 2},
		RequestHash: r.RequestHash, Done: true, Status: r.Status, Header: r.Header, TTL: ttl}
	var parts [][]byte
	if len(r.Body) <= idemInlineBytes {
		row.Body = r.Body
	} else {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(r.Body); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		gz := buf.Bytes()
		switch {
		case len(gz) > collab.MaxSavedAnswerBytes:
			return fmt.Errorf("complete idempotency key: the answer is %d bytes gzipped, more than %d", len(gz), collab.MaxSavedAnswerBytes)
		case len(gz) <= idemInlineBytes:
			row.BodyGz = gz
		default:
			for len(gz) > 0 {
				n := min(idemPartBytes, len(gz))
				parts = append(parts, gz[:n])
				gz = gz[n:]
			}
			sum := sha256.Sum256(buf.Bytes())
			row.Parts, row.PartsSum = len(parts), hex.EncodeToString(sum[:])
		}
	}
	av, err := attributevalue.MarshalMap(row)
	if err != nil {
		return fmt.Errorf("marshal idempotency: %w", err)
	}
	cond := aws.String("requestHash = :h AND done = :f AND claim = :c")
	values := map[string]types.AttributeValue{":h": str(r.RequestHash), ":f": &types.AttributeValueMemberBOOL{Value: false}, ":c": str(r.Claim)}
	if len(parts) == 0 {
		res, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: &s.table, Item: av, ConditionExpression: cond, ExpressionAttributeValues: values,
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		})
		if err != nil {
			return fmt.Errorf("complete idempotency key: %w", err)
		}
		meter(ctx, false, consumed(res.ConsumedCapacity)...)
		return nil
	}
	items := []txItem{{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av,
		ConditionExpression: cond, ExpressionAttributeValues: values}},
		onConflict: collab.Errorf(collab.CodeConflict, "the idempotency claim is no longer this request's")}}
	for i, p := range parts {
		pav, err := attributevalue.MarshalMap(idempotencyPartRow{keys: idempotencyPartKey(callerID, id, i),
			meta: meta{Type: typeIdempotency + "_part", Version: 1}, Data: p, TTL: ttl})
		if err != nil {
			return fmt.Errorf("marshal idempotency part: %w", err)
		}
		items = append(items, txItem{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: pav}}})
	}
	if err := s.transact(ctx, items...); err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	return nil
}

// Release deletes the unfinished claim, if it is still claim's.
func (s *Store) Release(ctx context.Context, callerID, key, claim string) error {
	k := idempotencyKey(callerID, idemID(key))
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.table,
		Key:                       keyAV(k),
		ConditionExpression:       aws.String("done = :f AND claim = :c"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":f": &types.AttributeValueMemberBOOL{Value: false}, ":c": str(claim)},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	meter(ctx, false)
	return nil
}
