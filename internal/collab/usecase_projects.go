package collab

import "context"

// Projects creates and changes projects and answers rights questions.
type Projects struct {
	base
	store ProjectStore
}

// ProjectStore is what the project use cases need.
type ProjectStore interface {
	CreateProject(ctx context.Context, p Project, owner ProjectMember) error
	RenameProject(ctx context.Context, p Project, name string) (Project, error)
	DeleteProject(ctx context.Context, p Project) (int, error)
	SetProjectSettings(ctx context.Context, p Project, audit ...AuditEntry) (Project, error)
	// ListAudit lists a scope's entries; with orgID only those about that org.
	ListAudit(ctx context.Context, scope, orgID string, p Page) ([]AuditEntry, string, error)
}

// CreateProject creates a project in a workspace; the creator becomes its
// owner. Only the owning org's people create projects (docs/security.md, invariant 3): its
// owners and admins, and its workspace admins, developers and project
// managers.
func (s *Projects) CreateProject(ctx context.Context, c Caller, wsID, name string) (Project, error) {
	var v Validation
	name = CleanName("name", name, &v)
	if err := v.Err(); err != nil {
		return Project{}, err
	}
	a, err := s.workspaceAccess(ctx, c, wsID, "")
	if err != nil {
		return Project{}, err
	}
	if err := a.Permit(WsProjectsCreate, "", nil); err != nil {
		return Project{}, err
	}
	w := a.Workspace
	now := s.clock.Now()
	p := Project{ID: s.ids.New("prj"), WorkspaceID: w.ID, HostOrgID: w.OrgID, Name: name, CreatedBy: c.UserID, CreatedAt: now, Version: 1}
	owner := ProjectMember{ProjectID: p.ID, UserID: c.UserID, Email: NormalizeEmail(c.Email), Name: c.Name, Role: RoleOwner,
		OrgID: w.OrgID, Side: SideHost, AddedBy: c.UserID, AddedAt: now, Version: 1}
	return p, s.store.CreateProject(ctx, p, owner)
}

// GetProject returns a project with the caller's access.
func (s *Projects) GetProject(ctx context.Context, c Caller, projectID string) (Access, error) {
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return Access{}, err
	}
	_, err = a.require(ActProjectView)
	return a, err
}

// RenameProject renames a project (project.rename).
func (s *Projects) RenameProject(ctx context.Context, c Caller, projectID, name string) (Project, error) {
	var v Validation
	name = CleanName("name", name, &v)
	if err := v.Err(); err != nil {
		return Project{}, err
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return Project{}, err
	}
	if _, err := a.require(ActProjectRename); err != nil {
		return Project{}, err
	}
	return s.store.RenameProject(ctx, a.Project, name)
}

// DeleteProject deletes a project and everything stored under it
// (project.delete).
func (s *Projects) DeleteProject(ctx context.Context, c Caller, projectID string) (int, error) {
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return 0, err
	}
	if _, err := a.require(ActProjectDelete); err != nil {
		return 0, err
	}
	return s.store.DeleteProject(ctx, a.Project)
}

// PermissionsView answers what the caller may do on a project.
type PermissionsView struct {
	Effective
	ProjectID string
	Actions   []Action
	Limits    map[Action]Grant
}

// Permissions lists the caller's actions on a project and their limits.
func (s *Projects) Permissions(ctx context.Context, c Caller, projectID string) (PermissionsView, error) {
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return PermissionsView{}, err
	}
	return permissionsOf(projectID, a.Effective), nil
}

func permissionsOf(projectID string, e Effective) PermissionsView {
	v := PermissionsView{Effective: e, ProjectID: projectID, Actions: []Action{}, Limits: map[Action]Grant{}}
	for _, row := range Permissions {
		g := e.Can(row.Action)
		if g.Allowed() {
			v.Actions = append(v.Actions, row.Action)
		}
		if g.Limited() {
			v.Limits[row.Action] = g
		}
	}
	return v
}

// Decision answers an authorize question.
type Decision struct {
	UserID  string
	Action  Action
	Allowed bool
	Effective
	Limit Grant
}

// Authorize answers "may user U do action A on this project". A caller may
// ask about themselves; asking about another user needs members.view over
// that user (own_org: only users of the caller's org).
func (s *Projects) Authorize(ctx context.Context, c Caller, projectID, userID string, act Action) (Decision, error) {
	if !KnownAction(act) {
		return Decision{}, invalid("action", "is not an action of the permission matrix")
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return Decision{}, err
	}
	target := a.Effective
	if userID != "" && userID != c.UserID {
		g, err := a.require(ActMembersView)
		if err != nil {
			return Decision{}, err
		}
		_, st, err := s.rights.LoadStanding(ctx, projectID, userID)
		if err != nil {
			return Decision{}, err
		}
		target = st.Resolve()
		if g == OwnOrg && (target.None() || target.OrgID != a.OrgID) {
			return Decision{}, Errorf(CodeNotFound, "user %q is not a member of your org on this project", userID)
		}
	} else {
		userID = c.UserID
	}
	grant := target.Can(act)
	d := Decision{UserID: userID, Action: act, Allowed: grant.Allowed(), Effective: target}
	if grant.Limited() {
		d.Limit = grant
	}
	return d, nil
}

// ProjectAudit lists the project's audit entries (audit.view): the host's
// all of them, a partner's only those about its own org.
func (s *Projects) ProjectAudit(ctx context.Context, c Caller, projectID string, p Page) ([]AuditEntry, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return nil, "", err
	}
	g, err := a.require(ActAuditView)
	if err != nil {
		return nil, "", err
	}
	org := ""
	if g == OwnOrg {
		org = a.OrgID // a partner reads the entries about its own org
	}
	return s.store.ListAudit(ctx, ProjectScope(projectID), org, p)
}

// SetReviewPolicy sets hostMayBypassCollaboratorReview (project.settings).
func (s *Projects) SetReviewPolicy(ctx context.Context, c Caller, projectID string, bypass bool) (Project, error) {
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return Project{}, err
	}
	if _, err := a.require(ActProjectSettings); err != nil {
		return Project{}, err
	}
	p := a.Project
	p.HostMayBypassCollaboratorReview = bypass
	return s.store.SetProjectSettings(ctx, p, s.entry(ProjectScope(projectID), c, p.HostOrgID, "project.settings_changed",
		map[string]any{"hostMayBypassCollaboratorReview": a.Project.HostMayBypassCollaboratorReview},
		map[string]any{"hostMayBypassCollaboratorReview": bypass}))
}
