package main

import (
	"bufio"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fuzzTimeEnv, when set (CI sets 10s), makes TestFuzzTargets run every
// fuzz target in the repository for that long. Go runs one -fuzz target
// per command, so this is the one place that finds and runs them all.
const fuzzTimeEnv = "RECORDER_FUZZTIME"

var fuzzFunc = regexp.MustCompile(`^func (Fuzz\w+)\(f \*testing\.F\)`)

func TestFuzzTargets(t *testing.T) {
	fuzzTime := os.Getenv(fuzzTimeEnv)
	if fuzzTime == "" {
		t.Skip("set " + fuzzTimeEnv + "=10s to run every fuzz target for that long")
	}
	targets := findFuzzTargets(t)
	if len(targets) < 5 {
		t.Fatalf("found only %d fuzz targets: %v", len(targets), targets)
	}
	for _, target := range targets {
		pkg, name, _ := strings.Cut(target, ":")
		t.Run(name, func(t *testing.T) {
			out, err := fuzz(pkg, name, fuzzTime)
			if err != nil && spuriousDeadline(out) {
				// Go's fuzzer can end a timed run with "context deadline
				// exceeded" and no failing input (golang/go#75804): that
				// is no finding, so run the target once more.
				t.Logf("%s: the fuzzer's known end-of-run deadline error; running again", name)
				out, err = fuzz(pkg, name, fuzzTime)
			}
			if err != nil {
				t.Fatalf("%s in %s: %v\n%s", name, pkg, err, out)
			}
			t.Logf("%s: %s", name, lastLine(out))
		})
	}
}

func fuzz(pkg, name, fuzzTime string) ([]byte, error) {
	return exec.Command("go", "test", "-run", "XXX", "-fuzz", "^"+name+"$", "-fuzztime", fuzzTime,
		"-fuzzminimizetime", "5s", "./"+pkg).CombinedOutput()
}

// spuriousDeadline tells the fuzzer's own deadline error from a finding:
// a real failure always writes its input to testdata/fuzz.
func spuriousDeadline(out []byte) bool {
	s := string(out)
	return strings.Contains(s, "context deadline exceeded") && !strings.Contains(s, "Failing input written")
}

// findFuzzTargets lists "package-dir:FuzzName" for every fuzz target.
func findFuzzTargets(t *testing.T) []string {
	t.Helper()
	var targets []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if m := fuzzFunc.FindStringSubmatch(sc.Text()); m != nil {
				targets = append(targets, filepath.Dir(path)+":"+m[1])
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return targets
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], "execs") {
			return strings.TrimSpace(lines[i])
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}
