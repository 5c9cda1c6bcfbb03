package collab

import (
	"context"
	"fmt"
	"sync"
)

// Orgs creates orgs and manages their members.
type Orgs struct {
	base
	store OrgStore
	known sync.Map // userID -> email + "\x00" + name, per cold start
}

// OrgStore is what the org use cases need.
type OrgStore interface {
	// SetOrgInbound sets an org's inbound approval settings
	// (version-checked), with the audit entry.
	SetOrgInbound(ctx context.Context, org Org, approval InboundApproval, trusted []string, audit ...AuditEntry) error
	// PutUser creates the user or refreshes its email and name.
	PutUser(ctx context.Context, u User) error
	// CreateOrg writes the org, its owner membership and its default
	// workspace in one transaction.
	CreateOrg(ctx context.Context, n NewOrg) error
	GetOrg(ctx context.Context, orgID string) (Org, error)
	ListUserOrgs(ctx context.Context, userID string, p Page) ([]OrgMembership, string, error)
	ListOrgMembers(ctx context.Context, orgID string, p Page) ([]OrgMembership, string, error)
	SetOrgMemberRole(ctx context.Context, m OrgMembership, role OrgRole, audit ...AuditEntry) error
	// RemoveOrgMember deletes the membership and the footprint given, in
	// one transaction.
	RemoveOrgMember(ctx context.Context, m OrgMembership, fp Footprint, audit ...AuditEntry) error
	// Footprint lists a user's project and workspace rows and their
	// memberships of the org's groups.
	Footprint(ctx context.Context, orgID, userID string) (Footprint, error)
	// RenameOrg renames the org (version-checked, with the audit entries;
	// none when the name stays) and brings the copies of its name on
	// memberships, collaborators and partner rows in step.
	RenameOrg(ctx context.Context, org Org, name string, audit ...AuditEntry) (Org, error)
	// OrgContents reads everything the org holds.
	OrgContents(ctx context.Context, orgID string) (OrgContents, error)
	// DeleteOrg deletes the org and what it holds: in one transaction when
	// it fits, else marking the org deleting first and finishing with the
	// org row and the caller's own membership (keep), so a repeat completes
	// a cut-off delete.
	DeleteOrg(ctx context.Context, org Org, keep string, held OrgContents, audit ...AuditEntry) error
}

// OrgScope names an org's audit log.
func OrgScope(orgID string) string { return "ORG#" + orgID }

// ChangeOrgMemberRole sets a member's org role. Owners and admins manage
// members; only an owner grants owner or changes an owner; the org keeps an
// owner.
func (s *Orgs) ChangeOrgMemberRole(ctx context.Context, c Caller, orgID, userID string, role OrgRole) (OrgMembership, error) {
	if !role.Valid() {
		return OrgMembership{}, invalid("role", "must be one of owner, admin, member")
	}
	actor, err := s.orgPermit(ctx, c, orgID, OrgMembersManage)
	if err != nil {
		return OrgMembership{}, err
	}
	target, err := s.rights.GetOrgMembership(ctx, orgID, userID)
	if err != nil {
		return OrgMembership{}, err
	}
	if (role == OrgOwner || target.Role == OrgOwner) && actor.Role != OrgOwner {
		return OrgMembership{}, Errorf(CodeForbidden, "only an owner grants or changes the owner role")
	}
	if target.Role == role {
		return target, nil
	}
	before := target
	if err := s.store.SetOrgMemberRole(ctx, target, role, s.entry(OrgScope(orgID), c, orgID, "org_member.role_changed",
		map[string]any{"userId": userID, "role": before.Role}, map[string]any{"userId": userID, "role": role})); err != nil {
		return OrgMembership{}, err
	}
	target.Role, target.Version = role, target.Version+1
	return target, nil
}

