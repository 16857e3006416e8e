//go:build unix

package pgtest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Server is a running throwaway PostgreSQL cluster.
type Server struct {
	dir     string // temp dir: data/, the socket, the log
	bin     string // the directory of initdb and postgres
	port    int
	cred    *syscall.Credential // the user the server runs as; nil: ours
	cmd     *exec.Cmd
	exited  chan struct{}
	schemas atomic.Int64
}

// URL is the connection URL of database postgres as superuser postgres,
// with extra runtime parameters (such as search_path) appended.
func (s *Server) URL(params string) string {
	u := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	if params != "" {
		u += "&" + params
	}
	return u
}

// FreshURL returns the URL of an empty schema of its own for one test
// (its search_path): a schema, not a database, because it is made in a
// millisecond. Settings ("name=value") are set on every connection too.
// They go in the URL's options, which psql reads as pgx does.
func (s *Server) FreshURL(tb testing.TB, settings ...string) string {
	tb.Helper()
	name := s.NewName("t")
	admin, err := sql.Open("pgx", s.URL(""))
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + name); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	opts := "-c search_path=" + name
	for _, set := range settings {
		opts += " -c " + set
	}
	return s.URL("options=" + strings.ReplaceAll(url.QueryEscape(opts), "+", "%20"))
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

// Start makes a cluster in a new temp dir and starts it. When the tests
// are root, the temp dir is handed to the postgres user, who runs the
// server. Stop it with Stop.
func Start() (*Server, error) {
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
	s := &Server{dir: dir, bin: bin, cred: cred}
	if err := s.start(bin); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(bin string) error {
	data := filepath.Join(s.dir, "data")
	var out bytes.Buffer
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.Stdout, initdb.Stderr = &out, &out
	initdb.SysProcAttr = sysProcAttr(s.cred, syscall.SIGKILL)
	if err := initdb.Run(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out.Bytes())
	}

	port, err := freePort()
	if err != nil {
		return err
	}
	s.port = port
	return s.run()
}

// run starts postgres on the cluster made already, at s.port, and waits
// until it answers.
func (s *Server) run() error {
	data := filepath.Join(s.dir, "data")
	logPath := filepath.Join(s.dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	s.exited = make(chan struct{})
	s.cmd = exec.Command(filepath.Join(s.bin, "postgres"), "-D", data,
		"-p", strconv.Itoa(s.port),
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
	s.cmd.SysProcAttr = sysProcAttr(s.cred, syscall.SIGQUIT)
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := s.exited
	go func() { s.cmd.Wait(); close(exited) }()

	db, err := sql.Open("pgx", s.URL(""))
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

// Stop shuts the server down (fast shutdown: open sessions are ended) and
// removes its directory.
func (s *Server) Stop() {
	s.Down()
	os.RemoveAll(s.dir)
}

// Down shuts the server down as an administrator (or a crash of its
// machine) would take it away: fast shutdown, open sessions ended,
// connections refused until Up. Its data stays.
func (s *Server) Down() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// Up starts a server that is Down again, on the same port, with its data.
func (s *Server) Up() error {
	if s.cmd != nil {
		return errors.New("pgtest: Up of a running server")
	}
	return s.run()
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

// Owner returns the user and group the server runs as, who must own any
// directory it is to write (a tablespace's), and whether that is another
// user than the tests'.
func (s *Server) Owner() (uid, gid int, other bool) {
	if s.cred == nil {
		return os.Getuid(), os.Getgid(), false
	}
	return int(s.cred.Uid), int(s.cred.Gid), true
}

// NewName returns a name no other call on s returned, for a schema or a
// tablespace: prefix and a number.
func (s *Server) NewName(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, s.schemas.Add(1))
}
