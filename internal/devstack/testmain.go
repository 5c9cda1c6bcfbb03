package devstack

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// RunTests is a TestMain body for integration tests: it starts the local
// stack, points *s at it, runs the tests and stops the stack. A stack that
// does not start fails the package; it never skips it.
func RunTests(m *testing.M, s **Stack) int {
	stack, err := Start(context.Background(), Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "local stack did not start:", err)
		return 1
	}
	defer stack.Stop()
	*s = stack
	return m.Run()
}
