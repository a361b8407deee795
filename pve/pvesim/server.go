package pvesim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"
)

// Server is a Sim listening on loopback over TLS (HTTP/1.1 only, like pveproxy), for tests and demo mode.
type Server struct {
	*Sim
	// URL is https://127.0.0.1:PORT, without the /api2/json suffix.
	URL string
	// Fingerprint is the SHA-256 of the leaf certificate in upper-case colon hex, as the Proxmox GUI and
	// `pvenode cert info` show it; clients pin it instead of trusting a CA.
	Fingerprint string
	// CertPEM is the server's certificate in PEM, usable as a CA file.
	CertPEM []byte

	ts    *httptest.Server
	conns *atomic.Int64
}

// Serve starts a TLS server for s on a loopback port; Close stops it.
func Serve(s *Sim) *Server {
	ts := httptest.NewUnstartedServer(s)
	ts.EnableHTTP2 = false
	// handshakes a pinning client aborts on purpose are not worth a line on stderr
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	// set before StartTLS, which chains httptest's own hook after it
	conns := new(atomic.Int64)
	// Every server has a certificate of its own, as every Proxmox cluster has its own CA: a client pinned to
	// one fingerprint reaches no other simulated cluster.
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{newCertificate()}}
	ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			conns.Add(-1)
		}
	}
	ts.StartTLS()
	cert := ts.Certificate()
	sum := sha256.Sum256(cert.Raw)
	hexes := make([]string, len(sum))
	for i, b := range sum {
		hexes[i] = fmt.Sprintf("%02X", b)
	}
	return &Server{
		Sim:         s,
		URL:         ts.URL,
		Fingerprint: strings.Join(hexes, ":"),
		CertPEM:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		ts:          ts,
		conns:       conns,
	}
}

// newCertificate makes a self-signed certificate (a CA, so CertPEM serves as a CA file) for the names a loopback
// server answers to.
func newCertificate() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic("pvesim: certificate key: " + err.Error())
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic("pvesim: certificate serial: " + err.Error())
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "pvesim", Organization: []string{"PVE Cluster Node (simulated)"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost", "example.com"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic("pvesim: certificate: " + err.Error())
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// OpenConns is how many client connections the server holds open now, idle keep-alive ones included. A
// connection stops counting when it closes or when a handler hijacks it (every error answer and most faults
// do, and then close it themselves). Tests use it to prove a client does not leak connections.
func (s *Server) OpenConns() int { return int(s.conns.Load()) }

// Close shuts the listener down and closes its connections.
func (s *Server) Close() { s.ts.Close() }
