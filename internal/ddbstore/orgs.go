// Users, orgs and org members.

package ddbstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

type userRow struct {
	keys
	gsi1
	meta
	Email     string    `dynamodbav:"email"`
	Name      string    `dynamodbav:"name"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
}

type orgRow struct {
	keys
	meta
	ID        string    `dynamodbav:"id"`
	Name      string    `dynamodbav:"name"`
	CreatedBy string    `dynamodbav:"createdBy"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	// Owners counts owner memberships, so the last owner cannot go.
	Owners int `dynamodbav:"owners"`
	// Deleting marks a deletion under way (set only when it takes more
	// than one transaction).
	Deleting bool `dynamodbav:"deleting,omitempty"`
	// Inbound approval (collab.Org.InboundApproval).
	InboundApproval   string   `dynamodbav:"inboundApproval,omitempty"`
	TrustedHostOrgIDs []string `dynamodbav:"trustedHostOrgIds,omitempty"`
}

func toOrgRow(o collab.Org) orgRow {
	return orgRow{keys: orgKey(o.ID), meta: meta{Type: typeOrg, Version: o.Version},
		ID: o.ID, Name: o.Name, CreatedBy: o.CreatedBy, CreatedAt: o.CreatedAt, Owners: 1}
}

func (r orgRow) domain() collab.Org {
	return collab.Org{ID: r.ID, Name: r.Name, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, Deleting: r.Deleting,
		InboundApproval: collab.InboundApproval(r.InboundApproval), TrustedHostOrgIDs: r.TrustedHostOrgIDs, Version: r.Version}
}

type orgMemberRow struct {
	keys
	gsi1
	meta
	OrgID    string    `dynamodbav:"orgId"`
	OrgName  string    `dynamodbav:"orgName"`
	UserID   string    `dynamodbav:"userId"`
	Email    string    `dynamodbav:"email"`
	Name     string    `dynamodbav:"name"`
	Role     string    `dynamodbav:"role"`
	JoinedAt time.Time `dynamodbav:"joinedAt"`
}

func toOrgMemberRow(m collab.OrgMembership) orgMemberRow {
	return orgMemberRow{
		keys: orgMemberKey(m.OrgID, m.UserID), gsi1: orgMemberIndex(m.OrgID, m.UserID),
		meta:  meta{Type: typeOrgMember, Version: m.Version},
		OrgID: m.OrgID, OrgName: m.OrgName, UserID: m.UserID, Email: m.Email, Name: m.Name,
		Role: string(m.Role), JoinedAt: m.JoinedAt,
	}
}

func (r orgMemberRow) domain() collab.OrgMembership {
	return collab.OrgMembership{OrgID: r.OrgID, OrgName: r.OrgName, UserID: r.UserID, Email: r.Email,
		Name: r.Name, Role: collab.OrgRole(r.Role), JoinedAt: r.JoinedAt, Version: r.Version}
}

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

// GetUser reads a user.
func (s *Store) GetUser(ctx context.Context, userID string) (collab.User, error) {
	var r userRow
	if err := s.get(ctx, userKey(userID), &r, collab.NotFound(collab.RecordUser, userID)); err != nil {
		return collab.User{}, err
	}
	return collab.User{ID: userID, Email: r.Email, Name: r.Name, CreatedAt: r.CreatedAt}, nil
}

// FindUserByEmail finds a user by (normalized) email.
func (s *Store) FindUserByEmail(ctx context.Context, email string) (collab.User, error) {
	pk, sk := usersByEmail(email)
	var rows []userRow
	if _, err := s.query(ctx, queryInput{index: indexGSI1, pk: pk, skPrefix: sk, limit: 1}, &rows); err != nil {
		return collab.User{}, err
	}
	if len(rows) == 0 {
		return collab.User{}, collab.NotFoundBy(collab.RecordUser, "email", email)
	}
	r := rows[0]
	return collab.User{ID: strings.TrimPrefix(r.PK, prefixUser), Email: r.Email, Name: r.Name, CreatedAt: r.CreatedAt}, nil
}

// CreateOrg writes the org, its owner membership and its default workspace in
// one transaction; none of them may exist already.
func (s *Store) CreateOrg(ctx context.Context, n collab.NewOrg) error {
	exists := collab.AlreadyExists(collab.RecordOrg, n.Org.ID)
	org, err := s.putNew(toOrgRow(n.Org), exists)
	if err != nil {
		return err
	}
	owner, err := s.putNew(toOrgMemberRow(n.Owner), exists)
	if err != nil {
		return err
	}
	ws, err := s.putNew(toWorkspaceRow(n.Workspace), collab.AlreadyExists(collab.RecordWorkspace, n.Workspace.ID))
	if err != nil {
		return err
	}
	return s.transact(ctx, org, owner, ws)
}

