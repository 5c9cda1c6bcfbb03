// Standing: what authorization decisions read, and the check that their basis still holds.

package ddbstore

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

// projectPlace is what never changes about a project: where it lives.
type projectPlace struct{ workspaceID, hostOrgID string }

// LoadStanding reads what decides a user's rights on a project: the project,
// the user's project membership, host-org membership and workspace role (one
// batch read once the project's place is known; two on the first sight of a
// project by this store), and for an external member the partner's types.
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
		return p, st, collab.Item{}, collab.NotFound(collab.RecordItem, itemID)
	}
	var r itemRow
	if err := attributevalue.UnmarshalMap(raw, &r); err != nil {
		return collab.Project{}, collab.Standing{}, collab.Item{}, err
	}
	return p, st, r.domain(), nil
}

func (s *Store) loadStanding(ctx context.Context, projectID, userID string, extra ...keys) (collab.Project, collab.Standing, map[keys]map[string]types.AttributeValue, error) {
	notFound := collab.NotFound(collab.RecordProject, projectID)
	ks := append([]keys{projectKey(projectID), projectMemberKey(projectID, userID)}, extra...)
	place, known := s.places.Load(projectID)
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
		s.places.Delete(projectID)
		return collab.Project{}, collab.Standing{}, nil, notFound
	}
	var pr projectRow
	if err := attributevalue.UnmarshalMap(item, &pr); err != nil {
		return collab.Project{}, collab.Standing{}, nil, err
	}
	p := pr.domain()
	pl := projectPlace{workspaceID: p.WorkspaceID, hostOrgID: p.HostOrgID}
	if !known {
		s.places.Store(projectID, pl)
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
		more = append(more, partnerKey(projectID, m.OrgID), orgMemberKey(m.OrgID, userID), collaboratorKey(pl.workspaceID, m.OrgID))
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
				decodeInto(got, orgMemberKey(m.OrgID, userID), &st.MemberOrg, orgMemberRow.domain),
				decodeInto(got, collaboratorKey(pl.workspaceID, m.OrgID), &st.MemberCollab, collaboratorRow.domain))
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
		return collab.WorkspaceStanding{}, collab.NotFound(collab.RecordWorkspace, wsID)
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

// basisCheck is the condition that the row a decision rests on is still
// the version the decision read.
func (s *Store) basisCheck(b collab.Basis) txItem {
	var k keys
	switch b.Kind {
	case collab.BasisOrgMember:
		k = orgMemberKey(b.ScopeID, b.UserID)
	case collab.BasisWorkspaceMember:
		k = workspaceMemberKey(b.ScopeID, b.UserID)
	default:
		k = projectMemberKey(b.ScopeID, b.UserID)
	}
	return txItem{write: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &s.table, Key: keyAV(k),
		ConditionExpression:       aws.String("v = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(b.Version)}}},
		onConflict: collab.RightsChanged()}
}

// guarded adds the check of the decision's basis to a change of a
// project membership; a basis that is the changed row itself is already
// version-checked, and an empty one checks nothing.
func (s *Store) guarded(items []txItem, guard collab.Basis, projectID, userID string) []txItem {
	if guard.Kind == "" || (guard.Kind == collab.BasisProjectMember && guard.ScopeID == projectID && guard.UserID == userID) {
		return items
	}
	return append(items, s.basisCheck(guard))
}
