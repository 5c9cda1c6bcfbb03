// Invitations, their token pointers, share links and acceptance.

package ddbstore

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

type invitationRow struct {
	keys
	gsi1
	gsi2
	meta
	ID            string      `dynamodbav:"id"`
	TokenHash     string      `dynamodbav:"tokenHash"`
	Kind          string      `dynamodbav:"kind"`
	Status        string      `dynamodbav:"status"`
	ProjectID     string      `dynamodbav:"projectId,omitempty"`
	ProjectName   string      `dynamodbav:"projectName,omitempty"`
	WorkspaceID   string      `dynamodbav:"workspaceId,omitempty"`
	WorkspaceName string      `dynamodbav:"workspaceName,omitempty"`
	OrgID         string      `dynamodbav:"orgId,omitempty"`
	OrgName       string      `dynamodbav:"orgName,omitempty"`
	InvitedBy     string      `dynamodbav:"invitedBy"`
	InvitedByName string      `dynamodbav:"invitedByName"`
	InvitedForOrg string      `dynamodbav:"invitedForOrg,omitempty"`
	Email         string      `dynamodbav:"email,omitempty"`
	Role          string      `dynamodbav:"role,omitempty"`
	CompanyName   string      `dynamodbav:"companyName,omitempty"`
	CompanyOrgID  string      `dynamodbav:"companyOrgId,omitempty"`
	Types         []string    `dynamodbav:"types,omitempty"`
	AccessMode    string      `dynamodbav:"accessMode,omitempty"`
	AccessIDs     []string    `dynamodbav:"accessProjectIds,omitempty"`
	CreatedAt     time.Time   `dynamodbav:"createdAt"`
	ExpiresAt     time.Time   `dynamodbav:"expiresAt"`
	AcceptedBy    string      `dynamodbav:"acceptedBy,omitempty"`
	AcceptedAt    time.Time   `dynamodbav:"acceptedAt,omitempty"`
	AcceptCount   int         `dynamodbav:"acceptCount"`
	Resends       []time.Time `dynamodbav:"resends,omitempty"`
	// SealedToken is a share link's token sealed with the share-link key
	// (sharelink.go); removed when the link stops being pending.
	SealedToken string `dynamodbav:"sealedToken,omitempty"`
}

func scopeOf(inv collab.Invitation) (string, string) {
	switch inv.Kind {
	case collab.KindOrgMember:
		return "org", inv.OrgID
	case collab.KindCollaborator:
		return "workspace", inv.WorkspaceID
	}
	return "project", inv.ProjectID
}

func toInvitationRow(inv collab.Invitation) invitationRow {
	r := invitationRow{keys: invitationKey(inv.ID), meta: meta{Type: typeInvitation, Version: inv.Version},
		ID: inv.ID, TokenHash: inv.TokenHash, Kind: string(inv.Kind), Status: string(inv.Status),
		ProjectID: inv.ProjectID, ProjectName: inv.ProjectName, WorkspaceID: inv.WorkspaceID, WorkspaceName: inv.WorkspaceName,
		OrgID: inv.OrgID, OrgName: inv.OrgName, InvitedBy: inv.InvitedBy, InvitedByName: inv.InvitedByName, InvitedForOrg: inv.InvitedForOrg,
		Email: inv.Email, Role: inv.Role, CompanyName: inv.CompanyName, CompanyOrgID: inv.CompanyOrgID,
		Types: typesOut(inv.Types), AccessMode: inv.Access.Mode, AccessIDs: inv.Access.ProjectIDs,
		CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt, AcceptedBy: inv.AcceptedBy, AcceptedAt: inv.AcceptedAt,
		AcceptCount: inv.AcceptCount, Resends: inv.Resends}
	if inv.Status == collab.InvPending {
		kind, id := scopeOf(inv)
		r.gsi1 = invitationIndex(kind, id, inv.CreatedAt, inv.ID)
		if inv.Email != "" {
			r.gsi2 = invitationToIndex(inv.Email, inv.CreatedAt, inv.ID)
		}
	}
	return r
}

