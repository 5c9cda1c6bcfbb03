package collab

import "slices"

// The evaluator of the review table (review.go): who each Actor is, which
// row a command fires, and which handoff messages the table admits. The
// review use cases and the handoff consumer ask only this.

// finalReviewer: every role whose grant of items.review allows reviews for
// the host (owner, developer, project_manager, annotation_manager).
func finalReviewer(r Role) bool { return GrantOf(r, ActItemsReview).Allowed() }

// hostReviewer: a final reviewer acting for the host. The one definition
// of a host reviewer.
func (a Access) hostReviewer() bool { return a.Side == SideHost && finalReviewer(a.Role) }

// partnerItem reports whether the item belongs to a partner org.
func (a Access) partnerItem(it Item) bool { return it.OrgID != a.Project.HostOrgID }

// endingPartnerItem says whether the item is its partner's and that
// partnership is ending (?inFlight=finish): its reviews finish, no work
// goes back into review.
func (a Access) endingPartnerItem(it Item) bool {
	pa := a.Standing.Partner
	return a.partnerItem(it) && pa != nil && pa.OrgID == it.OrgID && pa.Ending()
}

// canEdit says whether the caller may change the item's annotation now.
func (a Access) canEdit(it Item) bool {
	g := a.Can(ActAnnotationsEdit)
	switch {
	case !g.Allowed():
		return false
	case it.Status == StNew || it.Status == StInProgress || it.Status == StWaitingChange:
		return g == Allow || it.AssigneeID == a.Standing.UserID
	case it.Status == StWaitingCollabReview:
		// Host reviewers comment and edit here; the partner's reviewers too.
		return a.Role != RoleAnnotator && (a.hostReviewer() || it.OrgID == a.OrgID)
	case it.Status == StWaitingOwnerReview || it.Status == StWaitingReview:
		return a.Role != RoleAnnotator
	}
	return false
}

// actorRules says who each actor kind is.
var actorRules = map[Actor]func(a Access, it Item) bool{
	ActorEditor:   Access.canEdit,
	ActorAssignee: func(a Access, it Item) bool { return it.AssigneeID != "" && it.AssigneeID == a.Standing.UserID },
	ActorReviewer: func(a Access, _ Item) bool { return a.Can(ActItemsReview).Allowed() },
	ActorPartnerReviewer: func(a Access, it Item) bool {
		return a.Can(ActItemsReview).Allowed() && a.partnerItem(it) && a.OrgID == it.OrgID && a.Side == SideExternal
	},
	ActorHostReviewer: func(a Access, _ Item) bool { return a.Can(ActItemsReview).Allowed() && a.hostReviewer() },
	ActorPlatform:     func(Access, Item) bool { return false },
}

// is reports whether the caller is an actor of that kind for the item.
func (a Access) is(w Actor, it Item) bool {
	f := actorRules[w]
	return f != nil && f(a, it)
}

// settingOn reads a project setting a row names.
func settingOn(p Project, s Setting) bool {
	switch s {
	case SettingHostBypass:
		return p.HostMayBypassCollaboratorReview
	}
	return false
}

// holds reports whether the item meets the condition.
func (c Condition) holds(a Access, it Item) bool {
	switch c {
	case AnyItem:
		return true
	case PartnerItem:
		return a.partnerItem(it)
	case HostItem:
		return !a.partnerItem(it)
	}
	return false
}

// fits reports whether the row is one the command may fire on the item,
// whoever asks: the item's status and kind.
func (t Transition) fits(cmd Command, a Access, it Item) bool {
	return t.Command == cmd && slices.Contains(t.From, it.Status) && t.When.holds(a, it)
}

// mayFire is THE evaluator: whether the caller may fire the row on the
// item now (the item fits, the row's setting is on and the caller is one
// of its actors).
func (a Access) mayFire(t Transition, it Item) bool {
	if !t.fits(t.Command, a, it) || (t.Setting != "" && !settingOn(a.Project, t.Setting)) {
		return false
	}
	return slices.ContainsFunc(t.Who, func(w Actor) bool { return a.is(w, it) })
}

// fire finds the row the caller fires with the command on the item: a
// conflict when no row fits the item, forbidden when the caller may fire
// none of those that do.
func (a Access) fire(cmd Command, it Item) (Transition, error) {
	var fitting []Transition
	for _, t := range Transitions {
		if !t.fits(cmd, a, it) {
			continue
		}
		if a.mayFire(t, it) {
			return t, nil
		}
		fitting = append(fitting, t)
	}
	if len(fitting) == 0 {
		return Transition{}, Errorf(CodeConflict, "an item in %s cannot %s", it.Status, cmd)
	}
	return Transition{}, Errorf(CodeForbidden, "%s", fitting[0].Refusal)
}

// afterSave is the status saving the item's annotation leaves it in: the
// caller must be an editor of it; the save fires a row when one fits (the
// first save of a new item), and otherwise edits in place.
func (a Access) afterSave(it Item) (ItemStatus, error) {
	if !a.is(ActorEditor, it) {
		return "", Errorf(CodeForbidden, "%s", refuseEdit)
	}
	t, err := a.fire(CmdSave, it)
	switch {
	case err == nil:
		return t.To, nil
	case IsCode(err, CodeConflict):
		return it.Status, nil
	}
	return "", err
}

// decide is the row a review decision fires: the caller needs
// items.review, and the item's previous decision must have crossed.
func (a Access) decide(cmd Command, it Item) (Transition, error) {
	if _, err := a.require(ActItemsReview); err != nil {
		return Transition{}, err
	}
	if it.PendingHandoff != "" {
		return Transition{}, Errorf(CodeConflict, "the item's previous decision is still crossing to the other organization")
	}
	return a.fire(cmd, it)
}

// CheckHandoff finds the crossing row a handoff message names: a row with
// Handoff set from its FromStatus to its ToStatus, with its Event (a message
// written before messages named their event is matched by the statuses
// alone). A message naming any other edge is refused (conflict).
func CheckHandoff(m HandoffMessage) (Transition, error) {
	for _, t := range Transitions {
		if t.Handoff && slices.Contains(t.From, m.FromStatus) && t.To == m.ToStatus && (m.Event == "" || m.Event == t.Event) {
			return t, nil
		}
	}
	ev := string(m.Event)
	if ev == "" {
		ev = "any event"
	}
	return Transition{}, Errorf(CodeConflict, "no transition of the review table crosses from %s to %s by %s", m.FromStatus, m.ToStatus, ev)
}
