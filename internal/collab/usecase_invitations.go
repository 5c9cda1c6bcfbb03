package collab

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Invitations issues, lists, resends, revokes, declines and accepts invitations of every kind.
type Invitations struct {
	base
	store  InvitationStore
	dir    Directory
	mailer Mailer
	limits rateLimiter // invitations and imports per user and per org
}

// InvitationStore keeps invitations and applies acceptances.
type InvitationStore interface {
	// CreateInvitation stores an invitation and its token pointer; for a
	// share link it also points the project at it and revokes the previous
	// link, in the same transaction.
	CreateInvitation(ctx context.Context, inv Invitation, previous *Invitation, audit ...AuditEntry) error
	GetInvitation(ctx context.Context, id string) (Invitation, error)
	FindInvitationByToken(ctx context.Context, tokenHash string) (Invitation, error)
	// GetShareLink returns the project's current share link with its
	// LinkToken unsealed (empty when it cannot be: a link made before
	// tokens were kept, or sealed with another key).
	GetShareLink(ctx context.Context, projectID string) (Invitation, error)
	ListInvitations(ctx context.Context, scope InvitationScope, p Page) ([]Invitation, string, error)
	// ListInvitationsTo lists the pending invitations bound to an
	// (normalized) email address, oldest first.
	ListInvitationsTo(ctx context.Context, email string, p Page) ([]Invitation, string, error)
	// SetInvitationStatus moves a pending invitation (version-checked) to
	// revoked or declined and voids its token.
	SetInvitationStatus(ctx context.Context, inv Invitation, status InvitationStatus, audit ...AuditEntry) error
	// ReissueInvitation gives a pending invitation a new token (voiding the
	// old one), a new expiry and its resend log (version-checked).
	ReissueInvitation(ctx context.Context, old Invitation, newHash string, expires time.Time, resends []time.Time, audit ...AuditEntry) error
	AcceptInvitation(ctx context.Context, a Acceptance) error
	// PutWorkspaceMembers writes workspace roles in batches (idempotent).
	PutWorkspaceMembers(ctx context.Context, ms []WorkspaceMember) error
}

// Directory reads who and where: users, orgs, workspaces, partners and collaborators.
type Directory interface {
	GetUser(ctx context.Context, userID string) (User, error)
	FindUserByEmail(ctx context.Context, email string) (User, error)
	GetOrg(ctx context.Context, orgID string) (Org, error)
	GetWorkspace(ctx context.Context, wsID string) (Workspace, error)
	ListUserOrgs(ctx context.Context, userID string, p Page) ([]OrgMembership, string, error)
	GetPartner(ctx context.Context, projectID, orgID string) (Partner, error)
	// GetPartnerRecord reads a partner whatever its state (waiting for
	// approval, stopping).
	GetPartnerRecord(ctx context.Context, projectID, orgID string) (Partner, error)
	GetCollaborator(ctx context.Context, wsID, orgID string) (Collaborator, error)
	// ListOrgCollaborations lists the workspaces an org collaborates in.
	ListOrgCollaborations(ctx context.Context, orgID string) ([]Collaborator, error)
}

// Issued is a created invitation with its token, shown once (a share
// link's also to its owner again: Token and URL are then set on a read).
type Issued struct {
	Invitation Invitation
	Token      string
	URL        string
	// Reused: the project's active share link answered again, not a new one.
	Reused bool
}

func (s *Invitations) link(token string) string { return s.cfg.PublicBaseURL + "/invitations/" + token }

// mail sends the invitation email with its acceptance link.
func (s *Invitations) mail(ctx context.Context, inv Invitation, token string) error {
	// The id changes with each token, so a resend is a new message.
	e, err := ComposeNotice(NoticeInvitation, inv.ID+"-"+inv.TokenHash[:12], inv.Email, InvitationNotice{
		Kind: inv.Kind, InvitedBy: inv.InvitedByName, OrgName: inv.OrgName, ProjectName: inv.ProjectName,
		CompanyName: inv.CompanyName, WorkspaceName: inv.WorkspaceName, Role: inv.Role, Link: s.link(token), ExpiresAt: inv.ExpiresAt})
	if err == nil {
		err = s.mailer.Send(ctx, e)
	}
	if err != nil {
		return &Error{Code: CodeUnavailable, Message: "the invitation was saved but its email could not be queued; resend it",
			Saved: &SavedRecord{Kind: RecordInvitation, ID: inv.ID}, Err: err}
	}
	return nil
}

// newInvitation fills the common fields of an invitation.
func (s *Invitations) newInvitation(c Caller, kind InvitationKind) (Invitation, string) {
	token, hash := NewToken()
	now := s.clock.Now()
	inv := Invitation{ID: s.ids.New("inv"), TokenHash: hash, Kind: kind, Status: InvPending,
		InvitedBy: c.UserID, InvitedByName: displayName(c), CreatedAt: now, Version: 1}
	if kind != KindShareLink {
		inv.ExpiresAt = now.Add(EmailInvitationTTL)
	} else {
		inv.LinkToken = token // sealed by the store, for the owner's read-back
	}
	return inv, token
}

func displayName(c Caller) string {
	if c.Name != "" {
		return c.Name
	}
	return c.Email
}

// projectScope fills an invitation's project fields.
func (s *Invitations) projectScope(ctx context.Context, inv *Invitation, p Project) error {
	org, err := s.dir.GetOrg(ctx, p.HostOrgID)
	if err != nil {
		return err
	}
	inv.ProjectID, inv.ProjectName, inv.WorkspaceID, inv.OrgID, inv.OrgName = p.ID, p.Name, p.WorkspaceID, org.ID, org.Name
	return nil
}