func (r invitationRow) domain() collab.Invitation {
	return collab.Invitation{ID: r.ID, TokenHash: r.TokenHash, Kind: collab.InvitationKind(r.Kind), Status: collab.InvitationStatus(r.Status),
		ProjectID: r.ProjectID, ProjectName: r.ProjectName, WorkspaceID: r.WorkspaceID, WorkspaceName: r.WorkspaceName,
		OrgID: r.OrgID, OrgName: r.OrgName, InvitedBy: r.InvitedBy, InvitedByName: r.InvitedByName, InvitedForOrg: r.InvitedForOrg, Email: r.Email, Role: r.Role,
		CompanyName: r.CompanyName, CompanyOrgID: r.CompanyOrgID, Types: typesIn(r.Types),
		Access:    collab.ProjectAccess{Mode: r.AccessMode, ProjectIDs: r.AccessIDs},
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, AcceptedBy: r.AcceptedBy, AcceptedAt: r.AcceptedAt,
		AcceptCount: r.AcceptCount, Resends: r.Resends, Version: r.Version}
}

type tokenRow struct {
	keys
	meta
	InvitationID string `dynamodbav:"invitationId"`
	TTL          int64  `dynamodbav:"ttl,omitempty"`
}

// pointer is the token item; it outlives its invitation's expiry by 30 days
// so a late click says "expired" rather than "unknown".
func (s *Store) pointer(inv collab.Invitation, hash string, expires time.Time) (txItem, error) {
	r := tokenRow{keys: tokenKey(hash), meta: meta{Type: typeToken, Version: 1}, InvitationID: inv.ID}
	if !expires.IsZero() {
		r.TTL = expires.Add(30 * 24 * time.Hour).Unix()
	}
	return s.putNew(r, collab.AlreadyExists(collab.RecordToken, ""))
}

// endPending moves a pending invitation (version-checked) to status and
// drops it from its scope's and its addressee's pending lists; a share
// link's sealed token goes with it.
func (s *Store) endPending(inv collab.Invitation, status collab.InvitationStatus, extra string, values map[string]types.AttributeValue) txItem {
	if values == nil {
		values = map[string]types.AttributeValue{}
	}
	values[":st"], values[":pending"], values[":v"], values[":one"] = str(string(status)), str(string(collab.InvPending)), n(inv.Version), n(1)
	return txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: keyAV(invitationKey(inv.ID)),
		UpdateExpression:          aws.String("SET #st = :st" + extra + " REMOVE GSI1PK, GSI1SK, GSI2PK, GSI2SK, sealedToken ADD v :one"),
		ConditionExpression:       aws.String("v = :v AND #st = :pending"),
		ExpressionAttributeNames:  map[string]string{"#st": "status"},
		ExpressionAttributeValues: values}},
		onConflict: collab.InvitationGone("")}
}

// CreateInvitation stores the invitation and its token pointer; a share
// link also becomes the project's current link, revoking the previous one.
func (s *Store) CreateInvitation(ctx context.Context, inv collab.Invitation, previous *collab.Invitation, audit ...collab.AuditEntry) error {
	row := toInvitationRow(inv)
	if inv.Kind == collab.KindShareLink {
		sealed, err := s.sealLinkToken(inv)
		if err != nil {
			return err
		}
		row.SealedToken = sealed
	}
	it, err := s.putNew(row, collab.AlreadyExists(collab.RecordInvitation, inv.ID))
	if err != nil {
		return err
	}
	ptr, err := s.pointer(inv, inv.TokenHash, inv.ExpiresAt)
	if err != nil {
		return err
	}
	items := []txItem{it, ptr}
	if inv.Kind == collab.KindShareLink {
		av, err := attributevalue.MarshalMap(tokenRow{keys: shareLinkKey(inv.ProjectID), meta: meta{Type: typeShareLink, Version: 1}, InvitationID: inv.ID})
		if err != nil {
			return err
		}
		put := &types.Put{TableName: &s.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}
		if previous != nil {
			put.ConditionExpression = aws.String("invitationId = :prev")
			put.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": str(previous.ID)}
			if previous.Status == collab.InvPending {
				items = append(items, s.endPending(*previous, collab.InvRevoked, "", nil))
			}
		}
		items = append(items, txItem{write: types.TransactWriteItem{Put: put}, onConflict: collab.Stale(collab.RecordShareLink)},
			txItem{write: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &s.table,
				Key: keyAV(projectKey(inv.ProjectID)), ConditionExpression: aws.String("attribute_exists(PK)")}},
				onConflict: collab.NotFound(collab.RecordProject, inv.ProjectID)})
	}
	return s.transactAudited(ctx, audit, items...)
}

