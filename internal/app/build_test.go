package app_test

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/annobridge/annobridge/internal/devstack"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

// `make build-<LogicalId> ARTIFACTS_DIR=<dir>`, as `sam build` calls it,
// writes a linux/arm64 bootstrap for every function of the template.
func TestMakeBuildTargetsWriteArm64Bootstrap(t *testing.T) {
	dir := root(t)
	tpl, err := devstack.LoadTemplate(filepath.Join(dir, "template.yaml"), "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(tpl.Functions) != len(lambdafn.All) {
		t.Fatalf("template has %d functions, want %d: %v", len(tpl.Functions), len(lambdafn.All), tpl.Functions)
	}
	for _, id := range tpl.Functions {
		t.Run(id, func(t *testing.T) {
			out := t.TempDir()
			cmd := exec.Command("make", "-s", "build-"+id, "ARTIFACTS_DIR="+out)
			cmd.Dir = dir
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("make build-%s: %v\n%s", id, err, msg)
			}
			f, err := elf.Open(filepath.Join(out, "bootstrap"))
			if err != nil {
				t.Fatalf("bootstrap: %v", err)
			}
			defer f.Close()
			if f.Machine != elf.EM_AARCH64 || f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
				t.Fatalf("bootstrap is %v/%v, want linux arm64", f.Machine, f.OSABI)
			}
		})
	}
}