// EnableShareLink enables the project's share link (project.settings). An
// active link is answered again (Reused), never silently replaced; rotate
// replaces it with a new one (the old link stops working in the same
// transaction). expiresIn nil or zero means no expiry; naming an expiry for
// an active link without rotate is a conflict (the active link keeps its
// own). A link that is revoked or expired is replaced by a new one.
func (s *Invitations) EnableShareLink(ctx context.Context, c Caller, projectID string, expiresIn *time.Duration, rotate bool) (Issued, error) {
	if expiresIn != nil && (*expiresIn < 0 || *expiresIn > 365*24*time.Hour) {
		return Issued{}, invalid("expiresInDays", "must be between 0 (never) and 365")
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return Issued{}, err
	}
	if _, err := a.require(ActProjectSettings); err != nil {
		return Issued{}, err
	}
	var previous *Invitation
	if old, err := s.store.GetShareLink(ctx, projectID); err == nil {
		previous = &old
	} else if !IsCode(err, CodeNotFound) {
		return Issued{}, err
	}
	active := previous != nil && previous.StatusAt(s.clock.Now()) == InvPending
	if active && !rotate {
		rotateField := []FieldError{{Field: "rotate", Message: "set rotate=true to replace the active link"}}
		if expiresIn != nil {
			return Issued{}, &Error{Code: CodeConflict, Fields: rotateField,
				Message: "a share link is active and keeps its expiry; to give the project a link with another expiry, replace the active one with rotate=true (the active link then stops working)"}
		}
		if previous.LinkToken == "" {
			return Issued{}, &Error{Code: CodeConflict, Fields: rotateField,
				Message: "the active share link cannot be read again (it was made before links were kept, or under another key); replace it with rotate=true"}
		}
		inv, token := *previous, previous.LinkToken
		inv.LinkToken = ""
		return Issued{Invitation: inv, Token: token, URL: s.link(token), Reused: true}, nil
	}
	inv, token := s.newInvitation(c, KindShareLink)
	inv.Role = string(RoleAnnotationManager)
	inv.Types = []CollabType{CollabAnnotationPartner}
	if expiresIn != nil && *expiresIn > 0 {
		inv.ExpiresAt = inv.CreatedAt.Add(*expiresIn)
	}
	if err := s.projectScope(ctx, &inv, a.Project); err != nil {
		return Issued{}, err
	}
	if err := s.chargeInvitations(ctx, c, inv, 1); err != nil {
		return Issued{}, err
	}
	what, before := "share_link.enabled", any(nil)
	if active {
		what, before = "share_link.rotated", map[string]any{"invitationId": previous.ID}
	}
	if err := s.store.CreateInvitation(ctx, inv, previous, s.entry(ProjectScope(projectID), c, a.Project.HostOrgID, what,
		before, map[string]any{"invitationId": inv.ID, "expiresAt": inv.ExpiresAt})); err != nil {
		return Issued{}, err
	}
	inv.LinkToken = ""
	return Issued{Invitation: inv, Token: token, URL: s.link(token)}, nil
}

// ShareLink returns the project's share link to those who hold
// project.settings; its token and URL only while it is active and only to
// the project's owner (an effective host owner), who may send the same
// link again. Nobody else ever reads a token back.
func (s *Invitations) ShareLink(ctx context.Context, c Caller, projectID string) (Issued, error) {
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return Issued{}, err
	}
	if _, err := a.require(ActProjectSettings); err != nil {
		return Issued{}, err
	}
	inv, err := s.store.GetShareLink(ctx, projectID)
	if err != nil {
		return Issued{}, err
	}
	inv.Status = inv.StatusAt(s.clock.Now())
	token := inv.LinkToken
	inv.LinkToken = ""
	out := Issued{Invitation: inv}
	if token != "" && inv.Status == InvPending && a.Role == RoleOwner && a.Side == SideHost {
		out.Token, out.URL = token, s.link(token)
	}
	return out, nil
}

// DisableShareLink revokes the project's share link.
func (s *Invitations) DisableShareLink(ctx context.Context, c Caller, projectID string) error {
	link, err := s.ShareLink(ctx, c, projectID)
	if err != nil {
		return err
	}
	inv := link.Invitation
	return s.store.SetInvitationStatus(ctx, inv, InvRevoked, s.entry(ProjectScope(projectID), c, inv.OrgID, "share_link.revoked",
		map[string]any{"invitationId": inv.ID}, nil))
}

// InviteLabelingCompany invites a labeling company by its admin's email
// (partners.manage: the owner).
func (s *Invitations) InviteLabelingCompany(ctx context.Context, c Caller, projectID, name, adminEmail string) (Issued, error) {
	var v Validation
	name = CleanName("name", name, &v)
	adminEmail = NormalizeEmail(adminEmail)
	if !ValidEmail(adminEmail) {
		v.Add("email", "must be an email address")
	}
	if err := v.Err(); err != nil {
		return Issued{}, err
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return Issued{}, err
	}
	if _, err := a.require(ActPartnersManage); err != nil {
		return Issued{}, err
	}
	inv, token := s.newInvitation(c, KindLabelingCompany)
	inv.Email, inv.CompanyName, inv.Role = adminEmail, name, string(RoleAnnotationManager)
	inv.Types = []CollabType{CollabAnnotationPartner}
	if err := s.projectScope(ctx, &inv, a.Project); err != nil {
		return Issued{}, err
	}
	return s.issue(ctx, c, inv, token)
}

// invitationAudit is where an invitation's audit entries go and the org
// they are about: its project, workspace or org, and the org the invitee
// would join for.
func invitationAudit(inv Invitation) (scope, org string) {
	switch {
	case inv.Kind == KindOrgMember:
		return OrgScope(inv.OrgID), inv.OrgID
	case inv.Kind == KindCollaborator:
		return WorkspaceScope(inv.WorkspaceID), inv.OrgID
	case inv.CompanyOrgID != "":
		return ProjectScope(inv.ProjectID), inv.CompanyOrgID
	}
	return ProjectScope(inv.ProjectID), inv.OrgID
}

// invitationEntry is the audit entry of an invitation event.
func (s *Invitations) invitationEntry(c Caller, inv Invitation, what string) AuditEntry {
	scope, org := invitationAudit(inv)
	return s.entry(scope, c, org, what, nil, map[string]any{"invitationId": inv.ID, "kind": inv.Kind, "role": inv.Role})
}

