package collab

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// fakeInvitations is the invitations' store and directory over the
// member tests' fakeProject: it keeps invitations in maps and records each
// acceptance instead of applying it.
type fakeInvitations struct {
	InvitationStore
	Directory
	f         *fakeProject
	invs      map[string]Invitation
	byHash    map[string]string
	shareLink string // the project's current share link
	created   []*Invitation
	accepted  []Acceptance
	mails     []Email
}

func (s *fakeInvitations) CreateInvitation(_ context.Context, inv Invitation, previous *Invitation, _ ...AuditEntry) error {
	if inv.Kind == KindShareLink {
		if previous != nil && s.shareLink != previous.ID {
			return Stale(RecordShareLink)
		}
		if previous != nil {
			old := s.invs[previous.ID]
			old.Status = InvRevoked
			s.invs[old.ID] = old
		}
		s.shareLink = inv.ID
	}
	s.invs[inv.ID], s.byHash[inv.TokenHash] = inv, inv.ID
	s.created = append(s.created, previous)
	return nil
}

func (s *fakeInvitations) GetInvitation(_ context.Context, id string) (Invitation, error) {
	inv, ok := s.invs[id]
	if !ok {
		return Invitation{}, NotFound(RecordInvitation, id)
	}
	inv.LinkToken = "" // only GetShareLink unseals
	return inv, nil
}

func (s *fakeInvitations) FindInvitationByToken(ctx context.Context, hash string) (Invitation, error) {
	id, ok := s.byHash[hash]
	if !ok {
		return Invitation{}, NotFoundBy(RecordInvitation, "token", "")
	}
	return s.GetInvitation(ctx, id)
}

func (s *fakeInvitations) GetShareLink(_ context.Context, _ string) (Invitation, error) {
	if s.shareLink == "" {
		return Invitation{}, HasNo(RecordProject, RecordShareLink)
	}
	return s.invs[s.shareLink], nil
}

func (s *fakeInvitations) ListInvitationsTo(_ context.Context, email string, _ Page) ([]Invitation, string, error) {
	var out []Invitation
	for _, inv := range s.invs {
		if inv.Email == email && inv.Status == InvPending {
			out = append(out, inv)
		}
	}
	slices.SortFunc(out, func(a, b Invitation) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, "", nil
}

func (s *fakeInvitations) AcceptInvitation(_ context.Context, a Acceptance) error {
	s.accepted = append(s.accepted, a)
	return nil
}

func (s *fakeInvitations) SetInvitationStatus(_ context.Context, inv Invitation, status InvitationStatus, _ ...AuditEntry) error {
	inv = s.invs[inv.ID]
	inv.Status = status
	s.invs[inv.ID] = inv
	return nil
}

func (s *fakeInvitations) Send(_ context.Context, e Email) error {
	s.mails = append(s.mails, e)
	return nil
}

func (s *fakeInvitations) GetOrg(_ context.Context, orgID string) (Org, error) {
	return Org{ID: orgID, Name: "Org " + orgID}, nil
}

func (s *fakeInvitations) ListUserOrgs(_ context.Context, userID string, _ Page) ([]OrgMembership, string, error) {
	var out []OrgMembership
	for _, members := range s.f.orgs {
		if m, ok := members[userID]; ok {
			out = append(out, m)
		}
	}
	return out, "", nil
}

func (s *fakeInvitations) GetPartner(ctx context.Context, projectID, orgID string) (Partner, error) {
	return s.f.GetPartner(ctx, projectID, orgID)
}

func (s *fakeInvitations) FindUserByEmail(_ context.Context, email string) (User, error) {
	return User{}, NotFoundBy(RecordUser, "email", email)
}

func (s *fakeInvitations) GetCollaborator(_ context.Context, _, _ string) (Collaborator, error) {
	return Collaborator{}, Errorf(CodeNotFound, "no collaborator")
}

// newInvitationsWorld is the members' world (project p of host org h,
// owner o, project manager pm) with the invitations' ports.
func newInvitationsWorld() (*Invitations, *fakeInvitations) {
	_, f := newMembersWorld()
	s := &fakeInvitations{f: f, invs: map[string]Invitation{}, byHash: map[string]string{}}
	inv := &Invitations{base: base{rights: f, clock: fixedClock{}, ids: &seqIDs{}, cfg: Config{PublicBaseURL: "https://ab.example"}},
		store: s, dir: s, mailer: s, limits: rateLimiter{limiter: newFakeLimiter(), limits: DefaultRateLimits()}}
	return inv, s
}

func fieldOf(err error) string {
	var e *Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return ""
	}
	return e.Fields[0].Field
}

