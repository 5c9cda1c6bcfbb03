package collab

import (
	"slices"
	"testing"
)

// A partnership whose stop has begun grants nothing at once, before its
// job has removed anyone's row; the org's collaborator access, if it has
// one, still counts on its own.
func TestStoppingPartnerIsNotLive(t *testing.T) {
	member := &ProjectMember{ProjectID: "p", UserID: "u", Role: RoleAnnotationManager, Side: SideExternal, OrgID: "x", Version: 3}
	xMember := &OrgMembership{OrgID: "x", UserID: "u", Role: OrgMember}
	live := &Partner{ProjectID: "p", OrgID: "x", Types: []CollabType{CollabAnnotationPartner}}
	stopping := &Partner{ProjectID: "p", OrgID: "x", Types: []CollabType{CollabAnnotationPartner}, StoppingJob: "job_1"}
	pb := Basis{BasisProjectMember, "p", "u", 3}
	cases := []struct {
		name string
		st   Standing
		want Effective
	}{
		{"a live partnership", Standing{Member: member, Partner: live, MemberOrg: xMember},
			Effective{RoleAnnotationManager, SideExternal, "x", pb}},
		{"a partnership being stopped", Standing{Member: member, Partner: stopping, MemberOrg: xMember}, Effective{}},
		{"a partnership waiting for its org's approval", Standing{Member: member, MemberOrg: xMember,
			Partner: &Partner{ProjectID: "p", OrgID: "x", Types: []CollabType{CollabAnnotationPartner}, PendingApproval: true}}, Effective{}},
		{"a partnership being stopped, the org a live collaborator too", Standing{Member: member, Partner: stopping, MemberOrg: xMember,
			MemberCollab: &Collaborator{OrgID: "x", Types: []CollabType{CollabAnnotationPartner}, Access: ProjectAccess{Mode: "full"}}},
			Effective{RoleAnnotationManager, SideExternal, "x", pb}},
	}
	for _, c := range cases {
		c.st.ProjectID, c.st.HostOrgID, c.st.UserID = "p", "h", "u"
		if got := c.st.Resolve(); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// The stop job returns items from exactly the statuses of the review
// table's return row, in the table's status order.
func TestStopReturnsFromTheReturnRow(t *testing.T) {
	var row Transition
	for _, tr := range Transitions {
		if tr.Command == CmdReturn {
			row = tr
		}
	}
	got := returnStatuses()
	if len(got) != len(row.From) {
		t.Fatalf("return statuses %v, the row's %v", got, row.From)
	}
	for _, st := range row.From {
		if !slices.Contains(got, st) {
			t.Errorf("%s missing from %v", st, got)
		}
	}
	if !slices.IsSortedFunc(got, func(a, b ItemStatus) int { return slices.Index(ItemStatuses, a) - slices.Index(ItemStatuses, b) }) {
		t.Errorf("not in status order: %v", got)
	}
}
