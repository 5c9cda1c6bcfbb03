// Bulk loading of rows for scale runs.

package ddbstore

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/annobridge/annobridge/internal/collab"
)

// SeedItems bulk-loads items into existing projects (batches of
// maxBatchWriteItems, idempotent puts that overwrite a row of the same id).
// For scale set-up only: unlike CreateItem, the puts carry no condition, so
// the projects are checked once before the load, not in each write, and no
// history, counters or audit are written.
func (s *Store) SeedItems(ctx context.Context, items []collab.Item) error {
	var projects []string
	seen := map[string]bool{}
	reqs := make([]types.WriteRequest, 0, len(items))
	for _, it := range items {
		if it.ID == "" || it.ProjectID == "" {
			return fmt.Errorf("seed items: an item needs an id and a project")
		}
		if !seen[it.ProjectID] {
			seen[it.ProjectID] = true
			projects = append(projects, it.ProjectID)
		}
		av, err := attributevalue.MarshalMap(toItemRow(it))
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	ks := make([]keys, len(projects))
	for i, id := range projects {
		ks[i] = projectKey(id)
	}
	found, err := s.batchGet(ctx, ks)
	if err != nil {
		return err
	}
	for i, id := range projects {
		if _, ok := found[ks[i]]; !ok {
			return fmt.Errorf("seed items: %w", collab.NotFound(collab.RecordProject, id))
		}
	}
	return s.batchWrite(ctx, reqs)
}