// Someone with no org accepts a share link by founding an org: the
// acceptance carries the org, its owner membership (the accepter) and its
// default workspace, and the partner, the manager's project row and the
// audit entries name the new org; all of it is one store call.
func TestAcceptFoundsAnOrg(t *testing.T) {
	s, st := newInvitationsWorld()
	owner, loner := Caller{UserID: "o"}, Caller{UserID: "loner", Email: "Loner@Example.com", Name: "Lo"}
	link, err := s.EnableShareLink(context.Background(), owner, "p", nil, false)
	if err != nil {
		t.Fatal(err)
	}

	_, err = s.AcceptInvitation(context.Background(), loner, link.Token, OrgPick{})
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeUnprocessable || e.OrgChoice == nil || len(e.OrgChoice.Orgs) != 0 || fieldOf(err) != "newOrgName" {
		t.Fatalf("no org, no new org: %v", err)
	}
	if _, err := s.AcceptInvitation(context.Background(), loner, link.Token, OrgPick{OrgID: "x", NewOrgName: "Both"}); ErrorCode(err) != CodeInvalid || fieldOf(err) != "newOrgName" {
		t.Fatalf("orgId and newOrgName: %v", err)
	}
	if _, err := s.AcceptInvitation(context.Background(), loner, link.Token, OrgPick{NewOrgName: "\t"}); ErrorCode(err) != CodeInvalid || fieldOf(err) != "newOrgName" {
		t.Fatalf("a new org without a name: %v", err)
	}
	if len(st.accepted) != 0 {
		t.Fatalf("a refused acceptance wrote %+v", st.accepted)
	}

	out, err := s.AcceptInvitation(context.Background(), loner, link.Token, OrgPick{NewOrgName: "  Fresh Labels "})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.accepted) != 1 {
		t.Fatalf("%d store calls", len(st.accepted))
	}
	a := st.accepted[0]
	n := a.NewOrg
	if n == nil || n.Org.Name != "Fresh Labels" || n.Org.CreatedBy != "loner" || n.Owner.UserID != "loner" || n.Owner.Role != OrgOwner ||
		n.Owner.OrgID != n.Org.ID || n.Owner.Email != "loner@example.com" || n.Workspace.OrgID != n.Org.ID || !n.Workspace.Default {
		t.Fatalf("new org %+v", n)
	}
	if out.OrgID != n.Org.ID || !out.OrgCreated || out.OrgName != "Fresh Labels" || out.Role != string(RoleAnnotationManager) || out.ProjectName != "P" {
		t.Fatalf("accepted %+v", out)
	}
	if p := a.Partner; p == nil || p.OrgID != n.Org.ID || p.ManagerID != "loner" || p.Kind != PartnerShareLink || p.OrgName != "Fresh Labels" {
		t.Fatalf("partner %+v", a.Partner)
	}
	if len(a.Members) != 1 || a.Members[0].OrgID != n.Org.ID || a.Members[0].Role != RoleAnnotationManager || a.Members[0].Side != SideExternal {
		t.Fatalf("members %+v", a.Members)
	}
	var whats []string
	for _, au := range a.Audit {
		whats = append(whats, au.What)
	}
	if !slices.Equal(whats, []string{"partner.joined", "org.created", "invitation.accepted"}) {
		t.Fatalf("audit %v", whats)
	}
	if a.Audit[1].Scope != OrgScope(n.Org.ID) || a.Audit[1].OrgID != n.Org.ID {
		t.Fatalf("org.created entry %+v", a.Audit[1])
	}
}

