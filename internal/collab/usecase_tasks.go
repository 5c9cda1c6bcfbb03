package collab

import (
	"context"
	"math/rand/v2"
	"slices"
	"time"
)

// Tasks hands work to the orgs taking part in a project, lets their
// managers distribute it and their annotators pull it.
type Tasks struct {
	base
	store  TaskStore
	groups TaskGroupReader
	jobs   *Jobs
	mailer Mailer
}

// TaskStore is what the task use cases need.
type TaskStore interface {
	CreateTask(ctx context.Context, t Task, audit ...AuditEntry) error
	GetTask(ctx context.Context, projectID, taskID string) (Task, error)
	// ListTasks lists a project's tasks, all of them or one org's.
	ListTasks(ctx context.Context, projectID, orgID string, p Page) ([]Task, string, error)
	// UpdateTask saves a task if its version is still t.Version.
	UpdateTask(ctx context.Context, t Task, audit ...AuditEntry) (Task, error)
	DeleteTask(ctx context.Context, t Task, audit ...AuditEntry) error
	// TaskItems lists a task's items from its index, by holder ("" is
	// unassigned; nil holder: every holder) and status (none: every status).
	TaskItems(ctx context.Context, projectID, taskID string, holder *string, statuses []ItemStatus, limit int) ([]TaskItemRef, error)
	GetItems(ctx context.Context, projectID string, itemIDs []string) (map[string]Item, error)
	ApplyItemChange(ctx context.Context, ch ItemChange) error
	// ApplyItemChanges writes several item changes in one transaction
	// (each version-checked); any stale item fails them all.
	ApplyItemChanges(ctx context.Context, chs []ItemChange, audit ...AuditEntry) error
	GetPartner(ctx context.Context, projectID, orgID string) (Partner, error)
	// GetPartnerRecord reads a partner whatever its state (an ending one).
	GetPartnerRecord(ctx context.Context, projectID, orgID string) (Partner, error)
	GetCollaborator(ctx context.Context, wsID, orgID string) (Collaborator, error)
	ReadTaskAnalytics(ctx context.Context, projectID, taskID, fromDay, toDay string) (Analytics, map[string]Analytics, error)
}

// TaskGroupReader reads the groups a distribution names.
type TaskGroupReader interface {
	GetGroup(ctx context.Context, orgID, groupID string) (Group, error)
	ListGroupMembers(ctx context.Context, groupID string) ([]GroupMember, error)
}

// seesTask: the host side sees every task; anyone else only their org's.
func (a Access) seesTask(t Task) bool { return a.Side == SideHost || t.OrgID == a.OrgID }

// taskAccess reads the caller's access and a task of their wall; any other
// task is not found.
func (s *Tasks) taskAccess(ctx context.Context, c Caller, projectID, taskID string) (Access, Task, error) {
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return Access{}, Task{}, err
	}
	t, err := s.store.GetTask(ctx, projectID, taskID)
	if IsCode(err, CodeNotFound) || err == nil && !a.seesTask(t) {
		return Access{}, Task{}, NotFound(RecordTask, taskID)
	}
	return a, t, err
}

// requireOn applies a task action's grant to one task: own_org limits it
// to the caller's org's tasks, own_tasks to the tasks they created.
func (a Access) requireOn(act Action, c Caller, t Task) (Grant, error) {
	g, err := a.require(act)
	if err != nil {
		return g, err
	}
	switch {
	case g == OwnOrg && t.OrgID != a.OrgID:
		return g, Errorf(CodeForbidden, "you manage only your own org's tasks")
	case g == OwnTasks && (t.CreatedBy != c.UserID || t.OrgID != a.OrgID):
		return g, Errorf(CodeForbidden, "you manage only tasks you created")
	}
	return g, nil
}

