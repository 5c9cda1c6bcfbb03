package httpapi_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// A shell block of a walkthrough, with the step it runs at.
type docBlock struct {
	doc  string
	step int
	code string
}

var stepFence = regexp.MustCompile("^```sh step=(\\d+)\\s*$")

// shellBlocks reads the ```sh step=N blocks of a markdown file.
func shellBlocks(t *testing.T, path string) []docBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []docBlock
	var cur *docBlock
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil:
			if m := stepFence.FindStringSubmatch(line); m != nil {
				n, _ := strconv.Atoi(m[1])
				cur = &docBlock{doc: filepath.Base(path), step: n}
			}
		case line == "```":
			out = append(out, *cur)
			cur = nil
		default:
			cur.code += line + "\n"
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no runnable blocks", path)
	}
	return out
}

// The host's and the vendor's walkthroughs run as written, against the
// test server, in the order of their steps: curl and jq calls in one shell,
// `make token` for the tokens. Any call that fails (curl -f) stops it.
func TestWalkthroughs(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to run the walkthroughs (make test installs it): %v", tool, err)
		}
	}
	api(t)
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	var blocks []docBlock
	for _, doc := range []string{"walkthrough-host.md", "walkthrough-vendor.md"} {
		blocks = append(blocks, shellBlocks(t, filepath.Join(root, "docs", doc))...)
	}
	sort.SliceStable(blocks, func(i, j int) bool { return blocks[i].step < blocks[j].step })
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for _, b := range blocks {
		script.WriteString("echo '## " + b.doc + " step " + strconv.Itoa(b.step) + "'\n" + b.code)
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "API="+server.URL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("walkthrough failed: %v\n%s", err, out)
	}
	text := string(out)
	t.Log(text)
	// What the walkthroughs say happens, happened: three items handed over,
	// submitted, crossed and approved for good.
	for _, want := range []string{`"added": 3`, `"status": "done"`, `"done": 3`, `"approved": 6`, `"approvedAtOwnStage": 3`, `"overturnedByHost": 0`} {
		if !strings.Contains(text, want) {
			t.Fatalf("the walkthrough's output lacks %s:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "waiting_for_collaborator_review"); n != 3 {
		t.Fatalf("%d submits, want 3:\n%s", n, text)
	}
}