// From the invitee's own list: only the bound, verified address accepts
// by id; anyone else (another address, no verified address) gets 404, as
// for an id that does not exist; a labeling company may be founded there
// too; an invitation that attaches no org refuses a new org.
func TestAcceptByIDOnlyForTheAddressee(t *testing.T) {
	s, st := newInvitationsWorld()
	owner := Caller{UserID: "o"}
	ctx := context.Background()
	iss, err := s.InviteLabelingCompany(ctx, owner, "p", "Labels As Typed", "admin@labels.example")
	if err != nil {
		t.Fatal(err)
	}
	id := iss.Invitation.ID
	for name, c := range map[string]Caller{
		"another address": {UserID: "pm", Email: "pm@example.com"},
		"unverified":      {UserID: "admin", Email: ""},
	} {
		if _, err := s.AcceptInvitationByID(ctx, c, id, OrgPick{NewOrgName: "X"}); ErrorCode(err) != CodeNotFound {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}
	admin := Caller{UserID: "admin", Email: "ADMIN@labels.example", Name: "Ad"}
	if _, err := s.AcceptInvitationByID(ctx, admin, "inv_none", OrgPick{}); ErrorCode(err) != CodeNotFound {
		t.Fatalf("unknown id: %v", err)
	}
	mine, _, err := s.MyInvitations(ctx, admin, Page{})
	if err != nil || len(mine) != 1 || mine[0].ID != id || mine[0].CompanyName != "Labels As Typed" {
		t.Fatalf("my invitations %+v %v", mine, err)
	}
	if none, _, _ := s.MyInvitations(ctx, Caller{UserID: "admin"}, Page{}); len(none) != 0 {
		t.Fatalf("without a verified email: %+v", none)
	}
	out, err := s.AcceptInvitationByID(ctx, admin, id, OrgPick{NewOrgName: "Labels Inc"})
	if err != nil {
		t.Fatal(err)
	}
	a := st.accepted[len(st.accepted)-1]
	if a.NewOrg == nil || a.Partner == nil || a.Partner.Kind != PartnerLabelingCompany || a.Partner.OrgID != out.OrgID || !out.OrgCreated {
		t.Fatalf("labeling company founded: %+v %+v", out, a)
	}

	// An org invitation attaches no org: a new org is refused.
	st.f.orgs["h"]["o"] = OrgMembership{OrgID: "h", UserID: "o", Role: OrgOwner, OrgName: "Host"}
	oi, err := s.InviteOrgMember(ctx, owner, "h", "joiner@example.com", OrgMember)
	if err != nil {
		t.Fatal(err)
	}
	joiner := Caller{UserID: "joiner", Email: "joiner@example.com"}
	if _, err := s.AcceptInvitationByID(ctx, joiner, oi.Invitation.ID, OrgPick{NewOrgName: "Mine"}); ErrorCode(err) != CodeInvalid || fieldOf(err) != "newOrgName" {
		t.Fatalf("new org for an org invitation: %v", err)
	}
	// Expired invitations leave the list; accepting one by id says so.
	expired := st.invs[oi.Invitation.ID]
	expired.ExpiresAt = fixedClock{}.Now().Add(-time.Minute)
	st.invs[expired.ID] = expired
	if mine, _, _ := s.MyInvitations(ctx, joiner, Page{}); len(mine) != 0 {
		t.Fatalf("expired invitation listed: %+v", mine)
	}
	if _, err := s.AcceptInvitationByID(ctx, joiner, expired.ID, OrgPick{}); ErrorCode(err) != CodeGone {
		t.Fatalf("expired by id: %v", err)
	}
}

// Enabling a share link while one is active answers the same link; rotate
// replaces it; an expiry for an active link needs rotate; the link is read
// back by the owner only; a link the store cannot unseal is not answered.
func TestShareLinkReadBackAndRotation(t *testing.T) {
	s, st := newInvitationsWorld()
	ctx := context.Background()
	owner, pm := Caller{UserID: "o"}, Caller{UserID: "pm"}
	first, err := s.EnableShareLink(ctx, owner, "p", nil, false)
	if err != nil || first.Reused || first.Token == "" || first.Invitation.LinkToken != "" {
		t.Fatalf("first link %+v %v", first, err)
	}
	if st.invs[first.Invitation.ID].LinkToken != first.Token {
		t.Fatal("the store was not given the token to seal")
	}
	again, err := s.EnableShareLink(ctx, owner, "p", nil, false)
	if err != nil || !again.Reused || again.URL != first.URL || again.Invitation.ID != first.Invitation.ID || again.Invitation.LinkToken != "" {
		t.Fatalf("enabling again %+v %v", again, err)
	}
	week := 7 * 24 * time.Hour
	if _, err := s.EnableShareLink(ctx, owner, "p", &week, false); ErrorCode(err) != CodeConflict || fieldOf(err) != "rotate" {
		t.Fatalf("another expiry without rotate: %v", err)
	}
	read, err := s.ShareLink(ctx, owner, "p")
	if err != nil || read.URL != first.URL || read.Invitation.LinkToken != "" {
		t.Fatalf("owner's read %+v %v", read, err)
	}
	if _, err := s.ShareLink(ctx, pm, "p"); ErrorCode(err) != CodeForbidden {
		t.Fatalf("project manager's read: %v", err)
	}
	rotated, err := s.EnableShareLink(ctx, owner, "p", &week, true)
	if err != nil || rotated.Reused || rotated.URL == first.URL || rotated.Invitation.ExpiresAt.IsZero() {
		t.Fatalf("rotated %+v %v", rotated, err)
	}
	if prev := st.created[len(st.created)-1]; prev == nil || prev.ID != first.Invitation.ID {
		t.Fatalf("rotation did not replace the active link: %+v", prev)
	}
	if _, err := s.PreviewInvitation(ctx, Asker{Addr: "192.0.2.1"}, first.Token); ErrorCode(err) != CodeGone {
		t.Fatalf("the replaced link: %v", err)
	}
	// A link whose token the store cannot unseal is not answered again.
	cur := st.invs[st.shareLink]
	cur.LinkToken = ""
	st.invs[cur.ID] = cur
	if read, err := s.ShareLink(ctx, owner, "p"); err != nil || read.URL != "" || read.Token != "" {
		t.Fatalf("unsealable link read %+v %v", read, err)
	}
	if _, err := s.EnableShareLink(ctx, owner, "p", nil, false); ErrorCode(err) != CodeConflict || fieldOf(err) != "rotate" {
		t.Fatalf("unsealable link enabled again: %v", err)
	}
	// A revoked link is replaced by a new one without rotate.
	if err := s.DisableShareLink(ctx, owner, "p"); err != nil {
		t.Fatal(err)
	}
	if fresh, err := s.EnableShareLink(ctx, owner, "p", nil, false); err != nil || fresh.Reused || fresh.URL == rotated.URL {
		t.Fatalf("enabled after revoking %+v %v", fresh, err)
	}
}
