package httpapi

import (
	"sort"
	"strings"
	"testing"
)

// variableClashes finds the levels of a path tree where routes put
// different variable names, which API Gateway HTTP APIs refuse at deploy
// time ("conflicting variable on the same hierarchical level"): for each
// prefix of literal and variable segments, the variable names seen next.
func variableClashes(patterns []string) map[string][]string {
	next := map[string]map[string]bool{}
	for _, p := range patterns {
		_, path, _ := strings.Cut(p, " ")
		segs := strings.Split(strings.Trim(path, "/"), "/")
		prefix := ""
		for _, s := range segs {
			if strings.HasPrefix(s, "{") {
				name := strings.Trim(s, "{}.")
				if next[prefix] == nil {
					next[prefix] = map[string]bool{}
				}
				next[prefix][name] = true
				s = "{}" // one variable level, whatever its name
			}
			prefix += "/" + s
		}
	}
	out := map[string][]string{}
	for prefix, names := range next {
		if len(names) > 1 {
			for n := range names {
				out[prefix] = append(out[prefix], n)
			}
			sort.Strings(out[prefix])
		}
	}
	return out
}

// No two routes of the API put different variable names at one level.
func TestOneVariableNamePerLevel(t *testing.T) {
	var all []string
	for _, fn := range Functions {
		all = append(all, Patterns(fn)...)
	}
	if clashes := variableClashes(all); len(clashes) > 0 {
		t.Fatalf("routes with different variable names at one level (API Gateway refuses them): %v", clashes)
	}
	// The check itself: the clash the spec fixed is found.
	got := variableClashes([]string{"GET /invitations/{token}", "DELETE /invitations/{invitationId}", "GET /invitations/page"})
	if want := []string{"invitationId", "token"}; strings.Join(got["/invitations"], ",") != strings.Join(want, ",") {
		t.Fatalf("the old invitation routes: clashes %v, want %v at /invitations", got, want)
	}
}