// takesPart checks that an org takes part in the project: the host, a
// partner, or a workspace collaborator whose access covers the project.
func (s *Tasks) takesPart(ctx context.Context, p Project, orgID string) error {
	if orgID == p.HostOrgID {
		return nil
	}
	if _, err := s.store.GetPartner(ctx, p.ID, orgID); err == nil {
		return nil
	} else if !IsCode(err, CodeNotFound) {
		return err
	}
	if pa, err := s.store.GetPartnerRecord(ctx, p.ID, orgID); err == nil && pa.Ending() && pa.StoppingJob == "" {
		return errEnding(pa.OrgName)
	}
	col, err := s.store.GetCollaborator(ctx, p.WorkspaceID, orgID)
	if err == nil && col.Live() && col.Access.Covers(p.ID) {
		return nil
	}
	if err != nil && !IsCode(err, CodeNotFound) {
		return err
	}
	return invalid("orgId", "is not an org taking part in this project")
}

// stillTakesPart refuses work for a task whose org no longer takes part in
// the project (its partnership or collaboration stopped).
func (s *Tasks) stillTakesPart(ctx context.Context, p Project, t Task) error {
	if err := s.takesPart(ctx, p, t.OrgID); IsCode(err, CodeInvalid) {
		return Errorf(CodeConflict, "the task's org no longer takes part in this project")
	} else if err != nil {
		return err
	}
	return nil
}

// claimable reports whether an item of a task may be given to someone of
// the task's org now.
func claimable(it Item, t Task, statuses []ItemStatus) bool {
	return it.TaskID == t.ID && it.OrgID == t.OrgID && it.holder() == "" && it.PendingHandoff == "" && slices.Contains(statuses, it.Status)
}

// taskStatuses are the statuses a task's items are worked in: workable
// ones for annotation, the review stage of the task's org for review.
func taskStatuses(t Task, p Project) []ItemStatus {
	switch {
	case t.Kind == TaskAnnotation:
		return workable
	case t.OrgID == p.HostOrgID:
		return []ItemStatus{StWaitingReview, StWaitingOwnerReview}
	}
	return []ItemStatus{StWaitingCollabReview}
}

// CreateTask creates a task for an org taking part in the project
// (tasks.create; an annotation manager only for their own org).
func (s *Tasks) CreateTask(ctx context.Context, c Caller, projectID string, in NewTask) (Task, error) {
	var v Validation
	name := CleanName("name", in.Name, &v)
	if !in.Kind.Valid() {
		v.Add("kind", "must be annotation or review")
	}
	if in.OrgID == "" {
		v.Add("orgId", "is required")
	}
	if err := v.Err(); err != nil {
		return Task{}, err
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return Task{}, err
	}
	g, err := a.require(ActTasksCreate)
	if err != nil {
		return Task{}, err
	}
	if g == OwnOrg && in.OrgID != a.OrgID {
		return Task{}, Errorf(CodeForbidden, "you create tasks only for your own org")
	}
	if err := s.takesPart(ctx, a.Project, in.OrgID); err != nil {
		return Task{}, err
	}
	now := s.clock.Now()
	t := Task{ID: s.ids.New("tsk"), ProjectID: projectID, Name: name, Kind: in.Kind, OrgID: in.OrgID, DueAt: in.DueAt.UTC(),
		AllowPull: in.AllowPull, CreatedBy: c.UserID, CreatedAt: now, Version: 1}
	if in.DueAt.IsZero() {
		t.DueAt = time.Time{}
	}
	if err := s.store.CreateTask(ctx, t, s.entry(ProjectScope(projectID), c, t.OrgID, "task.created", nil, t)); err != nil {
		return Task{}, err
	}
	return t, nil
}

// ListTasks lists the tasks of the caller's wall: all of them to the host
// side, their own org's to anyone else.
func (s *Tasks) ListTasks(ctx context.Context, c Caller, projectID string, p Page) ([]Task, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return nil, "", err
	}
	org := ""
	if a.Side != SideHost {
		org = a.OrgID
	}
	return s.store.ListTasks(ctx, projectID, org, p)
}

