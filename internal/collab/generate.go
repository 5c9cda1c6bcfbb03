package collab

//go:generate go run ./gendocs ../../docs/permissions.md
