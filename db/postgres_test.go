//go:build linux

package db

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The PostgreSQL half of the suite runs against a real server: a
// throwaway cluster made with initdb in a temp directory and served by
// postgres on a free loopback port, started once per test binary (by the
// first test that needs it) and stopped by TestMain. Without the server's
// binaries those tests are skipped, unless RECORDER_REQUIRE_POSTGRES=1
// (CI), when they fail.

// testPG is the server the PostgreSQL tests share.
var testPG struct {
	once sync.Once
	srv  *pgServer
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testPG.srv != nil {
		testPG.srv.stop()
	}
	os.Exit(code)
}

// postgresServer returns the shared server, starting it the first time;
// it skips tb (or fails it, under RECORDER_REQUIRE_POSTGRES=1) when there
// is none to be had.
func postgresServer(tb testing.TB) *pgServer {
	tb.Helper()
	testPG.once.Do(func() { testPG.srv, testPG.err = startPostgres() })
	if testPG.err != nil {
		if os.Getenv(requirePostgresEnv) == "1" {
			tb.Fatalf("PostgreSQL tests: %v (%s=1 makes this a failure)", testPG.err, requirePostgresEnv)
		}
		tb.Skipf("PostgreSQL tests skipped: %v (install Debian's postgresql package to run them)", testPG.err)
	}
	return testPG.srv
}

// pgServer is a running throwaway PostgreSQL cluster.
type pgServer struct {
	dir     string // temp dir: data/, the socket, the log
	port    int
	cred    *syscall.Credential // the user the server runs as; nil: ours
	cmd     *exec.Cmd
	exited  chan struct{}
	schemas atomic.Int64
}

// url is the connection URL of database postgres as superuser postgres,
// with extra runtime parameters (such as search_path) appended.
func (s *pgServer) url(params string) string {
	u := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	if params != "" {
		u += "&" + params
	}
	return u
}

// freshSource returns the URL of an empty schema of its own for one test:
// a schema, not a database, because it is made in a millisecond.
func (s *pgServer) freshSource(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("t%d", s.schemas.Add(1))
	admin, err := sql.Open("pgx", s.url(""))
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + name); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	return s.url("search_path=" + name)
}

// pgBinDir finds the newest installed PostgreSQL's bin directory (Debian
// keeps initdb and postgres off the PATH, in /usr/lib/postgresql/N/bin).
func pgBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no initdb and postgres in /usr/lib/postgresql/*/bin or on the PATH")
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// startPostgres makes a cluster in a new temp dir and starts it. PostgreSQL
// refuses to run as root, so when the tests are root (as in CI) the server
// runs as the postgres system user the Debian package creates, and the temp
// dir is handed to it.
func startPostgres() (*pgServer, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	dir, err := os.MkdirTemp("", "recorder-pg-")
	if err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	s := &pgServer{dir: dir, cred: cred, exited: make(chan struct{})}
	if err := s.start(bin); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *pgServer) start(bin string) error {
	data := filepath.Join(s.dir, "data")
	var out bytes.Buffer
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.Stdout, initdb.Stderr = &out, &out
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGKILL}
	if err := initdb.Run(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out.Bytes())
	}

	port, err := freePort()
	if err != nil {
		return err
	}
	s.port = port
	logPath := filepath.Join(s.dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+s.dir,
		"-c", "max_connections=200",
		"-c", "shared_buffers=32MB",
		// A throwaway cluster: durability buys nothing here.
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
	)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	// SIGQUIT (immediate shutdown) if the test binary dies first, so no
	// server outlives it.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGQUIT}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()

	db, err := sql.Open("pgx", s.url(""))
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres exited at start: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres not ready after 60s: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop shuts the server down (fast shutdown: open sessions are ended) and
// removes its directory.
func (s *pgServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
	}
	os.RemoveAll(s.dir)
}

// freePort returns a loopback TCP port nobody listens on just now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
