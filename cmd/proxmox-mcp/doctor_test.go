package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// fakeAPI answers /version and /access/permissions with the given data: a Proxmox whose text is hostile.
func fakeAPI(version, permissions string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api2/json/version":
			io.WriteString(w, `{"data":{"version":`+version+`,"release":"9.1","repoid":"x"}}`)
		case "/api2/json/access/permissions":
			io.WriteString(w, `{"data":`+permissions+`}`)
		default:
			http.NotFound(w, r)
		}
	})
}

// silentListener accepts connections and never writes to them: a port that hangs every handshake.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// silentHTTPS completes TLS handshakes and then never answers a request.
func silentHTTPS(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

func fingerprintOf(srv *httptest.Server) string {
	sum := sha256.Sum256(srv.Certificate().Raw)
	return pve.FormatFingerprint(sum[:])
}

func TestDoctor(t *testing.T) {
	full := pvesim.Serve(pvesim.New(pvesim.Default()))
	defer full.Close()
	readOnly := pvesim.Serve(pvesim.New(pvesim.Default(), pvesim.WithToken("auditor@pve!ro", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "VM.Audit", "VM.GuestAgent.Audit", "Sys.Audit", "Datastore.Audit")))
	defer readOnly.Close()
	partial := pvesim.Serve(pvesim.New(pvesim.Default(), pvesim.WithToken("auditor@pve!ro", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "VM.Audit")))
	defer partial.Close()

	const hostileSecret = "7e57ab1e-5ec2-4e7a-9bad-c0ffee000001"
	hostile := httptest.NewUnstartedServer(fakeAPI(`"9.1.3\u001b]0;pwned\u0007 \u001b[31mred\u202e `+hostileSecret+`"`,
		`{"/":{"VM.Audit":1,"VM.GuestAgent.Audit":1,"Sys.Audit":1,"Datastore.Audit":1,"Evil\u001b[2J.Priv\u200b":1,"`+hostileSecret+`":1}}`))
	hostile.Config.ErrorLog = log.New(io.Discard, "", 0)
	hostile.StartTLS()
	defer hostile.Close()
	plainAPI := httptest.NewServer(fakeAPI(`"9.1.3"`, `{"/":{"VM.Audit":1,"VM.GuestAgent.Audit":1,"Sys.Audit":1,"Datastore.Audit":1}}`))
	defer plainAPI.Close()
	hung := silentListener(t)
	slow := silentHTTPS(t)
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}()

	env := func(url, fp string, kv ...string) map[string]string {
		// The typed tools' toolsets, the guest tools' included: what doctor counts and the role it prints.
		m := map[string]string{
			"PROXMOX_URL": url, "PROXMOX_TOKEN_ID": pvesim.DefaultTokenID, "PROXMOX_TOKEN_SECRET": pvesim.DefaultTokenSecret,
			"PROXMOX_TLS_FINGERPRINT": fp, "PROXMOX_TOOLSETS": "core,lifecycle,guest",
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	sim := func(s *pvesim.Server, kv ...string) map[string]string { return env(s.URL, s.Fingerprint, kv...) }
	auditor := []string{"PROXMOX_TOKEN_ID", "auditor@pve!ro", "PROXMOX_TOKEN_SECRET", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		code    int
		want    []string
		notWant []string
	}{
		{"healthy, more privileges than needed", nil, sim(full), 0, []string{
			"OK    token accepted; Proxmox VE 9.1", "OK    TLS: pinned fingerprint matches", "holds every privilege",
			"WARN  privileges: the token holds", "pveum role add MCPOperator", "pveum user token add",
			"`pveum user token add` prints the token's secret, once: put it in PROXMOX_TOKEN_SECRET.\nNarrow / to /vms/ID or /pool/NAME to limit the token to some guests.\n"},
			[]string{"The last two print the secret"}},
		{"the generic API tools, and an operator-only operation allowed", nil, sim(full, "PROXMOX_TOOLSETS", "all", "PROXMOX_API_ALLOW", "PUT /access/acl"), 0, []string{
			"OK    api: each proxmox_api_get or proxmox_api_call needs its operation's own privilege (proxmox_api_describe names it), which the role below does not grant\n",
			"      PROXMOX_API_ALLOW allows PUT /access/acl, which needs Permissions.Modify on {path}\n"}, nil},
		{"no generic API tools, nothing said of them", nil, sim(full), 0, nil, []string{"api: "}},
		{"unpinned self-signed certificate", nil, sim(full, "PROXMOX_TLS_FINGERPRINT", ""), 1, []string{
			"FAIL  TLS: the certificate is not trusted", "PROXMOX_TLS_FINGERPRINT=" + full.Fingerprint}, nil},
		{"wrong pin", nil, sim(full, "PROXMOX_TLS_FINGERPRINT", strings.Repeat("AA:", 31)+"AA"), 1, []string{
			"does not match the certificate", full.Fingerprint}, nil},
		{"insecure", nil, sim(full, "PROXMOX_TLS_FINGERPRINT", "", "PROXMOX_TLS_INSECURE", "1"), 0, []string{"WARN  TLS: verification is OFF"}, nil},
		{"bad secret", nil, sim(full, "PROXMOX_TOKEN_SECRET", "00000000-0000-4000-8000-000000000000"), 1, []string{"FAIL  token: Proxmox rejected root@pam!mcp"}, nil},
		{"read-only token, write tier: a warning for the writes", nil, sim(readOnly, auditor...), 0, []string{
			"WARN  privileges: 12 write tools will fail with 403 (the others work)",
			"VM.PowerMgmt  needed by proxmox_start_resource, proxmox_stop_resource, proxmox_reboot_resource",
			"VM.Allocate  needed by proxmox_create_container, proxmox_create_vm, proxmox_clone_resource",
			"or leave write tools out with --read-only", "pveum acl modify / -token 'auditor@pve!ro' -role MCPOperator"},
			[]string{"FAIL"}},
		{"reads missing fail", nil, sim(partial, auditor...), 1, []string{
			"FAIL  privileges: 8 read tools will fail with 403",
			"Sys.Audit  needed by proxmox_status, proxmox_recent_tasks, proxmox_get_task_status, proxmox_get_task_log, proxmox_resource_usage",
			"Datastore.Audit  needed by proxmox_list_backups, proxmox_list_templates"}, nil},
		{"read-only token, read tier", []string{"--read-only"}, sim(readOnly, auditor...), 0, []string{
			"holds every privilege", `pveum role add MCPReadOnly -privs "Datastore.Audit,Sys.Audit,VM.Audit,VM.GuestAgent.Audit"`},
			[]string{"WARN  privileges", "--read-only ("}},
		{"nothing set", nil, map[string]string{}, 1, []string{"FAIL  configuration: PROXMOX_URL is not set", "FAIL  configuration: PROXMOX_TOKEN_SECRET is not set"}, nil},
		{"demo", []string{"--demo"}, nil, 0, []string{"demo mode", "token accepted", "WARN  privileges: the token holds", "Pool.Audit,",
			"OK    consent: PROXMOX_CONSENT=destructive: a person approves every destructive and exec call through the MCP client; PROXMOX_CONSENT_FALLBACK=gate"}, nil},
		{"consent off with destructive tools", []string{"--demo"}, map[string]string{"PROXMOX_CONSENT": "off"}, 0, []string{
			"WARN  consent: PROXMOX_CONSENT=off: nobody is asked", "PROXMOX_CONSENT=destructive asks a person through the client"}, nil},
		{"consent writes, refuse", []string{"--demo"}, map[string]string{"PROXMOX_CONSENT": "writes", "PROXMOX_CONSENT_FALLBACK": "refuse"}, 0, []string{
			"OK    consent: PROXMOX_CONSENT=writes: a person approves every write, destructive and exec call", "PROXMOX_CONSENT_FALLBACK=refuse when the client cannot ask"}, nil},
		{"connection refused", nil, env("https://"+closed, full.Fingerprint), 1, []string{
			"FAIL  nothing listens at " + closed + ": connection refused", "pveproxy listens on 8006"}, []string{"handshake"}},
		{"TLS handshake hangs, within PROXMOX_TIMEOUT", nil, env("https://"+hung, full.Fingerprint, "PROXMOX_TIMEOUT", "1s"), 1, []string{
			"FAIL  " + hung + " accepted the connection, but the TLS handshake did not finish within 1s", "PROXMOX_TIMEOUT sets how long"}, []string{"refused"}},
		{"API hangs, within PROXMOX_TIMEOUT", nil, env(slow.URL, fingerprintOf(slow), "PROXMOX_TIMEOUT", "1s"), 1, []string{
			"OK    TLS: pinned fingerprint matches", "FAIL  Proxmox API: no answer to GET /version within 1s"}, nil},
		{"https to a plain HTTP port", nil, env(strings.Replace(plainAPI.URL, "http://", "https://", 1), full.Fingerprint), 1, []string{
			"speaks plain HTTP, not TLS", "PROXMOX_URL=http://" + strings.TrimPrefix(plainAPI.URL, "http://")}, nil},
		{"http to a TLS port", nil, env(strings.Replace(full.URL, "https://", "http://", 1), ""), 1, []string{
			"speaks TLS, but PROXMOX_URL says http://", "use PROXMOX_URL=https://" + strings.TrimPrefix(full.URL, "https://")}, nil},
		{"http to a plain HTTP API on loopback", []string{"--read-only"}, env(plainAPI.URL, ""), 0, []string{
			"WARN  plain http to", "OK    token accepted; Proxmox VE 9.1.3"}, nil},
		{"hostile text from the cluster", []string{"--read-only"}, env(hostile.URL, fingerprintOf(hostile), "PROXMOX_TOKEN_SECRET", hostileSecret), 0, []string{
			"OK    token accepted; Proxmox VE 9.1.3 red", "Evil.Priv"}, []string{hostileSecret}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if slices.Contains(tc.args, "--read-only") && tc.env["PROXMOX_TOOLSETS"] != "" {
				tc.env["PROXMOX_TOOLSETS"] = "core,guest" // lifecycle holds only writes, which read-only leaves out
			}
			code := run(context.Background(), append(tc.args, "doctor"), strings.NewReader(""), &out, &errb, func(k string) string { return tc.env[k] })
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("doctor does not say %q:\n%s%s", w, out.String(), errb.String())
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out.String(), w) {
					t.Errorf("doctor says %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String()+errb.String(), pvesim.DefaultTokenSecret) {
				t.Error("doctor printed the secret")
			}
			if r, bad := terminalActive(out.String()); bad {
				t.Errorf("doctor printed %U to the terminal:\n%q", r, out.String())
			}
			// What the role grants is never called surplus (the demo token holds every privilege).
			surplus, role := map[string]bool{}, ""
			for _, l := range strings.Split(out.String(), "\n") {
				if _, list, ok := strings.Cut(l, "more than the enabled tiers need: "); ok {
					for _, p := range strings.Split(list, ", ") {
						surplus[p] = true
					}
				}
				if _, r, ok := strings.Cut(l, " -privs "); ok {
					role = strings.Trim(r, `"`)
				}
			}
			for _, p := range strings.Split(role, ",") {
				if surplus[p] {
					t.Errorf("the role grants %s and doctor calls it surplus", p)
				}
			}
			// Each piece of advice once: no line twice, and each missing privilege on one line.
			seen, lacks := map[string]bool{}, map[string]bool{}
			for _, l := range strings.Split(out.String(), "\n") {
				if l != "" && seen[l] {
					t.Errorf("line printed twice: %q", l)
				}
				seen[l] = true
				if p, _, ok := strings.Cut(strings.TrimSpace(l), "  needed by "); ok {
					if lacks[p] {
						t.Errorf("%s is named as missing twice", p)
					}
					lacks[p] = true
				}
			}
		})
	}
}

// TestDoctorRoleAgreesWithSurplus checks, for every tier, that no privilege the printed role grants is called
// surplus when the token holds exactly the role.
func TestDoctorRoleAgreesWithSurplus(t *testing.T) {
	for _, args := range [][]string{nil, {"--read-only"}, {"--enable-destructive"}} {
		s, err := resolveArgs(t, args, nil)
		if err != nil {
			t.Fatal(err)
		}
		env := target{name: "default", destructive: true}
		plan, err := planRole(s, env)
		if err != nil {
			t.Fatal(err)
		}
		perms := pve.Permissions{"/": {}}
		for _, p := range plan.role {
			perms["/"][p] = 1
		}
		var out bytes.Buffer
		d := &doctor{w: &out, r: redact.New(), seen: map[string]bool{}, name: func(v string) string { return v }}
		d.checkPrivileges(s, env, perms)
		if d.failed || strings.Contains(out.String(), "WARN") || !strings.Contains(out.String(), "holds every privilege") {
			t.Errorf("%v: a token holding exactly the role %v:\n%s", args, plan.role, out.String())
		}
	}
}

// TestDoctorExec: with exec on, doctor says what it may run (and warns when that is anything), and the role
// it prints grants what the guest tools need: the agent's privileges, cloud-init, disks and migration.
func TestDoctorExec(t *testing.T) {
	full := pvesim.Serve(pvesim.New(pvesim.Default()))
	defer full.Close()
	env := map[string]string{"PROXMOX_URL": full.URL, "PROXMOX_TOKEN_ID": pvesim.DefaultTokenID, "PROXMOX_TOKEN_SECRET": pvesim.DefaultTokenSecret,
		"PROXMOX_TLS_FINGERPRINT": full.Fingerprint, "PROXMOX_TOOLSETS": "core,lifecycle,guest"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
		not  []string
	}{
		{"exec off", nil, []string{"VM.GuestAgent.Audit", "VM.Config.Cloudinit", "VM.Config.Disk", "VM.Migrate"}, []string{"exec:"}},
		{"exec on", map[string]string{envExec: "1", envExecAllow: "hostname,uptime"}, []string{"OK    exec: proxmox_guest_exec may run hostname, uptime",
			"pveum role add MCPAdmin", "VM.GuestAgent.Unrestricted"}, nil},
		{"exec of a shell", map[string]string{envExec: "1", envExecAllow: "/bin/sh"}, []string{"WARN  exec: PROXMOX_EXEC_ALLOW allows /bin/sh, which can run any command"}, nil},
		{"exec of programs that run others", map[string]string{envExec: "1", envExecAllow: "hostname,ip,/usr/bin/find,python3.11,df"},
			[]string{"WARN  exec: PROXMOX_EXEC_ALLOW allows ip, /usr/bin/find, python3.11, which can run any command in the guest: allow only programs that run no other"}, nil},
		{"exec with nothing allowed", map[string]string{envExec: "1"}, []string{"WARN  exec: PROXMOX_ENABLE_EXEC=1 but PROXMOX_EXEC_ALLOW allows no program"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			run(context.Background(), []string{"doctor"}, strings.NewReader(""), &out, &errb, func(k string) string {
				if v, ok := tc.env[k]; ok {
					return v
				}
				return env[k]
			})
			role := ""
			for _, l := range strings.Split(out.String(), "\n") {
				if strings.Contains(l, "pveum role add") {
					role = l
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("doctor does not say %q:\n%s%s", w, out.String(), errb.String())
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out.String(), w) {
					t.Errorf("doctor says %q:\n%s", w, out.String())
				}
			}
			if tc.env == nil && strings.Contains(role, "VM.GuestAgent.Unrestricted") {
				t.Errorf("with exec off the role grants exec's privilege: %s", role)
			}
			for _, p := range []string{"VM.Config.Cloudinit", "VM.Migrate", "VM.GuestAgent."} {
				if !strings.Contains(role, p) {
					t.Errorf("the role lacks %s: %s", p, role)
				}
			}
			// exec's privilege covers what the agent's reads need: the role holds one of the two, never both
			if strings.Contains(role, "VM.GuestAgent.Audit") == strings.Contains(role, "VM.GuestAgent.Unrestricted") {
				t.Errorf("the role's agent privileges: %s", role)
			}
			if strings.Contains(role, "…") {
				t.Errorf("the role command is cut: %s", role)
			}
		})
	}
}

// TestDoctorRoleIsTheREADMEs: on a server configured with nothing but its cluster, doctor prints the role the
// README tells a newcomer to create, so that following the README ends in no warning about surplus privileges.
func TestDoctorRoleIsTheREADMEs(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	roleLine := func(text string) string {
		for _, l := range strings.Split(text, "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "pveum role add ") {
				return l
			}
		}
		return ""
	}
	readme := roleLine(string(b))
	full := pvesim.Serve(pvesim.New(pvesim.Default()))
	defer full.Close()
	env := map[string]string{"PROXMOX_URL": full.URL, "PROXMOX_TOKEN_ID": pvesim.DefaultTokenID, "PROXMOX_TOKEN_SECRET": pvesim.DefaultTokenSecret,
		"PROXMOX_TLS_FINGERPRINT": full.Fingerprint}
	var out, errb bytes.Buffer
	run(context.Background(), []string{"doctor"}, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	if got := roleLine(out.String()); readme == "" || got != readme {
		t.Errorf("doctor's role:\n  %s\nREADME's:\n  %s\n%s", got, readme, out.String())
	}
}

// TestTargetFlags: doctor's heading of a cluster says what its settings narrow, and that enable_destructive does
// nothing while the server's own switch is off.
func TestTargetFlags(t *testing.T) {
	for _, tc := range []struct {
		t                 target
		serverDestructive bool
		want              string
	}{
		{target{}, false, ""},
		{target{readOnly: true}, true, " (read_only)"},
		{target{destructive: true}, true, " (enable_destructive)"},
		{target{destructive: true}, false, " (enable_destructive, without effect until the server has PROXMOX_ENABLE_DESTRUCTIVE=1)"},
	} {
		if diff := cmp.Diff(tc.want, targetFlags(tc.t, tc.serverDestructive)); diff != "" {
			t.Errorf("%+v, server destructive %v (-want +got):\n%s", tc.t, tc.serverDestructive, diff)
		}
	}
}
