package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestSelfSignedCertificate(t *testing.T) {
	cfg, err := parseConfig([]string{"-data", t.TempDir(), "-tls"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	first, fp1, err := serverTLS(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, fp2, err := serverTLS(cfg)
	if err != nil || fp1 != fp2 {
		t.Fatalf("second start made another certificate (%s vs %s, %v): phones would have to accept it again", fp1, fp2, err)
	}
	cert, err := x509.ParseCertificate(first.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(cert.DNSNames, "localhost") || !slices.ContainsFunc(cert.IPAddresses, net.IP.IsLoopback) {
		t.Errorf("certificate names %v %v, want localhost and 127.0.0.1", cert.DNSNames, cert.IPAddresses)
	}
	if life := cert.NotAfter.Sub(cert.NotBefore); life > 398*24*time.Hour {
		t.Errorf("certificate lives %v: browsers refuse leaves over 398 days", life)
	}
}

// TestServeTLS runs the server with -tls and fetches the page over HTTPS,
// checking it is served with the certificate whose fingerprint it logged
// and with the security headers.
func TestServeTLS(t *testing.T) {
	data, addr := t.TempDir(), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-tls", "-addr", addr, "-data", data, "-log-level", "warn"}, func(string) string { return "" })
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	cfg, _ := parseConfig([]string{"-data", data, "-tls"}, func(string) string { return "" })
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
	_, want, err := serverTLS(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(res.TLS.PeerCertificates[0].Raw)
	if got := fingerprint(sum[:]); got != want || res.StatusCode != http.StatusOK {
		t.Errorf("served %d with certificate %s, want 200 with %s", res.StatusCode, got, want)
	}
	if res.Header.Get("Permissions-Policy") == "" || res.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("security headers missing: %v", res.Header)
	}
}