// GetTask reads a task of the caller's wall with its progress, counted from
// the task's index (no item is read).
func (s *Tasks) GetTask(ctx context.Context, c Caller, projectID, taskID string) (Task, TaskProgress, error) {
	_, t, err := s.taskAccess(ctx, c, projectID, taskID)
	if err != nil {
		return Task{}, TaskProgress{}, err
	}
	refs, err := s.store.TaskItems(ctx, projectID, taskID, nil, nil, 0)
	if err != nil {
		return Task{}, TaskProgress{}, err
	}
	return t, ProgressOf(refs), nil
}

// ProgressOf counts a task's items per status and per holder.
func ProgressOf(refs []TaskItemRef) TaskProgress {
	p := TaskProgress{Total: len(refs), ByStatus: map[ItemStatus]int{}, ByHolder: map[string]map[ItemStatus]int{}}
	for _, r := range refs {
		p.ByStatus[r.Status]++
		if p.ByHolder[r.Holder] == nil {
			p.ByHolder[r.Holder] = map[ItemStatus]int{}
		}
		p.ByHolder[r.Holder][r.Status]++
	}
	return p
}

// UpdateTask renames a task or changes its due date or pulling
// (tasks.rename).
func (s *Tasks) UpdateTask(ctx context.Context, c Caller, projectID, taskID string, p TaskPatch) (Task, error) {
	var v Validation
	var name string
	if p.Name != nil {
		name = CleanName("name", *p.Name, &v)
	}
	if err := v.Err(); err != nil {
		return Task{}, err
	}
	a, t, err := s.taskAccess(ctx, c, projectID, taskID)
	if err != nil {
		return Task{}, err
	}
	if _, err := a.requireOn(ActTasksRename, c, t); err != nil {
		return Task{}, err
	}
	before := t
	if p.Name != nil {
		t.Name = name
	}
	if p.DueAt != nil {
		t.DueAt = p.DueAt.UTC()
		if p.DueAt.IsZero() {
			t.DueAt = time.Time{}
		}
	}
	if p.AllowPull != nil {
		t.AllowPull = *p.AllowPull
	}
	return s.store.UpdateTask(ctx, t, s.entry(ProjectScope(projectID), c, t.OrgID, "task.updated", before, t))
}

// DeleteTask deletes a task that holds no items any more (tasks.delete; an
// annotation manager only tasks they created): its items are taken out
// first, so no work changes hands by accident.
func (s *Tasks) DeleteTask(ctx context.Context, c Caller, projectID, taskID string) error {
	a, t, err := s.taskAccess(ctx, c, projectID, taskID)
	if err != nil {
		return err
	}
	if _, err := a.requireOn(ActTasksDelete, c, t); err != nil {
		return err
	}
	refs, err := s.store.TaskItems(ctx, projectID, taskID, nil, nil, 1)
	if err != nil {
		return err
	}
	if len(refs) > 0 {
		return Errorf(CodeConflict, "the task still holds items: take them out first")
	}
	return s.store.DeleteTask(ctx, t, s.entry(ProjectScope(projectID), c, t.OrgID, "task.deleted", t, nil))
}

// taskBatch is how many item changes one transaction carries when a task
// moves items: the item and its history event each, and the audit entry.
const taskBatch = (MaxTransactionItems - 1) / 2

