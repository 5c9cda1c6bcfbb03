package costbench

import (
	"os"
	"testing"

	"github.com/annobridge/annobridge/internal/devstack"
)

// The harness runs only with COSTBENCH=1 (make bench):
//
//	flock /tmp/annobridge-stack.lock env COSTBENCH=1 COSTBENCH_OUT=/tmp/cost.json \
//	    go test -count=1 -timeout 30m -run TestCostPerOperation -v ./internal/costbench/
//
// Knobs: COSTBENCH_REVIEWS (review transitions, 1000), COSTBENCH_INVITES
// (accepted invitations, 1000), COSTBENCH_USERS (users of the add-all,
// 10000), COSTBENCH_CLIENTS (clients at once, 4), COSTBENCH_OUT (the JSON
// for internal/benchreport).
var stack *devstack.Stack

// TestMain starts the local stack only for the harness: without
// COSTBENCH=1 only the pricing tests run, and no stack starts for `go test
// ./...`.
func TestMain(m *testing.M) {
	if os.Getenv("COSTBENCH") != "1" {
		os.Exit(m.Run())
	}
	os.Exit(devstack.RunTests(m, &stack))
}
