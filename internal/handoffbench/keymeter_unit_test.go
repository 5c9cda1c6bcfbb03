package handoffbench

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// The meter books a crossing's item put as the table write on the
// project's partition, and on the item-status indexes a delete on the old
// status key and a put on the new one; GSI3 (keys only) moves too.
func TestMeterBooksIndexMoves(t *testing.T) {
	r := newRecorder()
	item := func(status string, extra int) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"PK": s("PROJ#p"), "SK": s("ITEM#i"), "typ": s("item"), "id": s("i"), "status": s(status),
			"GSI1PK": s("PROJ#p#ST#" + status), "GSI1SK": s("ITEM#i"), "GSI2PK": s("PROJ#p#ORG#o#ST#" + status), "GSI2SK": s("ITEM#i"),
			"GSI3PK": s("TASK#t"), "GSI3SK": s("H#u#" + status + "#i"), "annotation": &types.AttributeValueMemberB{Value: make([]byte, extra)}}
	}
	r.after("seed", "DynamoDB.BatchWriteItem", &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"t": {{PutRequest: &types.PutRequest{Item: item("waiting_for_collaborator_review", 1500)}}}}}, nil, nil)
	r.reset()
	r.watch([]string{"i"})
	r.after("handoff", "DynamoDB.TransactWriteItems", &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{Item: item("waiting_for_owner_review", 1500)}},
		{Update: &types.Update{Key: map[string]types.AttributeValue{"PK": s("STATS#p#u"), "SK": s("DAY#d")}}},
	}}, nil, nil)
	snap := r.snapshot()
	want := map[keyRef]float64{
		{"table", "PROJ#p"}: 4, // 2 KB, in a transaction
		{"GSI1", "PROJ#p#ST#waiting_for_collaborator_review"}:       2,
		{"GSI1", "PROJ#p#ST#waiting_for_owner_review"}:              2,
		{"GSI2", "PROJ#p#ORG#o#ST#waiting_for_collaborator_review"}: 2,
		{"GSI2", "PROJ#p#ORG#o#ST#waiting_for_owner_review"}:        2,
		{"GSI3", "TASK#t"}:     2, // delete and put, 1 WCU each
		{"table", "STATS#p#u"}: 2, // an unknown row: 1 KB, in a transaction
	}
	for k, u := range want {
		if got := snap.Writes[k]; got.Units != u {
			t.Errorf("%v: %v WCU, want %v", k, got.Units, u)
		}
	}
	if len(snap.Writes) != len(want) {
		t.Errorf("booked %v, want %v", snap.Writes, want)
	}
	if snap.Approx != 1 {
		t.Errorf("%d approximations, want 1", snap.Approx)
	}
	if n, _ := r.crossings(); n != 1 {
		t.Errorf("%d crossings seen, want 1", n)
	}
}

func TestPatternsAndScopes(t *testing.T) {
	known := strings.NewReplacer("prj_1", "{project}", "tsk_1", "{task}", "dev-abc", "{hostReviewer}")
	for key, want := range map[string][2]string{
		"PROJ#prj_1#ST#waiting_for_owner_review":          {"PROJ#{project}#ST#waiting_for_owner_review", "one"},
		"ITEM#itm_hb3_000012":                             {"ITEM#{item}", "item"},
		"STATS#prj_1#u-hb-00007":                          {"STATS#{project}#{annotator}", "annotator"},
		"OUTBOX#07":                                       {"OUTBOX#{nn}", "shard (16)"},
		"MAILSENT#review-digest-tsk_1-dev-abc-2026010215": {"MAILSENT#review-digest-{task}-{hostReviewer}-{hour}", "one"},
		"MAILSENT#assigned-01jabcdefghijklmnopqrstu":      {"MAILSENT#assigned-01jabcdefghijklmnopqrstu", "one"},
		"AUDIT#PROJ#prj_1":                                {"AUDIT#PROJ#{project}", "one"},
		"AUDIT#PROJ#prj_1#S03":                            {"AUDIT#PROJ#{project}#S{nn}", "shard (8)"},
		"PROJ#prj_1#ST#waiting_for_owner_review#S07":      {"PROJ#{project}#ST#waiting_for_owner_review#S{nn}", "shard (8)"},
		"JOB#job_0123456789abcdefghij":                    {"JOB#{id}", "message"},
	} {
		pat := patternOf(key, known)
		scope, _ := scopeOf(pat, 10, 10)
		if pat != want[0] || scope != want[1] {
			t.Errorf("%s: %s (%s), want %s (%s)", key, pat, scope, want[0], want[1])
		}
	}
}

