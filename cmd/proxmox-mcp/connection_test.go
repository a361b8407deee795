package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

const connSecret = "6d2a1b3c-9e8f-4a7b-b5c4-0d1e2f3a4b5c"

// selfSignedPEM writes a throwaway self-signed certificate as a PEM file.
func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<33, 0), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConnectionFromEnv(t *testing.T) {
	ca := selfSignedPEM(t)
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{envURL: "https://pve.example.com:8006", envTokenID: "root@pam!mcp", envTokenSecret: connSecret}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	type want struct {
		URL, TokenID string
		Insecure     bool
		Fingerprint  string
		Timeout      time.Duration
		CAFile       string
	}
	fp := "80:D4:F2:DF:64:95:CD:8D:A0:82:82:AC:48:BA:C0:7A:1B:6B:87:8B:FE:B9:83:1C:95:4E:79:58:77:99:69:F5"
	good := []struct {
		name string
		env  map[string]string
		want want
	}{
		{"plain", base, want{URL: "https://pve.example.com:8006/api2/json", TokenID: "root@pam!mcp"}},
		{"with api path and slashes", with(envURL, "https://pve.example.com:8006/api2/json///"), want{URL: "https://pve.example.com:8006/api2/json", TokenID: "root@pam!mcp"}},
		{"bare host gets https and 8006", with(envURL, "pve.lan"), want{URL: "https://pve.lan:8006/api2/json", TokenID: "root@pam!mcp"}},
		{"http on loopback", with(envURL, "http://127.0.0.1:8006"), want{URL: "http://127.0.0.1:8006/api2/json", TokenID: "root@pam!mcp"}},
		{"insecure yes", with(envTLSInsecure, "YES"), want{URL: "https://pve.example.com:8006/api2/json", TokenID: "root@pam!mcp", Insecure: true}},
		{"insecure 0", with(envTLSInsecure, "0"), want{URL: "https://pve.example.com:8006/api2/json", TokenID: "root@pam!mcp"}},
		{"fingerprint lower case", with(envFingerprint, strings.ToLower(fp)), want{URL: "https://pve.example.com:8006/api2/json", TokenID: "root@pam!mcp", Fingerprint: fp}},
		{"timeout seconds", with(envTimeout, "45"), want{URL: "https://pve.example.com:8006/api2/json", TokenID: "root@pam!mcp", Timeout: 45 * time.Second}},
		{"timeout duration", with(envTimeout, "2m"), want{URL: "https://pve.example.com:8006/api2/json", TokenID: "root@pam!mcp", Timeout: 2 * time.Minute}},
		{"ca file", with(envCAFile, ca), want{URL: "https://pve.example.com:8006/api2/json", TokenID: "root@pam!mcp", CAFile: ca}},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := connectionFromEnv(func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			got := want{URL: cfg.BaseURL.String(), TokenID: cfg.TokenID, Insecure: cfg.TLSInsecure, Timeout: cfg.Timeout, CAFile: cfg.CAFile}
			if cfg.Fingerprint != nil {
				got.Fingerprint = pve.FormatFingerprint(cfg.Fingerprint)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
			if cfg.Secret.Reveal() != connSecret {
				t.Error("secret not kept")
			}
		})
	}

	bad := []struct {
		name string
		env  map[string]string
		want []string // every problem must be named, with its variable
	}{
		{"nothing set", map[string]string{}, []string{envURL + " is not set", envTokenID + " is not set", envTokenSecret + " is not set"}},
		{"http to remote", with(envURL, "http://pve.example.com:8006"), []string{envURL + ": ", "plain http"}},
		{"ftp", with(envURL, "ftp://pve"), []string{"scheme"}},
		{"userinfo", with(envURL, "https://root:hunter2@pve:8006"), []string{"user:password", "put the token in " + envTokenID + " and " + envTokenSecret}},
		{"token id with secret pasted", with(envTokenID, "root@pam!mcp="+connSecret), []string{"only user@realm!tokenid"}},
		{"token id malformed", with(envTokenID, "root@pam"), []string{"user@realm!tokenid"}},
		{"the secret as the token id", with(envTokenID, connSecret), []string{envTokenID + " (36 characters, not shown: shaped like a token secret) is not of the form user@realm!tokenid"}},
		{"the secret as the fingerprint", with(envFingerprint, connSecret), []string{envFingerprint + ": the value (36 characters, not shown"}},
		{"secret with space", with(envTokenSecret, " "+connSecret), []string{"whitespace"}},
		{"a one-letter secret", with(envTokenSecret, "x"), []string{envTokenSecret + " is not shaped like a Proxmox API token secret", "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", "this one is 1 character (not shown)"}},
		{"a password", with(envTokenSecret, "hunter2"), []string{"is not shaped like a Proxmox API token secret", "7 characters"}},
		{"an upper-case secret", with(envTokenSecret, strings.ToUpper(connSecret)), []string{"lower-case hexadecimal", "36 characters"}},
		{"a secret with a part missing", with(envTokenSecret, connSecret[:23]+connSecret[24:]), []string{"8-4-4-4-12"}},
		{"insecure garbage", with(envTLSInsecure, "maybe"), []string{"not a boolean"}},
		{"fingerprint short", with(envFingerprint, "AA:BB"), []string{envFingerprint, "SHA-256"}},
		{"insecure and pin", with(envTLSInsecure, "1", envFingerprint, fp), []string{"contradicts"}},
		{"timeout", with(envTimeout, "soon"), []string{"not a duration"}},
		{"timeout negative", with(envTimeout, "-5s"), []string{"out of range"}},
		{"ca missing", with(envCAFile, "/nonexistent/ca.pem"), []string{envCAFile}},
		{"ca not PEM", with(envCAFile, notPEM), []string{envCAFile + ": ", "holds no PEM certificate"}},
		{"everything wrong at once", map[string]string{envURL: "ftp://x", envTokenID: "x", envTokenSecret: "a b", envTimeout: "x"},
			[]string{"scheme", envTokenID, "whitespace", envTimeout}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := connectionFromEnv(func(k string) string { return tc.env[k] })
			var ce *pve.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *pve.ConfigError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(strings.ToLower(err.Error()), connSecret[:8]) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error echoes a secret: %q", err)
			}
		})
	}
}