// GetInvitation reads an invitation by id.
func (s *Store) GetInvitation(ctx context.Context, id string) (collab.Invitation, error) {
	var r invitationRow
	if err := s.get(ctx, invitationKey(id), &r, collab.NotFound(collab.RecordInvitation, id)); err != nil {
		return collab.Invitation{}, err
	}
	return r.domain(), nil
}

// FindInvitationByToken follows a token hash to its invitation; a token
// replaced by a resend no longer matches.
func (s *Store) FindInvitationByToken(ctx context.Context, hash string) (collab.Invitation, error) {
	nf := collab.NotFoundBy(collab.RecordInvitation, "token", "")
	var ptr tokenRow
	if err := s.get(ctx, tokenKey(hash), &ptr, nf); err != nil {
		return collab.Invitation{}, err
	}
	inv, err := s.GetInvitation(ctx, ptr.InvitationID)
	if err != nil {
		return collab.Invitation{}, err
	}
	if inv.TokenHash != hash {
		return collab.Invitation{}, nf
	}
	return inv, nil
}

// GetShareLink returns the project's current share link invitation, its
// token unsealed (empty when it does not open).
func (s *Store) GetShareLink(ctx context.Context, projectID string) (collab.Invitation, error) {
	var ptr tokenRow
	if err := s.get(ctx, shareLinkKey(projectID), &ptr, collab.HasNo(collab.RecordProject, collab.RecordShareLink)); err != nil {
		return collab.Invitation{}, err
	}
	var r invitationRow
	if err := s.get(ctx, invitationKey(ptr.InvitationID), &r, collab.NotFound(collab.RecordInvitation, ptr.InvitationID)); err != nil {
		return collab.Invitation{}, err
	}
	inv := r.domain()
	inv.LinkToken = s.openLinkToken(r)
	return inv, nil
}

// ListInvitations lists a scope's pending invitations.
func (s *Store) ListInvitations(ctx context.Context, scope collab.InvitationScope, p collab.Page) ([]collab.Invitation, string, error) {
	pk, sk := invitationsOf(scope.Kind, scope.ID)
	var rows []invitationRow
	next, err := s.query(ctx, queryInput{index: indexGSI1, pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor}, &rows)
	out := make([]collab.Invitation, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, next, err
}

// ListInvitationsTo lists the pending invitations bound to an email
// address (GSI2), oldest first.
func (s *Store) ListInvitationsTo(ctx context.Context, email string, p collab.Page) ([]collab.Invitation, string, error) {
	pk, sk := invitationsTo(email)
	var rows []invitationRow
	next, err := s.query(ctx, queryInput{index: indexGSI2, pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor}, &rows)
	out := make([]collab.Invitation, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, next, err
}

// SetInvitationStatus revokes or declines a pending invitation; its token
// pointer stays (until its TTL) so the link answers "revoked" or "declined"
// rather than "unknown". A revoked share link stops being the project's
// link.
func (s *Store) SetInvitationStatus(ctx context.Context, inv collab.Invitation, status collab.InvitationStatus, audit ...collab.AuditEntry) error {
	items := []txItem{s.endPending(inv, status, "", nil)}
	if inv.Kind == collab.KindShareLink {
		items = append(items, txItem{write: types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table,
			Key: keyAV(shareLinkKey(inv.ProjectID)), ConditionExpression: aws.String("attribute_not_exists(PK) OR invitationId = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": str(inv.ID)}}}, onConflict: collab.Stale(collab.RecordShareLink)})
	}
	return s.transactAudited(ctx, audit, items...)
}

// ReissueInvitation replaces a pending invitation's token: the old pointer
// goes, the new one comes, in one transaction.
func (s *Store) ReissueInvitation(ctx context.Context, old collab.Invitation, newHash string, expires time.Time, resends []time.Time, audit ...collab.AuditEntry) error {
	rs, err := attributevalue.Marshal(resends)
	if err != nil {
		return err
	}
	exp, _ := attributevalue.Marshal(expires)
	ptr, err := s.pointer(old, newHash, expires)
	if err != nil {
		return err
	}
	upd := txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: keyAV(invitationKey(old.ID)),
		UpdateExpression:         aws.String("SET tokenHash = :h, expiresAt = :e, resends = :r ADD v :one"),
		ConditionExpression:      aws.String("v = :v AND #st = :pending"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": str(newHash), ":e": exp, ":r": rs, ":one": n(1),
			":v": n(old.Version), ":pending": str(string(collab.InvPending))}}},
		onConflict: collab.Stale(collab.RecordInvitation)}
	return s.transactAudited(ctx, audit, upd, s.deleteKey(tokenKey(old.TokenHash)), ptr)
}

