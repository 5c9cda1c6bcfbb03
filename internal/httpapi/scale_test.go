//go:build scale

package httpapi_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// The scale run (make test-scale): add all users of a 10,000-user org to a
// workspace, then remove that collaborator; both jobs succeed, every
// membership is there exactly once and then gone.
func TestScaleAddAllThenRemove(t *testing.T) {
	n := 10000
	if s := os.Getenv("SCALE_USERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	owner := newActor(t, "scaleowner")
	host := call(t, "POST", "/orgs", owner.token, map[string]string{"name": "Scale Host"}).want(t, 201)
	ws := host.str("defaultWorkspaceId")
	xOrg := orgOf(t, owner, "Scale Vendor") // the owner has workforce access to it
	a := store(t)
	ctx := context.Background()
	start := time.Now()
	batch := make([]collab.OrgMembership, 0, n)
	for i := range n {
		batch = append(batch, collab.OrgMembership{OrgID: xOrg, OrgName: "Scale Vendor", UserID: fmt.Sprintf("scale-%s-%05d", xOrg, i),
			Email: fmt.Sprintf("worker%05d@vendor.example.com", i), Name: fmt.Sprintf("Worker %d", i), Role: collab.OrgMember,
			JoinedAt: time.Now().UTC(), Version: 1})
	}
	if err := a.Store.SeedOrgMembers(ctx, batch); err != nil {
		t.Fatal(err)
	}
	seeded := time.Since(start)
	want := n + 1 // and the owner
	C := "/workspaces/" + ws + "/collaborators"
	call(t, "POST", C, owner.token, map[string]any{"orgId": xOrg, "types": []string{"annotation_partner"}}).want(t, 201)

	start = time.Now()
	job := call(t, "POST", C+"/"+xOrg+"/add-all-users", owner.token, nil).want(t, 202).str("jobId")
	added := waitJob(t, owner, job, 9*time.Minute)
	addTime := time.Since(start)
	ms, err := a.Store.ListWorkspaceMembers(ctx, ws, xOrg)
	if err != nil {
		t.Fatal(err)
	}
	unique := map[string]bool{}
	for _, m := range ms {
		unique[m.UserID] = true
	}
	if len(ms) != want || len(unique) != want || added.body["done"].(float64) != float64(want) || added.body["written"].(float64) != float64(want) {
		t.Fatalf("after add-all: %d memberships (%d unique), job %s; want %d", len(ms), len(unique), added.raw, want)
	}

	start = time.Now()
	rm := call(t, "DELETE", C+"/"+xOrg, owner.token, nil).want(t, 202).str("jobId")
	removed := waitJob(t, owner, rm, 9*time.Minute)
	removeTime := time.Since(start)
	left, err := a.Store.ListWorkspaceMembers(ctx, ws, xOrg)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Fatalf("%d memberships left after removal", len(left))
	}
	report := fmt.Sprintf("scale: seeded %d org members in %v; add-all-users wrote %v items in %v; remove-collaborator deleted %v items in %v",
		n, seeded.Round(time.Millisecond), added.body["written"], addTime.Round(time.Millisecond), removed.body["written"], removeTime.Round(time.Millisecond))
	t.Log(report)
	fmt.Println(report)
}
