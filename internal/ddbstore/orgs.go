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

// PutUser upserts the user: createdAt is kept from the first write, email and
// name follow the latest verified claims.
func (s *Store) PutUser(ctx context.Context, u collab.User) error {
	k := userKey(u.ID)
	idx := userEmailIndex(u.Email, u.ID)
	res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table,
		Key: map[string]types.AttributeValue{
			attrPK: &types.AttributeValueMemberS{Value: k.PK},
			attrSK: &types.AttributeValueMemberS{Value: k.SK},
		},
		UpdateExpression: aws.String("SET #typ = :typ, #email = :email, #name = :name, #g1pk = :g1pk, #g1sk = :g1sk, " +
			"#created = if_not_exists(#created, :now) ADD #v :one"),
		ExpressionAttributeNames: map[string]string{
			"#typ": "typ", "#email": "email", "#name": "name", "#g1pk": attrGSI1PK, "#g1sk": attrGSI1SK,
			"#created": "createdAt", "#v": "v",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":typ":   &types.AttributeValueMemberS{Value: typeUser},
			":email": &types.AttributeValueMemberS{Value: u.Email},
			":name":  &types.AttributeValueMemberS{Value: u.Name},
			":g1pk":  &types.AttributeValueMemberS{Value: idx.GSI1PK},
			":g1sk":  &types.AttributeValueMemberS{Value: idx.GSI1SK},
			":now":   &types.AttributeValueMemberS{Value: u.CreatedAt.Format(time.RFC3339Nano)},
			":one":   &types.AttributeValueMemberN{Value: "1"},
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		return fmt.Errorf("put user %s: %w", u.ID, err)
	}
	meter(ctx, false, consumed(res.ConsumedCapacity)...)
	return nil
}

// CreateOrg writes the org, its owner membership and its default workspace in
// one transaction; none of them may exist already.
func (s *Store) CreateOrg(ctx context.Context, n collab.NewOrg) error {
	exists := collab.Errorf(collab.CodeConflict, "org %q already exists", n.Org.ID)
	org, err := s.putNew(toOrgRow(n.Org), exists)
	if err != nil {
		return err
	}
	owner, err := s.putNew(toOrgMemberRow(n.Owner), exists)
	if err != nil {
		return err
	}
	ws, err := s.putNew(toWorkspaceRow(n.Workspace), collab.Errorf(collab.CodeConflict, "workspace %q already exists", n.Workspace.ID))
	if err != nil {
		return err
	}
	return s.transact(ctx, org, owner, ws)
}

// GetOrg reads one org.
func (s *Store) GetOrg(ctx context.Context, orgID string) (collab.Org, error) {
	var r orgRow
	if err := s.get(ctx, orgKey(orgID), &r, collab.Errorf(collab.CodeNotFound, "org %q not found", orgID)); err != nil {
		return collab.Org{}, err
	}
	return r.domain(), nil
}

// GetOrgMembership reads one user's membership of an org.
func (s *Store) GetOrgMembership(ctx context.Context, orgID, userID string) (collab.OrgMembership, error) {
	var r orgMemberRow
	nf := collab.Errorf(collab.CodeNotFound, "user %q is not a member of org %q", userID, orgID)
	if err := s.get(ctx, orgMemberKey(orgID, userID), &r, nf); err != nil {
		return collab.OrgMembership{}, err
	}
	return r.domain(), nil
}

// ListUserOrgs lists a user's memberships through GSI1.
func (s *Store) ListUserOrgs(ctx context.Context, userID string, p collab.Page) ([]collab.OrgMembership, string, error) {
	pk, sk := orgsOfUser(userID)
	return s.listMembers(ctx, queryInput{index: indexGSI1, pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor})
}

// ListOrgMembers lists an org's members from its partition.
func (s *Store) ListOrgMembers(ctx context.Context, orgID string, p collab.Page) ([]collab.OrgMembership, string, error) {
	pk, sk := orgMembersOf(orgID)
	return s.listMembers(ctx, queryInput{pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor})
}

func (s *Store) listMembers(ctx context.Context, q queryInput) ([]collab.OrgMembership, string, error) {
	var rows []orgMemberRow
	next, err := s.query(ctx, q, &rows)
	if err != nil {
		return nil, "", err
	}
	out := make([]collab.OrgMembership, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, next, nil
}

// AddOrgMember adds a membership to an existing org (and counts an owner).
func (s *Store) AddOrgMember(ctx context.Context, m collab.OrgMembership) error {
	it, err := s.putNew(toOrgMemberRow(m), collab.Errorf(collab.CodeConflict, "%s is already a member of this org", m.Email))
	if err != nil {
		return err
	}
	inc := 0
	if m.Role == collab.OrgOwner {
		inc = 1
	}
	org := txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: keyAV(orgKey(m.OrgID)),
		UpdateExpression: aws.String("ADD owners :n"), ConditionExpression: aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": n(inc)}}},
		onConflict: collab.Errorf(collab.CodeNotFound, "org %q not found", m.OrgID)}
	return s.transact(ctx, it, org)
}

// SeedOrgMembers bulk-loads memberships into an existing org (batches of
// 25, idempotent puts): for imports, migrations and scale runs. It does
// not count owners; load members and admins only.
func (s *Store) SeedOrgMembers(ctx context.Context, ms []collab.OrgMembership) error {
	reqs := make([]types.WriteRequest, 0, len(ms))
	for _, m := range ms {
		if m.Role == collab.OrgOwner {
			return fmt.Errorf("seed org members: %s is an owner; add owners one by one", m.UserID)
		}
		av, err := attributevalue.MarshalMap(toOrgMemberRow(m))
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	return s.batchWrite(ctx, reqs)
}
