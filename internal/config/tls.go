package config

import (
	"errors"
	"flag"
)

// TLS is how HTTPS is served.
type TLS struct {
	On bool
	// CertFile and KeyFile are the user's certificate and key (PEM);
	// none: a self-signed pair made once in DATA/tls.
	CertFile, KeyFile string
}

func (t *TLS) declare(fs *flag.FlagSet, e *env) {
	fs.BoolVar(&t.On, "tls", e.bool("RECORDER_TLS", false), "serve HTTPS (phones need it for the microphone): with -cert/-key, or a self-signed certificate made on first run in DATA/tls (env RECORDER_TLS)")
	fs.StringVar(&t.CertFile, "cert", e.str("RECORDER_CERT", ""), "TLS certificate (PEM) for -tls (env RECORDER_CERT)")
	fs.StringVar(&t.KeyFile, "key", e.str("RECORDER_KEY", ""), "TLS private key (PEM) for -tls (env RECORDER_KEY)")
}

func (t *TLS) finish(*Config) error {
	if (t.CertFile == "") != (t.KeyFile == "") {
		return errors.New("-cert and -key go together")
	}
	if t.CertFile != "" {
		t.On = true
	}
	return nil
}