// GetOrg reads one org.
func (s *Store) GetOrg(ctx context.Context, orgID string) (collab.Org, error) {
	var r orgRow
	if err := s.get(ctx, orgKey(orgID), &r, collab.NotFound(collab.RecordOrg, orgID)); err != nil {
		return collab.Org{}, err
	}
	return r.domain(), nil
}

// GetOrgMembership reads one user's membership of an org.
func (s *Store) GetOrgMembership(ctx context.Context, orgID, userID string) (collab.OrgMembership, error) {
	var r orgMemberRow
	nf := collab.NotMember(userID, collab.RecordOrg, orgID)
	if err := s.get(ctx, orgMemberKey(orgID, userID), &r, nf); err != nil {
		return collab.OrgMembership{}, err
	}
	return r.domain(), nil
}

// GetOrgMemberships reads many users' memberships of one org in batches.
func (s *Store) GetOrgMemberships(ctx context.Context, orgID string, userIDs []string) (map[string]collab.OrgMembership, error) {
	rows, err := rowsByUser(ctx, s, userIDs, func(u string) keys { return orgMemberKey(orgID, u) },
		func(r orgMemberRow) string { return r.UserID })
	out := make(map[string]collab.OrgMembership, len(rows))
	for u, r := range rows {
		out[u] = r.domain()
	}
	return out, err
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
	it, err := s.putNew(toOrgMemberRow(m), collab.AlreadyMember(collab.RecordOrg, m.Email))
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
		onConflict: collab.NotFound(collab.RecordOrg, m.OrgID)}
	return s.transact(ctx, it, org)
}

// SeedOrgMembers bulk-loads memberships into an existing org (batches of
// maxBatchWriteItems, idempotent puts): for imports, migrations and scale runs. It does
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

// SetOrgMemberRole changes a member's org role; the org keeps an owner.
func (s *Store) SetOrgMemberRole(ctx context.Context, m collab.OrgMembership, role collab.OrgRole, audit ...collab.AuditEntry) error {
	items := []txItem{s.versioned(orgMemberKey(m.OrgID, m.UserID), m.Version, "SET #r = :r",
		map[string]string{"#r": "role"}, map[string]types.AttributeValue{":r": str(string(role))}, collab.Stale(collab.RecordMembership))}
	if d, ok := s.ownerDelta(counted{kind: collab.RecordOrg, id: m.OrgID}, m.Role == collab.OrgOwner, role == collab.OrgOwner); ok {
		items = append(items, d)
	}
	return s.transactAudited(ctx, audit, items...)
}

// RemoveOrgMember deletes an org membership together with every row that
// granted rights through it (project memberships, workspace roles, group
// memberships), with the audit entries, in one transaction; the org (and
// every project) keeps an owner.
func (s *Store) RemoveOrgMember(ctx context.Context, m collab.OrgMembership, fp collab.Footprint, audit ...collab.AuditEntry) error {
	items := []txItem{s.deleteVersioned(orgMemberKey(m.OrgID, m.UserID), m.Version, collab.Stale(collab.RecordMembership))}
	if d, ok := s.ownerDelta(counted{kind: collab.RecordOrg, id: m.OrgID}, m.Role == collab.OrgOwner, false); ok {
		items = append(items, d)
	}
	for _, pm := range fp.Projects {
		items = append(items, s.deleteVersioned(projectMemberKey(pm.ProjectID, pm.UserID), pm.Version, collab.Stale(collab.RecordMembership)))
		if d, ok := s.ownerDelta(counted{kind: collab.RecordProject, id: pm.ProjectID, byID: true}, pm.Role == collab.RoleOwner, false); ok {
			items = append(items, d)
		}
	}
	for _, wm := range fp.Workspaces {
		items = append(items, s.deleteKey(workspaceMemberKey(wm.WorkspaceID, wm.UserID)))
	}
	for _, gm := range fp.Groups {
		items = append(items, s.deleteKey(groupMemberKey(gm.GroupID, gm.UserID)))
	}
	return s.transactAudited(ctx, audit, items...)
}

