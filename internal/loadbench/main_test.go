// Package loadbench measures the API against the floor of the same raw
// DynamoDB calls, in one run on the local stack, with CPU and allocation
// profiles (issue 15, first bullet). It is test code only.
//
// TestLoadAgainstFloor runs only with LOADBENCH=1 (and never under
// -short); the package's TestMain starts the local stack only then:
//
//	LOADBENCH=1 go test -count=1 -run TestLoadAgainstFloor -v ./internal/loadbench/
//
// Settings (environment):
//
//	LOADBENCH_CLIENTS   concurrent clients (default 20)
//	LOADBENCH_DURATION  length of each measured run (default 10s)
//	LOADBENCH_WARMUP    unmeasured run before each (default 2s)
//	LOADBENCH_ROUNDS    measured rounds of each floor and API pair,
//	                    alternating, merged in the report (default 2)
//	LOADBENCH_VARIANTS  0 skips the variants that change one setting
//	                    each (default 1)
//	LOADBENCH_PROFILE_HZ CPU profile rate (default 100; more needs a
//	                    kernel that ticks faster, or the samples thin out)
//	LOADBENCH_PROFILES  directory for the pprof files (default: a new
//	                    directory under the system temp dir)
//	LOADBENCH_OUT       file receiving the Markdown report (also printed)
package loadbench

import (
	"flag"
	"os"
	"testing"

	"github.com/annobridge/annobridge/internal/devstack"
)

var stack *devstack.Stack

func enabled() bool { return os.Getenv("LOADBENCH") == "1" }

// TestMain starts the local stack only for an enabled run: the unit tests
// of the harness need none.
func TestMain(m *testing.M) {
	if !flag.Parsed() {
		flag.Parse()
	}
	if !enabled() || testing.Short() {
		os.Exit(m.Run())
	}
	os.Exit(devstack.RunTests(m, &stack))
}
