package collab

import (
	"context"
	"fmt"
	"sync"
)

// Service holds the use cases. It depends only on the ports it defines.
type Service struct {
	store  Store
	clock  Clock
	ids    IDs
	mailer Mailer
	jobs   JobQueue
	cfg    Config

	publisher Publisher

	// known remembers, per cold start, which users were written with which
	// email and name, so an ordinary request costs no user write.
	known sync.Map // userID -> email + "\x00" + name
}

// NewService wires the use cases to their ports.
func NewService(store Store, clock Clock, ids IDs, mailer Mailer, jobs JobQueue, cfg Config) *Service {
	return &Service{store: store, clock: clock, ids: ids, mailer: mailer, jobs: jobs, cfg: cfg}
}

// SetPublisher connects the outbox relay to the queues.
func (s *Service) SetPublisher(p Publisher) { s.publisher = p }

// EnsureUser creates the caller's user record on their first call and
// refreshes its email and name when the claims change.
func (s *Service) EnsureUser(ctx context.Context, c Caller) error {
	if c.UserID == "" {
		return Errorf(CodeUnauthenticated, "the token has no subject")
	}
	email := NormalizeEmail(c.Email)
	seen := email + "\x00" + c.Name
	if v, ok := s.known.Load(c.UserID); ok && v.(string) == seen {
		return nil
	}
	if err := s.store.PutUser(ctx, User{ID: c.UserID, Email: email, Name: c.Name, CreatedAt: s.clock.Now()}); err != nil {
		return fmt.Errorf("ensure user %s: %w", c.UserID, err)
	}
	s.known.Store(c.UserID, seen)
	return nil
}

// CreateOrg creates an org owned by the caller, with its owner membership and
// its default workspace, in one transaction.
func (s *Service) CreateOrg(ctx context.Context, c Caller, name string) (Org, Workspace, error) {
	var v Validation
	name = CleanName("name", name, &v)
	if err := v.Err(); err != nil {
		return Org{}, Workspace{}, err
	}
	now := s.clock.Now()
	org := Org{ID: s.ids.New("org"), Name: name, CreatedBy: c.UserID, CreatedAt: now, Version: 1}
	ws := Workspace{ID: s.ids.New("ws"), OrgID: org.ID, Name: "Default workspace", Default: true, CreatedAt: now, Version: 1}
	owner := OrgMembership{
		OrgID: org.ID, OrgName: org.Name, UserID: c.UserID, Email: NormalizeEmail(c.Email), Name: c.Name,
		Role: OrgOwner, JoinedAt: now, Version: 1,
	}
	if err := s.store.CreateOrg(ctx, NewOrg{Org: org, Owner: owner, Workspace: ws}); err != nil {
		return Org{}, Workspace{}, fmt.Errorf("create org: %w", err)
	}
	return org, ws, nil
}

// ListOrgs lists the orgs the caller belongs to, with their role in each.
func (s *Service) ListOrgs(ctx context.Context, c Caller, p Page) ([]OrgMembership, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	return s.store.ListUserOrgs(ctx, c.UserID, p)
}

// GetOrg returns an org the caller belongs to, with the caller's role. An org
// the caller is not in answers not found, whether or not it exists.
func (s *Service) GetOrg(ctx context.Context, c Caller, orgID string) (Org, OrgRole, error) {
	m, err := s.membership(ctx, c, orgID)
	if err != nil {
		return Org{}, "", err
	}
	org, err := s.store.GetOrg(ctx, orgID)
	if err != nil {
		return Org{}, "", err
	}
	return org, m.Role, nil
}

// ListOrgMembers lists an org's members to one of its members.
func (s *Service) ListOrgMembers(ctx context.Context, c Caller, orgID string, p Page) ([]OrgMembership, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	if _, err := s.membership(ctx, c, orgID); err != nil {
		return nil, "", err
	}
	return s.store.ListOrgMembers(ctx, orgID, p)
}

// membership returns the caller's membership of org, or not found: an org the
// caller is not in is not revealed.
func (s *Service) membership(ctx context.Context, c Caller, orgID string) (OrgMembership, error) {
	m, err := s.store.GetOrgMembership(ctx, orgID, c.UserID)
	if IsCode(err, CodeNotFound) {
		return OrgMembership{}, Errorf(CodeNotFound, "org %q not found", orgID)
	}
	return m, err
}