// Footprint lists what a user holds anywhere that may have come through
// an org: their project memberships, workspace roles and, of the org's
// groups, their memberships.
func (s *Store) Footprint(ctx context.Context, orgID, userID string) (collab.Footprint, error) {
	var fp collab.Footprint
	var err error
	if fp.Projects, err = s.ListUserProjects(ctx, userID); err != nil {
		return fp, err
	}
	wpk, wsk := workspacesOfUser(userID)
	wrows, err := allRows[workspaceMemberRow](ctx, s, queryInput{index: indexGSI1, pk: wpk, skPrefix: wsk}, 10000)
	if err != nil {
		return fp, err
	}
	for _, r := range wrows {
		fp.Workspaces = append(fp.Workspaces, r.domain())
	}
	gpk, gsk := groupsOfUser(userID)
	grows, err := allRows[groupMemberRow](ctx, s, queryInput{index: indexGSI1, pk: gpk, skPrefix: gsk}, 10000)
	if err != nil || len(grows) == 0 {
		return fp, err
	}
	ks := make([]keys, len(grows))
	for i, r := range grows {
		ks[i] = groupKey(orgID, r.GroupID)
	}
	found, err := s.batchGet(ctx, ks)
	if err != nil {
		return fp, err
	}
	for _, r := range grows {
		if _, ok := found[groupKey(orgID, r.GroupID)]; ok {
			fp.Groups = append(fp.Groups, collab.GroupMember{GroupID: r.GroupID, UserID: r.UserID, Email: r.Email, Name: r.Name, OrgID: orgID})
		}
	}
	return fp, nil
}

// RenameOrg renames the org (version-checked, with the audit entries; no
// write of the org when the name stays) and then sets the copies of its
// name that one-query listings read: its memberships (a user's org list),
// its collaborator items (collaborator lists) and its partner items
// (partner lists). Copies already right are not written; a copy left
// behind by a failure is brought in step by repeating the rename.
func (s *Store) RenameOrg(ctx context.Context, org collab.Org, name string, audit ...collab.AuditEntry) (collab.Org, error) {
	if org.Name != name {
		if err := s.transactAudited(ctx, audit, s.versioned(orgKey(org.ID), org.Version, "SET #n = :n", map[string]string{"#n": "name"},
			map[string]types.AttributeValue{":n": str(name)}, collab.Stale(collab.RecordOrg))); err != nil {
			return collab.Org{}, err
		}
		org.Name, org.Version = name, org.Version+1
	}
	var stale []keys
	mpk, msk := orgMembersOf(org.ID)
	members, err := allRows[orgMemberRow](ctx, s, queryInput{pk: mpk, skPrefix: msk}, 0)
	if err != nil {
		return collab.Org{}, err
	}
	for _, r := range members {
		if r.OrgName != name {
			stale = append(stale, r.keys)
		}
	}
	cols, err := s.ListOrgCollaborations(ctx, org.ID)
	if err != nil {
		return collab.Org{}, err
	}
	for _, c := range cols {
		if c.OrgName != name {
			stale = append(stale, collaboratorKey(c.WorkspaceID, c.OrgID))
		}
	}
	ppk, psk := orgProjectsOf(org.ID)
	err = s.queryAll(ctx, queryInput{index: indexGSI1, pk: ppk, skPrefix: psk}, 0, func(items []map[string]types.AttributeValue) error {
		for _, item := range items {
			var r partnerRow
			if err := attributevalue.UnmarshalMap(item, &r); err != nil {
				return err
			}
			if r.Type == typePartner && r.OrgName != name {
				stale = append(stale, r.keys)
			}
		}
		return nil
	})
	if err != nil {
		return collab.Org{}, err
	}
	return org, s.renameCopies(ctx, stale, "orgName", name)
}

// OrgContents reads everything an org holds: its own projects and its
// partnerships (counted from its project listing), its collaborations,
// its workspaces with what each holds, its groups with their members and
// links, its members and its pending invitations.
func (s *Store) OrgContents(ctx context.Context, orgID string) (collab.OrgContents, error) {
	var held collab.OrgContents
	ppk, psk := orgProjectsOf(orgID)
	err := s.queryAll(ctx, queryInput{index: indexGSI1, pk: ppk, skPrefix: psk}, 0, func(items []map[string]types.AttributeValue) error {
		for _, item := range items {
			var m meta
			if err := attributevalue.UnmarshalMap(item, &m); err != nil {
				return err
			}
			switch m.Type {
			case typeProject:
				held.Projects++
			case typePartner:
				held.Partnerships++
			}
		}
		return nil
	})
	if err != nil {
		return held, err
	}
	if held.Collaborations, err = s.ListOrgCollaborations(ctx, orgID); err != nil {
		return held, err
	}
	if held.Webhooks, err = s.ListWebhooks(ctx, orgID); err != nil {
		return held, err
	}
	wpk, wsk := workspacesOf(orgID)
	wss, err := allRows[workspaceRow](ctx, s, queryInput{index: indexGSI1, pk: wpk, skPrefix: wsk}, 0)
	if err != nil {
		return held, err
	}
	for _, w := range wss {
		wc, err := s.WorkspaceContents(ctx, w.ID)
		if collab.IsCode(err, collab.CodeNotFound) {
			continue // deleted since the index was read
		}
		if err != nil {
			return held, err
		}
		held.Workspaces = append(held.Workspaces, wc)
	}
	gpk, gsk := groupsOf(orgID)
	groups, err := allRows[groupRow](ctx, s, queryInput{pk: gpk, skPrefix: gsk}, 0)
	if err != nil {
		return held, err
	}
	for _, g := range groups {
		gc := collab.GroupContents{Group: g.domain()}
		if gc.Members, err = s.ListGroupMembers(ctx, g.ID); err != nil {
			return held, err
		}
		if gc.Links, err = s.ListGroupLinks(ctx, g.ID); err != nil {
			return held, err
		}
		held.Groups = append(held.Groups, gc)
	}
	mpk, msk := orgMembersOf(orgID)
	members, err := allRows[orgMemberRow](ctx, s, queryInput{pk: mpk, skPrefix: msk}, 0)
	if err != nil {
		return held, err
	}
	for _, r := range members {
		held.Members = append(held.Members, r.domain())
	}
	held.Invitations, err = s.allInvitations(ctx, collab.InvitationScope{Kind: "org", ID: orgID})
	return held, err
}

