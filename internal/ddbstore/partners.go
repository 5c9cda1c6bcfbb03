// Partners: orgs a project is shared with.

package ddbstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

type partnerRow struct {
	keys
	gsi1
	gsi2 // under the host org, for the partner counts of its project list
	meta
	ProjectID   string    `dynamodbav:"projectId"`
	ProjectName string    `dynamodbav:"projectName"`
	WorkspaceID string    `dynamodbav:"workspaceId"`
	HostOrgID   string    `dynamodbav:"hostOrgId"`
	OrgID       string    `dynamodbav:"orgId"`
	OrgName     string    `dynamodbav:"orgName"`
	Kind        string    `dynamodbav:"kind"`
	Types       []string  `dynamodbav:"types"`
	ManagerID   string    `dynamodbav:"managerId"`
	AddedAt     time.Time `dynamodbav:"addedAt"`
	StoppingJob string    `dynamodbav:"stoppingJob,omitempty"`
	EndsAt      time.Time `dynamodbav:"endsAt,omitempty"`
	EndWarned   bool      `dynamodbav:"endWarned,omitempty"`
	EndSetBy    string    `dynamodbav:"endSetBy,omitempty"`
	// PendingApproval: waiting for the org's approval (inbound approval).
	PendingApproval bool `dynamodbav:"pendingApproval,omitempty"`
	// EndingSince: the partnership is ending (?inFlight=finish).
	EndingSince time.Time `dynamodbav:"endingSince,omitempty"`
	gsi3                  // in the index of partnerships by end time, while one is set
}

func toPartnerRow(p collab.Partner, project collab.Project) partnerRow {
	types := make([]string, len(p.Types))
	for i, t := range p.Types {
		types[i] = string(t)
	}
	return partnerRow{keys: partnerKey(p.ProjectID, p.OrgID), gsi1: partnerIndex(p.ProjectID, p.OrgID),
		gsi2:      hostedPartnerIndex(project.HostOrgID, p.ProjectID, p.OrgID),
		meta:      meta{Type: typePartner, Version: p.Version},
		ProjectID: p.ProjectID, ProjectName: project.Name, WorkspaceID: project.WorkspaceID, HostOrgID: project.HostOrgID,
		OrgID: p.OrgID, OrgName: p.OrgName, Kind: string(p.Kind), Types: types, ManagerID: p.ManagerID, AddedAt: p.AddedAt,
		EndsAt: p.EndsAt, EndWarned: p.EndWarned, EndSetBy: p.EndSetBy, PendingApproval: p.PendingApproval, EndingSince: p.EndingSince,
		gsi3: partnerEndIndex(p)}
}

func (r partnerRow) domain() collab.Partner {
	types := make([]collab.CollabType, len(r.Types))
	for i, t := range r.Types {
		types[i] = collab.CollabType(t)
	}
	return collab.Partner{ProjectID: r.ProjectID, OrgID: r.OrgID, OrgName: r.OrgName, Kind: collab.PartnerKind(r.Kind),
		Types: types, ManagerID: r.ManagerID, HostOrgID: r.HostOrgID, AddedAt: r.AddedAt, StoppingJob: r.StoppingJob,
		EndsAt: r.EndsAt, EndWarned: r.EndWarned, EndSetBy: r.EndSetBy, PendingApproval: r.PendingApproval, EndingSince: r.EndingSince,
		Version: r.Version}
}

// GetPartner reads one live partner of a project: a partner whose stop
// has begun (collab.Partner.StoppingJob), or that is ending
// (collab.Partner.EndingSince), reads as not found, so no use case gives
// work, people or groups to a partnership that is ending.
func (s *Store) GetPartner(ctx context.Context, projectID, orgID string) (collab.Partner, error) {
	p, err := s.GetPartnerRecord(ctx, projectID, orgID)
	if err == nil && (p.StoppingJob != "" || p.PendingApproval || p.Ending()) {
		return collab.Partner{}, collab.NotPartner(orgID)
	}
	return p, err
}

// GetPartnerRecord reads one partner of a project whatever its state, a
// stop under way included.
func (s *Store) GetPartnerRecord(ctx context.Context, projectID, orgID string) (collab.Partner, error) {
	var r partnerRow
	nf := collab.NotPartner(orgID)
	if err := s.get(ctx, partnerKey(projectID, orgID), &r, nf); err != nil {
		return collab.Partner{}, err
	}
	return r.domain(), nil
}

