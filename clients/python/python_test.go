package python

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// requirePythonEnv makes the tests that need Debian's Python fail, not
// skip, when it or its modules are missing (CI sets it).
const requirePythonEnv = "RECORDER_REQUIRE_PYTHON"

// debianPython is the interpreter whose modules Debian's python3-websockets
// and python3-numpy are; a python3 earlier on PATH (pyenv, a venv) would
// not see them.
const debianPython = "/usr/bin/python3"

// needPython skips the test (or fails it, with RECORDER_REQUIRE_PYTHON=1)
// unless debianPython can import the given modules.
func needPython(t *testing.T, modules ...string) {
	t.Helper()
	out, err := exec.Command(debianPython, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput()
	if err == nil {
		return
	}
	msg := "the Python client's tests need Debian's Python with " + strings.Join(modules, ", ") +
		" (`apt-get install -y python3-websockets python3-numpy python3-venv python3-pip python3-setuptools`): " +
		strings.TrimSpace(string(out)) + " " + err.Error()
	if os.Getenv(requirePythonEnv) == "1" {
		t.Fatal(msg + " (" + requirePythonEnv + "=1)")
	}
	t.Skip(msg)
}

// python returns a command running debianPython in this directory, where
// recorder_feed can be imported, with its output going to the test log.
func python(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(debianPython, args...)
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dir, "PYTHONDONTWRITEBYTECODE=1", "PYTHONIOENCODING=utf-8")
	return cmd
}

// TestPythonUnitTests runs the client's own tests (tests/test_*.py:
// decoding the golden messages, the client against a scripted server, the
// VAD example) under Debian's Python, so that go test ./... covers them.
func TestPythonUnitTests(t *testing.T) {
	needPython(t, "websockets", "numpy")
	cmd := python(t, "-m", "unittest", "discover", "-s", "tests", "-v")
	out, err := cmd.CombinedOutput()
	t.Logf("python3 -m unittest:\n%s", out)
	if err != nil {
		t.Fatalf("the Python tests failed: %v", err)
	}
	if strings.Contains(string(out), "skipped") {
		t.Error("a Python test skipped: Debian's python3-numpy is there, none should")
	}
}

// TestInstall installs the package as the README says, with pip from its
// pyproject.toml, into a virtual environment that sees Debian's
// websockets and numpy, and runs it from elsewhere: the entry point and
// the module.
func TestInstall(t *testing.T) {
	needPython(t, "websockets", "numpy", "setuptools", "venv", "pip") // setuptools before pip, or distutils complains
	// A copy, so that the build leaves nothing in the source tree.
	src := filepath.Join(t.TempDir(), "src")
	if out, err := exec.Command("cp", "-r", ".", src).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	venv := filepath.Join(t.TempDir(), "venv")
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), "PIP_NO_INDEX=1", "PIP_DISABLE_PIP_VERSION_CHECK=1", "PYTHONPATH=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(debianPython, "-m", "venv", "--system-site-packages", venv)
	// No index to fetch a build backend from: pip uses Debian's setuptools.
	run(filepath.Join(venv, "bin/pip"), "install", "--no-build-isolation", src)
	help := run(filepath.Join(venv, "bin/recorder-feed-vad"), "--help")
	if !strings.Contains(help, "--fingerprint") {
		t.Errorf("recorder-feed-vad --help:\n%s", help)
	}
	where := run(filepath.Join(venv, "bin/python"), "-c", "import recorder_feed, websockets; print(recorder_feed.__file__, websockets.__version__)")
	if !strings.Contains(where, venv) {
		t.Errorf("recorder_feed imported from %s, not the environment", where)
	}
}
