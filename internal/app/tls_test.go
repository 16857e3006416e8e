package app

import (
	"context"
	"crypto/tls"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/tlscert"
)

// TestServeTLS runs the server with -tls and fetches the page over HTTPS,
// checking it is served with the certificate whose fingerprint it logged
// and with the security headers.
func TestServeTLS(t *testing.T) {
	data, addr := t.TempDir(), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"-tls", "-addr", addr, "-data", data, "-log-level", "warn"}, func(string) string { return "" })
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	var res *http.Response
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if res, err = client.Get("https://" + addr + "/"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("GET over HTTPS: %v", err)
	}
	defer res.Body.Close()
	_, want, err := tlscert.Config("", "", filepath.Join(data, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	if got := tlscert.Fingerprint(res.TLS.PeerCertificates[0].Raw); got != want || res.StatusCode != http.StatusOK {
		t.Errorf("served %d with certificate %s, want 200 with %s", res.StatusCode, got, want)
	}
	if res.Header.Get("Permissions-Policy") == "" || res.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("security headers missing: %v", res.Header)
	}
}
