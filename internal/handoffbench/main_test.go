// Package handoffbench measures the review handoff on the local stack
// (issue 15): how many partner approvals cross to the host per second, with
// the consumer's Lambda concurrency (pollers) varied, none lost or doubled;
// and which partition keys the handoff writes, counted per key from the
// requests the app sends to DynamoDB, extrapolated to the scale
// against DynamoDB's per-partition limits.
//
// It runs only with HANDOFFBENCH=1 (and never under -short):
//
//	flock /tmp/annobridge-stack.lock env HANDOFFBENCH=1 go test -count=1 -timeout 30m \
//	    -run TestHandoffThroughput -v ./internal/handoffbench/
//
// Knobs: HANDOFF_N (items per phase, 2000), HANDOFF_POLLERS (consumer
// invocations at once, "1,4,8"), HANDOFF_CLIENTS (approvers at once, 32),
// HANDOFF_ANNOTATORS (100), HANDOFF_ANNOTATION_BYTES (size of each item's
// annotation document, 1024), HANDOFFBENCH_OUT (a file for the report).
package handoffbench

import (
	"os"
	"testing"

	"github.com/annobridge/annobridge/internal/devstack"
)

var stack *devstack.Stack

// TestMain starts the local stack only for the bench: without
// HANDOFFBENCH=1 only the unit tests of the meter run, and no stack starts
// for `go test ./...`.
func TestMain(m *testing.M) {
	if os.Getenv("HANDOFFBENCH") != "1" {
		os.Exit(m.Run())
	}
	os.Exit(devstack.RunTests(m, &stack))
}
