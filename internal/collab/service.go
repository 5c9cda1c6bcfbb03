package collab

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Service is every use case, grouped by capability. Each capability is a
// type of its own that depends only on the narrow store port it declares
// next to its use cases (usecase_*.go), plus the authorization core's reads
// (RightsStore) that every capability shares through base.
type Service struct {
	Orgs             *Orgs             // orgs, their members, users
	Workspaces       *Workspaces       // workspaces and an org's project list
	Groups           *Groups           // groups of an org's people, linked to projects
	Projects         *Projects         // projects, their settings, rights and audit
	Members          *Members          // project members, one by one or imported
	Invitations      *Invitations      // every kind of invitation, from issue to acceptance
	Collaborators    *Collaborators    // workspace collaborators and their jobs
	WorkspaceMembers *WorkspaceMembers // workspace roles of people
	Partners         *Partners         // project partners and stopping a collaboration
	Review           *Review           // items through the two-stage review
	Tasks            *Tasks            // work handed to orgs, distributed and pulled
	Relay            *Relay            // the outbox relay and the handoff consumer
	Jobs             *Jobs             // checkpointed background jobs
	Webhooks         *Webhooks         // events for integrators and the orgs' webhooks
}

// Stores names the adapter behind each port. One adapter may fill them all
// (the DynamoDB store does), but each capability sees only its own.
type Stores struct {
	Rights           RightsStore
	Orgs             OrgStore
	Workspaces       WorkspaceStore
	Groups           GroupStore
	Projects         ProjectStore
	Members          MemberStore
	Invitations      InvitationStore
	Directory        Directory
	Collaborators    CollaboratorStore
	CollabJobs       CollabJobStore
	WorkspaceMembers WorkspaceMemberStore
	Partners         PartnerStore
	Items            ItemStore
	Tasks            TaskStore
	Relay            RelayStore
	Jobs             JobStore
	Limiter          Limiter // the rate limits' counters (ratelimit.go)
	Webhooks         WebhookStore
}

// Deps are the service's other ports (every one required) and its
// configuration.
type Deps struct {
	Clock     Clock
	IDs       IDs
	Mailer    Mailer
	Jobs      JobQueue
	Publisher Publisher
	// Events: the bus every event goes to, the queue of webhook
	// deliveries, and the poster that delivers them. Only the functions
	// that publish or deliver events need them; a use case that finds its
	// port missing fails with ErrNotWired.
	Bus        EventBus
	Deliveries DeliveryQueue
	Poster     WebhookPoster
	Config     Config
	// RateLimits lowers or raises the rate limits; a zero field is its
	// default (DefaultRateLimits), so production leaves it empty.
	RateLimits RateLimits
}

// base is what every capability shares: the clock, identifiers, the
// configuration and the authorization core's reads.
type base struct {
	rights RightsStore
	clock  Clock
	ids    IDs
	cfg    Config
	memo   *relayMemo // nil: nothing reused
}

// RightsStore reads the live facts the authorization core decides on.
type RightsStore interface {
	// LoadStanding reads a project and the caller's standing on it.
	LoadStanding(ctx context.Context, projectID, userID string) (Project, Standing, error)
	// LoadItemStanding reads the standing and one item in the same batch.
	LoadItemStanding(ctx context.Context, projectID, itemID, userID string) (Project, Standing, Item, error)
	LoadWorkspaceStanding(ctx context.Context, wsID, userID, targetOrg string) (WorkspaceStanding, error)
	GetOrgMembership(ctx context.Context, orgID, userID string) (OrgMembership, error)
}

// NewService wires the use cases to their ports. A missing port is an
// error, never a nil dereference later.
func NewService(st Stores, d Deps) (*Service, error) {
	if err := required(map[string]any{
		"Rights": st.Rights, "Orgs": st.Orgs, "Workspaces": st.Workspaces, "Groups": st.Groups, "Projects": st.Projects,
		"Members": st.Members, "Invitations": st.Invitations, "Directory": st.Directory, "Collaborators": st.Collaborators,
		"CollabJobs": st.CollabJobs, "WorkspaceMembers": st.WorkspaceMembers, "Partners": st.Partners, "Items": st.Items, "Tasks": st.Tasks,
		"Relay": st.Relay, "Jobs": st.Jobs, "Limiter": st.Limiter, "Webhooks": st.Webhooks,
		"Deps.Clock": d.Clock, "Deps.IDs": d.IDs, "Deps.Mailer": d.Mailer, "Deps.Jobs": d.Jobs, "Deps.Publisher": d.Publisher,
	}); err != nil {
		return nil, err
	}
	b := base{rights: st.Rights, clock: d.Clock, ids: d.IDs, cfg: d.Config, memo: &relayMemo{}}
	s := &Service{
		Orgs:             &Orgs{base: b, store: st.Orgs},
		Workspaces:       &Workspaces{base: b, store: st.Workspaces},
		Groups:           &Groups{base: b, store: st.Groups},
		Projects:         &Projects{base: b, store: st.Projects},
		WorkspaceMembers: &WorkspaceMembers{base: b, store: st.WorkspaceMembers},
		Relay:            &Relay{base: b, store: st.Relay, publisher: d.Publisher},
		Jobs:             &Jobs{base: b, store: st.Jobs, queue: d.Jobs, runners: map[JobKind]jobRunner{}},
		Webhooks:         &Webhooks{base: b, store: st.Webhooks, bus: d.Bus, deliveries: d.Deliveries, poster: d.Poster},
	}
	s.Invitations = &Invitations{base: b, store: st.Invitations, dir: st.Directory, mailer: d.Mailer,
		limits: rateLimiter{limiter: st.Limiter, limits: d.RateLimits.orDefaults()}}
	s.Members = &Members{base: b, store: st.Members, mailer: d.Mailer, invitations: s.Invitations}
	s.Partners = &Partners{base: b, store: st.Partners, mailer: d.Mailer, jobs: s.Jobs}
	s.Relay.ending = s.Partners
	s.Review = &Review{base: b, store: st.Items, relay: s.Relay}
	s.Collaborators = &Collaborators{base: b, store: st.Collaborators, jobs: s.Jobs, mailer: d.Mailer}
	s.Partners.collaborators = s.Collaborators // the inbound list holds both kinds
	s.Tasks = &Tasks{base: b, store: st.Tasks, groups: st.Groups, jobs: s.Jobs, mailer: d.Mailer}
	s.Jobs.runners[JobDistributeTask] = s.Tasks.distributeChunk
	cj := &collabJobs{base: b, store: st.CollabJobs, partners: s.Partners}
	s.Jobs.runners[JobAddAllUsers] = cj.addAllChunk
	s.Jobs.runners[JobRemoveCollaborator] = cj.removeCollabChunk
	s.Jobs.runners[JobStopPartner] = s.Partners.stopChunk
	return s, nil
}

