// Command gendocs writes docs/permissions.md from the permission matrix and
// docs/review.md from the review transition table, and docs/events.md from
// the event catalogue.
package main

import (
	"fmt"
	"os"

	"github.com/annobridge/annobridge/internal/collab"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: gendocs PERMISSIONS.md REVIEW.md EVENTS.md")
		os.Exit(2)
	}
	for path, text := range map[string]string{os.Args[1]: collab.PermissionsMarkdown(), os.Args[2]: collab.ReviewMarkdown(), os.Args[3]: collab.EventsMarkdown()} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