func TestItemSize(t *testing.T) {
	it := map[string]types.AttributeValue{"PK": s("ab"), "n": &types.AttributeValueMemberN{Value: "123"}, "b": &types.AttributeValueMemberBOOL{Value: true}}
	if got := itemSize(it); got != 2+2+1+3+1+1 {
		t.Errorf("size %d", got)
	}
	if writeUnits(1024) != 1 || writeUnits(1025) != 2 || readUnits(4097, false) != 1 || readUnits(10, true) != 1 {
		t.Error("units")
	}
}

// The report renders from tallies alone (no stack): every figure filled,
// no formatting verb left over.
func TestReportRenders(t *testing.T) {
	w := &world{p: params{N: 2, Clients: 1, Annotators: 1, AnnotationBytes: 10, Pollers: []int{1}}, rec: newRecorder(),
		host: "org_h", lc: "org_l", ws: "ws_1", owner: actor{id: "dev-o"}, manager: actor{id: "dev-m"}, sweepEvery: time.Second, mailPollers: 1}
	ph := phase{name: "x", project: "prj_1", task: "tsk_1", ids: []string{"itm_hb1_000000", "itm_hb1_000001"}}
	w.rec.watch(ph.ids)
	w.rec.after("api", "DynamoDB.TransactWriteItems", &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{Item: map[string]types.AttributeValue{"PK": s("PROJ#prj_1"), "SK": s("ITEM#itm_hb1_000000"), "GSI1PK": s("PROJ#prj_1#ST#a")}}},
		{Put: &types.Put{Item: map[string]types.AttributeValue{"PK": s("OUTBOX#03"), "SK": s("t#tr_1"), "typ": s("outbox"), "id": s("tr_1")}}},
	}}, nil, nil)
	w.rec.after("handoff", "DynamoDB.GetItem", &dynamodb.GetItemInput{Key: map[string]types.AttributeValue{"PK": s("PROJ#prj_1"), "SK": s("ITEM#x")}}, nil, nil)
	snap := w.rec.snapshot()
	now := time.Now()
	apps := []approval{{id: ph.ids[0], sent: now, answered: now.Add(time.Millisecond), status: 202, tries: 1}}
	cpu := map[string]float64{"go": 1, "dynamodb-local": 1, "sqs-emulator": 1, "machine": 3}
	results := []phaseResult{
		{pollers: 1, n: 2, approvals: apps, approveWall: time.Second, crossWall: time.Second, cpu: cpu, snap: snap, ph: ph},
		{alone: true, pollers: 1, n: 2, approvals: apps, approveWall: time.Second, crossWall: time.Second, cpu: cpu, snap: snap, ph: ph},
	}
	floor := []floorResult{{what: "GetItem", clients: 1, perSec: 100}, {what: "TransactWriteItems shaped as a crossing", clients: 1, perSec: 10},
		{what: "TransactWriteItems of one Delete", clients: 1, perSec: 50}}
	rep := w.report(results, floor)
	for _, bad := range []string{"%!", "NaN", "+Inf"} {
		if strings.Contains(rep, bad) {
			t.Errorf("report holds %q:\n%s", bad, rep)
		}
	}
	for _, want := range []string{"## 1. Handoff throughput", "## 2. Hot keys", "`PROJ#{project}`", "`OUTBOX#{nn}`"} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
