// Package s3test starts a real S3-compatible server for tests: the Versity
// S3 Gateway (versitygw) serving a temporary directory on a free loopback
// port. Install it with
//
//	go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
//
// Without it the tests that need it skip, unless RECORDER_REQUIRE_S3=1
// (set by CI) makes its absence a failure. RECORDER_VERSITYGW may name the
// binary; otherwise it is looked for on PATH, then in GOBIN and GOPATH/bin.
package s3test

import (
	"bytes"
	"context"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/avatarweb/recorder/internal/s3store"
)

const (
	accessKey = "recorder-test"
	secretKey = "recorder-test-secret" // a throwaway server's, never a real one
)

// Server is a running versitygw.
type Server struct {
	Endpoint string // http://127.0.0.1:PORT
	Dir      string // the directory it serves: one subdirectory per bucket
	client   *minio.Client
	buckets  atomic.Int64

	bin, addr string
	stop      func() // kills the process; nil while stopped
}

// Binary returns the versitygw binary's path, or "".
func Binary() string {
	if p := os.Getenv("RECORDER_VERSITYGW"); p != "" {
		return p
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	for _, dir := range []string{os.Getenv("GOBIN"), filepath.Join(build.Default.GOPATH, "bin")} {
		if dir == "" {
			continue
		}
		if p := filepath.Join(dir, "versitygw"); isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// Start starts versitygw for the test and stops it when the test ends. It
// skips the test when versitygw is not installed, or fails it when
// RECORDER_REQUIRE_S3=1.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		msg := "versitygw not installed: `go install github.com/versity/versitygw/cmd/versitygw@v1.8.0` to run the S3 tests"
		if os.Getenv("RECORDER_REQUIRE_S3") == "1" {
			t.Fatal(msg + " (RECORDER_REQUIRE_S3=1)")
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	var lastErr error
	for range 3 { // the free port may be taken before versitygw binds it
		srv, err := start(t, bin, dir)
		if err == nil {
			return srv
		}
		lastErr = err
	}
	t.Fatalf("starting versitygw: %v", lastErr)
	return nil
}

func start(t testing.TB, bin, dir string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := &Server{Endpoint: "http://" + addr, Dir: dir, bin: bin, addr: addr}
	if err := srv.run(); err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		if srv.stop != nil {
			srv.stop()
		}
	})
	// No kept-alive connections: minio-go sends the empty body of
	// MakeBucket in a way versitygw answers twice.
	srv.client, err = minio.New(addr, &minio.Options{
		Transport: &http.Transport{DisableKeepAlives: true},
		Creds:     credentials.NewStaticV4(accessKey, secretKey, ""), Region: "us-east-1", BucketLookup: minio.BucketLookupPath,
	})
	return srv, err
}

// run starts versitygw on s.addr and waits until it listens.
func (s *Server) run() error {
	var out bytes.Buffer
	cmd := exec.Command(s.bin, "--access", accessKey, "--secret", secretKey, "--port", s.addr,
		"--keep-alive", "--quiet", "posix", s.Dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("versitygw exited: %v: %s", err, out.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			stop()
			return fmt.Errorf("versitygw did not listen on %s: %s", s.addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.stop = stop
	return nil
}

// Stop kills the server, as an outage would: connections to it are
// refused until Restart.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if s.stop == nil {
		t.Fatal("s3test: Stop of a stopped server")
	}
	s.stop()
	s.stop = nil
}

// Restart starts a stopped server again, on the same port and directory:
// its buckets and objects are as they were.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	var err error
	for range 3 { // the port may have been taken meanwhile, for a moment
		if err = s.run(); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("s3test: restart: %v", err)
}

// Config returns the configuration of a new empty bucket, under prefix.
func (s *Server) Config(t testing.TB, prefix string) s3store.Config {
	t.Helper()
	bucket := fmt.Sprintf("test-%d", s.buckets.Add(1))
	if err := s.client.MakeBucket(context.Background(), bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
	return s3store.Config{
		Bucket: bucket, Prefix: prefix, Endpoint: s.Endpoint, Region: "us-east-1", PathStyle: true,
		AccessKey: accessKey, SecretKey: secretKey,
	}
}

// NewStore returns a store on a new empty bucket, under the prefix
// "recordings/", with the clock now.
func (s *Server) NewStore(t testing.TB, now func() time.Time) *s3store.Store {
	t.Helper()
	st, err := s3store.New(s.Config(t, "recordings/"))
	if err != nil {
		t.Fatal(err)
	}
	st.Now = now
	return st
}

// Keys lists every key in a bucket, for tests that check nothing is left
// behind; and the multipart uploads still open.
func (s *Server) Keys(t testing.TB, bucket string) (keys, uploads []string) {
	t.Helper()
	ctx := context.Background()
	for o := range s.client.ListObjectsIter(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, o.Key)
	}
	for u := range s.client.ListIncompleteUploads(ctx, bucket, "", true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		uploads = append(uploads, u.Key)
	}
	return keys, uploads
}

// Put writes an object as is, for tests that plant a damaged recording.
func (s *Server) Put(t testing.TB, bucket, key string, body []byte) {
	t.Helper()
	if _, err := s.client.PutObject(context.Background(), bucket, key, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
}