// AddTaskItems puts items in a task (tasks.assign; an annotation manager
// only their own org's items in their own org's tasks). An item handed to
// another org leaves its old assignment and starts a history segment the
// new org sees alone. Items that cannot go are skipped with the reason.
func (s *Tasks) AddTaskItems(ctx context.Context, c Caller, projectID, taskID string, itemIDs []string) (TaskItemsResult, error) {
	itemIDs = slices.Compact(slices.Sorted(slices.Values(itemIDs)))
	if len(itemIDs) == 0 || len(itemIDs) > MaxTaskItemsPerCall || slices.Contains(itemIDs, "") {
		return TaskItemsResult{}, invalid("itemIds", "name 1 to %d items", MaxTaskItemsPerCall)
	}
	a, t, err := s.taskAccess(ctx, c, projectID, taskID)
	if err != nil {
		return TaskItemsResult{}, err
	}
	g, err := a.requireOn(ActTasksAssign, c, t)
	if err != nil {
		return TaskItemsResult{}, err
	}
	if err := s.stillTakesPart(ctx, a.Project, t); err != nil {
		return TaskItemsResult{}, err
	}
	items, err := s.store.GetItems(ctx, projectID, itemIDs)
	if err != nil {
		return TaskItemsResult{}, err
	}
	var res TaskItemsResult
	var chs []ItemChange
	statuses := taskStatuses(t, a.Project)
	now := s.clock.Now()
	for _, id := range itemIDs {
		it, ok := items[id]
		reason := ""
		switch {
		case !ok || g == OwnOrg && it.OrgID != a.OrgID || !a.seesItem(it):
			reason = "not found"
		case it.TaskID == t.ID:
			reason = "already in the task"
		case it.PendingHandoff != "":
			reason = "a handoff is under way"
		case !slices.Contains(statuses, it.Status):
			reason = "an item in " + string(it.Status) + " cannot take " + string(t.Kind) + " work for this org"
		case t.Kind == TaskReview && it.OrgID != t.OrgID:
			reason = "its review belongs to another org"
		}
		if reason != "" {
			res.Skipped = append(res.Skipped, SkippedItem{ItemID: id, Reason: reason})
			continue
		}
		chs = append(chs, s.intoTask(c, it, t, now))
	}
	for start := 0; start < len(chs); start += taskBatch {
		batch := chs[start:min(start+taskBatch, len(chs))]
		err := s.store.ApplyItemChanges(ctx, batch, s.entry(ProjectScope(projectID), c, t.OrgID, "task.items_added", nil,
			map[string]any{"taskId": t.ID, "items": len(batch)}))
		if err == nil {
			for _, ch := range batch {
				res.Added = append(res.Added, ch.After.ID)
			}
			continue
		}
		if !IsCode(err, CodeConflict) {
			return res, err
		}
		// An item changed meanwhile: this batch one by one.
		for _, ch := range batch {
			if err := s.store.ApplyItemChange(ctx, ch); IsCode(err, CodeConflict) {
				res.Skipped = append(res.Skipped, SkippedItem{ItemID: ch.After.ID, Reason: "changed meanwhile; add it again"})
			} else if err != nil {
				return res, err
			} else {
				res.Added = append(res.Added, ch.After.ID)
			}
		}
	}
	return res, nil
}

// intoTask is the change that puts an item in a task.
func (s *Tasks) intoTask(c Caller, it Item, t Task, now time.Time) ItemChange {
	after := it
	after.TaskID, after.TaskKind, after.ReviewerID = t.ID, t.Kind, ""
	comment := "put in task " + t.Name
	if it.OrgID != t.OrgID {
		after.OrgID, after.AssigneeID, after.SegmentStart = t.OrgID, "", now
		comment = "handed to org " + t.OrgID + " in task " + t.Name
	}
	return ItemChange{Before: it, After: after, Event: &ItemEvent{ItemID: it.ID, ID: s.ids.New("ev"), From: it.Status, To: it.Status,
		ActorID: c.UserID, OrgID: t.OrgID, At: now, Comment: comment}}
}

