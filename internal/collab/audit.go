package collab

import "time"

// AuditEntry records one change: who, for which org, what, before, after.
type AuditEntry struct {
	Scope  string // "WS#{id}" or "PROJ#{id}"
	At     time.Time
	ID     string
	Actor  string
	OrgID  string
	What   string
	Before any
	After  any
}

// WorkspaceScope names a workspace's audit log.
func WorkspaceScope(wsID string) string { return "WS#" + wsID }

// ProjectScope names a project's audit log.
func ProjectScope(projectID string) string { return "PROJ#" + projectID }
