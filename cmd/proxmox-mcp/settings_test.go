package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
)

func TestSettings(t *testing.T) {
	type view struct {
		Demo, ReadOnly, Destructive bool
		Tools                       []string
		Wait                        time.Duration
		URL, TokenID                string
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want view
	}{
		{"defaults", nil, nil, view{Wait: 30 * time.Second}},
		{"env", nil, map[string]string{envReadOnly: "yes", envTools: "proxmox_status, proxmox_list_vms", "PROXMOX_URL": "https://a:8006"},
			view{ReadOnly: true, Tools: []string{"proxmox_status", "proxmox_list_vms"}, Wait: 30 * time.Second, URL: "https://a:8006"}},
		{"flags win", []string{"--read-only=false", "--url", "https://b:8006", "--token-id", "x@pve!y", "--wait", "45"},
			map[string]string{envReadOnly: "1", "PROXMOX_URL": "https://a:8006", "PROXMOX_TOKEN_ID": "a@pve!b"},
			view{Wait: 45 * time.Second, URL: "https://b:8006", TokenID: "x@pve!y"}},
		{"bare bool flag", []string{"--enable-destructive"}, nil, view{Destructive: true, Wait: 30 * time.Second}},
		{"demo enables destructive", []string{"--demo"}, nil, view{Demo: true, Destructive: true, Wait: 30 * time.Second}},
		{"demo, destructive turned off", []string{"--demo"}, map[string]string{envDestructive: "0"}, view{Demo: true, Wait: 30 * time.Second}},
		{"demo, destructive turned off by flag", []string{"--demo", "--enable-destructive=false"}, map[string]string{envDestructive: "1"},
			view{Demo: true, Wait: 30 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := resolveArgs(t, tc.args, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			got := view{s.demo, s.readOnly, s.destructive, s.tools, s.wait, s.pveEnv("PROXMOX_URL"), s.pveEnv("PROXMOX_TOKEN_ID")}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestSettingsContradictions(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"read-only and destructive", nil, map[string]string{envReadOnly: "1", envDestructive: "1"}, []string{"contradict"}},
		{"flag against env", []string{"--enable-destructive"}, map[string]string{envReadOnly: "true"}, []string{"contradict"}},
		{"not a boolean", nil, map[string]string{envDestructive: "sure"}, []string{envDestructive + `="sure" is not a boolean`}},
		{"bad wait and level", []string{"--wait", "soon", "--log-level", "loud"}, nil, []string{envWait, envLogLevel}},
		{"a misspelt tool", nil, map[string]string{envTools: "proxmox_status,proxmox_list_vm,list_containers,bogus_thing"}, []string{
			`PROXMOX_TOOLS names "proxmox_list_vm", which is not a tool (did you mean proxmox_list_vms?)`,
			`PROXMOX_TOOLS names "list_containers", which is not a tool (did you mean proxmox_list_containers?)`,
			`PROXMOX_TOOLS names "bogus_thing", which is not a tool`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := resolveArgs(t, tc.args, tc.env)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestConsentSettings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // Describe, or the error's text
	}{
		{"default", nil, "PROXMOX_CONSENT=destructive: a person approves every destructive and exec call through the MCP client; PROXMOX_CONSENT_FALLBACK=gate when the client cannot ask; questions wait 2m0s; a decline within 1s counts as not shown; approvals signed with a random key of this process (set PROXMOX_MCP_STATE_KEY to share approvals between replicas)"},
		{"all set", map[string]string{"PROXMOX_CONSENT": "Writes", "PROXMOX_CONSENT_FALLBACK": "refuse", "PROXMOX_CONSENT_TIMEOUT": "90",
			"PROXMOX_CONSENT_MIN_SECONDS": "0.5", "PROXMOX_MCP_STATE_KEY": strings.Repeat("k", 32)},
			"PROXMOX_CONSENT=writes: a person approves every write, destructive and exec call through the MCP client; PROXMOX_CONSENT_FALLBACK=refuse when the client cannot ask; questions wait 1m30s; a decline within 500ms counts as not shown; approvals signed with PROXMOX_MCP_STATE_KEY"},
		{"durations and zero", map[string]string{"PROXMOX_CONSENT_TIMEOUT": "2m", "PROXMOX_CONSENT_MIN_SECONDS": "0"},
			"PROXMOX_CONSENT=destructive: a person approves every destructive and exec call through the MCP client; PROXMOX_CONSENT_FALLBACK=gate when the client cannot ask; questions wait 2m0s; a decline within 0s counts as not shown; approvals signed with a random key of this process (set PROXMOX_MCP_STATE_KEY to share approvals between replicas)"},
		{"off", map[string]string{"PROXMOX_CONSENT": "off"}, "PROXMOX_CONSENT=off: nobody is asked; the three-tier gate alone decides"},
		{"bad values", map[string]string{"PROXMOX_CONSENT": "sometimes", "PROXMOX_CONSENT_FALLBACK": "allow", "PROXMOX_CONSENT_TIMEOUT": "forever",
			"PROXMOX_CONSENT_MIN_SECONDS": "-1", "PROXMOX_MCP_STATE_KEY": "short"},
			`PROXMOX_CONSENT_TIMEOUT="forever" is not a duration (120s) or seconds from 1s to 10m; PROXMOX_CONSENT_MIN_SECONDS="-1" is not a number of seconds from 0 to 60`},
		{"bad modes and key", map[string]string{"PROXMOX_CONSENT": "sometimes", "PROXMOX_CONSENT_FALLBACK": "allow", "PROXMOX_MCP_STATE_KEY": "short"},
			`PROXMOX_CONSENT="sometimes" is not destructive, writes or off; PROXMOX_CONSENT_FALLBACK="allow" is not gate or refuse; PROXMOX_MCP_STATE_KEY is shorter than 32 characters: use a long random key (e.g. openssl rand -hex 32)`},
		{"minimum above timeout", map[string]string{"PROXMOX_CONSENT_TIMEOUT": "5", "PROXMOX_CONSENT_MIN_SECONDS": "10"},
			"PROXMOX_CONSENT_MIN_SECONDS (10s) must be shorter than PROXMOX_CONSENT_TIMEOUT (5s)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var fv flagValues
			s, err := fv.resolve(func(k string) string { return tc.env[k] })
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = s.consent.Describe()
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestExecSettings: exec is off and allows nothing unless the operator says otherwise; the demo allows the
// simulated guests' programs; a list that does not parse, or exec on a read-only server, stops the server.
func TestExecSettings(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    gate.ExecRule
		wantErr string
	}{
		{"off by default", nil, nil, gate.ExecRule{}, ""},
		{"env", nil, map[string]string{envExec: "1", envExecAllow: "hostname, /usr/local/bin/*"}, gate.ExecRule{Enabled: true, Allow: []string{"hostname", "/usr/local/bin/*"}}, ""},
		{"flags win", []string{"--enable-exec", "--exec-allow", "uptime"}, map[string]string{envExec: "0", envExecAllow: "hostname"}, gate.ExecRule{Enabled: true, Allow: []string{"uptime"}}, ""},
		{"an allowlist alone enables nothing", nil, map[string]string{envExecAllow: "hostname"}, gate.ExecRule{Allow: []string{"hostname"}}, ""},
		{"demo", []string{"--demo"}, nil, gate.ExecRule{Enabled: true, Allow: []string{"hostname", "uname", "cat", "df"}}, ""},
		{"demo with a list", []string{"--demo"}, map[string]string{envExecAllow: "hostname"}, gate.ExecRule{Enabled: true, Allow: []string{"hostname"}}, ""},
		{"demo, exec turned off", []string{"--demo"}, map[string]string{envExec: "0"}, gate.ExecRule{Allow: []string{"hostname", "uname", "cat", "df"}}, ""},
		{"bad list", nil, map[string]string{envExec: "1", envExecAllow: "hostname,rm -rf"}, gate.ExecRule{}, envExecAllow + ": not a program name"},
		{"read-only", nil, map[string]string{envExec: "1", envReadOnly: "1"}, gate.ExecRule{}, "contradict"},
		{"not a boolean", nil, map[string]string{envExec: "maybe"}, gate.ExecRule{}, envExec + `="maybe" is not a boolean`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := resolveArgs(t, tc.args, tc.env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, s.exec); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// TestHTTPTokenLength: the HTTP bearer token is a secret the redactor masks in every mode, and a request that
// holds one is not sent, so a short one is refused whether or not --http serves: a one-letter token set for
// stdio masked that letter in all output and stopped every request as "holding a token secret".
func TestHTTPTokenLength(t *testing.T) {
	short := envHTTPToken + " is shorter than 16 characters: use a long random token (e.g. openssl rand -hex 32)"
	tests := []struct {
		name  string
		args  []string
		token string
		want  string
	}{
		{"stdio, one letter", nil, "e", short},
		{"demo call, 15 characters", []string{"--demo"}, "0123456789abcde", short},
		{"http, one letter", []string{"--http", "127.0.0.1:0"}, "e", short},
		{"16 characters", nil, "0123456789abcdef", ""},
		{"not set", nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if _, err := resolveArgs(t, tc.args, map[string]string{envHTTPToken: tc.token}); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// TestUsageSaysWhatConsentAsks: --help names the calls the default consent asks a person about, as the gate
// decides them (it said "each destructive call", and exec is asked about too).
func TestUsageSaysWhatConsentAsks(t *testing.T) {
	var fv flagValues
	s, err := fv.resolve(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	calls := strings.TrimSuffix(strings.TrimPrefix(s.consent.Asks(), "every "), " call") // "destructive and exec"
	for _, want := range []string{
		"Then a person approves each destructive call and each command run in a guest through the MCP client",
		"PROXMOX_CONSENT             destructive (default): ask about " + calls + " calls;",
	} {
		if !strings.Contains(usage, want) {
			t.Errorf("--help does not say %q", want)
		}
	}
	if calls != "destructive and exec" {
		t.Errorf("the default consent asks about %q: the --help sentence about each command run in a guest is to follow", calls)
	}
}

// resolveArgs is the settings of a command line and an environment, as main resolves them.
func resolveArgs(t testing.TB, args []string, env map[string]string) (*settings, error) {
	t.Helper()
	var fv flagValues
	fs := newFlagSet("t", &fv)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fv.resolve(func(k string) string { return env[k] })
}