// RemoveTaskItem takes an item out of a task (tasks.assign). Out of a
// partner's task, unfinished work returns to the host: unassigned, in a
// new history segment. An item under review at the partner stays.
func (s *Tasks) RemoveTaskItem(ctx context.Context, c Caller, projectID, taskID, itemID string) (Item, error) {
	a, t, err := s.taskAccess(ctx, c, projectID, taskID)
	if err != nil {
		return Item{}, err
	}
	if _, err := a.requireOn(ActTasksAssign, c, t); err != nil {
		return Item{}, err
	}
	items, err := s.store.GetItems(ctx, projectID, []string{itemID})
	if err != nil {
		return Item{}, err
	}
	it, ok := items[itemID]
	if !ok || it.TaskID != t.ID {
		return Item{}, Errorf(CodeNotFound, "item %q is not in this task", itemID)
	}
	final := it.Status == StDone || it.Status == StSkipped
	leaves := t.OrgID != a.Project.HostOrgID && !final
	if leaves && (it.PendingHandoff != "" || it.Status.InReview()) {
		return Item{}, Errorf(CodeConflict, "an item in %s stays with its org until its review ends", it.Status)
	}
	now := s.clock.Now()
	after := it
	after.TaskID, after.TaskKind, after.ReviewerID = "", "", ""
	comment := "taken out of task " + t.Name
	if leaves {
		after.OrgID, after.AssigneeID, after.SegmentStart = a.Project.HostOrgID, "", now
		comment = "returned to the host from task " + t.Name
	}
	ch := ItemChange{Before: it, After: after, Event: &ItemEvent{ItemID: it.ID, ID: s.ids.New("ev"), From: it.Status, To: it.Status,
		ActorID: c.UserID, OrgID: after.OrgID, At: now, Comment: comment},
		Audit: ptr(s.entry(ProjectScope(projectID), c, t.OrgID, "task.item_removed", nil, map[string]any{"taskId": t.ID, "itemId": it.ID}))}
	if err := s.store.ApplyItemChange(ctx, ch); err != nil {
		return Item{}, err
	}
	after.Version++
	return after, nil
}

func ptr[T any](v T) *T { return &v }

// MaxDistributionTargets bounds the annotators one distribution names.
const MaxDistributionTargets = 1000

// Distribute spreads a task's unassigned items evenly over annotators of
// the task's org, named or as one of its groups (tasks.assign). It runs as
// a checkpointed job: the answer is the job.
func (s *Tasks) Distribute(ctx context.Context, c Caller, projectID, taskID string, d Distribution) (Job, error) {
	if (len(d.UserIDs) == 0) == (d.GroupID == "") {
		return Job{}, invalid("userIds", "name either userIds or groupId")
	}
	if len(d.UserIDs) > MaxDistributionTargets {
		return Job{}, invalid("userIds", "name at most %d users", MaxDistributionTargets)
	}
	a, t, err := s.taskAccess(ctx, c, projectID, taskID)
	if err != nil {
		return Job{}, err
	}
	if _, err := a.requireOn(ActTasksAssign, c, t); err != nil {
		return Job{}, err
	}
	field, users := "userIds", slices.Compact(slices.Sorted(slices.Values(d.UserIDs)))
	if d.GroupID != "" {
		field = "groupId"
		g, err := s.groups.GetGroup(ctx, t.OrgID, d.GroupID)
		if IsCode(err, CodeNotFound) {
			return Job{}, invalid("groupId", "is not a group of the task's org")
		} else if err != nil {
			return Job{}, err
		}
		ms, err := s.groups.ListGroupMembers(ctx, g.ID)
		if err != nil {
			return Job{}, err
		}
		for _, m := range ms {
			users = append(users, m.UserID)
		}
	}
	users = slices.Compact(slices.Sorted(slices.Values(users)))
	if len(users) > MaxDistributionTargets {
		return Job{}, invalid(field, "name at most %d users", MaxDistributionTargets)
	}
	if err := s.stillTakesPart(ctx, a.Project, t); err != nil {
		return Job{}, err
	}
	var targets []string
	for _, u := range users {
		ok, err := s.worksOn(ctx, a.Project, t, u)
		if err != nil {
			return Job{}, err
		}
		if ok {
			targets = append(targets, u)
		} else if d.GroupID == "" {
			// One answer inside or outside the wall (docs/security.md,
			// invariant 5).
			return Job{}, invalid(field, "%q is not someone you may give this task's work", u)
		}
	}
	if len(targets) == 0 {
		return Job{}, invalid(field, "no member of the group may take this task's work")
	}
	pending, err := s.store.TaskItems(ctx, projectID, taskID, ptr(""), taskStatuses(t, a.Project), 0)
	if err != nil {
		return Job{}, err
	}
	now := s.clock.Now()
	j := Job{ID: s.ids.New("job"), Kind: JobDistributeTask, Status: JobQueued, WorkspaceID: a.Project.WorkspaceID, OrgID: t.OrgID,
		ProjectID: projectID, TaskID: taskID, Targets: targets, Total: len(pending), CreatedBy: c.UserID, CreatedAt: now, UpdatedAt: now, Version: 1}
	return s.jobs.start(ctx, j, s.entry(ProjectScope(projectID), c, t.OrgID, "task.distribution_started", nil,
		map[string]any{"taskId": t.ID, "jobId": j.ID, "annotators": len(targets), "items": len(pending)}))
}