// AcceptInvitation writes an acceptance in one transaction: the invitation
// (single use: pending and unchanged since read; share link: still
// pending), and everything the acceptance creates (a new org with its
// owner and default workspace included), each conditioned on not existing
// yet.
func (s *Store) AcceptInvitation(ctx context.Context, a collab.Acceptance) error {
	inv := a.Invitation
	var items []txItem
	if inv.Kind.SingleUse() {
		at, _ := attributevalue.Marshal(a.At)
		items = append(items, s.endPending(inv, collab.InvAccepted, ", acceptedBy = :by, acceptedAt = :at, acceptCount = :one",
			map[string]types.AttributeValue{":by": str(a.AcceptedBy), ":at": at}))
		items[0].onConflict = collab.InvitationGone(collab.GoneUsed)
	} else {
		items = append(items, txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: keyAV(invitationKey(inv.ID)),
			UpdateExpression:          aws.String("ADD acceptCount :one"),
			ConditionExpression:       aws.String("#st = :pending AND tokenHash = :h"),
			ExpressionAttributeNames:  map[string]string{"#st": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1), ":pending": str(string(collab.InvPending)), ":h": str(inv.TokenHash)}}},
			onConflict: collab.InvitationGone(collab.GoneRevoked)})
	}
	if a.Partner != nil {
		it, err := s.putNew(toPartnerRow(*a.Partner, *a.Project), collab.AlreadyPartner(a.Partner.OrgID))
		if err != nil {
			return err
		}
		items = append(items, it)
	}
	owners := 0
	for _, m := range a.Members {
		it, err := s.putNew(toProjectMemberRow(m), collab.AlreadyMember(collab.RecordProject, ""))
		if err != nil {
			return err
		}
		items = append(items, it)
		if m.Role == collab.RoleOwner {
			owners++
		}
	}
	if len(a.Members) > 0 {
		items = append(items, txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table,
			Key: keyAV(projectKey(a.Members[0].ProjectID)), UpdateExpression: aws.String("ADD owners :n"),
			ConditionExpression: aws.String("attribute_exists(PK)"), ExpressionAttributeValues: map[string]types.AttributeValue{":n": n(owners)}}},
			onConflict: collab.NoLongerExists(collab.RecordProject)})
	}
	if m := a.OrgMember; m != nil {
		it, err := s.putNew(toOrgMemberRow(*m), collab.AlreadyMember(collab.RecordOrg, ""))
		if err != nil {
			return err
		}
		inc := 0
		if m.Role == collab.OrgOwner {
			inc = 1
		}
		items = append(items, it, txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: keyAV(orgKey(m.OrgID)),
			UpdateExpression: aws.String("ADD owners :n"), ConditionExpression: aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": n(inc)}}},
			onConflict: collab.NoLongerExists(collab.RecordOrg)})
	}
	if c := a.Collab; c != nil {
		it, err := s.putNew(toCollaboratorRow(*c), collab.AlreadyCollaborator(""))
		if err != nil {
			return err
		}
		items = append(items, it)
	}
	for _, w := range a.WSMembers {
		it, err := s.putNew(toWorkspaceMemberRow(w), collab.AlreadyMember(collab.RecordWorkspace, ""))
		if err != nil {
			return err
		}
		items = append(items, it)
	}
	if n := a.NewOrg; n != nil {
		exists := collab.AlreadyExists(collab.RecordOrg, n.Org.ID)
		for _, row := range []any{toOrgRow(n.Org), toOrgMemberRow(n.Owner), toWorkspaceRow(n.Workspace)} {
			it, err := s.putNew(row, exists)
			if err != nil {
				return err
			}
			items = append(items, it)
		}
	}
	if p := a.NewManager; p != nil {
		items = append(items, s.versioned(partnerKey(p.ProjectID, p.OrgID), p.Version, "SET managerId = :m", nil,
			map[string]types.AttributeValue{":m": str(p.ManagerID)}, collab.Stale(collab.RecordPartner)))
	}
	return s.transactAudited(ctx, a.Audit, items...)
}