// chargeInvitations takes n invitations from the caller's budget and from
// the budget of the org the invitation is for (invitationAudit's org: the
// org the inviter acts for), or answers rate_limited with RetryAfter. It
// runs once the caller is known to be allowed to invite, so nobody spends
// another org's budget by naming it.
func (s *Invitations) chargeInvitations(ctx context.Context, c Caller, inv Invitation, n int) error {
	_, org := invitationAudit(inv)
	return s.limits.takeAll(ctx, "invitations", n, s.clock.Now(), s.limits.invites(c, org)...)
}

// issue charges one invitation to the rate limits, then stores and mails
// it.
func (s *Invitations) issue(ctx context.Context, c Caller, inv Invitation, token string) (Issued, error) {
	if err := s.chargeInvitations(ctx, c, inv, 1); err != nil {
		return Issued{}, err
	}
	return s.issuePaid(ctx, c, inv, token)
}

// issuePaid stores and mails an invitation already charged to the rate
// limits (an import charges its invitations at once).
func (s *Invitations) issuePaid(ctx context.Context, c Caller, inv Invitation, token string) (Issued, error) {
	if err := s.store.CreateInvitation(ctx, inv, nil, s.invitationEntry(c, inv, "invitation.created")); err != nil {
		return Issued{}, err
	}
	if err := s.mail(ctx, inv, token); err != nil {
		return Issued{}, err
	}
	return Issued{Invitation: inv, Token: token, URL: s.link(token)}, nil
}

// InviteOrgMember invites someone by email to join an org (its owners and
// admins; only an owner invites an owner).
func (s *Invitations) InviteOrgMember(ctx context.Context, c Caller, orgID, email string, role OrgRole) (Issued, error) {
	email = NormalizeEmail(email)
	var v Validation
	if !ValidEmail(email) {
		v.Add("email", "must be an email address")
	}
	if !role.Valid() {
		v.Add("role", "must be one of owner, admin, member")
	}
	if err := v.Err(); err != nil {
		return Issued{}, err
	}
	actor, err := s.orgPermit(ctx, c, orgID, OrgInvite)
	if err != nil {
		return Issued{}, err
	}
	if role == OrgOwner && actor.Role != OrgOwner {
		return Issued{}, Errorf(CodeForbidden, "only an owner invites an owner")
	}
	if u, err := s.dir.FindUserByEmail(ctx, email); err == nil {
		if _, err := s.rights.GetOrgMembership(ctx, orgID, u.ID); err == nil {
			return Issued{}, AlreadyMember(RecordOrg, email)
		}
	}
	inv, token := s.newInvitation(c, KindOrgMember)
	inv.Email, inv.Role, inv.OrgID, inv.OrgName = email, string(role), orgID, actor.OrgName
	return s.issue(ctx, c, inv, token)
}

// inviteProjectMember invites someone by email to a project (the path of
// AddProjectMember for people who cannot be added at once), charging the
// invitation to the rate limits.
func (s *Invitations) inviteProjectMember(ctx context.Context, c Caller, a Access, email string, role Role, pl placement) (Issued, error) {
	inv, token, err := s.projectMemberInvitation(ctx, c, a, email, role, pl)
	if err != nil {
		return Issued{}, err
	}
	return s.issue(ctx, c, inv, token)
}

// inviteProjectMemberPaid is inviteProjectMember for an invitation already
// charged to the rate limits (by ImportMembers, for all its rows at once).
func (s *Invitations) inviteProjectMemberPaid(ctx context.Context, c Caller, a Access, email string, role Role, pl placement) (Issued, error) {
	inv, token, err := s.projectMemberInvitation(ctx, c, a, email, role, pl)
	if err != nil {
		return Issued{}, err
	}
	return s.issuePaid(ctx, c, inv, token)
}

// projectMemberInvitation builds a project invitation for the placement.
func (s *Invitations) projectMemberInvitation(ctx context.Context, c Caller, a Access, email string, role Role, pl placement) (Invitation, string, error) {
	inv, token := s.newInvitation(c, KindProjectMember)
	inv.Email, inv.Role = email, string(role)
	if pl.side == SideExternal {
		inv.CompanyOrgID = pl.orgID
		if a.Side == SideExternal && a.OrgID == pl.orgID {
			inv.InvitedForOrg = pl.orgID
		}
	}
	if err := s.projectScope(ctx, &inv, a.Project); err != nil {
		return Invitation{}, "", err
	}
	return inv, token, nil
}

// manages checks the caller may see and manage an invitation.
func (s *Invitations) manages(ctx context.Context, c Caller, inv Invitation) error {
	switch inv.Kind {
	case KindOrgMember:
		_, err := s.orgPermit(ctx, c, inv.OrgID, OrgInvite)
		return err
	case KindCollaborator:
		_, err := s.orgPermit(ctx, c, inv.OrgID, OrgInvite)
		return err
	case KindShareLink, KindLabelingCompany:
		a, err := s.access(ctx, c, inv.ProjectID)
		if err != nil {
			return err
		}
		_, err = a.require(ActPartnersManage)
		return err
	default:
		a, err := s.access(ctx, c, inv.ProjectID)
		if err != nil {
			return err
		}
		g, err := a.require(ActMembersManage)
		if err != nil {
			return err
		}
		orgOf := inv.CompanyOrgID
		if orgOf == "" {
			orgOf = a.Project.HostOrgID
		}
		if g == OwnOrg && orgOf != a.OrgID {
			return NotFound(RecordInvitation, inv.ID)
		}
		return nil
	}
}

