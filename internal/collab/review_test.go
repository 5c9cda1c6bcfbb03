package collab

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Every edge of the review table, one per from status, as
// "from -command/event-> to [when] {setting} who... (handoff)". A row
// added, dropped or changed in any field turns this red.
var wantEdges = []string{
	"new -save/annotate-> in_progress [] {} editor",
	"new -submit/submit_partner-> waiting_for_collaborator_review [partner_item] {} assignee|partner_reviewer",
	"in_progress -submit/submit_partner-> waiting_for_collaborator_review [partner_item] {} assignee|partner_reviewer",
	"waiting_for_change -submit/submit_partner-> waiting_for_collaborator_review [partner_item] {} assignee|partner_reviewer",
	"new -submit/submit_host-> waiting_for_review [host_item] {} assignee|host_reviewer",
	"in_progress -submit/submit_host-> waiting_for_review [host_item] {} assignee|host_reviewer",
	"waiting_for_change -submit/submit_host-> waiting_for_review [host_item] {} assignee|host_reviewer",
	"waiting_for_collaborator_review -approve/approve_partner-> waiting_for_owner_review [] {} partner_reviewer (handoff)",
	"waiting_for_collaborator_review -approve/approve_bypass-> done [] {hostMayBypassCollaboratorReview} host_reviewer",
	"waiting_for_review -approve/approve_host-> done [] {} host_reviewer",
	"waiting_for_owner_review -approve/approve_host-> done [] {} host_reviewer",
	"waiting_for_collaborator_review -reject/reject-> waiting_for_change [] {} partner_reviewer",
	"waiting_for_collaborator_review -reject/reject-> waiting_for_change [] {hostMayBypassCollaboratorReview} host_reviewer",
	"waiting_for_review -reject/reject-> waiting_for_change [] {} host_reviewer",
	"waiting_for_owner_review -reject/reject-> waiting_for_change [host_item] {} host_reviewer",
	"waiting_for_owner_review -reject/reject-> waiting_for_change [partner_item] {} host_reviewer (handoff)",
	"new -skip/skip-> skipped [] {} assignee|reviewer",
	"in_progress -skip/skip-> skipped [] {} assignee|reviewer",
	"new -return/return_to_host-> new [partner_item] {} platform",
	"in_progress -return/return_to_host-> new [partner_item] {} platform",
	"waiting_for_change -return/return_to_host-> new [partner_item] {} platform",
	"waiting_for_collaborator_review -return/return_to_host-> new [partner_item] {} platform",
	"waiting_for_owner_review -return/return_to_host-> new [partner_item] {} platform",
}

func edgesOf(ts []Transition) []string {
	var out []string
	for _, t := range ts {
		who := make([]string, len(t.Who))
		for i, w := range t.Who {
			who[i] = string(w)
		}
		for _, f := range t.From {
			e := fmt.Sprintf("%s -%s/%s-> %s [%s] {%s} %s", f, t.Command, t.Event, t.To, t.When, t.Setting, strings.Join(who, "|"))
			if t.Handoff {
				e += " (handoff)"
			}
			out = append(out, e)
		}
	}
	return out
}

func TestTransitionTable(t *testing.T) {
	got := edgesOf(Transitions)
	for _, e := range got {
		if !slices.Contains(wantEdges, e) {
			t.Errorf("unexpected edge %s", e)
		}
	}
	for _, e := range wantEdges {
		if !slices.Contains(got, e) {
			t.Errorf("missing edge %s", e)
		}
	}
	if len(got) != len(wantEdges) {
		t.Errorf("%d edges, want %d", len(got), len(wantEdges))
	}
	// Every status × event: the edges between them are exactly the
	// expected ones, and a status without any (done, skipped) is final.
	for _, st := range ItemStatuses {
		for _, ev := range ReviewEvents {
			prefix := fmt.Sprintf("%s -", st)
			var g, w []string
			for _, e := range got {
				if strings.HasPrefix(e, prefix) && strings.Contains(e, "/"+string(ev)+"-> ") {
					g = append(g, e)
				}
			}
			for _, e := range wantEdges {
				if strings.HasPrefix(e, prefix) && strings.Contains(e, "/"+string(ev)+"-> ") {
					w = append(w, e)
				}
			}
			if !slices.Equal(g, w) {
				t.Errorf("%s + %s: %v, want %v", st, ev, g, w)
			}
		}
	}
}

