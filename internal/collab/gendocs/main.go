// Command gendocs writes docs/permissions.md from the permission matrix.
package main

import (
	"fmt"
	"os"

	"github.com/annobridge/annobridge/internal/collab"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gendocs OUTPUT.md")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], []byte(collab.PermissionsMarkdown()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
