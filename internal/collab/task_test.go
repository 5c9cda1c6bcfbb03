package collab

import "testing"

func TestProgressAndStatus(t *testing.T) {
	p := ProgressOf([]TaskItemRef{{"a", "u1", StDone}, {"b", "u1", StInProgress}, {"c", "", StNew}, {"d", "u2", StSkipped}})
	if p.Total != 4 || p.ByStatus[StDone] != 1 || p.ByHolder["u1"][StInProgress] != 1 || p.ByHolder[""][StNew] != 1 {
		t.Fatalf("progress %+v", p)
	}
	if p.Status() != TaskOpen {
		t.Fatalf("a task with work left is %s", p.Status())
	}
	done := ProgressOf([]TaskItemRef{{"a", "u1", StDone}, {"d", "u2", StSkipped}})
	if done.Status() != TaskDone {
		t.Fatalf("a finished task is %s", done.Status())
	}
	if ProgressOf(nil).Status() != TaskOpen {
		t.Fatal("an empty task is open")
	}
}

// Who may do what with a task: the grants of the matrix, narrowed to the
// caller's org or to tasks they created.
func TestRequireOnTasks(t *testing.T) {
	own := Task{ID: "t1", OrgID: "x", CreatedBy: "u"}
	theirs := Task{ID: "t2", OrgID: "x", CreatedBy: "someone"}
	host := Task{ID: "t3", OrgID: "h", CreatedBy: "u"}
	am := Access{Project: Project{ID: "p", HostOrgID: "h"}, Effective: Effective{Role: RoleAnnotationManager, Side: SideExternal, OrgID: "x"}}
	pm := Access{Project: Project{ID: "p", HostOrgID: "h"}, Effective: Effective{Role: RoleProjectManager, Side: SideHost, OrgID: "h"}}
	ann := Access{Project: Project{ID: "p", HostOrgID: "h"}, Effective: Effective{Role: RoleAnnotator, Side: SideExternal, OrgID: "x"}}
	c := Caller{UserID: "u"}
	cases := []struct {
		a    Access
		act  Action
		t    Task
		want Code
	}{
		{am, ActTasksAssign, own, ""},
		{am, ActTasksAssign, host, CodeForbidden},
		{am, ActTasksDelete, own, ""},
		{am, ActTasksDelete, theirs, CodeForbidden},
		{am, ActTasksRename, own, CodeForbidden},
		{pm, ActTasksDelete, theirs, ""},
		{pm, ActTasksAssign, own, ""},
		{pm, ActTasksRename, own, CodeForbidden},
		{ann, ActTasksAssign, own, CodeForbidden},
	}
	for _, tc := range cases {
		_, err := tc.a.requireOn(tc.act, c, tc.t)
		if got := ErrorCode(err); err != nil && got != tc.want || err == nil && tc.want != "" {
			t.Errorf("%s %s on %s: %v, want %q", tc.a.Role, tc.act, tc.t.ID, err, tc.want)
		}
	}
	if !pm.seesTask(own) || !am.seesTask(own) || am.seesTask(host) {
		t.Error("task walls")
	}
}
