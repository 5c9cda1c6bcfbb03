package collab

//go:generate go run ./gendocs ../../docs/permissions.md ../../docs/review.md ../../docs/events.md