// ListInvitations lists the pending invitations of a project, workspace or
// org to those who manage them.
func (s *Invitations) ListInvitations(ctx context.Context, c Caller, scope InvitationScope, p Page) ([]Invitation, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	var ownOrg string
	switch scope.Kind {
	case "org":
		if _, err := s.orgPermit(ctx, c, scope.ID, OrgInvite); err != nil {
			return nil, "", err
		}
	case "workspace":
		w, err := s.dir.GetWorkspace(ctx, scope.ID)
		if err != nil {
			return nil, "", err
		}
		if _, err := s.orgPermit(ctx, c, w.OrgID, OrgInvite); err != nil {
			if IsCode(err, CodeNotFound) {
				return nil, "", NotFound(RecordWorkspace, scope.ID)
			}
			return nil, "", err
		}
	case "project":
		a, err := s.access(ctx, c, scope.ID)
		if err != nil {
			return nil, "", err
		}
		g, err := a.require(ActMembersManage)
		if err != nil {
			return nil, "", err
		}
		if g == OwnOrg {
			ownOrg = a.OrgID
		}
	default:
		return nil, "", invalid("projectId", "name exactly one of projectId, workspaceId, orgId")
	}
	invs, next, err := s.store.ListInvitations(ctx, scope, p)
	if err != nil {
		return nil, "", err
	}
	now := s.clock.Now()
	out := invs[:0]
	for _, inv := range invs {
		if ownOrg != "" && (inv.Kind != KindProjectMember || inv.CompanyOrgID != ownOrg && !(inv.CompanyOrgID == "" && ownOrg == inv.OrgID)) {
			continue
		}
		inv.Status = inv.StatusAt(now)
		out = append(out, inv)
	}
	return out, next, nil
}

// ResendInvitation issues a new token for a pending email invitation (the
// old link stops working) and mails it: at most five times an hour, each
// resend a mail charged to the invitation rate limits like a new one.
func (s *Invitations) ResendInvitation(ctx context.Context, c Caller, id string) (Issued, error) {
	inv, err := s.store.GetInvitation(ctx, id)
	if err != nil {
		return Issued{}, err
	}
	if err := s.manages(ctx, c, inv); err != nil {
		return Issued{}, err
	}
	if inv.Kind == KindShareLink {
		return Issued{}, Errorf(CodeConflict, "a share link is not resent; enable a new one")
	}
	if inv.Status != InvPending {
		return Issued{}, Errorf(CodeGone, "the invitation is %s", inv.Status)
	}
	now := s.clock.Now()
	var recent []time.Time
	for _, t := range inv.Resends {
		if now.Sub(t) < time.Hour {
			recent = append(recent, t)
		}
	}
	if len(recent) >= MaxResendsPerHour {
		return Issued{}, &Error{Code: CodeRateLimited, Message: fmt.Sprintf("at most %d resends an hour", MaxResendsPerHour),
			RetryAfter: recent[0].Add(time.Hour).Sub(now)}
	}
	if err := s.chargeInvitations(ctx, c, inv, 1); err != nil {
		return Issued{}, err
	}
	token, hash := NewToken()
	expires := now.Add(EmailInvitationTTL)
	if err := s.store.ReissueInvitation(ctx, inv, hash, expires, append(recent, now), s.invitationEntry(c, inv, "invitation.resent")); err != nil {
		return Issued{}, err
	}
	inv.TokenHash, inv.ExpiresAt, inv.Resends, inv.Version = hash, expires, append(recent, now), inv.Version+1
	if err := s.mail(ctx, inv, token); err != nil {
		return Issued{}, err
	}
	return Issued{Invitation: inv, Token: token, URL: s.link(token)}, nil
}

// RevokeInvitation revokes a pending invitation.
func (s *Invitations) RevokeInvitation(ctx context.Context, c Caller, id string) error {
	inv, err := s.store.GetInvitation(ctx, id)
	if err != nil {
		return err
	}
	if err := s.manages(ctx, c, inv); err != nil {
		return err
	}
	if inv.Status != InvPending {
		return Errorf(CodeGone, "the invitation is %s", inv.Status)
	}
	return s.store.SetInvitationStatus(ctx, inv, InvRevoked, s.invitationEntry(c, inv, "invitation.revoked"))
}

// usable finds a token's invitation and refuses it unless pending:
// unknown 404; revoked, used, declined or expired 410 saying which. Each
// unknown token counts against the asker's budget of misses; once it is
// spent every lookup of theirs answers 429 (Retry-After) without looking,
// so a guesser learns nothing more until the window ends.
func (s *Invitations) usable(ctx context.Context, a Asker, token string) (Invitation, error) {
	if !WellFormedToken(token) {
		return Invitation{}, Errorf(CodeNotFound, "this invitation link is not valid")
	}
	now, misses := s.clock.Now(), tokenMissBudget(s.limits.limits, a)
	left, err := s.limits.limiter.Left(ctx, misses, now)
	if err != nil {
		return Invitation{}, err
	}
	if left <= 0 {
		return Invitation{}, rateLimited("invitation links that match nothing", misses, now)
	}
	inv, err := s.store.FindInvitationByToken(ctx, HashToken(token))
	if IsCode(err, CodeNotFound) {
		if taken, _, err := s.limits.limiter.Take(ctx, misses, 1, now); err != nil {
			return Invitation{}, err
		} else if !taken {
			return Invitation{}, rateLimited("invitation links that match nothing", misses, now)
		}
		return Invitation{}, Errorf(CodeNotFound, "this invitation link is not valid")
	}
	if err != nil {
		return Invitation{}, err
	}
	return inv, s.stillPending(inv)
}

// stillPending refuses an invitation that is no longer pending, saying
// why: revoked, used, declined or expired (410).
func (s *Invitations) stillPending(inv Invitation) error {
	switch st := inv.StatusAt(s.clock.Now()); st {
	case InvPending:
		return nil
	case InvAccepted:
		return InvitationGone(GoneUsed)
	default: // revoked, declined or expired
		return InvitationGone(GoneReason(st))
	}
}

// PreviewInvitation shows what a token offers; it needs no sign-in.
func (s *Invitations) PreviewInvitation(ctx context.Context, a Asker, token string) (Invitation, error) {
	return s.usable(ctx, a, token)
}