// ListPartners lists a project's live partners (none whose stop has begun,
// none waiting for its org's approval).
func (s *Store) ListPartners(ctx context.Context, projectID string) ([]collab.Partner, error) {
	pk, sk := partnersOf(projectID)
	rows, err := allRows[partnerRow](ctx, s, queryInput{pk: pk, skPrefix: sk}, 1000)
	out := make([]collab.Partner, 0, len(rows))
	for _, r := range rows {
		if r.StoppingJob == "" && !r.PendingApproval {
			out = append(out, r.domain())
		}
	}
	return out, err
}

// AddPartner attaches an org to a project with its first manager, in one
// transaction; the project must exist and the org must not partner already.
func (s *Store) AddPartner(ctx context.Context, project collab.Project, p collab.Partner, manager *collab.ProjectMember) error {
	it, err := s.putNew(toPartnerRow(p, project), collab.AlreadyPartner(p.OrgID))
	if err != nil {
		return err
	}
	items := []txItem{it, {write: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &s.table, Key: keyAV(projectKey(project.ID)), ConditionExpression: aws.String("attribute_exists(PK)"),
	}}, onConflict: collab.NotFound(collab.RecordProject, project.ID)}}
	if manager != nil {
		mit, err := s.putNew(toProjectMemberRow(*manager), collab.AlreadyMember(collab.RecordProject, manager.Email))
		if err != nil {
			return err
		}
		items = append(items, mit)
	}
	return s.transact(ctx, items...)
}

// MarkPartnerStopping flags the partner as stopping (version-checked) and
// writes its stop job, with the audit entries, in one transaction. The
// partner item also leaves the indexes the lists read (the partner org's
// project list, the host's partner counts), so the project leaves the
// partner's list at once; the item itself stays, as the stop's marker,
// until the job deletes it.
func (s *Store) MarkPartnerStopping(ctx context.Context, p collab.Partner, j collab.Job, audit ...collab.AuditEntry) error {
	job, err := s.putNew(toJobRow(j), collab.AlreadyExists(collab.RecordJob, j.ID))
	if err != nil {
		return err
	}
	mark := s.versioned(partnerKey(p.ProjectID, p.OrgID), p.Version, "SET stoppingJob = :j REMOVE #g1pk, #g1sk, #g2pk, #g2sk, #g3pk, #g3sk",
		map[string]string{"#g1pk": attrGSI1PK, "#g1sk": attrGSI1SK, "#g2pk": attrGSI2PK, "#g2sk": attrGSI2SK, "#g3pk": attrGSI3PK, "#g3sk": attrGSI3SK},
		map[string]types.AttributeValue{":j": str(j.ID)}, collab.Stale(collab.RecordPartner))
	// Off the list of ending partnerships (if it was on it): it stops now.
	forget := txItem{write: types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: keyAV(endingPartnerKey(p.ProjectID, p.OrgID))}}}
	return s.transactAudited(ctx, audit, mark, job, forget)
}

// endingRow lists an ending partnership for the sweep (one partition).
type endingRow struct {
	keys
	meta
	ProjectID string `dynamodbav:"projectId"`
	OrgID     string `dynamodbav:"orgId"`
}

// MarkPartnerEnding marks the partnership ending since then
// (version-checked) and lists it among the ending partnerships, with its
// audit entry, in one transaction.
func (s *Store) MarkPartnerEnding(ctx context.Context, p collab.Partner, since, endsAt time.Time, audit ...collab.AuditEntry) error {
	update, names := "SET endingSince = :s", map[string]string(nil)
	values := map[string]types.AttributeValue{":s": str(since.UTC().Format(time.RFC3339Nano))}
	if !endsAt.IsZero() {
		// With the end that bounds it, set by the host, in the index of
		// ends (as setEnd sets one).
		p.EndsAt = endsAt
		ix := partnerEndIndex(p)
		update += ", endsAt = :e, endSetBy = :by, #g3pk = :pk, #g3sk = :sk REMOVE endWarned"
		names = map[string]string{"#g3pk": attrGSI3PK, "#g3sk": attrGSI3SK}
		values[":e"], values[":by"], values[":pk"], values[":sk"] = str(endsAt.UTC().Format(time.RFC3339Nano)), str(collab.EndSetByHost), str(ix.GSI3PK), str(ix.GSI3SK)
	}
	mark := s.versioned(partnerKey(p.ProjectID, p.OrgID), p.Version, update, names, values, collab.Stale(collab.RecordPartner))
	av, err := attributevalue.MarshalMap(endingRow{keys: endingPartnerKey(p.ProjectID, p.OrgID), meta: meta{Type: typeEndingPartner, Version: 1},
		ProjectID: p.ProjectID, OrgID: p.OrgID})
	if err != nil {
		return err
	}
	list := txItem{write: types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}}
	return s.transactAudited(ctx, audit, mark, list)
}