// DeleteOrg deletes an org and what it holds: pending invitations
// (revoked), groups with their members and links, workspaces (each only
// while no project counts on it) with their members, memberships. When it
// all fits one transaction it is one, with the org row version-checked;
// otherwise the first transaction marks the org deleting (version-checked,
// with the audit entries: no workspace or group can be added from then on),
// the rest follows in batches, and the org row and the caller's own
// membership (keep) go last, so the caller can repeat a cut-off delete.
func (s *Store) DeleteOrg(ctx context.Context, org collab.Org, keep string, held collab.OrgContents, audit ...collab.AuditEntry) error {
	var units [][]txItem
	one := func(it txItem) { units = append(units, []txItem{it}) }
	for _, inv := range held.Invitations {
		one(s.revoke(inv))
	}
	for _, g := range held.Groups {
		for _, m := range g.Members {
			one(s.deleteKey(groupMemberKey(g.Group.ID, m.UserID)))
		}
		for _, l := range g.Links {
			one(s.deleteKey(groupLinkKey(g.Group.ID, l.ProjectID)))
		}
		one(s.deleteKey(groupKey(org.ID, g.Group.ID)))
	}
	for _, w := range held.Workspaces {
		units = append(units, s.workspaceUnits(w)...)
		one(s.workspaceGone(w.Workspace))
	}
	for _, w := range held.Webhooks {
		one(s.deleteKey(webhookKey(org.ID, w.ID)))
	}
	if len(held.Webhooks) > 0 {
		one(s.deleteKey(webhookCountKey(org.ID)))
	}
	var last []txItem
	for _, m := range held.Members {
		it := s.deleteVersioned(orgMemberKey(m.OrgID, m.UserID), m.Version, collab.Stale(collab.RecordMembership))
		if m.UserID == keep {
			last = append(last, it)
			continue
		}
		one(it)
	}
	auditItems, err := s.auditItems(audit)
	if err != nil {
		return err
	}
	if !org.Deleting && held.Writes() <= collab.MaxTransactionItems {
		last = append(last, s.deleteVersioned(orgKey(org.ID), org.Version, collab.Stale(collab.RecordOrg)))
		return s.writeInOrder(ctx, nil, units, append(last, auditItems...))
	}
	var first []txItem
	if !org.Deleting {
		first = append(auditItems, s.versioned(orgKey(org.ID), org.Version, "SET deleting = :t", nil,
			map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}}, collab.Stale(collab.RecordOrg)))
	}
	last = append(last, txItem{write: types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: keyAV(orgKey(org.ID)),
		ConditionExpression: aws.String("attribute_exists(deleting)")}}, onConflict: collab.Stale(collab.RecordOrg)})
	return s.writeInOrder(ctx, first, units, last)
}

// SetOrgInbound sets an org's inbound approval settings (version-checked),
// with the audit entry.
func (s *Store) SetOrgInbound(ctx context.Context, org collab.Org, approval collab.InboundApproval, trusted []string, audit ...collab.AuditEntry) error {
	update := "SET inboundApproval = :a"
	values := map[string]types.AttributeValue{":a": str(string(approval))}
	if len(trusted) > 0 {
		list := make([]types.AttributeValue, len(trusted))
		for i, id := range trusted {
			list[i] = str(id)
		}
		update += ", trustedHostOrgIds = :t"
		values[":t"] = &types.AttributeValueMemberL{Value: list}
	} else {
		update += " REMOVE trustedHostOrgIds"
	}
	return s.transactAudited(ctx, audit, s.versioned(orgKey(org.ID), org.Version, update, nil, values, collab.Stale(collab.RecordOrg)))
}