// Accepted is the outcome of an acceptance.
type Accepted struct {
	Kind        InvitationKind
	OrgID       string // the org the accepter acts for (joined, attached or founded)
	OrgName     string
	OrgCreated  bool // the accepter founded OrgID while accepting
	ProjectID   string
	WorkspaceID string
	Role        string
	// What was accepted, for the accepter's confirmation.
	ProjectName, WorkspaceName string
	// PendingApproval: the partnership waits for the approval of an owner
	// or admin of OrgID (Org.InboundApproval) and grants nothing yet.
	PendingApproval bool
}

// DeclineInvitation declines an email invitation addressed to the caller;
// declining a share link records nothing.
func (s *Invitations) DeclineInvitation(ctx context.Context, c Caller, token string) error {
	inv, err := s.usable(ctx, AskerOf(c), token)
	if err != nil {
		return err
	}
	if inv.Kind == KindShareLink {
		return nil
	}
	if err := boundTo(inv, c); err != nil {
		return err
	}
	return s.store.SetInvitationStatus(ctx, inv, InvDeclined, s.invitationEntry(c, inv, "invitation.declined"))
}

func boundTo(inv Invitation, c Caller) error {
	if inv.Email != "" && !SameEmail(c.Email, inv.Email) {
		return Errorf(CodeForbidden, "this invitation was sent to another email address; sign in as its addressee")
	}
	return nil
}

// chooseOrg picks the org an acceptance attaches: a new org the caller
// founds (returned as its records, to be written with the acceptance), the
// named one (which the user must belong to), or the user's only org;
// several without a name is 422 listing them; none is 422 (with an empty
// list: name a new org). Whether the user may attach an existing org (only
// its owners and admins; docs/security.md, invariant 4) is mayAttach's to
// say.
func (s *Invitations) chooseOrg(ctx context.Context, c Caller, pick OrgPick) (OrgMembership, *NewOrg, error) {
	if pick.NewOrgName != "" {
		n, err := s.newOrg(c, pick.NewOrgName, "newOrgName")
		if err != nil {
			return OrgMembership{}, nil, err
		}
		return n.Owner, &n, nil
	}
	m, err := s.existingOrg(ctx, c, pick.OrgID)
	return m, nil, err
}

func (s *Invitations) existingOrg(ctx context.Context, c Caller, orgID string) (OrgMembership, error) {
	if orgID != "" {
		m, err := s.rights.GetOrgMembership(ctx, orgID, c.UserID)
		if IsCode(err, CodeNotFound) {
			return OrgMembership{}, &Error{Code: CodeForbidden, Message: "you are not a member of that org",
				Fields: []FieldError{{Field: "orgId", Message: "is not one of your orgs"}}}
		}
		return m, err
	}
	orgs, _, err := s.dir.ListUserOrgs(ctx, c.UserID, Page{Limit: MaxPageLimit})
	if err != nil {
		return OrgMembership{}, err
	}
	switch len(orgs) {
	case 0:
		return OrgMembership{}, &Error{Code: CodeUnprocessable,
			Message: "only members of an organization can accept this invitation: name a new organization as newOrgName to found it while accepting, or join one first",
			Fields:  []FieldError{{Field: "newOrgName", Message: "is required: you belong to no organization"}}, OrgChoice: &OrgChoice{Orgs: []OrgRef{}}}
	case 1:
		return orgs[0], nil
	}
	choices := make([]OrgRef, len(orgs))
	for i, o := range orgs {
		choices[i] = OrgRef{ID: o.OrgID, Name: o.OrgName}
	}
	return OrgMembership{}, &Error{Code: CodeUnprocessable, Message: "you belong to several organizations: choose one as orgId",
		Fields: []FieldError{{Field: "orgId", Message: "is required: choose one of your orgs"}}, OrgChoice: &OrgChoice{Orgs: choices}}
}

// mayAttach refuses an acceptance that would attach an org the user is
// only a plain member of: membership and partnerships of an org come only
// from its owners and admins (docs/security.md, invariant 4).
func mayAttach(m OrgMembership) error {
	if m.Role.HasWorkforceAccess() {
		return nil
	}
	return &Error{Code: CodeForbidden, Message: "only an owner or admin of an organization accepts this invitation for it; ask one of them",
		Fields: []FieldError{{Field: "orgId", Message: "you are not an owner or admin of this org"}}}
}

// check refuses a pick naming both an org and a new org (400 naming
// newOrgName).
func (p OrgPick) check() error {
	if p.OrgID != "" && p.NewOrgName != "" {
		return invalid("newOrgName", "name either orgId (one of your organizations) or newOrgName (a new one), not both")
	}
	return nil
}

// AcceptInvitation accepts the invitation behind token as the caller, for
// the org pick names (share link, labeling company, collaborator).
func (s *Invitations) AcceptInvitation(ctx context.Context, c Caller, token string, pick OrgPick) (Accepted, error) {
	if err := pick.check(); err != nil {
		return Accepted{}, err
	}
	inv, err := s.usable(ctx, AskerOf(c), token)
	if err != nil {
		return Accepted{}, err
	}
	if err := boundTo(inv, c); err != nil {
		return Accepted{}, err
	}
	return s.accept(ctx, c, inv, pick)
}

// AcceptInvitationByID accepts, from the invitee's own list, an invitation
// bound to the caller's verified email, by its id: the same rules as
// AcceptInvitation. To anyone but its addressee the invitation does not
// exist (404), whatever its state; a share link has no addressee.
func (s *Invitations) AcceptInvitationByID(ctx context.Context, c Caller, id string, pick OrgPick) (Accepted, error) {
	if err := pick.check(); err != nil {
		return Accepted{}, err
	}
	inv, err := s.store.GetInvitation(ctx, id)
	if err != nil && !IsCode(err, CodeNotFound) {
		return Accepted{}, err
	}
	if err != nil || inv.Email == "" || NormalizeEmail(c.Email) == "" || !SameEmail(c.Email, inv.Email) {
		return Accepted{}, NotFound(RecordInvitation, id)
	}
	if err := s.stillPending(inv); err != nil {
		return Accepted{}, err
	}
	return s.accept(ctx, c, inv, pick)
}

