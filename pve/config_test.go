package pve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseBaseURL(t *testing.T) {
	good := []struct{ in, want string }{
		{"https://pve.example.com:8006", "https://pve.example.com:8006/api2/json"},
		{"https://pve.example.com:8006/api2/json///", "https://pve.example.com:8006/api2/json"},
		{"https://pve.example.com:8006/", "https://pve.example.com:8006/api2/json"},
		{"pve.lan", "https://pve.lan:8006/api2/json"},
		{"https://proxy.example.com/pve/", "https://proxy.example.com/pve/api2/json"},
		{"http://127.0.0.1:8006", "http://127.0.0.1:8006/api2/json"},
		{"http://localhost:8006", "http://localhost:8006/api2/json"},
	}
	for _, tc := range good {
		u, err := ParseBaseURL(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, u.String()); diff != "" {
			t.Errorf("%s (-want +got)\n%s", tc.in, diff)
		}
	}
	bad := []struct{ in, want string }{
		{"http://pve.example.com:8006", "plain http"},
		{"ftp://pve", "scheme"},
		{"https://root:hunter2@pve:8006", "user:password"},
		{"https://pve:8006/?x=1", "query"},
		{"https://:8006", "no host"},
	}
	for _, tc := range bad {
		_, err := ParseBaseURL(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.in, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error echoes the password: %v", tc.in, err)
		}
	}
}

func TestFingerprint(t *testing.T) {
	const fp = "80:D4:F2:DF:64:95:CD:8D:A0:82:82:AC:48:BA:C0:7A:1B:6B:87:8B:FE:B9:83:1C:95:4E:79:58:77:99:69:F5"
	for _, in := range []string{fp, strings.ToLower(fp), strings.ReplaceAll(fp, ":", ""), " " + fp + " "} {
		b, err := ParseFingerprint(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := FormatFingerprint(b); got != fp {
			t.Errorf("%q: formatted back as %s", in, got)
		}
	}
	for _, in := range []string{"AA:BB", fp + ":00", "ZZ" + fp[2:], ""} {
		if _, err := ParseFingerprint(in); err == nil || !strings.Contains(err.Error(), "SHA-256") {
			t.Errorf("%q: error %v, want a SHA-256 complaint", in, err)
		}
	}
}

// TestNoApplicationConfiguration keeps the application's settings out of this package: the command reads the
// PROXMOX_* environment and hands over a Config, and advice that names a variable is the command's to give.
func TestNoApplicationConfiguration(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "PROXMOX_") || strings.Contains(line, "os.Getenv") || strings.Contains(line, "os.LookupEnv") {
				t.Errorf("%s:%d names the application's environment: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
	if checked < 5 {
		t.Fatalf("checked only %d source files: run from the package directory", checked)
	}
}