// worksOn reports whether a user may take the task's work: they act for
// the task's org with annotations.edit (annotation) or items.review
// (review).
func (s *Tasks) worksOn(ctx context.Context, p Project, t Task, userID string) (bool, error) {
	_, st, err := s.rights.LoadStanding(ctx, p.ID, userID)
	if err != nil {
		return false, err
	}
	e := st.Resolve()
	act := ActAnnotationsEdit
	if t.Kind == TaskReview {
		act = ActItemsReview
	}
	return !e.None() && e.OrgID == t.OrgID && e.Can(act).Allowed(), nil
}

// claim is the change giving an item of a task to a user.
func (s *Tasks) claim(it Item, userID, actorID, comment string, now time.Time) ItemChange {
	after := it
	if it.TaskKind == TaskReview && it.Status.InReview() {
		after.ReviewerID = userID
	} else {
		after.AssigneeID = userID
	}
	return ItemChange{Before: it, After: after,
		Event: &ItemEvent{ItemID: it.ID, ID: s.ids.New("ev"), From: it.Status, To: it.Status, ActorID: actorID, OrgID: it.OrgID, At: now, Comment: comment},
		Stats: []StatDelta{{ProjectID: it.ProjectID, UserID: userID, TaskID: it.TaskID, Day: day(now), Counts: map[Counter]int{CountAssigned: 1}}}}
}

