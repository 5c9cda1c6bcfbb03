//go:build scale

package httpapi_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

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

// The task scale run (make test-scale): a task of 10,000 items handed to a
// labeling company and spread by its manager over 100 annotators, as a
// background job. Every item ends assigned, 100 ± 1 each.
func TestScaleTaskDistribution(t *testing.T) {
	n := 10000
	if s := os.Getenv("SCALE_ITEMS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	const annotators = 100
	tm := newTeam(t)
	lc := newLabelCo(t, tm, "Scale Labels", 0)
	a := store(t)
	ctx := context.Background()
	now := time.Now().UTC()

	// 100 annotators of the company, members of its org and of the project.
	var oms []collab.OrgMembership
	var pms []collab.ProjectMember
	var users []string
	for i := range annotators {
		id := fmt.Sprintf("scale-ann-%s-%03d", lc.org, i)
		email := fmt.Sprintf("annotator%03d@%s.labels.example.com", i, lc.org)
		users = append(users, id)
		oms = append(oms, collab.OrgMembership{OrgID: lc.org, OrgName: "Scale Labels", UserID: id, Email: email,
			Name: fmt.Sprintf("Annotator %d", i), Role: collab.OrgMember, JoinedAt: now, Version: 1})
		pms = append(pms, collab.ProjectMember{ProjectID: tm.project, UserID: id, Email: email, Name: fmt.Sprintf("Annotator %d", i),
			Role: collab.RoleAnnotator, OrgID: lc.org, Side: collab.SideExternal, AddedBy: lc.manager.id, AddedAt: now, Version: 1})
	}
	if err := a.Store.SeedOrgMembers(ctx, oms); err != nil {
		t.Fatal(err)
	}
	for start := 0; start < len(pms); start += 98 { // a transaction: members and the owner counter
		if err := a.Store.AddProjectMembers(ctx, tm.project, pms[start:min(start+98, len(pms))]); err != nil {
			t.Fatal(err)
		}
	}

	// n host items, seeded.
	start := time.Now()
	items := make([]collab.Item, n)
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("itm_scale%06d", i)
		items[i] = collab.Item{ID: ids[i], ProjectID: tm.project, Name: fmt.Sprintf("scale-%06d.jpg", i), Status: collab.StNew,
			OrgID: tm.hostOrg, StatusSince: now, CreatedAt: now, CreatedBy: tm.owner.id, Version: 1}
	}
	if err := a.Store.SeedItems(ctx, items); err != nil {
		t.Fatal(err)
	}
	seeded := time.Since(start)

	// The host hands them to the company: a task, then the items in calls
	// of at most collab.MaxTaskItemsPerCall.
	P := "/projects/" + tm.project
	task := call(t, "POST", P+"/tasks", tm.pm.token, map[string]any{"name": "Scale batch", "kind": "annotation", "orgId": lc.org,
		"allowPull": false}).want(t, 201)
	T := taskPath(tm, task.str("id"))
	start = time.Now()
	calls := 0
	for from := 0; from < n; from += collab.MaxTaskItemsPerCall {
		chunk := ids[from:min(from+collab.MaxTaskItemsPerCall, n)]
		r := call(t, "POST", T+"/items", tm.pm.token, map[string]any{"itemIds": chunk}).want(t, 200)
		calls++
		added, _ := r.body["added"].([]any)
		skipped, _ := r.body["skipped"].([]any)
		if len(added) != len(chunk) || len(skipped) != 0 {
			t.Fatalf("call %d: added %d of %d, skipped %d: %.300s", calls, len(added), len(chunk), len(skipped), r.raw)
		}
	}
	handTime := time.Since(start)

	// The company's manager spreads them over the annotators, as a job.
	start = time.Now()
	job := call(t, "POST", T+"/distribute", lc.manager.token, map[string]any{"userIds": users}).want(t, 202).str("jobId")
	done := waitJob(t, lc.manager, job, 9*time.Minute)
	distTime := time.Since(start)
	jobDone, jobWritten, jobTotal := done.body["done"], done.body["written"], done.body["total"]
	if jobWritten.(float64) != float64(n) || jobTotal.(float64) != float64(n) {
		t.Errorf("distribution job: %s; want total and written %d", done.raw, n)
	}

	// Every item is assigned, evenly.
	got := call(t, "GET", T, lc.manager.token, nil).want(t, 200)
	spread := byAssignee(t, got)
	if _, ok := spread[""]; ok || got.body["total"].(float64) != float64(n) {
		t.Fatalf("after distribution: total %v, %d unassigned", got.body["total"], spread[""])
	}
	lo, hi, sum := n, 0, 0
	for _, u := range users {
		lo, hi, sum = min(lo, spread[u]), max(hi, spread[u]), sum+spread[u]
	}
	if sum != n || lo < n/annotators-1 || hi > (n+annotators-1)/annotators+1 {
		t.Fatalf("uneven spread: the annotators hold %d of %d items, %d to %d each: %v", sum, n, lo, hi, spread)
	}
	// The floor: transactions of the same shape sent straight to DynamoDB
	// Local (24 items: item, event and two counters each; 49 items: item
	// and event), so the figures above read against what the table itself
	// costs.
	floor := func(itemsPerTx, writesPerItem int) float64 {
		const txs = 20
		start := time.Now()
		for x := range txs {
			var ws []ddbtypes.TransactWriteItem
			for i := range itemsPerTx * writesPerItem {
				ws = append(ws, ddbtypes.TransactWriteItem{Put: &ddbtypes.Put{TableName: aws.String(stack.Config().TableName),
					Item: map[string]ddbtypes.AttributeValue{
						"PK":   &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("FLOOR#%d", x)},
						"SK":   &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("ROW#%03d", i)},
						"name": &ddbtypes.AttributeValueMemberS{Value: "scale-000000.jpg, a row the size of an item"},
					}}})
			}
			if _, err := a.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: ws}); err != nil {
				t.Fatal(err)
			}
		}
		return float64(txs*itemsPerTx) / time.Since(start).Seconds()
	}
	distFloor, handFloor := floor(24, 4), floor(49, 2)
	report := fmt.Sprintf("scale tasks: seeded %d items in %v; handed %d items to the company in %d calls in %v (%.0f items/s, floor %.0f); "+
		"distributed over %d annotators in %v (%.0f items/s, floor %.0f), job done=%v written=%v, %d to %d items each",
		n, seeded.Round(time.Millisecond), n, calls, handTime.Round(time.Millisecond), float64(n)/handTime.Seconds(), handFloor,
		annotators, distTime.Round(time.Millisecond), float64(n)/distTime.Seconds(), distFloor, jobDone, jobWritten, lo, hi)
	t.Log(report)
	fmt.Println(report)
}
