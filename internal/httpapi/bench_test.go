package httpapi_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/ddbstore"
)

// Benchmarks report time per operation and, from the store's meter,
// DynamoDB round trips and consumed capacity per operation. Run with
// `make bench`; they are measurements, never assertions.

func caller(u actor) collab.Caller {
	return collab.Caller{UserID: u.id, Email: u.email, Name: "Name of " + u.email}
}

func metered(b *testing.B, op func(ctx context.Context) error) {
	b.Helper()
	ctx, m := ddbstore.WithMeter(context.Background())
	b.ResetTimer()
	for b.Loop() {
		if err := op(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	trips, rcu, wcu := m.Totals()
	n := float64(b.N)
	b.ReportMetric(float64(trips)/n, "ddb-trips/op")
	b.ReportMetric(rcu/n, "rcu/op")
	b.ReportMetric(wcu/n, "wcu/op")
}

func BenchmarkRightsCheck(b *testing.B) {
	tm := newTeam(b)
	svc := store(b).Service
	for _, c := range []struct {
		name string
		u    actor
	}{{"host-member", tm.annHost}, {"external-member", tm.annExt}, {"org-owner", tm.owner}} {
		b.Run(c.name, func(b *testing.B) {
			metered(b, func(ctx context.Context) error {
				_, err := svc.Projects.Permissions(ctx, caller(c.u), tm.project)
				return err
			})
		})
	}
}

func BenchmarkCreateOrg(b *testing.B) {
	u := newActor(b, "benchorg")
	svc := store(b).Service
	metered(b, func(ctx context.Context) error {
		_, _, err := svc.Orgs.CreateOrg(ctx, caller(u), "Bench Org")
		return err
	})
}

func BenchmarkListProjectMembers(b *testing.B) {
	tm := newTeam(b)
	svc := store(b).Service
	for _, c := range []struct {
		name string
		u    actor
	}{{"host-all", tm.owner}, {"walled-partner", tm.amExt}} {
		b.Run(c.name, func(b *testing.B) {
			metered(b, func(ctx context.Context) error {
				_, _, err := svc.Members.ListProjectMembers(ctx, caller(c.u), tm.project, collab.MemberFilter{}, collab.Page{Limit: 50})
				return err
			})
		})
	}
}

func BenchmarkSaveAnnotation(b *testing.B) {
	tm := newTeam(b)
	id := newItem(b, tm, "bench.jpg", tm.annHost)
	svc := store(b).Service
	doc := []byte(`{"objects":[{"label":"car","bbox":[1,2,3,4]}]}`)
	metered(b, func(ctx context.Context) error {
		_, err := svc.Review.SaveAnnotation(ctx, caller(tm.annHost), tm.project, id, doc, 0)
		return err
	})
}

func BenchmarkHTTPGetProject(b *testing.B) {
	tm := newTeam(b)
	path := "/projects/" + tm.project
	b.ResetTimer()
	for b.Loop() {
		if r := call(b, "GET", path, tm.annExt.token, nil); r.status != 200 {
			b.Fatal(fmt.Sprint(r.status))
		}
	}
}