// RemoveOrgMember removes a user from an org (a member may leave on their
// own), together with everything they held through it: their project
// memberships for that org, their workspace roles for it and their
// memberships of its groups (docs/security.md, invariant 1). Only an owner removes an owner;
// the org and each project keep an owner.
func (s *Orgs) RemoveOrgMember(ctx context.Context, c Caller, orgID, userID string) error {
	actor, err := s.membership(ctx, c, orgID)
	if err != nil {
		return err
	}
	target := actor
	if userID != c.UserID {
		if err := actor.Permit(OrgMembersManage); err != nil {
			return err
		}
		if target, err = s.rights.GetOrgMembership(ctx, orgID, userID); err != nil {
			return err
		}
		if target.Role == OrgOwner && actor.Role != OrgOwner {
			return Errorf(CodeForbidden, "only an owner removes an owner")
		}
	}
	all, err := s.store.Footprint(ctx, orgID, userID)
	if err != nil {
		return fmt.Errorf("remove org member: %w", err)
	}
	fp := Footprint{Groups: all.Groups}
	for _, pm := range all.Projects {
		if pm.OrgID == orgID {
			fp.Projects = append(fp.Projects, pm)
		}
	}
	for _, wm := range all.Workspaces {
		if wm.OrgID == orgID {
			fp.Workspaces = append(fp.Workspaces, wm)
		}
	}
	return s.store.RemoveOrgMember(ctx, target, fp, s.entry(OrgScope(orgID), c, orgID, "org_member.removed",
		map[string]any{"userId": userID, "role": target.Role}, map[string]any{"projects": len(fp.Projects), "workspaces": len(fp.Workspaces), "groups": len(fp.Groups)}))
}

// EnsureUser creates the caller's user record on their first call and
// refreshes its email and name when the claims change.
func (s *Orgs) EnsureUser(ctx context.Context, c Caller) error {
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
func (s *Orgs) CreateOrg(ctx context.Context, c Caller, name string) (Org, Workspace, error) {
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
func (s *Orgs) ListOrgs(ctx context.Context, c Caller, p Page) ([]OrgMembership, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	return s.store.ListUserOrgs(ctx, c.UserID, p)
}

// GetOrg returns an org the caller belongs to, with the caller's role. An org
// the caller is not in answers not found, whether or not it exists.
func (s *Orgs) GetOrg(ctx context.Context, c Caller, orgID string) (Org, OrgRole, error) {
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
func (s *Orgs) ListOrgMembers(ctx context.Context, c Caller, orgID string, p Page) ([]OrgMembership, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	if _, err := s.membership(ctx, c, orgID); err != nil {
		return nil, "", err
	}
	return s.store.ListOrgMembers(ctx, orgID, p)
}

// RenameOrg renames an org (org.rename: its owners and admins). Repeating
// it with the same name writes no audit entry but brings any copy of the
// name left behind in step.
func (s *Orgs) RenameOrg(ctx context.Context, c Caller, orgID, name string) (Org, OrgRole, error) {
	var v Validation
	name = CleanName("name", name, &v)
	if err := v.Err(); err != nil {
		return Org{}, "", err
	}
	m, err := s.orgPermit(ctx, c, orgID, OrgRename)
	if err != nil {
		return Org{}, "", err
	}
	org, err := s.store.GetOrg(ctx, orgID)
	if err != nil {
		return Org{}, "", err
	}
	var audit []AuditEntry
	if org.Name != name {
		audit = append(audit, s.entry(OrgScope(orgID), c, orgID, "org.renamed", map[string]any{"name": org.Name}, map[string]any{"name": name}))
	}
	org, err = s.store.RenameOrg(ctx, org, name, audit...)
	return org, m.Role, err
}

// DeleteOrg deletes an org (org.delete: its owners) with its memberships,
// workspaces, groups and pending invitations. It is refused (409, saying
// why) while the org holds projects, partners other orgs' projects,
// collaborates in their workspaces or has collaborators in its own: other
// orgs rely on those, and each has its own way to end.
func (s *Orgs) DeleteOrg(ctx context.Context, c Caller, orgID string) error {
	m, err := s.membership(ctx, c, orgID)
	if err != nil {
		return err
	}
	if m.Permit(OrgDelete) != nil {
		return Errorf(CodeForbidden, "only an owner deletes the org")
	}
	org, err := s.store.GetOrg(ctx, orgID)
	if err != nil {
		return err
	}
	held, err := s.store.OrgContents(ctx, orgID)
	if err != nil {
		return err
	}
	if err := held.refusal(); err != nil {
		return err
	}
	var audit []AuditEntry
	if !org.Deleting { // a repeat finishing a cut-off delete was audited by the first
		audit = append(audit, s.entry(OrgScope(orgID), c, orgID, "org.deleted", map[string]any{"name": org.Name},
			map[string]any{"members": len(held.Members), "workspaces": len(held.Workspaces), "groups": len(held.Groups),
				"invitations": len(held.Invitations)}))
	}
	return s.store.DeleteOrg(ctx, org, c.UserID, held, audit...)
}
