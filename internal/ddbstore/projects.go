package ddbstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

func n(i int) types.AttributeValue { return &types.AttributeValueMemberN{Value: strconv.Itoa(i)} }
func str(v string) types.AttributeValue {
	return &types.AttributeValueMemberS{Value: v}
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

// projectPlace is what never changes about a project: where it lives.
type projectPlace struct{ workspaceID, hostOrgID string }

var places sync.Map // projectID -> projectPlace, per process

// --- users -------------------------------------------------------------

// FindUserByEmail finds a user by (normalized) email.
func (s *Store) FindUserByEmail(ctx context.Context, email string) (collab.User, error) {
	pk, sk := usersByEmail(email)
	var rows []userRow
	if _, err := s.query(ctx, queryInput{index: indexGSI1, pk: pk, skPrefix: sk, limit: 1}, &rows); err != nil {
		return collab.User{}, err
	}
	if len(rows) == 0 {
		return collab.User{}, collab.Errorf(collab.CodeNotFound, "no user with email %q", email)
	}
	r := rows[0]
	return collab.User{ID: strings.TrimPrefix(r.PK, prefixUser), Email: r.Email, Name: r.Name, CreatedAt: r.CreatedAt}, nil
}

// --- org members ---------------------------------------------------------

func lastOwner(what string) error {
	return collab.Errorf(collab.CodeConflict, "%s must keep at least one owner", what)
}

func changed(what string) error {
	return collab.Errorf(collab.CodeConflict, "%s changed meanwhile; reload and retry", what)
}

// ownerDelta returns the update of an owners counter on k for a role change
// from → to: the counter may not drop below one.
func (s *Store) ownerDelta(k keys, wasOwner, isOwner bool, what string) (txItem, bool) {
	switch {
	case wasOwner && !isOwner:
		return txItem{write: types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: keyAV(k),
			UpdateExpression:          aws.String("ADD owners :minus"),
			ConditionExpression:       aws.String("owners > :one"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":minus": n(-1), ":one": n(1)},
		}}, onConflict: lastOwner(what)}, true
	case !wasOwner && isOwner:
		return txItem{write: types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: keyAV(k),
			UpdateExpression:    aws.String("ADD owners :plus"),
			ConditionExpression: aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":plus": n(1)},
		}}, onConflict: collab.Errorf(collab.CodeNotFound, "%s no longer exists", what)}, true
	}
	return txItem{}, false
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

// SetOrgMemberRole changes a member's org role; the org keeps an owner.
func (s *Store) SetOrgMemberRole(ctx context.Context, m collab.OrgMembership, role collab.OrgRole, audit ...collab.AuditEntry) error {
	items := []txItem{s.versioned(orgMemberKey(m.OrgID, m.UserID), m.Version, "SET #r = :r",
		map[string]string{"#r": "role"}, map[string]types.AttributeValue{":r": str(string(role))}, changed("the membership"))}
	if d, ok := s.ownerDelta(orgKey(m.OrgID), m.Role == collab.OrgOwner, role == collab.OrgOwner, "the org"); ok {
		items = append(items, d)
	}
	return s.transactAudited(ctx, audit, items...)
}

