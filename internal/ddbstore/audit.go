// Audit entries, written in the transaction of the change they record.

package ddbstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

type auditRow struct {
	keys
	gsi2
	meta
	Scope  string    `dynamodbav:"scope"`
	ID     string    `dynamodbav:"id"`
	At     time.Time `dynamodbav:"at"`
	Actor  string    `dynamodbav:"actor"`
	OrgID  string    `dynamodbav:"orgId"`
	What   string    `dynamodbav:"what"`
	Before string    `dynamodbav:"before,omitempty"` // JSON
	After  string    `dynamodbav:"after,omitempty"`  // JSON
}

func jsonOf(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	return string(b)
}

func toAuditRow(e collab.AuditEntry) auditRow {
	k := auditKey(e.Scope, e.At, e.ID)
	return auditRow{keys: k, gsi2: auditOrgIndex(e.Scope, e.OrgID, e.ID, k.SK), meta: meta{Type: "audit", Version: 1},
		Scope: e.Scope, ID: e.ID, At: e.At, Actor: e.Actor, OrgID: e.OrgID, What: e.What, Before: jsonOf(e.Before), After: jsonOf(e.After)}
}

// auditPut is the transaction write of one audit entry.
func (s *Store) auditPut(e collab.AuditEntry) (txItem, error) {
	av, err := attributevalue.MarshalMap(toAuditRow(e))
	if err != nil {
		return txItem{}, fmt.Errorf("marshal audit: %w", err)
	}
	return txItem{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}}, nil
}

// transactAudited runs the writes and the audit entries of the change as
// one transaction: a change of who may do what is never without its entry.
// The entries count towards collab.MaxTransactionItems.
func (s *Store) transactAudited(ctx context.Context, audit []collab.AuditEntry, items ...txItem) error {
	for _, e := range audit {
		it, err := s.auditPut(e)
		if err != nil {
			return err
		}
		items = append(items, it)
	}
	return s.transact(ctx, items...)
}

// AppendAudit writes one audit entry on its own (for what is not a
// change of rights: a job's end).
func (s *Store) AppendAudit(ctx context.Context, e collab.AuditEntry) error {
	return s.transactAudited(ctx, []collab.AuditEntry{e})
}

// ListAudit lists a scope's audit entries, oldest first; with orgID, only
// the entries about that org (from the per-org index).
func (s *Store) ListAudit(ctx context.Context, scope, orgID string, p collab.Page) ([]collab.AuditEntry, string, error) {
	q := queryInput{limit: p.Limit, cursor: p.Cursor, pk: auditOf(scope)}
	if orgID != "" {
		q.index, q.pk = indexGSI2, auditOfOrg(scope, orgID)
	}
	var rows []auditRow
	next, err := s.queryShards(ctx, q, &rows)
	out := make([]collab.AuditEntry, len(rows))
	for i, r := range rows {
		var before, after any
		_ = json.Unmarshal([]byte(r.Before), &before)
		_ = json.Unmarshal([]byte(r.After), &after)
		out[i] = collab.AuditEntry{Scope: r.Scope, At: r.At, ID: r.ID, Actor: r.Actor, OrgID: r.OrgID, What: r.What, Before: before, After: after}
	}
	return out, next, err
}