// NextItem gives the caller the next item of a task: the oldest one
// assigned to them, else (when the task allows pulling) an unassigned one,
// claimed atomically: two callers never get the same item. ok is false
// when nothing is left.
func (s *Tasks) NextItem(ctx context.Context, c Caller, projectID, taskID string) (Item, bool, error) {
	a, t, err := s.taskAccess(ctx, c, projectID, taskID)
	if err != nil {
		return Item{}, false, err
	}
	act := ActAnnotationsEdit
	if t.Kind == TaskReview {
		act = ActItemsReview
	}
	if a.OrgID != t.OrgID || !a.Can(act).Allowed() {
		return Item{}, false, Errorf(CodeForbidden, "only the task's org works on it")
	}
	if err := s.stillTakesPart(ctx, a.Project, t); err != nil {
		// An ending partnership's reviewers still finish its reviews
		// through their review tasks; nothing else reaches it.
		pa, gerr := s.store.GetPartnerRecord(ctx, a.Project.ID, t.OrgID)
		if t.Kind != TaskReview || gerr != nil || !pa.Ending() || pa.StoppingJob != "" {
			return Item{}, false, err
		}
	}
	statuses := taskStatuses(t, a.Project)
	mine, err := s.store.TaskItems(ctx, projectID, taskID, &c.UserID, statuses, nextCandidates)
	if err != nil {
		return Item{}, false, err
	}
	for _, r := range mine {
		// The index may lag: the item itself says whether it is still theirs.
		items, err := s.store.GetItems(ctx, projectID, []string{r.ItemID})
		if err != nil {
			return Item{}, false, err
		}
		if it, ok := items[r.ItemID]; ok && it.TaskID == t.ID && it.OrgID == t.OrgID && it.holder() == c.UserID && slices.Contains(statuses, it.Status) {
			return it, true, nil
		}
	}
	if !t.AllowPull {
		return Item{}, false, nil
	}
	tried := map[string]bool{}
	for attempt := range nextAttempts {
		// Each attempt reads further down the list, past the candidates
		// already tried.
		free, err := s.store.TaskItems(ctx, projectID, taskID, ptr(""), statuses, nextCandidates*(attempt+1))
		if err != nil {
			return Item{}, false, err
		}
		free = slices.DeleteFunc(free, func(r TaskItemRef) bool { return tried[r.ItemID] })
		if len(free) == 0 {
			if attempt == 0 {
				return Item{}, false, nil
			}
			break
		}
		// Callers start at different candidates, so they rarely collide.
		for _, i := range rand.Perm(len(free)) {
			tried[free[i].ItemID] = true
			items, err := s.store.GetItems(ctx, projectID, []string{free[i].ItemID})
			if err != nil {
				return Item{}, false, err
			}
			it, ok := items[free[i].ItemID]
			if !ok || !claimable(it, t, statuses) {
				continue
			}
			ch := s.claim(it, c.UserID, c.UserID, "pulled", s.clock.Now())
			if err := s.store.ApplyItemChange(ctx, ch); IsCode(err, CodeConflict) {
				continue // someone else claimed it first
			} else if err != nil {
				return Item{}, false, err
			}
			ch.After.Version++
			return ch.After, true, nil
		}
	}
	return Item{}, false, Errorf(CodeConflict, "every item was taken meanwhile; ask again")
}

// How hard NextItem tries: candidates read per attempt, attempts.
const (
	nextCandidates = 50
	nextAttempts   = 8
)

// TaskAnalytics reads a task's figures over [from, to], in total and per
// member, to the host side and to the task org's managers (members.view).
func (s *Tasks) TaskAnalytics(ctx context.Context, c Caller, projectID, taskID string, from, to time.Time) (Analytics, map[string]Analytics, error) {
	if to.IsZero() {
		to = s.clock.Now()
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -AnalyticsDefaultDays)
	}
	if to.Before(from) {
		return Analytics{}, nil, invalid("to", "must not be before from")
	}
	a, t, err := s.taskAccess(ctx, c, projectID, taskID)
	if err != nil {
		return Analytics{}, nil, err
	}
	if _, err := a.requireOn(ActMembersView, c, t); err != nil {
		return Analytics{}, nil, err
	}
	return s.store.ReadTaskAnalytics(ctx, projectID, taskID, day(from), day(to))
}

// distributeChunk assigns the next unassigned items of a job's task, in
// turn over its targets, a transaction per batch. The job's Done and
// Written count the items assigned. The task index may lag the items a
// moment (it is eventually consistent in AWS): candidates already taken are
// skipped, and a chunk that finds only such candidates looks once more
// before it calls the job finished.
func (s *Tasks) distributeChunk(ctx context.Context, j *Job) (bool, error) {
	t, err := s.store.GetTask(ctx, j.ProjectID, j.TaskID)
	if IsCode(err, CodeNotFound) {
		return true, nil // the task went
	} else if err != nil {
		return false, err
	}
	if len(j.Targets) == 0 {
		return true, nil
	}
	p, _, err := s.rights.LoadStanding(ctx, j.ProjectID, "")
	if err != nil {
		return false, err
	}
	if err := s.stillTakesPart(ctx, p, t); IsCode(err, CodeConflict) {
		j.Errors = append(j.Errors, "the task's org no longer takes part in the project")
		return true, nil
	} else if err != nil {
		return false, err
	}
	statuses := taskStatuses(t, p)
	for look := 0; look < 2; look++ {
		if look > 0 {
			time.Sleep(indexLagPause)
		}
		assigned, found, err := s.distributeOnce(ctx, j, t, statuses)
		if err != nil {
			return false, err
		}
		if found == 0 {
			s.notifyAssigned(ctx, j, t, p)
			return true, nil
		}
		if assigned > 0 {
			return false, nil
		}
	}
	s.notifyAssigned(ctx, j, t, p)
	return true, nil
}

