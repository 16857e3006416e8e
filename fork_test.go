package main

import (
	"os/exec"
	"testing"
)

// TestOpusForkTests runs the tests of the patched pion/opus the build uses
// (internal/fork/opus, through go.mod's replace): a module of its own, which
// ./... leaves out, so this is where `go test ./...` reaches them. They are
// the patches' own: each rewrite against upstream's code, bit for bit.
func TestOpusForkTests(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the fork's tests take a few seconds")
	}
	out, err := exec.Command("go", "test", "github.com/pion/opus/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go test github.com/pion/opus/...: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
