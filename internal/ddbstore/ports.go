package ddbstore

import "github.com/annobridge/annobridge/internal/collab"

// Ports hands the store to every port of the use cases: the one adapter
// fills them all, each capability sees only its own.
func (s *Store) Ports() collab.Stores {
	return collab.Stores{
		Rights: s, Orgs: s, Workspaces: s, Groups: s, Projects: s, Members: s, Invitations: s, Directory: s,
		Collaborators: s, CollabJobs: s, WorkspaceMembers: s, Partners: s, Items: s, Tasks: s, Relay: s, Jobs: s, Limiter: s, Webhooks: s,
	}
}