// notifyAssigned tells each annotator of a finished distribution that work
// of the task is theirs: one mail per job and person (a re-run sends the
// same ids, which the mailer sends once).
func (s *Tasks) notifyAssigned(ctx context.Context, j *Job, t Task, p Project) {
	for _, u := range j.Targets {
		_, st, err := s.rights.LoadStanding(ctx, p.ID, u)
		if err != nil || st.Member == nil || st.Member.Email == "" {
			continue
		}
		e, err := ComposeNotice(NoticeAssigned, "assigned-"+j.ID+"-"+u, st.Member.Email,
			AssignedNotice{What: t.Name, ProjectName: p.Name, Link: s.appLink("projects", p.ID, "tasks", t.ID)})
		if err == nil {
			_ = s.mailer.Send(ctx, e) // a lost note never fails the job
		}
	}
}

// indexLagPause is how long a distribution waits for the task index to
// catch up before it trusts an answer of only taken items.
const indexLagPause = 500 * time.Millisecond

// distributeOnce assigns one chunk: it reports how many items it assigned
// and how many candidates the index offered.
func (s *Tasks) distributeOnce(ctx context.Context, j *Job, t Task, statuses []ItemStatus) (assigned, found int, err error) {
	free, err := s.store.TaskItems(ctx, j.ProjectID, j.TaskID, ptr(""), statuses, JobChunk)
	if err != nil || len(free) == 0 {
		return 0, 0, err
	}
	ids := make([]string, len(free))
	for i, r := range free {
		ids[i] = r.ItemID
	}
	items, err := s.store.GetItems(ctx, j.ProjectID, ids)
	if err != nil {
		return 0, len(free), err
	}
	now := s.clock.Now()
	var batch []ItemChange
	users := map[string]bool{}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.store.ApplyItemChanges(ctx, batch)
		if IsCode(err, CodeConflict) {
			// An item changed meanwhile: this batch one by one.
			err = nil
			for _, ch := range batch {
				if e := s.store.ApplyItemChange(ctx, ch); e == nil {
					assigned++
				} else if !IsCode(e, CodeConflict) {
					return e
				}
			}
		} else if err == nil {
			assigned += len(batch)
		}
		batch, users = nil, map[string]bool{}
		return err
	}
	for _, id := range ids {
		it, ok := items[id]
		if !ok || !claimable(it, t, statuses) {
			continue
		}
		target := j.Targets[(j.Done+assigned+len(batch))%len(j.Targets)]
		// Each change writes the item and its event; each annotator in the
		// batch two counters (the day's and the task's): keep a batch
		// within one transaction.
		rows := 2*(len(batch)+1) + 2*len(users)
		if !users[target] {
			rows += 2
		}
		if rows > MaxTransactionItems {
			if err := flush(); err != nil {
				return assigned, len(free), err
			}
		}
		users[target] = true
		batch = append(batch, s.claim(it, target, j.CreatedBy, "assigned by distribution "+j.ID, now))
	}
	if err := flush(); err != nil {
		return assigned, len(free), err
	}
	j.Done += assigned
	j.Written += assigned
	return assigned, len(free), nil
}