// MyInvitations lists the pending, unexpired invitations bound to the
// caller's verified email, oldest first (a page may hold fewer than its
// limit: expired ones are left out). A caller without a verified email has
// none.
func (s *Invitations) MyInvitations(ctx context.Context, c Caller, p Page) ([]Invitation, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	email := NormalizeEmail(c.Email)
	if email == "" {
		return nil, "", nil
	}
	invs, next, err := s.store.ListInvitationsTo(ctx, email, p)
	if err != nil {
		return nil, "", err
	}
	now := s.clock.Now()
	out := invs[:0]
	for _, inv := range invs {
		if inv.StatusAt(now) == InvPending && SameEmail(inv.Email, email) {
			out = append(out, inv)
		}
	}
	return out, next, nil
}

// accept applies a pending invitation, already checked to be the caller's
// to accept, in one transaction.
func (s *Invitations) accept(ctx context.Context, c Caller, inv Invitation, pick OrgPick) (Accepted, error) {
	if pick.NewOrgName != "" && !inv.Kind.AttachesOrg() {
		return Accepted{}, invalid("newOrgName", "this invitation does not attach an organization")
	}
	now := s.clock.Now()
	acc := Acceptance{Invitation: inv, AcceptedBy: c.UserID, At: now}
	var later []WorkspaceMember // auto-invite workspaces beyond the transaction
	out := Accepted{Kind: inv.Kind, ProjectID: inv.ProjectID, WorkspaceID: inv.WorkspaceID, Role: inv.Role,
		ProjectName: inv.ProjectName, WorkspaceName: inv.WorkspaceName}
	// founded records the org the accepter founds, with its audit entry.
	founded := func(n *NewOrg) {
		if n == nil {
			return
		}
		acc.NewOrg = n
		acc.Audit = append(acc.Audit, s.entry(OrgScope(n.Org.ID), c, n.Org.ID, "org.created", nil,
			map[string]any{"orgId": n.Org.ID, "name": n.Org.Name, "ownerId": c.UserID, "invitationId": inv.ID}))
		out.OrgCreated = true
	}
	member := func(role Role, org string, side Side) ProjectMember {
		return ProjectMember{ProjectID: inv.ProjectID, UserID: c.UserID, Email: NormalizeEmail(c.Email), Name: c.Name, Role: role,
			OrgID: org, Side: side, AddedBy: inv.InvitedBy, AddedAt: now, Version: 1}
	}
	switch inv.Kind {
	case KindShareLink, KindLabelingCompany:
		org, fresh, err := s.chooseOrg(ctx, c, pick)
		if err != nil {
			return Accepted{}, err
		}
		out.OrgName = org.OrgName
		p, st, err := s.rights.LoadStanding(ctx, inv.ProjectID, c.UserID)
		if err != nil {
			return Accepted{}, err
		}
		if fresh != nil {
			// A new org takes part in nothing yet: it becomes the partner.
			if st.Member != nil {
				return Accepted{}, AlreadyMember(RecordProject, "")
			}
			acc.Project = &p
			acc.Partner = &Partner{ProjectID: p.ID, OrgID: org.OrgID, OrgName: org.OrgName, Kind: partnerKind(inv.Kind), Types: inv.Types,
				ManagerID: c.UserID, HostOrgID: p.HostOrgID, AddedAt: now, Version: 1}
			acc.Members = []ProjectMember{member(RoleAnnotationManager, org.OrgID, SideExternal)}
			acc.Audit = []AuditEntry{s.entry(ProjectScope(p.ID), c, org.OrgID, "partner.joined", nil, acc.Partner)}
			founded(fresh)
			out.OrgID, out.Role = org.OrgID, string(RoleAnnotationManager)
			break
		}
		if org.OrgID == p.HostOrgID {
			return Accepted{}, Errorf(CodeConflict, "your org hosts this project; it cannot partner it")
		}
		if col, err := s.dir.GetCollaborator(ctx, p.WorkspaceID, org.OrgID); err == nil && col.Live() && col.Access.Covers(p.ID) {
			return Accepted{}, Errorf(CodeConflict, "%s already takes part in this project as a collaborator of its workspace", org.OrgName)
		} else if err != nil && !IsCode(err, CodeNotFound) {
			return Accepted{}, err
		}
		rec, err := s.dir.GetPartnerRecord(ctx, p.ID, org.OrgID)
		if err != nil && !IsCode(err, CodeNotFound) {
			return Accepted{}, err
		}
		live := err == nil && rec.StoppingJob == "" && !rec.PendingApproval
		if live && rec.Ending() {
			return Accepted{}, errEnding(org.OrgName)
		}
		if live {
			existing := rec
			// The org partners already: its manager stays, unless they
			// have left the org, when this owner or admin takes over.
			if _, merr := s.rights.GetOrgMembership(ctx, org.OrgID, existing.ManagerID); !IsCode(merr, CodeNotFound) {
				if merr != nil {
					return Accepted{}, merr
				}
				return Accepted{}, s.alreadyPartner(ctx, existing, c)
			}
			if err := mayAttach(org); err != nil {
				return Accepted{}, err
			}
			if st.Member != nil {
				return Accepted{}, AlreadyMember(RecordProject, "")
			}
			next := existing
			next.ManagerID = c.UserID
			acc.NewManager = &next
			acc.Members = []ProjectMember{member(RoleAnnotationManager, org.OrgID, SideExternal)}
			acc.Audit = []AuditEntry{s.entry(ProjectScope(p.ID), c, org.OrgID, "partner.manager_replaced",
				map[string]any{"managerId": existing.ManagerID}, map[string]any{"managerId": c.UserID})}
			out.OrgID, out.Role = org.OrgID, string(RoleAnnotationManager)
			break
		}
		// A partnership of the org that waits for its approval is decided
		// there, not accepted again.
		if err == nil && rec.PendingApproval && rec.StoppingJob == "" {
			return Accepted{}, Errorf(CodeConflict, "%s's partnership on this project waits for the approval of its owners or admins (GET /orgs/%s/inbound)",
				org.OrgName, org.OrgID)
		}
		if err := mayAttach(org); err != nil {
			return Accepted{}, err
		}
		if st.Member != nil {
			return Accepted{}, AlreadyMember(RecordProject, "")
		}

		// The org may require approving the partnerships it accepts: then
		// this one waits, granting nothing, for an owner's or admin's
		// approval (ApproveInbound).
		o, err := s.dir.GetOrg(ctx, org.OrgID)
		if err != nil {
			return Accepted{}, err
		}
		m := member(RoleAnnotationManager, org.OrgID, SideExternal)
		acc.Project = &p
		acc.Partner = &Partner{ProjectID: p.ID, OrgID: org.OrgID, OrgName: org.OrgName, Kind: partnerKind(inv.Kind), Types: inv.Types,
			ManagerID: c.UserID, HostOrgID: p.HostOrgID, AddedAt: now, PendingApproval: o.waitsForApproval(p.HostOrgID), Version: 1}
		acc.Members = []ProjectMember{m}
		what := "partner.joined"
		if acc.Partner.PendingApproval {
			what = "partner.pending_approval"
		}
		acc.Audit = []AuditEntry{s.entry(ProjectScope(p.ID), c, org.OrgID, what, nil, acc.Partner)}
		out.OrgID, out.Role, out.PendingApproval = org.OrgID, string(RoleAnnotationManager), acc.Partner.PendingApproval
	case KindProjectMember:
		p, st, err := s.rights.LoadStanding(ctx, inv.ProjectID, c.UserID)
		if err != nil {
			return Accepted{}, err
		}
		if st.Member != nil {
			return Accepted{}, AlreadyMember(RecordProject, "")
		}
		org, side := p.HostOrgID, SideHost
		if inv.CompanyOrgID != "" {
			org, side = inv.CompanyOrgID, SideExternal
			joins, err := s.companyJoin(ctx, inv, c)
			if err != nil {
				return Accepted{}, err
			}
			acc.OrgMember = joins
		}
		m := member(Role(inv.Role), org, side)
		m.Individual = side == SideHost && st.HostOrg == nil
		acc.Members = []ProjectMember{m}
		out.OrgID = org
		if side == SideHost {
			out.OrgName = inv.OrgName
		} else if acc.OrgMember != nil {
			out.OrgName = acc.OrgMember.OrgName
		}
	case KindOrgMember:
		if _, err := s.rights.GetOrgMembership(ctx, inv.OrgID, c.UserID); err == nil {
			return Accepted{}, AlreadyMember(RecordOrg, "")
		}
		acc.OrgMember = &OrgMembership{OrgID: inv.OrgID, OrgName: inv.OrgName, UserID: c.UserID, Email: NormalizeEmail(c.Email),
			Name: c.Name, Role: OrgRole(inv.Role), JoinedAt: now, Version: 1}
		out.OrgID, out.OrgName = inv.OrgID, inv.OrgName
		// Workspaces where the org collaborates with auto invite on take the
		// new member in at once, with the auto-invite role.
		cols, err := s.dir.ListOrgCollaborations(ctx, inv.OrgID)
		if err != nil {
			return Accepted{}, err
		}
		for _, col := range cols {
			if col.AutoInvite && col.Live() {
				acc.WSMembers = append(acc.WSMembers, WorkspaceMember{WorkspaceID: col.WorkspaceID, UserID: c.UserID,
					Email: NormalizeEmail(c.Email), Name: c.Name, Role: col.AutoInviteRole, OrgID: inv.OrgID, External: true, Version: 1})
			}
		}
		// The acceptance's own records and the first workspaces go in one
		// transaction; the rest follow in batches once it has committed.
		if len(acc.WSMembers) > autoInviteInTransaction {
			acc.WSMembers, later = acc.WSMembers[:autoInviteInTransaction], acc.WSMembers[autoInviteInTransaction:]
		}
	case KindCollaborator:
		org, fresh, err := s.chooseOrg(ctx, c, pick)
		if err != nil {
			return Accepted{}, err
		}
		if org.OrgID == inv.OrgID {
			return Accepted{}, Errorf(CodeConflict, "your org owns this workspace")
		}
		if err := mayAttach(org); err != nil {
			return Accepted{}, err
		}
		out.OrgName = org.OrgName
		// As for a partnership: the org may require approving it (an org
		// founded by this acceptance has the default policy, auto).
		waits := false
		if fresh == nil {
			o, err := s.dir.GetOrg(ctx, org.OrgID)
			if err != nil {
				return Accepted{}, err
			}
			waits = o.waitsForApproval(inv.OrgID)
		}
		acc.Collab = &Collaborator{WorkspaceID: inv.WorkspaceID, OrgID: org.OrgID, OrgName: org.OrgName, Types: inv.Types,
			Access: inv.Access, AddedAt: now, PendingApproval: waits, AcceptedBy: c.UserID, Version: 1}
		if inv.Role != "" {
			acc.WSMembers = []WorkspaceMember{{WorkspaceID: inv.WorkspaceID, UserID: c.UserID, Email: NormalizeEmail(c.Email), Name: c.Name,
				Role: WorkspaceRole(inv.Role), OrgID: org.OrgID, External: true, Version: 1}}
		}
		what := "collaborator.added"
		if acc.Collab.PendingApproval {
			what = "collaborator.pending_approval"
		}
		acc.Audit = []AuditEntry{s.entry(WorkspaceScope(inv.WorkspaceID), c, org.OrgID, what, nil, acc.Collab)}
		founded(fresh)
		out.OrgID, out.PendingApproval = org.OrgID, acc.Collab.PendingApproval
	default:
		return Accepted{}, Errorf(CodeInternal, "unknown invitation kind %q", inv.Kind)
	}
	acc.Audit = append(acc.Audit, s.invitationEntry(c, inv, "invitation.accepted"))
	if err := s.store.AcceptInvitation(ctx, acc); err != nil {
		if acc.Partner != nil && IsCode(err, CodeConflict) {
			if existing, gerr := s.dir.GetPartner(ctx, acc.Partner.ProjectID, acc.Partner.OrgID); gerr == nil {
				return Accepted{}, s.alreadyPartner(ctx, existing, c)
			}
		}
		return Accepted{}, err
	}
	if len(later) > 0 {
		if err := s.store.PutWorkspaceMembers(ctx, later); err != nil {
			return Accepted{}, fmt.Errorf("accept: join auto-invite workspaces: %w", err)
		}
	}
	return out, nil
}

