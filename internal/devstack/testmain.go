// TestMain support: start the local stack for a package's tests, or not under -short.

package devstack

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
)

// RunTests is a TestMain body for integration tests: it starts the local
// stack, points *s at it, runs the tests and stops the stack. A stack that
// does not start fails the package; it never skips it.
//
// Under -short (the unit tier) it starts nothing and leaves *s nil: only
// the tests that need no stack run, the others skip through NeedStack.
func RunTests(m *testing.M, s **Stack) int {
	if !flag.Parsed() {
		flag.Parse() // testing.Short reads the flags; m.Run would parse them only later
	}
	if testing.Short() {
		fmt.Fprintln(os.Stderr, "devstack: -short: local stack not started; tests that need it skip")
		return m.Run()
	}
	stack, err := Start(context.Background(), Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "local stack did not start:", err)
		return 1
	}
	defer stack.Stop()
	*s = stack
	return m.Run()
}

// NeedStack skips t under -short, where RunTests starts no stack. Every test
// that talks to the stack calls it first (directly or through its package's
// setup helper).
func NeedStack(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the local stack; skipped under -short")
	}
}
