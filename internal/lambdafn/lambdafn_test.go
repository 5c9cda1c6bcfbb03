package lambdafn

import (
	"os"
	"path/filepath"
	"testing"
)

// Every named function has its main under functions/, and every main is
// named here.
func TestNamesMatchFunctionsDirectory(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("..", "..", "functions"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range dirs {
		if d.IsDir() {
			seen[d.Name()] = true
			if _, ok := FromLogicalID(LogicalID(d.Name())); !ok {
				t.Errorf("functions/%s is not named in lambdafn", d.Name())
			}
		}
	}
	for _, n := range All {
		if !seen[n] {
			t.Errorf("%s has no functions/%s", n, n)
		}
	}
	if got := LogicalID(Collaborators); got != "CollaboratorsFunction" {
		t.Errorf("LogicalID = %s", got)
	}
}