// TestSecretShapeRefusedEverywhere: a secret that is not shaped like Proxmox's is refused when the settings are
// read, by serve, call and doctor, from the environment and from a targets file, before anything is sent and
// before the redactor would mask it all over the output (a one-letter secret masked every "x").
func TestSecretShapeRefusedEverywhere(t *testing.T) {
	file := writeFile(t, t.TempDir(), "targets.toml", "[[target]]\nname = \"lab\"\nurl = \"https://pve.example.com:8006\"\n"+
		"token_id = \"mcp@pve!mcp\"\ntoken_secret_env = \"LAB_SECRET\"\n", 0o600)
	fromEnv := map[string]string{envURL: "https://pve.example.com:8006", envTokenID: "mcp@pve!mcp", envTokenSecret: "x"}
	fromFile := map[string]string{envTargets: file, "LAB_SECRET": "x"}
	for _, cmd := range [][]string{nil, {"call", "proxmox_list_vms"}, {"doctor"}} {
		for name, env := range map[string]map[string]string{"environment": fromEnv, "targets file": fromFile} {
			label := "serve"
			if cmd != nil {
				label = strings.Join(cmd, " ")
			}
			t.Run(label+" from the "+name, func(t *testing.T) {
				var out, errb bytes.Buffer
				code := run(context.Background(), cmd, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
				all := out.String() + errb.String()
				if code == 0 || !strings.Contains(all, "is not shaped like a Proxmox API token secret") || !strings.Contains(all, "1 character (not shown)") {
					t.Errorf("exit %d:\n%s", code, all)
				}
				if strings.Contains(all, redact.Mask) || strings.Contains(all, "lookup") {
					t.Errorf("the secret was taken and masked, or a request was tried:\n%s", all)
				}
			})
		}
	}
}
