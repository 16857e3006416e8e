package tlscert

import (
	"crypto/x509"
	"net"
	"slices"
	"testing"
	"time"
)

// TestSelfSigned: the certificate is made once and kept (phones accept
// it once), names this machine, and lives no longer than browsers allow.
func TestSelfSigned(t *testing.T) {
	dir := t.TempDir()
	first, fp1, err := Config("", "", dir)
	if err != nil {
		t.Fatal(err)
	}
	_, fp2, err := Config("", "", dir)
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
	if len(fp1) != 32*3-1 || fp1 != Fingerprint(cert.Raw) {
		t.Errorf("fingerprint %q", fp1)
	}
	if _, _, err := Config(dir+"/none.pem", dir+"/none.key", dir); err == nil {
		t.Error("a certificate file that is not there was accepted")
	}
}