// partnerKind is the partner an org becomes by accepting a share link or a
// labeling-company invitation.
func partnerKind(k InvitationKind) PartnerKind {
	if k == KindLabelingCompany {
		return PartnerLabelingCompany
	}
	return PartnerShareLink
}

// autoInviteInTransaction is how many auto-invite workspaces an org
// member's acceptance joins in its own transaction, leaving room within
// MaxTransactionItems for the invitation, the membership, the org's owner
// counter and the audit entry (4 records, with room to spare); the rest
// join in batches once it has committed.
const autoInviteInTransaction = MaxTransactionItems - 10

// alreadyPartner is the 409 for a second member of a partnering org: it
// names the org's current manager.
func (s *Invitations) alreadyPartner(ctx context.Context, p Partner, c Caller) error {
	if p.ManagerID == c.UserID {
		return Errorf(CodeConflict, "you already manage this project for %s", p.OrgName)
	}
	manager := p.ManagerID
	name := ""
	if u, err := s.dir.GetUser(ctx, p.ManagerID); err == nil {
		name = u.Name
		manager = strings.TrimSpace(u.Name + " <" + u.Email + ">")
	}
	return &Error{Code: CodeConflict,
		Message: fmt.Sprintf("%s already works on this project; its manager is %s: ask them to add you", p.OrgName, manager),
		Manager: &PartnerManager{OrgID: p.OrgID, UserID: p.ManagerID, Name: name}}
}