// ListEndingPartners lists one page (at most limit, from cursor) of
// (project, org) of ending partnerships, and the next page's cursor.
func (s *Store) ListEndingPartners(ctx context.Context, limit int, cursor string) ([][2]string, string, error) {
	var rows []endingRow
	next, err := s.query(ctx, queryInput{pk: pkEndingPartners, limit: limit, cursor: cursor}, &rows)
	out := make([][2]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, [2]string{r.ProjectID, r.OrgID})
	}
	return out, next, err
}

// ForgetEndingPartner takes a partnership off the list of ending ones.
func (s *Store) ForgetEndingPartner(ctx context.Context, projectID, orgID string) error {
	return s.batchDelete(ctx, []keys{endingPartnerKey(projectID, orgID)})
}

// ListOrgGroupLinks lists one page of the links of an org's groups to a
// project.
func (s *Store) ListOrgGroupLinks(ctx context.Context, projectID, orgID string, p collab.Page) ([]collab.GroupLink, string, error) {
	pk, sk := projectGroupsOf(projectID)
	var rows []groupLinkRow
	next, err := s.query(ctx, queryInput{index: indexGSI2, pk: pk, skPrefix: sk, limit: p.Limit, cursor: p.Cursor,
		filter: "orgId = :o", filterValues: map[string]types.AttributeValue{":o": str(orgID)}, filterScope: orgID}, &rows)
	out := make([]collab.GroupLink, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, next, err
}

// DeleteGroupLinks deletes group links (idempotent deletes, in batches).
func (s *Store) DeleteGroupLinks(ctx context.Context, ls []collab.GroupLink) error {
	ks := make([]keys, len(ls))
	for i, l := range ls {
		ks[i] = groupLinkKey(l.GroupID, l.ProjectID)
	}
	return s.batchDelete(ctx, ks)
}

// DeleteProjectMembers deletes project memberships (idempotent deletes, in
// batches).
func (s *Store) DeleteProjectMembers(ctx context.Context, ms []collab.ProjectMember) error {
	ks := make([]keys, len(ms))
	for i, m := range ms {
		ks[i] = projectMemberKey(m.ProjectID, m.UserID)
	}
	return s.batchDelete(ctx, ks)
}

// DeleteStoppedPartner deletes a partner item whose stop the job jobID
// runs. A partner already gone, or one a later partnership replaced, is
// left alone: the stop is done.
func (s *Store) DeleteStoppedPartner(ctx context.Context, projectID, orgID, jobID string) error {
	err := s.transact(ctx, txItem{write: types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table,
		Key: keyAV(partnerKey(projectID, orgID)), ConditionExpression: aws.String("stoppingJob = :j"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":j": str(jobID)}}}, onConflict: errNotStopping})
	if errors.Is(err, errNotStopping) {
		return nil
	}
	return err
}

// errNotStopping: the partner item is gone or is not the one being stopped.
var errNotStopping = errors.New("partner not stopping")

