package collab

import (
	"context"
	"time"
)

// Store is the persistence port. Every method that changes several records
// does so atomically; read-modify-write methods check the version they read.
type Store interface {
	// PutUser creates the user or refreshes its email and name.
	PutUser(ctx context.Context, u User) error
	// CreateOrg writes the org, its owner membership and its default
	// workspace in one transaction.
	CreateOrg(ctx context.Context, n NewOrg) error
	GetOrg(ctx context.Context, orgID string) (Org, error)
	GetOrgMembership(ctx context.Context, orgID, userID string) (OrgMembership, error)
	ListUserOrgs(ctx context.Context, userID string, p Page) ([]OrgMembership, string, error)
	ListOrgMembers(ctx context.Context, orgID string, p Page) ([]OrgMembership, string, error)
}

// Clock tells the time.
type Clock interface{ Now() time.Time }

// IDs makes new opaque identifiers with a readable prefix.
type IDs interface{ New(prefix string) string }

// SystemClock is the real clock, in UTC.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC() }