// InviteCollaborator invites an org, through one of its people's email, to
// collaborate in a workspace with collaboration types and project access;
// the invitee also becomes a workspace member with role (allowed by the
// types). Workspace admins and developers invite any type; project
// managers only annotation_partner.
func (s *Invitations) InviteCollaborator(ctx context.Context, c Caller, wsID, email string, types []CollabType, role WorkspaceRole, access ProjectAccess) (Issued, error) {
	email = NormalizeEmail(email)
	var v Validation
	if !ValidEmail(email) {
		v.Add("email", "must be an email address")
	}
	if len(types) == 0 {
		v.Add("types", "name at least one collaboration type")
	}
	for _, t := range types {
		if _, ok := CollabTypeRoles[t]; !ok || t == CollabOwner {
			v.Add("types", "%q is not an assignable collaboration type", t)
		}
	}
	if role != "" && !slices.Contains(AllowedWorkspaceRoles(types), role) {
		v.Add("role", "is not allowed by the collaboration types")
	}
	switch access.Mode {
	case "", "full":
		access = ProjectAccess{Mode: "full"}
	case "limited":
		if len(access.ProjectIDs) == 0 {
			v.Add("projectAccess.projectIds", "name the projects of a limited access")
		}
	default:
		v.Add("projectAccess.mode", "must be full or limited")
	}
	if err := v.Err(); err != nil {
		return Issued{}, err
	}
	a, err := s.workspaceAccess(ctx, c, wsID, "")
	if err != nil {
		return Issued{}, err
	}
	if err := a.Permit(WsCollaboratorsInvite, "", types); err != nil {
		return Issued{}, err
	}
	if access, err = s.checkAccess(ctx, a, c, access, "projectAccess"); err != nil {
		return Issued{}, err
	}
	w := a.Workspace
	org, err := s.dir.GetOrg(ctx, w.OrgID)
	if err != nil {
		return Issued{}, err
	}
	inv, token := s.newInvitation(c, KindCollaborator)
	inv.Email, inv.Role, inv.Types, inv.Access = email, string(role), types, access
	inv.WorkspaceID, inv.WorkspaceName, inv.OrgID, inv.OrgName = w.ID, w.Name, org.ID, org.Name
	return s.issue(ctx, c, inv, token)
}

// companyJoin decides, for a project invitation for a partner org, whether
// accepting also makes the invitee a member of that org. Membership of an
// org comes only from the org itself (docs/security.md, invariant 4): the invitation must have
// been made by someone acting for that org who still belongs to it, and,
// unless they are its owner or admin, manages a labeling company's staff
// there. An invitee who is a member already needs nothing.
func (s *Invitations) companyJoin(ctx context.Context, inv Invitation, c Caller) (*OrgMembership, error) {
	org := inv.CompanyOrgID
	pa, err := s.dir.GetPartner(ctx, inv.ProjectID, org)
	if IsCode(err, CodeNotFound) {
		return nil, Errorf(CodeGone, "the organization you were invited for no longer takes part in this project")
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.rights.GetOrgMembership(ctx, org, c.UserID); err == nil {
		return nil, nil
	} else if !IsCode(err, CodeNotFound) {
		return nil, err
	}
	refused := Errorf(CodeForbidden, "this invitation cannot make you a member of %s; ask one of its owners or admins to invite you", pa.OrgName)
	if inv.InvitedForOrg != org {
		return nil, refused
	}
	inviter, err := s.rights.GetOrgMembership(ctx, org, inv.InvitedBy)
	if IsCode(err, CodeNotFound) {
		return nil, refused
	}
	if err != nil {
		return nil, err
	}
	if !inviter.Role.HasWorkforceAccess() && pa.Kind != PartnerLabelingCompany {
		return nil, refused
	}
	return &OrgMembership{OrgID: org, OrgName: pa.OrgName, UserID: c.UserID, Email: NormalizeEmail(c.Email),
		Name: c.Name, Role: OrgMember, JoinedAt: s.clock.Now(), Version: 1}, nil
}