// RemoveOrgFromProject deletes the partner item, every project membership
// of the org on the project (found through the per-org index) and the
// links of the org's groups to the project, so nothing the org had there
// grants anything later.
func (s *Store) RemoveOrgFromProject(ctx context.Context, projectID, orgID string) (int, error) {
	ks := []keys{partnerKey(projectID, orgID)}
	pk, sk := projectOrgMembersOf(projectID, orgID)
	err := s.queryAll(ctx, queryInput{index: indexGSI2, pk: pk, skPrefix: sk}, 0, func(items []map[string]types.AttributeValue) error {
		for _, it := range items {
			ks = append(ks, keyOf(it))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	members := len(ks) - 1
	gpk, gsk := projectGroupsOf(projectID)
	links, err := allRows[groupLinkRow](ctx, s, queryInput{index: indexGSI2, pk: gpk, skPrefix: gsk}, 10000)
	if err != nil {
		return 0, err
	}
	for _, l := range links {
		if l.OrgID == orgID {
			ks = append(ks, l.keys)
		}
	}
	return members, s.batchDelete(ctx, ks)
}

// SetPartnerEnd sets (or, with a zero time, clears) when a partnership
// ends, version-checked, with its audit entry; a new end is not warned of
// yet. The partner is listed in the index of ends while one is set.
func (s *Store) SetPartnerEnd(ctx context.Context, p collab.Partner, endsAt time.Time, setBy string, audit ...collab.AuditEntry) error {
	p.EndsAt = endsAt
	return s.transactAudited(ctx, audit, s.setEnd(partnerKey(p.ProjectID, p.OrgID), p.Version, endsAt, setBy, partnerEndIndex(p),
		collab.Stale(collab.RecordPartner)))
}

// setEnd is the version-checked update of an item's end (endsAt, who set
// it, its entry ix in the index of ends), or with a zero endsAt its
// removal; either way the warning is to be sent anew.
func (s *Store) setEnd(k keys, version int, endsAt time.Time, setBy string, ix gsi3, onConflict error) txItem {
	names := map[string]string{"#g3pk": attrGSI3PK, "#g3sk": attrGSI3SK}
	update, values := "REMOVE endsAt, endWarned, endSetBy, #g3pk, #g3sk", map[string]types.AttributeValue(nil)
	if !endsAt.IsZero() {
		update = "SET endsAt = :e, endSetBy = :by, #g3pk = :pk, #g3sk = :sk REMOVE endWarned"
		values = map[string]types.AttributeValue{":e": str(endsAt.UTC().Format(time.RFC3339Nano)), ":by": str(setBy),
			":pk": str(ix.GSI3PK), ":sk": str(ix.GSI3SK)}
	}
	return s.versioned(k, version, update, names, values, onConflict)
}

// MarkPartnerEndWarned notes that both sides were told the partnership's
// end draws near (version-checked: an end changed meanwhile is warned of
// anew).
func (s *Store) MarkPartnerEndWarned(ctx context.Context, p collab.Partner) error {
	return s.transact(ctx, s.versioned(partnerKey(p.ProjectID, p.OrgID), p.Version, "SET endWarned = :t", nil,
		map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}}, collab.Stale(collab.RecordPartner)))
}

// ListPartnerEnds lists the partnerships (project, org) whose end is at or
// before t, soonest first, from the index of ends (at most limit).
func (s *Store) ListPartnerEnds(ctx context.Context, t time.Time, limit int) ([][2]string, error) {
	return s.listEnds(ctx, pkPartnerEnds, t, limit, partnerOfKey)
}

// listEnds reads one partition of the index of ends (GSI3, keys only) up to
// t, turning each entry's table key into its scope and org with of.
func (s *Store) listEnds(ctx context.Context, pk string, t time.Time, limit int, of func(keys) (string, string, bool)) ([][2]string, error) {
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{TableName: &s.table, IndexName: aws.String(indexGSI3),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk <= :to"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrGSI3PK, "#sk": attrGSI3SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":to": str(endsUntil(t))},
		Limit:                     aws.Int32(int32(limit)), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		return nil, fmt.Errorf("ends %s: %w", pk, err)
	}
	meter(ctx, true, consumed(res.ConsumedCapacity)...)
	var out [][2]string
	for _, item := range res.Items {
		var k keys
		if err := attributevalue.UnmarshalMap(item, &k); err != nil {
			return nil, err
		}
		scope, orgID, ok := of(k)
		if !ok {
			return nil, fmt.Errorf("ends %s: %s/%s is not a key of this index", pk, k.PK, k.SK)
		}
		out = append(out, [2]string{scope, orgID})
	}
	return out, nil
}

// ListPendingPartners lists an org's partnerships waiting for its approval:
// its partner items on GSI1 (under the org), those marked waiting.
func (s *Store) ListPendingPartners(ctx context.Context, orgID string) ([]collab.PendingPartner, error) {
	pk, sk := orgProjectsOf(orgID)
	rows, err := allRows[partnerRow](ctx, s, queryInput{index: indexGSI1, pk: pk, skPrefix: sk,
		filter: "typ = :t AND pendingApproval = :p", filterScope: "pending",
		filterValues: map[string]types.AttributeValue{":t": str(typePartner), ":p": &types.AttributeValueMemberBOOL{Value: true}}}, 1000)
	if err != nil {
		return nil, err
	}
	out := make([]collab.PendingPartner, 0, len(rows))
	for _, r := range rows {
		if r.StoppingJob == "" {
			out = append(out, collab.PendingPartner{Partner: r.domain(), ProjectName: r.ProjectName})
		}
	}
	return out, nil
}

// ApprovePartner ends a partnership's wait for its org's approval
// (version-checked), with the audit entry.
func (s *Store) ApprovePartner(ctx context.Context, p collab.Partner, audit ...collab.AuditEntry) error {
	return s.transactAudited(ctx, audit, s.versioned(partnerKey(p.ProjectID, p.OrgID), p.Version, "REMOVE pendingApproval", nil, nil,
		collab.Stale(collab.RecordPartner)))
}
