// Workspaces.

package ddbstore

import (
	"context"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

type workspaceRow struct {
	keys
	gsi1
	meta
	ID        string    `dynamodbav:"id"`
	OrgID     string    `dynamodbav:"orgId"`
	Name      string    `dynamodbav:"name"`
	Default   bool      `dynamodbav:"default"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
}

func toWorkspaceRow(w collab.Workspace) workspaceRow {
	return workspaceRow{keys: workspaceKey(w.ID), gsi1: workspaceIndex(w.OrgID, w.ID),
		meta: meta{Type: typeWorkspace, Version: w.Version},
		ID:   w.ID, OrgID: w.OrgID, Name: w.Name, Default: w.Default, CreatedAt: w.CreatedAt}
}

func (r workspaceRow) domain() collab.Workspace {
	return collab.Workspace{ID: r.ID, OrgID: r.OrgID, Name: r.Name, Default: r.Default, CreatedAt: r.CreatedAt, Version: r.Version}
}

// CreateWorkspace writes a new workspace.
func (s *Store) CreateWorkspace(ctx context.Context, w collab.Workspace) error {
	it, err := s.putNew(toWorkspaceRow(w), collab.AlreadyExists(collab.RecordWorkspace, w.ID))
	if err != nil {
		return err
	}
	return s.transact(ctx, it)
}

// GetWorkspace reads a workspace.
func (s *Store) GetWorkspace(ctx context.Context, wsID string) (collab.Workspace, error) {
	var r workspaceRow
	if err := s.get(ctx, workspaceKey(wsID), &r, collab.NotFound(collab.RecordWorkspace, wsID)); err != nil {
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
