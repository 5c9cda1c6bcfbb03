// Partners: orgs a project is shared with.

package ddbstore

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
		OrgID: p.OrgID, OrgName: p.OrgName, Kind: string(p.Kind), Types: types, ManagerID: p.ManagerID, AddedAt: p.AddedAt}
}

func (r partnerRow) domain() collab.Partner {
	types := make([]collab.CollabType, len(r.Types))
	for i, t := range r.Types {
		types[i] = collab.CollabType(t)
	}
	return collab.Partner{ProjectID: r.ProjectID, OrgID: r.OrgID, OrgName: r.OrgName, Kind: collab.PartnerKind(r.Kind),
		Types: types, ManagerID: r.ManagerID, HostOrgID: r.HostOrgID, AddedAt: r.AddedAt, Version: r.Version}
}

// GetPartner reads one partner of a project.
func (s *Store) GetPartner(ctx context.Context, projectID, orgID string) (collab.Partner, error) {
	var r partnerRow
	nf := collab.NotPartner(orgID)
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

// DeletePartner deletes a partner item (version-checked) with its audit
// entries.
func (s *Store) DeletePartner(ctx context.Context, p collab.Partner, audit ...collab.AuditEntry) error {
	return s.transactAudited(ctx, audit, s.deleteVersioned(partnerKey(p.ProjectID, p.OrgID), p.Version, collab.Stale(collab.RecordPartner)))
}

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
