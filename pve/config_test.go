package pve

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigFromEnv(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{EnvURL: "https://pve.example.com:8006", EnvTokenID: "root@pam!mcp", EnvTokenSecret: testSecret}
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
		{"with api path and slashes", with(EnvURL, "https://pve.example.com:8006/api2/json///"), want{URL: "https://pve.example.com:8006/api2/json", TokenID: "root@pam!mcp"}},
		{"trailing slash", with(EnvURL, "https://pve.example.com:8006/"), want{URL: "https://pve.example.com:8006/api2/json", TokenID: "root@pam!mcp"}},
		{"bare host gets https and 8006", with(EnvURL, "pve.lan"), want{URL: "https://pve.lan:8006/api2/json", TokenID: "root@pam!mcp"}},
		{"reverse proxy path", with(EnvURL, "https://proxy.example.com/pve/"), want{URL: "https://proxy.example.com/pve/api2/json", TokenID: "root@pam!mcp"}},
		{"http on loopback", with(EnvURL, "http://127.0.0.1:8006"), want{URL: "http://127.0.0.1:8006/api2/json", TokenID: "root@pam!mcp"}},
		{"insecure yes", with(EnvTLSInsecure, "YES"), want{URL: "https://pve.example.com:8006/api2/json", TokenID: "root@pam!mcp", Insecure: true}},
		{"insecure 0", with(EnvTLSInsecure, "0"), want{URL: "https://pve.example.com:8006/api2/json", TokenID: "root@pam!mcp"}},
		{"fingerprint lower case", with(EnvFingerprint, strings.ToLower(fp)), want{URL: "https://pve.example.com:8006/api2/json", TokenID: "root@pam!mcp", Fingerprint: fp}},
		{"timeout seconds", with(EnvTimeout, "45"), want{URL: "https://pve.example.com:8006/api2/json", TokenID: "root@pam!mcp", Timeout: 45 * time.Second}},
		{"timeout duration", with(EnvTimeout, "2m"), want{URL: "https://pve.example.com:8006/api2/json", TokenID: "root@pam!mcp", Timeout: 2 * time.Minute}},
		{"ca file", with(EnvCAFile, ca), want{URL: "https://pve.example.com:8006/api2/json", TokenID: "root@pam!mcp", CAFile: ca}},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(envOf(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			got := want{URL: cfg.BaseURL.String(), TokenID: cfg.TokenID, Insecure: cfg.TLSInsecure, Timeout: cfg.Timeout, CAFile: cfg.CAFile}
			if cfg.Fingerprint != nil {
				got.Fingerprint = FormatFingerprint(cfg.Fingerprint)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
			if cfg.Secret.Reveal() != testSecret {
				t.Error("secret not kept")
			}
		})
	}

	bad := []struct {
		name string
		env  map[string]string
		want []string // every problem must be named
	}{
		{"nothing set", map[string]string{}, []string{EnvURL + " is not set", EnvTokenID + " is not set", EnvTokenSecret + " is not set"}},
		{"http to remote", with(EnvURL, "http://pve.example.com:8006"), []string{"plain http"}},
		{"ftp", with(EnvURL, "ftp://pve"), []string{"scheme"}},
		{"userinfo", with(EnvURL, "https://root:hunter2@pve:8006"), []string{"user:password"}},
		{"token id with secret pasted", with(EnvTokenID, "root@pam!mcp="+testSecret), []string{"only user@realm!tokenid"}},
		{"token id malformed", with(EnvTokenID, "root@pam"), []string{"user@realm!tokenid"}},
		{"secret with space", with(EnvTokenSecret, " "+testSecret), []string{"whitespace"}},
		{"insecure garbage", with(EnvTLSInsecure, "maybe"), []string{"not a boolean"}},
		{"fingerprint short", with(EnvFingerprint, "AA:BB"), []string{"SHA-256"}},
		{"insecure and pin", with(EnvTLSInsecure, "1", EnvFingerprint, fp), []string{"contradicts"}},
		{"timeout", with(EnvTimeout, "soon"), []string{"not a duration"}},
		{"timeout negative", with(EnvTimeout, "-5s"), []string{"out of range"}},
		{"ca missing", with(EnvCAFile, "/nonexistent/ca.pem"), []string{EnvCAFile}},
		{"everything wrong at once", map[string]string{EnvURL: "ftp://x", EnvTokenID: "x", EnvTokenSecret: "a b", EnvTimeout: "x"},
			[]string{"scheme", EnvTokenID, "whitespace", EnvTimeout}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ConfigFromEnv(envOf(tc.env))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *ConfigError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error echoes a secret: %q", err)
			}
		})
	}
}