// RemoveOrgMember deletes an org membership together with every row that
// granted rights through it (project memberships, workspace roles, group
// memberships), with the audit entries, in one transaction; the org (and
// every project) keeps an owner.
func (s *Store) RemoveOrgMember(ctx context.Context, m collab.OrgMembership, fp collab.Footprint, audit ...collab.AuditEntry) error {
	items := []txItem{s.deleteVersioned(orgMemberKey(m.OrgID, m.UserID), m.Version, changed("the membership"))}
	if d, ok := s.ownerDelta(orgKey(m.OrgID), m.Role == collab.OrgOwner, false, "the org"); ok {
		items = append(items, d)
	}
	for _, pm := range fp.Projects {
		items = append(items, s.deleteVersioned(projectMemberKey(pm.ProjectID, pm.UserID), pm.Version, changed("a project membership")))
		if d, ok := s.ownerDelta(projectKey(pm.ProjectID), pm.Role == collab.RoleOwner, false, "project "+pm.ProjectID); ok {
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

// ListUserProjects lists a user's project memberships (all pages).
func (s *Store) ListUserProjects(ctx context.Context, userID string) ([]collab.ProjectMember, error) {
	pk, sk := projectsOfUser(userID)
	rows, err := allRows[projectMemberRow](ctx, s, queryInput{index: indexGSI1, pk: pk, skPrefix: sk}, 10000)
	out := make([]collab.ProjectMember, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, err
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

// --- workspaces ------------------------------------------------------------

// CreateWorkspace writes a new workspace.
func (s *Store) CreateWorkspace(ctx context.Context, w collab.Workspace) error {
	it, err := s.putNew(toWorkspaceRow(w), collab.Errorf(collab.CodeConflict, "workspace %q already exists", w.ID))
	if err != nil {
		return err
	}
	return s.transact(ctx, it)
}

// GetWorkspace reads a workspace.
func (s *Store) GetWorkspace(ctx context.Context, wsID string) (collab.Workspace, error) {
	var r workspaceRow
	if err := s.get(ctx, workspaceKey(wsID), &r, collab.Errorf(collab.CodeNotFound, "workspace %q not found", wsID)); err != nil {
		return collab.Workspace{}, err
	}
	return r.domain(), nil
}

// ListOrgWorkspaces lists an org's own workspaces.
func (s *Store) ListOrgWorkspaces(ctx context.Context, orgID string, p collab.Page) ([]collab.Workspace, string, error) {
	pk, sk := workspacesOf(orgID)
	var rows []workspaceRow
	next, err := s.query(ctx, queryInput{index: indexGSI1, pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor}, &rows)
	out := make([]collab.Workspace, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, next, err
}

// LoadWorkspaceStanding reads the live facts about a user and a
// workspace: the workspace, the user's workspace row and membership of the
// owning org, and for the named collaborator org (and the org of an
// external row) the collaborator and the user's membership of that org. Two
// batch reads. A missing workspace is not found.
func (s *Store) LoadWorkspaceStanding(ctx context.Context, wsID, userID, targetOrg string) (collab.WorkspaceStanding, error) {
	first := []keys{workspaceKey(wsID), workspaceMemberKey(wsID, userID)}
	found, err := s.batchGet(ctx, first)
	if err != nil {
		return collab.WorkspaceStanding{}, err
	}
	var w *collab.Workspace
	st := collab.WorkspaceStanding{UserID: userID, Collabs: map[string]collab.CollabStanding{}}
	if err := errors.Join(decodeInto(found, workspaceKey(wsID), &w, workspaceRow.domain),
		decodeInto(found, workspaceMemberKey(wsID, userID), &st.Row, workspaceMemberRow.domain)); err != nil {
		return collab.WorkspaceStanding{}, err
	}
	if w == nil {
		return collab.WorkspaceStanding{}, collab.Errorf(collab.CodeNotFound, "workspace %q not found", wsID)
	}
	st.Workspace = *w
	orgs := []string{}
	if targetOrg != "" && targetOrg != w.OrgID {
		orgs = append(orgs, targetOrg)
	}
	if st.Row != nil && st.Row.External && st.Row.OrgID != targetOrg {
		orgs = append(orgs, st.Row.OrgID)
	}
	second := []keys{orgMemberKey(w.OrgID, userID)}
	for _, org := range orgs {
		second = append(second, collaboratorKey(wsID, org), orgMemberKey(org, userID))
	}
	if found, err = s.batchGet(ctx, second); err != nil {
		return collab.WorkspaceStanding{}, err
	}
	errs := []error{decodeInto(found, orgMemberKey(w.OrgID, userID), &st.OwnerOrg, orgMemberRow.domain)}
	for _, org := range orgs {
		var cs collab.CollabStanding
		errs = append(errs, decodeInto(found, collaboratorKey(wsID, org), &cs.Collaborator, collaboratorRow.domain),
			decodeInto(found, orgMemberKey(org, userID), &cs.Member, orgMemberRow.domain))
		st.Collabs[org] = cs
	}
	return st, errors.Join(errs...)
}

// --- projects ----------------------------------------------------------------

// CreateProject writes the project and its first owner in one transaction.
func (s *Store) CreateProject(ctx context.Context, p collab.Project, owner collab.ProjectMember) error {
	exists := collab.Errorf(collab.CodeConflict, "project %q already exists", p.ID)
	proj, err := s.putNew(toProjectRow(p, 1), exists)
	if err != nil {
		return err
	}
	mem, err := s.putNew(toProjectMemberRow(owner), exists)
	if err != nil {
		return err
	}
	ws := txItem{write: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &s.table, Key: keyAV(workspaceKey(p.WorkspaceID)), ConditionExpression: aws.String("attribute_exists(PK)"),
	}}, onConflict: collab.Errorf(collab.CodeNotFound, "workspace %q not found", p.WorkspaceID)}
	return s.transact(ctx, proj, mem, ws)
}

// LoadStanding reads what decides a user's rights on a project: the project,
// the user's project membership, host-org membership and workspace role (one
// batch read once the project's place is known; two on the first sight of a
// project in this process), and for an external member the partner's types.
func (s *Store) LoadStanding(ctx context.Context, projectID, userID string) (collab.Project, collab.Standing, error) {
	p, st, _, err := s.loadStanding(ctx, projectID, userID)
	return p, st, err
}

// LoadItemStanding is LoadStanding with an item of the project read in the
// same batch: an item operation costs one read round trip, not two.
func (s *Store) LoadItemStanding(ctx context.Context, projectID, itemID, userID string) (collab.Project, collab.Standing, collab.Item, error) {
	p, st, found, err := s.loadStanding(ctx, projectID, userID, itemKey(projectID, itemID))
	if err != nil {
		return collab.Project{}, collab.Standing{}, collab.Item{}, err
	}
	raw, ok := found[itemKey(projectID, itemID)]
	if !ok {
		return p, st, collab.Item{}, collab.Errorf(collab.CodeNotFound, "item %q not found", itemID)
	}
	var r itemRow
	if err := attributevalue.UnmarshalMap(raw, &r); err != nil {
		return collab.Project{}, collab.Standing{}, collab.Item{}, err
	}
	return p, st, r.domain(), nil
}

func (s *Store) loadStanding(ctx context.Context, projectID, userID string, extra ...keys) (collab.Project, collab.Standing, map[keys]map[string]types.AttributeValue, error) {
	notFound := collab.Errorf(collab.CodeNotFound, "project %q not found", projectID)
	ks := append([]keys{projectKey(projectID), projectMemberKey(projectID, userID)}, extra...)
	place, known := places.Load(projectID)
	if known {
		pl := place.(projectPlace)
		ks = append(ks, orgMemberKey(pl.hostOrgID, userID), workspaceMemberKey(pl.workspaceID, userID))
	}
	found, err := s.batchGet(ctx, ks)
	if err != nil {
		return collab.Project{}, collab.Standing{}, nil, err
	}
	item, ok := found[projectKey(projectID)]
	if !ok {
		places.Delete(projectID)
		return collab.Project{}, collab.Standing{}, nil, notFound
	}
	var pr projectRow
	if err := attributevalue.UnmarshalMap(item, &pr); err != nil {
		return collab.Project{}, collab.Standing{}, nil, err
	}
	p := pr.domain()
	pl := projectPlace{workspaceID: p.WorkspaceID, hostOrgID: p.HostOrgID}
	if !known {
		places.Store(projectID, pl)
		more, err := s.batchGet(ctx, []keys{orgMemberKey(pl.hostOrgID, userID), workspaceMemberKey(pl.workspaceID, userID)})
		if err != nil {
			return collab.Project{}, collab.Standing{}, nil, err
		}
		for k, v := range more {
			found[k] = v
		}
	}
	st := collab.Standing{ProjectID: projectID, HostOrgID: p.HostOrgID, UserID: userID}
	if err := decodeInto(found, projectMemberKey(projectID, userID), &st.Member, projectMemberRow.domain); err != nil {
		return collab.Project{}, collab.Standing{}, nil, err
	}
	if err := decodeInto(found, orgMemberKey(pl.hostOrgID, userID), &st.HostOrg, orgMemberRow.domain); err != nil {
		return collab.Project{}, collab.Standing{}, nil, err
	}
	if err := decodeInto(found, workspaceMemberKey(pl.workspaceID, userID), &st.WorkspaceRow, workspaceMemberRow.domain); err != nil {
		return collab.Project{}, collab.Standing{}, nil, err
	}
	// The live facts behind an external row, in one more batch: the
	// partnership (or collaborator) of its org and the user's membership
	// of that org now. The domain decides what they are worth.
	var more []keys
	if m := st.Member; m != nil && m.Side == collab.SideExternal {
		more = append(more, partnerKey(projectID, m.OrgID), orgMemberKey(m.OrgID, userID))
	}
	if w := st.WorkspaceRow; w != nil && w.External {
		more = append(more, collaboratorKey(pl.workspaceID, w.OrgID), orgMemberKey(w.OrgID, userID))
	}
	if len(more) > 0 {
		got, err := s.batchGet(ctx, more)
		if err != nil {
			return collab.Project{}, collab.Standing{}, nil, err
		}
		var errs []error
		if m := st.Member; m != nil && m.Side == collab.SideExternal {
			errs = append(errs, decodeInto(got, partnerKey(projectID, m.OrgID), &st.Partner, partnerRow.domain),
				decodeInto(got, orgMemberKey(m.OrgID, userID), &st.MemberOrg, orgMemberRow.domain))
		}
		if w := st.WorkspaceRow; w != nil && w.External {
			errs = append(errs, decodeInto(got, collaboratorKey(pl.workspaceID, w.OrgID), &st.Collab, collaboratorRow.domain),
				decodeInto(got, orgMemberKey(w.OrgID, userID), &st.CollabOrg, orgMemberRow.domain))
		}
		if err := errors.Join(errs...); err != nil {
			return collab.Project{}, collab.Standing{}, nil, err
		}
	}
	return p, st, found, nil
}

// RenameProject renames a project (version-checked), keeping the name copies
// on its partner items in step, in one transaction.
func (s *Store) RenameProject(ctx context.Context, p collab.Project, name string) (collab.Project, error) {
	partners, err := s.ListPartners(ctx, p.ID)
	if err != nil {
		return collab.Project{}, err
	}
	items := []txItem{s.versioned(projectKey(p.ID), p.Version, "SET #n = :n", map[string]string{"#n": "name"},
		map[string]types.AttributeValue{":n": str(name)}, changed("the project"))}
	for _, pa := range partners {
		items = append(items, txItem{write: types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: keyAV(partnerKey(p.ID, pa.OrgID)),
			UpdateExpression:          aws.String("SET projectName = :n"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": str(name)},
		}}, onConflict: changed("the project's partners")})
	}
	if len(items) > 100 {
		return collab.Project{}, collab.Errorf(collab.CodeConflict, "too many partners to rename at once")
	}
	if err := s.transact(ctx, items...); err != nil {
		return collab.Project{}, err
	}
	p.Name, p.Version = name, p.Version+1
	return p, nil
}

// DeleteProject removes the project: first, in one transaction, its META
// item (version-checked) and its partner items, so it vanishes for everyone
// at once (access checks read META; shared lists read partner items); then
// everything else under the project (members, items, …) and its group
// links, in batches. It returns how many items were deleted.
func (s *Store) DeleteProject(ctx context.Context, p collab.Project) (int, error) {
	partners, err := s.ListPartners(ctx, p.ID)
	if err != nil {
		return 0, err
	}
	items := []txItem{s.deleteVersioned(projectKey(p.ID), p.Version, changed("the project"))}
	for _, pa := range partners {
		items = append(items, txItem{write: types.TransactWriteItem{Delete: &types.Delete{
			TableName: &s.table, Key: keyAV(partnerKey(p.ID, pa.OrgID))}}})
	}
	if len(items) > 100 {
		return 0, collab.Errorf(collab.CodeConflict, "too many partners to delete at once; stop some collaborations first")
	}
	if err := s.transact(ctx, items...); err != nil {
		return 0, err
	}
	places.Delete(p.ID)
	var rest []keys
	collect := func(items []map[string]types.AttributeValue) error {
		for _, it := range items {
			rest = append(rest, keyOf(it))
		}
		return nil
	}
	if err := s.queryAll(ctx, queryInput{pk: projectPartition(p.ID), skPrefix: ""}, 0, collect); err != nil {
		return 0, err
	}
	// Items carry their history and comments in partitions of their own,
	// and members their analytics counters.
	for _, k := range slices.Clone(rest) {
		var sub string
		switch {
		case isItemKey(k):
			sub = itemPartition(k)
		case strings.HasPrefix(k.SK, prefixMember):
			sub = statsKey(p.ID, strings.TrimPrefix(k.SK, prefixMember), "").PK
		default:
			continue
		}
		if err := s.queryAll(ctx, queryInput{pk: sub}, 0, collect); err != nil {
			return 0, err
		}
	}
	pk, sk := projectGroupsOf(p.ID)
	if err := s.queryAll(ctx, queryInput{index: indexGSI2, pk: pk, skPrefix: sk}, 0, collect); err != nil {
		return 0, err
	}
	if err := s.batchDelete(ctx, rest); err != nil {
		return 0, err
	}
	return len(items) + len(rest), nil
}

// ListOrgProjects lists an org's own projects and the projects shared with
// it, in one GSI1 query a page.
func (s *Store) ListOrgProjects(ctx context.Context, orgID string, p collab.Page) ([]collab.OrgProject, string, error) {
	pk, sk := orgProjectsOf(orgID)
	var raw []map[string]types.AttributeValue
	next, err := s.query(ctx, queryInput{index: indexGSI1, pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor}, &raw)
	if err != nil {
		return nil, "", err
	}
	out := make([]collab.OrgProject, 0, len(raw))
	for _, item := range raw {
		var m meta
		_ = attributevalue.UnmarshalMap(item, &m)
		switch m.Type {
		case typeProject:
			var r projectRow
			if err := attributevalue.UnmarshalMap(item, &r); err != nil {
				return nil, "", err
			}
			out = append(out, collab.OrgProject{ID: r.ID, Name: r.Name, WorkspaceID: r.WorkspaceID, HostOrgID: r.HostOrgID})
		case typePartner:
			var r partnerRow
			if err := attributevalue.UnmarshalMap(item, &r); err != nil {
				return nil, "", err
			}
			out = append(out, collab.OrgProject{ID: r.ProjectID, Name: r.ProjectName, WorkspaceID: r.WorkspaceID,
				HostOrgID: r.HostOrgID, Shared: true})
		}
	}
	return out, next, nil
}

// --- project members -------------------------------------------------------

// GetProjectMember reads one membership.
func (s *Store) GetProjectMember(ctx context.Context, projectID, userID string) (collab.ProjectMember, error) {
	var r projectMemberRow
	nf := collab.Errorf(collab.CodeNotFound, "user %q is not a member of this project", userID)
	if err := s.get(ctx, projectMemberKey(projectID, userID), &r, nf); err != nil {
		return collab.ProjectMember{}, err
	}
	return r.domain(), nil
}

// GetProjectMembers reads many memberships of one project in batches.
func (s *Store) GetProjectMembers(ctx context.Context, projectID string, userIDs []string) (map[string]collab.ProjectMember, error) {
	rows, err := rowsByUser(ctx, s, userIDs, func(u string) keys { return projectMemberKey(projectID, u) },
		func(r projectMemberRow) string { return r.UserID })
	out := make(map[string]collab.ProjectMember, len(rows))
	for u, r := range rows {
		out[u] = r.domain()
	}
	return out, err
}

// ListProjectMembers lists a project's members, all of them from the
// project's partition or, with f.OrgID, one org's from GSI2; search and
// role are filters within that listing.
func (s *Store) ListProjectMembers(ctx context.Context, projectID string, f collab.MemberFilter, p collab.Page) ([]collab.ProjectMember, string, error) {
	q := queryInput{limit: p.Limit, cursor: p.Cursor}
	if f.OrgID != "" {
		q.index = indexGSI2
		q.pk, q.skPrefix = projectOrgMembersOf(projectID, f.OrgID)
	} else {
		q.pk, q.skPrefix = projectMembersOf(projectID)
	}
	var conds []string
	q.filterNames, q.filterValues = map[string]string{}, map[string]types.AttributeValue{}
	if f.Query != "" {
		conds = append(conds, "contains(#search, :q)")
		q.filterNames["#search"] = "search"
		q.filterValues[":q"] = str(strings.ToLower(f.Query))
	}
	if f.Role != "" {
		conds = append(conds, "#role = :role")
		q.filterNames["#role"] = "role"
		q.filterValues[":role"] = str(string(f.Role))
	}
	if len(conds) > 0 {
		q.filter = strings.Join(conds, " AND ")
		q.filterScope = strings.ToLower(f.Query) + "|" + string(f.Role)
	}
	var rows []projectMemberRow
	next, err := s.query(ctx, q, &rows)
	if err != nil {
		return nil, "", err
	}
	out := make([]collab.ProjectMember, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, next, nil
}

// AddProjectMembers adds new memberships in one transaction (at most 99);
// none may exist already; owners are counted on the project.
func (s *Store) AddProjectMembers(ctx context.Context, projectID string, ms []collab.ProjectMember, audit ...collab.AuditEntry) error {
	if len(ms) == 0 {
		return nil
	}
	if len(ms) > 99 {
		return fmt.Errorf("add project members: %d in one transaction", len(ms))
	}
	var items []txItem
	owners := 0
	for _, m := range ms {
		it, err := s.putNew(toProjectMemberRow(m), collab.Errorf(collab.CodeConflict, "%s is already a member of this project", m.Email))
		if err != nil {
			return err
		}
		items = append(items, it)
		if m.Role == collab.RoleOwner {
			owners++
		}
	}
	check := &types.Update{TableName: &s.table, Key: keyAV(projectKey(projectID)),
		UpdateExpression:          aws.String("ADD owners :n"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": n(owners)}}
	items = append(items, txItem{write: types.TransactWriteItem{Update: check},
		onConflict: collab.Errorf(collab.CodeNotFound, "project %q not found", projectID)})
	return s.transactAudited(ctx, audit, items...)
}

// SetProjectMemberRole changes a member's role (version-checked); the
// project keeps an owner.
func (s *Store) SetProjectMemberRole(ctx context.Context, m collab.ProjectMember, role collab.Role, guard collab.Basis, audit ...collab.AuditEntry) (collab.ProjectMember, error) {
	items := []txItem{s.versioned(projectMemberKey(m.ProjectID, m.UserID), m.Version, "SET #r = :r",
		map[string]string{"#r": "role"}, map[string]types.AttributeValue{":r": str(string(role))}, changed("the membership"))}
	if d, ok := s.ownerDelta(projectKey(m.ProjectID), m.Role == collab.RoleOwner, role == collab.RoleOwner, "the project"); ok {
		items = append(items, d)
	}
	items = s.guarded(items, guard, m.ProjectID, m.UserID)
	if err := s.transactAudited(ctx, audit, items...); err != nil {
		return collab.ProjectMember{}, err
	}
	m.Role, m.Version = role, m.Version+1
	return m, nil
}

// RemoveProjectMember deletes a membership (version-checked); the project
// keeps an owner.
func (s *Store) RemoveProjectMember(ctx context.Context, m collab.ProjectMember, guard collab.Basis, audit ...collab.AuditEntry) error {
	items := []txItem{s.deleteVersioned(projectMemberKey(m.ProjectID, m.UserID), m.Version, changed("the membership"))}
	if d, ok := s.ownerDelta(projectKey(m.ProjectID), m.Role == collab.RoleOwner, false, "the project"); ok {
		items = append(items, d)
	}
	return s.transactAudited(ctx, audit, s.guarded(items, guard, m.ProjectID, m.UserID)...)
}

// --- partners ------------------------------------------------------------------

// GetPartner reads one partner of a project.
func (s *Store) GetPartner(ctx context.Context, projectID, orgID string) (collab.Partner, error) {
	var r partnerRow
	nf := collab.Errorf(collab.CodeNotFound, "org %q is not a partner of this project", orgID)
	if err := s.get(ctx, partnerKey(projectID, orgID), &r, nf); err != nil {
		return collab.Partner{}, err
	}
	return r.domain(), nil
}

// ListPartners lists a project's partners.
func (s *Store) ListPartners(ctx context.Context, projectID string) ([]collab.Partner, error) {
	pk, sk := partnersOf(projectID)
	rows, err := allRows[partnerRow](ctx, s, queryInput{pk: pk, skPrefix: sk}, 1000)
	out := make([]collab.Partner, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, err
}

// AddPartner attaches an org to a project with its first manager, in one
// transaction; the project must exist and the org must not partner already.
func (s *Store) AddPartner(ctx context.Context, project collab.Project, p collab.Partner, manager *collab.ProjectMember) error {
	it, err := s.putNew(toPartnerRow(p, project), collab.Errorf(collab.CodeConflict, "org %q already partners this project", p.OrgID))
	if err != nil {
		return err
	}
	items := []txItem{it, {write: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &s.table, Key: keyAV(projectKey(project.ID)), ConditionExpression: aws.String("attribute_exists(PK)"),
	}}, onConflict: collab.Errorf(collab.CodeNotFound, "project %q not found", project.ID)}}
	if manager != nil {
		mit, err := s.putNew(toProjectMemberRow(*manager), collab.Errorf(collab.CodeConflict, "%s is already a member of this project", manager.Email))
		if err != nil {
			return err
		}
		items = append(items, mit)
	}
	return s.transact(ctx, items...)
}

// --- groups ------------------------------------------------------------------------

// CreateGroup writes a new group.
func (s *Store) CreateGroup(ctx context.Context, g collab.Group) error {
	it, err := s.putNew(groupRow{keys: groupKey(g.OrgID, g.ID), meta: meta{Type: typeGroup, Version: 1},
		ID: g.ID, OrgID: g.OrgID, Name: g.Name, CreatedAt: g.CreatedAt}, collab.Errorf(collab.CodeConflict, "group exists"))
	if err != nil {
		return err
	}
	return s.transact(ctx, it)
}

// GetGroup reads a group of an org.
func (s *Store) GetGroup(ctx context.Context, orgID, groupID string) (collab.Group, error) {
	var r groupRow
	if err := s.get(ctx, groupKey(orgID, groupID), &r, collab.Errorf(collab.CodeNotFound, "group %q not found", groupID)); err != nil {
		return collab.Group{}, err
	}
	return r.domain(), nil
}

// ListGroupMembers lists every member of a group.
func (s *Store) ListGroupMembers(ctx context.Context, groupID string) ([]collab.GroupMember, error) {
	pk, sk := groupMembersOf(groupID)
	rows, err := allRows[groupMemberRow](ctx, s, queryInput{pk: pk, skPrefix: sk}, 100000)
	out := make([]collab.GroupMember, len(rows))
	for i, r := range rows {
		out[i] = collab.GroupMember{GroupID: r.GroupID, UserID: r.UserID, Email: r.Email, Name: r.Name}
	}
	return out, err
}

// ListGroupLinks lists the projects a group is attached to.
func (s *Store) ListGroupLinks(ctx context.Context, groupID string) ([]collab.GroupLink, error) {
	pk, sk := groupLinksOf(groupID)
	rows, err := allRows[groupLinkRow](ctx, s, queryInput{pk: pk, skPrefix: sk}, 10000)
	out := make([]collab.GroupLink, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, err
}

// AddGroupMember puts a user in a group and, in the same transaction, adds
// them to every project the group is attached to where they are not yet a
// member (at most 98 such projects).
func (s *Store) AddGroupMember(ctx context.Context, gm collab.GroupMember, projects []collab.ProjectMember, audit ...collab.AuditEntry) error {
	row := groupMemberRow{keys: groupMemberKey(gm.GroupID, gm.UserID), gsi1: groupMemberIndex(gm.GroupID, gm.UserID),
		meta: meta{Type: typeGroupMember, Version: 1}, GroupID: gm.GroupID, UserID: gm.UserID, Email: gm.Email, Name: gm.Name}
	av, err := attributevalue.MarshalMap(row)
	if err != nil {
		return err
	}
	items := []txItem{{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}}}
	for _, m := range projects {
		it, err := s.putNew(toProjectMemberRow(m), changed("the project team"))
		if err != nil {
			return err
		}
		items = append(items, it)
		if m.Role == collab.RoleOwner {
			if d, ok := s.ownerDelta(projectKey(m.ProjectID), false, true, "the project"); ok {
				items = append(items, d)
			}
		}
	}
	return s.transactAudited(ctx, audit, items...)
}

// LinkGroup attaches a group to a project and adds its users who are not yet
// members: the link and the first members in one transaction, the rest in
// further transactions of up to 99 (each member conditioned on absence, so
// a re-run completes what an interrupted one began).
func (s *Store) LinkGroup(ctx context.Context, l collab.GroupLink, members []collab.ProjectMember, audit ...collab.AuditEntry) error {
	av, err := attributevalue.MarshalMap(groupLinkRow{keys: groupLinkKey(l.GroupID, l.ProjectID), gsi2: groupLinkIndex(l.GroupID, l.ProjectID),
		meta: meta{Type: typeGroupLink, Version: 1}, GroupID: l.GroupID, ProjectID: l.ProjectID, Role: string(l.Role),
		OrgID: l.OrgID, Side: string(l.Side)})
	if err != nil {
		return err
	}
	first := min(len(members), 97-len(audit))
	items := []txItem{
		{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}},
	}
	var owners int
	for _, m := range members[:first] {
		it, err := s.putNew(toProjectMemberRow(m), changed("the project team"))
		if err != nil {
			return err
		}
		items = append(items, it)
		if m.Role == collab.RoleOwner {
			owners++
		}
	}
	items = append(items, txItem{write: types.TransactWriteItem{Update: &types.Update{TableName: &s.table,
		Key: keyAV(projectKey(l.ProjectID)), UpdateExpression: aws.String("ADD owners :n"),
		ConditionExpression: aws.String("attribute_exists(PK)"), ExpressionAttributeValues: map[string]types.AttributeValue{":n": n(owners)}}},
		onConflict: collab.Errorf(collab.CodeNotFound, "project %q not found", l.ProjectID)})
	if err := s.transactAudited(ctx, audit, items...); err != nil {
		return err
	}
	for rest := members[first:]; len(rest) > 0; {
		k := min(len(rest), 99)
		if err := s.AddProjectMembers(ctx, l.ProjectID, rest[:k]); err != nil {
			return err
		}
		rest = rest[k:]
	}
	return nil
}