// The table is well-formed: statuses, events, commands, actors, conditions
// and settings are known and evaluable; rows of one command and status
// share their refusal; a crossing row is identified by its statuses alone
// (old handoff messages name no event).
func TestTransitionTableWellFormed(t *testing.T) {
	knownCmd := map[Command]bool{}
	for _, c := range Commands {
		knownCmd[c.Command] = true
	}
	for _, a := range Actors {
		if actorRules[a.Actor] == nil || a.Description == "" || a.Actor.Describe() != a.Description {
			t.Errorf("actor %s lacks a rule or a description", a.Actor)
		}
	}
	if len(actorRules) != len(Actors) {
		t.Errorf("%d actor rules for %d actors", len(actorRules), len(Actors))
	}
	refusal := map[string]string{}
	crossing := map[string]ReviewEvent{}
	for i, tr := range Transitions {
		if !tr.To.Valid() || !slices.Contains(ReviewEvents, tr.Event) || !knownCmd[tr.Command] || len(tr.From) == 0 || len(tr.Who) == 0 || tr.Refusal == "" {
			t.Errorf("row %d malformed: %+v", i, tr)
		}
		for _, f := range tr.From {
			if !f.Valid() {
				t.Errorf("row %d from %q", i, f)
			}
			k := string(f) + "/" + string(tr.Command)
			if r, ok := refusal[k]; ok && r != tr.Refusal {
				t.Errorf("rows of %s refuse differently: %q, %q", k, r, tr.Refusal)
			}
			refusal[k] = tr.Refusal
			if tr.Handoff {
				k := string(f) + ">" + string(tr.To)
				if ev, ok := crossing[k]; ok {
					t.Errorf("two crossing rows %s (%s, %s)", k, ev, tr.Event)
				}
				crossing[k] = tr.Event
			}
		}
		for _, w := range tr.Who {
			if actorRules[w] == nil {
				t.Errorf("row %d: unknown actor %s", i, w)
			}
		}
		if tr.When != AnyItem && tr.When.Describe() == "" {
			t.Errorf("row %d: unknown condition %s", i, tr.When)
		}
		if tr.Setting != "" && !settingOn(Project{HostMayBypassCollaboratorReview: true}, tr.Setting) {
			t.Errorf("row %d: unknown setting %s", i, tr.Setting)
		}
	}
}

// docs/review.md shows every edge, the bypass with its condition, both
// rejections at the owner stage and the actors' descriptions.
func TestReviewMarkdownShowsEveryEdge(t *testing.T) {
	md := ReviewMarkdown()
	for _, want := range []string{
		"waiting_for_collaborator_review --> done: approve_bypass by host_reviewer (if hostMayBypassCollaboratorReview)",
		"waiting_for_collaborator_review --> waiting_for_owner_review: approve_partner by partner_reviewer (handoff queue)",
		"waiting_for_owner_review --> waiting_for_change: reject by host_reviewer (host item)",
		"waiting_for_owner_review --> waiting_for_change: reject by host_reviewer (partner item, handoff queue)",
		"waiting_for_collaborator_review --> waiting_for_change: reject by partner_reviewer\n",
		"waiting_for_collaborator_review --> waiting_for_change: reject by host_reviewer (if hostMayBypassCollaboratorReview)",
		"| waiting_for_collaborator_review | approve | approve_bypass | project setting `hostMayBypassCollaboratorReview` on | done | " + ActorHostReviewer.Describe() + " |",
		"| waiting_for_owner_review | reject | reject | the item belongs to a partner org | waiting_for_change, through the handoff queue | " + ActorHostReviewer.Describe() + " |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("docs/review.md lacks %q", want)
		}
	}
	for _, tr := range Transitions {
		for _, f := range tr.From {
			if !strings.Contains(md, fmt.Sprintf("    %s --> %s: %s", f, tr.To, tr.Event)) {
				t.Errorf("the diagram lacks %s --> %s: %s", f, tr.To, tr.Event)
			}
		}
	}
	for _, a := range Actors {
		if !strings.Contains(md, a.Description) {
			t.Errorf("docs/review.md lacks the description of %s", a.Actor)
		}
	}
}