func required(deps map[string]any) error {
	var missing []string
	for name, d := range deps {
		if d == nil || reflect.ValueOf(d).Kind() == reflect.Pointer && reflect.ValueOf(d).IsNil() {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("collab: missing ports %s", strings.Join(missing, ", "))
	}
	return nil
}

// Access is a caller's resolved standing on a project.
type Access struct {
	Project  Project
	Standing Standing
	Effective
}

// access loads and resolves the caller's rights on a project. A caller
// without any role there gets not found: the project is not revealed.
func (s *base) access(ctx context.Context, c Caller, projectID string) (Access, error) {
	p, st, err := s.rights.LoadStanding(ctx, projectID, c.UserID)
	if err != nil {
		return Access{}, err
	}
	e := st.Resolve()
	if e.None() {
		return Access{}, Errorf(CodeNotFound, "project %q not found", projectID)
	}
	return Access{Project: p, Standing: st, Effective: e}, nil
}

// require fails with forbidden unless the grant for a allows in some scope.
func (a Access) require(act Action) (Grant, error) {
	g := a.Can(act)
	if !g.Allowed() {
		return g, Errorf(CodeForbidden, "role %s may not %s", a.Role, act)
	}
	return g, nil
}

// workspaceAccess loads and resolves the caller's standing in a workspace,
// reading the named collaborator org too (targetOrg, may be empty). A
// caller without standing gets not found: the workspace is not revealed.
func (s *base) workspaceAccess(ctx context.Context, c Caller, wsID, targetOrg string) (WorkspaceAccess, error) {
	st, err := s.rights.LoadWorkspaceStanding(ctx, wsID, c.UserID, targetOrg)
	if err != nil {
		return WorkspaceAccess{}, err
	}
	a := st.Resolve(targetOrg)
	if a.None() {
		return WorkspaceAccess{}, Errorf(CodeNotFound, "workspace %q not found", wsID)
	}
	return a, nil
}

// hasWorkforce reports whether the caller is owner or admin of org.
func (s *base) hasWorkforce(ctx context.Context, c Caller, orgID string) (bool, error) {
	m, err := s.rights.GetOrgMembership(ctx, orgID, c.UserID)
	if IsCode(err, CodeNotFound) {
		return false, nil
	}
	return err == nil && m.Role.HasWorkforceAccess(), err
}

// entry builds an audit entry of a change made by the caller.
func (s *base) entry(scope string, c Caller, org, what string, before, after any) AuditEntry {
	return AuditEntry{Scope: scope, At: s.clock.Now(), ID: s.ids.New("aud"), Actor: c.UserID, OrgID: org, What: what, Before: before, After: after}
}

// orgPermit returns the caller's membership of an org once the org table
// allows them act there. A non-member gets not found.
func (s *base) orgPermit(ctx context.Context, c Caller, orgID string, act OrgAction) (OrgMembership, error) {
	m, err := s.membership(ctx, c, orgID)
	if err != nil {
		return OrgMembership{}, err
	}
	return m, m.Permit(act)
}

func invalid(field, format string, args ...any) error {
	var v Validation
	v.Add(field, format, args...)
	return v.Err()
}

// membership returns the caller's membership of org, or not found: an org the
// caller is not in is not revealed.
func (s *base) membership(ctx context.Context, c Caller, orgID string) (OrgMembership, error) {
	m, err := s.rights.GetOrgMembership(ctx, orgID, c.UserID)
	if IsCode(err, CodeNotFound) {
		return OrgMembership{}, Errorf(CodeNotFound, "org %q not found", orgID)
	}
	return m, err
}
