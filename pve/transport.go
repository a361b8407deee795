package pve

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// errPinMismatch is what the TLS handshake fails with when the server's certificate is not the pinned one.
var errPinMismatch = errors.New("server certificate does not match the pinned fingerprint")

// maxConns bounds the connections to the cluster.
const maxConns = 32

// newTransport builds the one HTTP transport a client uses: TLS 1.2 or newer, verified by default, pinned when
// a fingerprint is set, keep-alive connections reused across requests.
func newTransport(cfg Config) (*http.Transport, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read the CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", quote(cfg.CAFile))
		}
		tc.RootCAs = pool
	}
	switch {
	case cfg.Fingerprint != nil:
		// Proxmox's own clients pin the leaf instead of checking CA and host name: a self-signed
		// pve-root-ca certificate is then as safe as a public one. With a CA file as well, both must hold.
		pin := bytes.Clone(cfg.Fingerprint)
		roots := tc.RootCAs
		tc.InsecureSkipVerify = true
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errPinMismatch
			}
			sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if subtle.ConstantTimeCompare(sum[:], pin) != 1 {
				return fmt.Errorf("%w: server presents %s", errPinMismatch, FormatFingerprint(sum[:]))
			}
			if roots != nil {
				return verifyChain(cs, roots)
			}
			return nil
		}
	case cfg.TLSInsecure:
		tc.InsecureSkipVerify = true
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		TLSClientConfig:     tc,
		TLSHandshakeTimeout: 10 * time.Second,
		// A burst of calls queues for a few connections instead of opening one each: every new connection
		// is a TLS handshake (costly for pveproxy, and for us), and pveproxy serves with a handful of workers.
		// All of them stay open for the next burst.
		MaxConnsPerHost:       maxConns,
		MaxIdleConns:          maxConns,
		MaxIdleConnsPerHost:   maxConns,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}, nil
}

// verifyChain checks the peer's chain against roots and the host name, as crypto/tls would have done had
// verification not been switched off to pin the leaf.
func verifyChain(cs tls.ConnectionState, roots *x509.CertPool) error {
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		DNSName:       cs.ServerName,
	})
	return err
}
