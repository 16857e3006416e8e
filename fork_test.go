package main

import (
	"os/exec"
	"testing"
)

// TestForkTests runs the tests of the patched pion modules the build uses
// (internal/fork/*, through go.mod's replaces): modules of their own, which
// ./... leaves out, so this is where `go test ./...` reaches them. They are
// the patches' own (each rewrite against upstream's code) and, for
// transport's packet buffer and context wrappers, upstream's.
func TestForkTests(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the forks' tests take a few seconds")
	}
	for _, pkgs := range []string{"github.com/pion/opus/...", "github.com/pion/transport/v5/packetio", "github.com/pion/transport/v5/netctx", "github.com/pion/ice/v4/internal/taskloop"} {
		out, err := exec.Command("go", "test", pkgs).CombinedOutput()
		if err != nil {
			t.Fatalf("go test %s: %v\n%s", pkgs, err, out)
		}
		t.Logf("%s", out)
	}
}
