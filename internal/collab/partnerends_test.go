package collab

import (
	"context"
	"testing"
	"time"
)

// endsStore serves one time-boxed partnership to the sweep: due when
// listed, then read again as each read says (reads[i] for the i-th
// GetPartnerRecord, the last one repeated). Any store call the sweep must
// not make panics (the embedded interface is nil), MarkPartnerStopping
// included unless stops is counted.
type endsStore struct {
	PartnerStore
	reads []Partner
	n     int
	stops int
}

func (s *endsStore) ListPartnerEnds(context.Context, time.Time, int) ([][2]string, error) {
	return [][2]string{{"p", "x"}}, nil
}

func (s *endsStore) ListEndingPartners(context.Context, int, string) ([][2]string, string, error) {
	return nil, "", nil
}

func (s *endsStore) GetPartnerRecord(context.Context, string, string) (Partner, error) {
	p := s.reads[min(s.n, len(s.reads)-1)]
	s.n++
	return p, nil
}

func (s *endsStore) GetProjectMember(context.Context, string, string) (ProjectMember, error) {
	return ProjectMember{}, NotFound(RecordProject, "")
}

func (s *endsStore) ListProjectMembers(context.Context, string, MemberFilter, Page) ([]ProjectMember, string, error) {
	return nil, "", nil
}

func (s *endsStore) MarkPartnerStopping(context.Context, Partner, Job, ...AuditEntry) error {
	s.stops++
	return nil
}

type endsRights struct{ RightsStore }

func (endsRights) LoadStanding(context.Context, string, string) (Project, Standing, error) {
	return Project{ID: "p", HostOrgID: "h", WorkspaceID: "w"}, Standing{}, nil
}

type endsQueue struct{}

func (endsQueue) Enqueue(context.Context, string) error { return nil }

// The sweep stops a partnership whose end has come, and one whose end was
// cleared or moved later between the sweep's first read and the stop is
// left alone.
func TestSweepRechecksTheEndItStops(t *testing.T) {
	now := handoffClock{}.Now()
	due := Partner{ProjectID: "p", OrgID: "x", EndsAt: now.Add(-time.Second), Version: 3}
	cleared, moved := due, due
	cleared.EndsAt, cleared.Version = time.Time{}, 4
	moved.EndsAt, moved.Version = now.Add(time.Hour), 4
	for _, c := range []struct {
		name      string
		reads     []Partner
		wantStops int
	}{
		{"due", []Partner{due}, 1},
		{"cleared meanwhile", []Partner{due, cleared}, 0},
		{"moved later meanwhile", []Partner{due, moved}, 0},
	} {
		st := &endsStore{reads: c.reads}
		n := 0
		b := base{rights: endsRights{}, clock: handoffClock{}, ids: handoffIDs{&n}}
		s := &Partners{base: b, store: st, jobs: &Jobs{base: b, queue: endsQueue{}}}
		rep, err := s.EndDuePartnerships(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if st.stops != c.wantStops || rep.Stopped != c.wantStops {
			t.Errorf("%s: %d stops (report %d), want %d", c.name, st.stops, rep.Stopped, c.wantStops)
		}
	}
}

// recipientsStore serves the partner's manager and the host's owners.
type recipientsStore struct {
	PartnerStore
	members map[string]ProjectMember
}

func (s recipientsStore) GetProjectMember(_ context.Context, _, userID string) (ProjectMember, error) {
	if m, ok := s.members[userID]; ok {
		return m, nil
	}
	return ProjectMember{}, NotFound(RecordProject, "")
}

func (s recipientsStore) ListProjectMembers(_ context.Context, _ string, f MemberFilter, _ Page) ([]ProjectMember, string, error) {
	var out []ProjectMember
	for _, m := range s.members {
		if m.OrgID == f.OrgID && m.Role == f.Role {
			out = append(out, m)
		}
	}
	return out, "", nil
}

// recipientsRights knows who is still in which org.
type recipientsRights struct {
	RightsStore
	in map[string]bool // org/user
}

func (r recipientsRights) GetOrgMembership(_ context.Context, orgID, userID string) (OrgMembership, error) {
	if r.in[orgID+"/"+userID] {
		return OrgMembership{OrgID: orgID, UserID: userID, Role: OrgMember}, nil
	}
	return OrgMembership{}, NotFound(RecordMembership, "")
}

// A stop tells the partner's manager and the host's owners, but only those
// still in their org: someone who left keeps no news of its partnerships.
func TestStopRecipientsAreStillInTheirOrg(t *testing.T) {
	st := recipientsStore{members: map[string]ProjectMember{
		"mgr":      {UserID: "mgr", OrgID: "x", Role: RoleAnnotationManager},
		"owner":    {UserID: "owner", OrgID: "h", Role: RoleOwner},
		"ex-owner": {UserID: "ex-owner", OrgID: "h", Role: RoleOwner},
	}}
	s := &Partners{base: base{rights: recipientsRights{in: map[string]bool{"h/owner": true, "x/mgr": true}}}, store: st}
	p, pa := Project{ID: "p", HostOrgID: "h"}, Partner{ProjectID: "p", OrgID: "x", ManagerID: "mgr"}
	names := func(ms []ProjectMember) map[string]bool {
		out := map[string]bool{}
		for _, m := range ms {
			out[m.UserID] = true
		}
		return out
	}
	if got := names(s.stopRecipients(context.Background(), p, pa, false)); len(got) != 2 || !got["mgr"] || !got["owner"] {
		t.Fatalf("told %v", got)
	}
	s.rights = recipientsRights{in: map[string]bool{"h/owner": true}} // the manager left the partner org
	if got := names(s.stopRecipients(context.Background(), p, pa, false)); len(got) != 1 || !got["owner"] {
		t.Fatalf("after the manager left, told %v", got)
	}
}
