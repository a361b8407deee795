package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
	"github.com/proxmox-mcp/proxmox-mcp/tools"
)

const (
	homeSecret = "11111111-1111-4b8e-9a51-6c1f0b2d9e47"
	labSecret  = "22222222-2222-4b8e-9a51-6c1f0b2d9e47"
	// pasted is a token secret as Proxmox prints it, pasted into the wrong field.
	pasted = "5d1e8a2c-7b3f-4c1d-9e2a-0f6b8c4d2a1e"
)

// writeFile writes a file with a mode and returns its path.
func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // whatever the umask did
		t.Fatal(err)
	}
	return p
}

func TestReadTargets(t *testing.T) {
	dir := t.TempDir()
	secretFile := writeFile(t, dir, "lab.secret", labSecret+"\n", 0o600)
	ca := selfSignedPEM(t)
	fp := "80:D4:F2:DF:64:95:CD:8D:A0:82:82:AC:48:BA:C0:7A:1B:6B:87:8B:FE:B9:83:1C:95:4E:79:58:77:99:69:F5"
	file := writeFile(t, dir, "targets.toml", fmt.Sprintf(`# two clusters
default_target = "home"

[[target]]
name = "home"
url = "https://pve.home.lan:8006"
token_id = "mcp@pve!home"
token_secret_env = "HOME_SECRET"
tls_fingerprint = %q
enable_destructive = true

[[target]]
name = "lab"
url = "pve.lab.lan"            # bare host: https and 8006
token_id = "mcp@pve!lab"
token_secret_file = %q
ca_file = %q
timeout = 45
read_only = true
`, fp, secretFile, ca), 0o644)
	tc, err := readTargets(file, func(k string) string { return map[string]string{"HOME_SECRET": homeSecret, envTimeout: "20s"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		Name, URL, TokenID, Secret, CAFile, Fingerprint string
		Timeout                                         time.Duration
		ReadOnly, Destructive                           bool
	}
	var got []view
	for _, tg := range tc.targets {
		v := view{tg.name, tg.cfg.BaseURL.String(), tg.cfg.TokenID, tg.cfg.Secret.Reveal(), tg.cfg.CAFile, "", tg.cfg.Timeout, tg.readOnly, tg.destructive}
		if tg.cfg.Fingerprint != nil {
			v.Fingerprint = pve.FormatFingerprint(tg.cfg.Fingerprint)
		}
		got = append(got, v)
	}
	want := []view{
		{"home", "https://pve.home.lan:8006/api2/json", "mcp@pve!home", homeSecret, "", fp, 20 * time.Second, false, true},
		{"lab", "https://pve.lab.lan:8006/api2/json", "mcp@pve!lab", labSecret, ca, "", 45 * time.Second, true, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if tc.defaultTarget != "home" || !tc.fromFile {
		t.Errorf("default %q, from file %v", tc.defaultTarget, tc.fromFile)
	}
}

// TestReadTargetsProblems: every problem of a targets file is named, with its target and field, all at once,
// and none quotes a secret. A secret file that its group or others can read is refused.
func TestReadTargetsProblems(t *testing.T) {
	dir := t.TempDir()
	loose := writeFile(t, dir, "loose.secret", labSecret, 0o644)
	groupRead := writeFile(t, dir, "group.secret", labSecret, 0o640)
	tight := writeFile(t, dir, "tight.secret", labSecret, 0o600)
	entry := func(name, extra string) string {
		return fmt.Sprintf("[[target]]\nname = %q\nurl = \"https://pve.%s.lan:8006\"\ntoken_id = \"mcp@pve!mcp\"\n%s\n", name, name, extra)
	}
	env := map[string]string{"HOME_SECRET": homeSecret}
	withEnv := func(kv ...string) map[string]string {
		m := map[string]string{"HOME_SECRET": homeSecret}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	ok := `token_secret_env = "HOME_SECRET"`
	tests := []struct {
		name string
		file string
		env  map[string]string
		want []string
	}{
		{"secret file readable by others", entry("lab", fmt.Sprintf("token_secret_file = %q", loose)), env,
			[]string{"target lab: token_secret_file: ", "can be read by its group or others (mode 0644)", "chmod 600"}},
		{"secret file readable by the group", entry("lab", fmt.Sprintf("token_secret_file = %q", groupRead)), env, []string{"(mode 0640)"}},
		{"secret file missing", entry("lab", `token_secret_file = "/nonexistent/secret"`), env, []string{"token_secret_file: open /nonexistent/secret"}},
		{"both secrets", entry("lab", ok+fmt.Sprintf("\ntoken_secret_file = %q", tight)), env, []string{"not both"}},
		{"no secret", entry("lab", ""), env, []string{"target lab: no secret: give token_secret_env"}},
		{"secret variable not set", entry("lab", `token_secret_env = "LAB_SECRET"`), env, []string{`token_secret_env names "LAB_SECRET", which is not set`}},
		{"a misspelt key", entry("lab", ok+"\nread_onyl = true"), env, []string{`unknown key "target.read_onyl"; did you mean read_only?`}},
		{"a key nothing is near", entry("lab", ok+"\ncolour = \"red\""), env, []string{`unknown key "target.colour"`}},
		{"a key at the top", "defaut_target = \"lab\"\n" + entry("lab", ok), env, []string{`unknown key "defaut_target"; did you mean default_target?`}},
		{"twice the same name", entry("lab", ok) + entry("lab", ok), env, []string{"target 2: name lab is given twice"}},
		{"a name a call cannot give", entry("*", ok), env, []string{`target 1: name "*": use letters`}},
		{"no name", "[[target]]\nurl = \"https://a:8006\"\ntoken_id = \"a@pve!b\"\n" + ok, env, []string{"target 1 has no name"}},
		{"default target unknown", "default_target = \"prod\"\n" + entry("lab", ok), env, []string{`default_target "prod" is not the name of a target`}},
		{"no target", "default_target = \"\"\n", env, []string{"names no target"}},
		{"not TOML", "[[target]\nname = ", env, []string{"is not valid TOML: line 2: expected end of table array name"}},
		{"a wrong type", entry("lab", ok+"\nread_only = \"yes\""), env, []string{"read_only"}},
		{"a timeout of the wrong type", entry("lab", ok+"\ntimeout = true"), env, []string{"timeout must be a duration"}},
		{"a bad url and token id, named by field", "[[target]]\nname = \"lab\"\nurl = \"ftp://x\"\ntoken_id = \"nope\"\n" + ok, env,
			[]string{"target lab: url: ", "target lab: token_id \"nope\" is not of the form user@realm!tokenid"}},
		{"a short pin", entry("lab", ok+"\ntls_fingerprint = \"AA:BB\""), env, []string{"target lab: tls_fingerprint: \"AA:BB\" is not a SHA-256 fingerprint"}},
		{"pin and insecure", entry("lab", ok+"\ntls_insecure = true\ntls_fingerprint = \""+strings.Repeat("AA:", 31)+"AA\""), env, []string{"tls_insecure turns verification off, which contradicts tls_fingerprint/ca_file"}},
		{"the environment's URL too", entry("lab", ok), withEnv(envURL, "https://pve:8006"),
			[]string{"PROXMOX_URL is set, but a targets file names the clusters"}},
		// A secret pasted into a field that names it or into any other: never repeated, only its length.
		{"the secret pasted as token_secret_env", entry("lab", fmt.Sprintf("token_secret_env = %q", pasted)), env,
			[]string{"target lab: token_secret_env must be an environment variable's name", "(36 characters, not shown)", "use token_secret_file"}},
		{"a name with a dash", entry("lab", `token_secret_env = "LAB-SECRET"`), env, []string{"token_secret_env must be an environment variable's name", "(10 characters, not shown)"}},
		{"the secret pasted as token_secret_file", entry("lab", fmt.Sprintf("token_secret_file = %q", "/run/"+pasted)), env,
			[]string{"target lab: token_secret_file: the value (41 characters, not shown: shaped like a token secret) is not valid here"}},
		{"the secret pasted as token_id", "[[target]]\nname = \"lab\"\nurl = \"https://pve.lab.lan:8006\"\n" + fmt.Sprintf("token_id = %q\n", pasted) + ok, env,
			[]string{"target lab: token_id (36 characters, not shown: shaped like a token secret) is not of the form user@realm!tokenid"}},
		{"the secret pasted as tls_fingerprint", entry("lab", ok+fmt.Sprintf("\ntls_fingerprint = %q", pasted)), env,
			[]string{"target lab: tls_fingerprint: the value (36 characters, not shown: shaped like a token secret) is not valid here"}},
		{"the secret pasted as ca_file", entry("lab", ok+fmt.Sprintf("\nca_file = %q", pasted)), env, []string{"target lab: ca_file: the value (36 characters"}},
		{"the secret pasted as url", "[[target]]\nname = \"lab\"\n" + fmt.Sprintf("url = %q\n", "https://"+pasted+":8006?x") + "token_id = \"mcp@pve!mcp\"\n" + ok, env,
			[]string{"target lab: url: the value (51 characters"}},
		{"the secret pasted as timeout", entry("lab", ok+fmt.Sprintf("\ntimeout = %q", pasted)), env, []string{"target lab: timeout: the value (36 characters"}},
		{"the secret pasted as name", entry(pasted, ok), env, []string{"target 1: name (36 characters, not shown"}},
		{"the secret pasted as default_target", fmt.Sprintf("default_target = %q\n", pasted) + entry("lab", ok), env, []string{"default_target (36 characters, not shown"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "targets.toml", tc.file, 0o600)
			_, err := readTargets(path, func(k string) string { return tc.env[k] })
			var ce *pve.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *pve.ConfigError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), labSecret) || strings.Contains(err.Error(), homeSecret) || strings.Contains(err.Error(), pasted[:8]) {
				t.Errorf("error quotes a secret: %q", err)
			}
		})
	}
	// At start, too: the server refuses to start on a secret file others can read.
	path := writeFile(t, dir, "targets.toml", entry("lab", fmt.Sprintf("token_secret_file = %q", loose)), 0o600)
	var out, errb bytes.Buffer
	code := run(context.Background(), nil, strings.NewReader(""), &out, &errb, func(k string) string { return map[string]string{envTargets: path}[k] })
	if code == 0 || !strings.Contains(errb.String(), "can be read by its group or others") {
		t.Errorf("serve with a loose secret file: exit %d\n%s", code, errb.String())
	}
}

// twoClusters serves two simulated clusters with their own tokens and certificates, and a targets file naming
// them (home and lab), with the secrets in the environment.
func twoClusters(t *testing.T, extra string, labOpts ...pvesim.Option) (home, lab *pvesim.Server, env map[string]string) {
	t.Helper()
	home = pvesim.Serve(pvesim.New(pvesim.Default(), pvesim.WithToken("mcp@pve!home", homeSecret, pvesim.AdministratorPrivileges()...)))
	t.Cleanup(home.Close)
	lab = pvesim.Serve(pvesim.New(pvesim.Generate(pvesim.GenSpec{Nodes: 2, Guests: 12, Seed: 7}),
		append([]pvesim.Option{pvesim.WithToken("mcp@pve!lab", labSecret, pvesim.AdministratorPrivileges()...)}, labOpts...)...))
	t.Cleanup(lab.Close)
	file := writeFile(t, t.TempDir(), "targets.toml", fmt.Sprintf(`%s
[[target]]
name = "home"
url = %q
token_id = "mcp@pve!home"
token_secret_env = "HOME_SECRET"
tls_fingerprint = %q

[[target]]
name = "lab"
url = %q
token_id = "mcp@pve!lab"
token_secret_env = "LAB_SECRET"
tls_fingerprint = %q
`, extra, home.URL, home.Fingerprint, lab.URL, lab.Fingerprint), 0o600)
	return home, lab, map[string]string{envTargets: file, "HOME_SECRET": homeSecret, "LAB_SECRET": labSecret}
}

// TestTargetsCommands: call, tools and doctor with a targets file of two clusters.
func TestTargetsCommands(t *testing.T) {
	home, lab, env := twoClusters(t, `default_target = "home"`)
	getenv := func(k string) string { return env[k] }
	runIt := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), &out, &errb, getenv)
		return code, out.String() + errb.String()
	}
	code, out := runIt("call", "proxmox_list_vms", "cluster=*", "limit=200")
	if code != 0 || !strings.Contains(out, "\nhome 100 ") || !strings.Contains(out, "\nlab 1") {
		t.Errorf("call cluster=*: exit %d\n%s", code, out)
	}
	for _, s := range []*pvesim.Server{home, lab} {
		if w := s.Requests(); len(w) != 1 || w[0].Path != "/cluster/resources" {
			t.Errorf("%s got %d requests, want the one list", s.URL, len(w))
		}
	}
	if code, out := runIt("call", "proxmox_get_resource", "vmid=100"); code != 0 || !strings.Contains(out, "opnsense") {
		t.Errorf("call without cluster goes to the default (home): exit %d\n%s", code, out)
	}
	if strings.Contains(out, homeSecret) || strings.Contains(out, labSecret) {
		t.Error("a secret was printed")
	}

	code, out = runIt("tools")
	if code != 0 || !strings.Contains(out, "* core ") || !strings.Contains(out, "* lifecycle ") || !strings.Contains(out, "exposed:   23 tools") {
		t.Errorf("tools: exit %d\n%s", code, out)
	}
	// With a targets file every tool declares cluster: the cost shown is the larger one.
	_, single := run2(t, "tools")
	if costOf(t, out) <= costOf(t, single) {
		t.Errorf("the cost with the cluster argument is not larger:\n%s\n%s", out, single)
	}

	lab.Close()
	code, out = runIt("doctor")
	for _, want := range []string{"== cluster home: " + home.URL, "== cluster lab: " + lab.URL, "OK    TLS: pinned fingerprint matches",
		"Clusters (", "OK    home: Proxmox VE 9.1.3", "FAIL  lab: not reached", "calls that name no cluster go to home",
		"is the port in url right?", "\nLeast-privilege role and token for clusters home and lab (run on a Proxmox node of each cluster as root):\n", "pveum user token add mcp@pve mcp",
		"put it in the target's token_secret_file or token_secret_env.\nNarrow / to /vms/ID or /pool/NAME to limit the token to some guests.\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor does not say %q:\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("doctor with a cluster down: exit %d", code)
	}
	if strings.Contains(out, "PROXMOX_URL") {
		t.Errorf("doctor's advice names PROXMOX_URL for a cluster of the targets file:\n%s", out)
	}
}

// run2 runs a command with no configuration at all (the demo's tools list needs none).
func run2(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb, func(string) string { return "" })
	return code, out.String() + errb.String()
}

// costOf reads the bytes of the exposed tools/list from `proxmox-mcp tools`.
func costOf(t *testing.T, out string) int {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "exposed:"); ok {
			f := strings.Fields(rest)
			var n int
			if _, err := fmt.Sscanf(strings.ReplaceAll(f[2], ",", ""), "%d", &n); err == nil {
				return n
			}
		}
	}
	t.Fatalf("no exposed cost in\n%s", out)
	return 0
}

// listed builds the server as serve does and returns the names tools/list gives and the log.
func listed(t *testing.T, env map[string]string, args ...string) ([]string, string) {
	t.Helper()
	s, err := resolveArgs(t, args, env)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a, err := build(context.Background(), s, &logs)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.announce(context.Background(), s)
	resp := a.srv.HandleMessage(context.Background(), []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	b, _ := json.Marshal(resp)
	var out struct {
		Result mcp.ListToolsResult `json:"result"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range out.Result.Tools {
		names = append(names, tool.Name)
	}
	a.Close()
	return names, logs.String()
}

// TestServeHidesUnpermitted: at start the server reads each token's permissions and leaves out what no
// token can run, logging why; a privilege on a pool keeps the tool; a cluster whose permissions cannot be read
// keeps everything, with a warning; PROXMOX_HIDE_UNPERMITTED=0 keeps everything.
func TestServeHidesUnpermitted(t *testing.T) {
	reads := []string{"VM.Audit", "Sys.Audit", "Datastore.Audit"}
	auditor := pvesim.Serve(pvesim.New(pvesim.Default(), pvesim.WithToken("mcp@pve!ro", homeSecret, reads...)))
	t.Cleanup(auditor.Close)
	envFor := func(s *pvesim.Server, kv ...string) map[string]string {
		m := map[string]string{envURL: s.URL, envTokenID: "mcp@pve!ro", envTokenSecret: homeSecret, envFingerprint: s.Fingerprint}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	names, logs := listed(t, envFor(auditor))
	if len(names) != 11 || slices.Contains(names, "proxmox_start_resource") {
		t.Errorf("a read-only token is shown %d tools: %v", len(names), names)
	}
	for _, want := range []string{`"missing":"VM.PowerMgmt"`, `"proxmox_start_resource"`, "tools left out: no cluster's token holds the privilege", "PROXMOX_HIDE_UNPERMITTED=0"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not say %s:\n%s", want, logs)
		}
	}
	if names, _ := listed(t, envFor(auditor, envHide, "0")); len(names) != 23 {
		t.Errorf("PROXMOX_HIDE_UNPERMITTED=0: %d tools", len(names))
	}

	pool := pvesim.Serve(pvesim.New(pvesim.Default(), pvesim.WithToken("mcp@pve!ro", homeSecret, reads...), pvesim.WithGrant("mcp@pve!ro", "/pool/lab", "VM.PowerMgmt")))
	t.Cleanup(pool.Close)
	names, _ = listed(t, envFor(pool))
	for _, p := range []string{"proxmox_start_resource", "proxmox_stop_resource", "proxmox_reboot_resource", "proxmox_force_stop_resource"} {
		if !slices.Contains(names, p) {
			t.Errorf("VM.PowerMgmt on /pool/lab: %s left out", p)
		}
	}
	if slices.Contains(names, "proxmox_create_vm") {
		t.Error("VM.PowerMgmt on /pool/lab: proxmox_create_vm kept")
	}

	unreadable := pvesim.New(pvesim.Default(), pvesim.WithToken("mcp@pve!ro", homeSecret, reads...))
	unreadable.Inject(pvesim.Fault{Path: "/access/permissions", Kind: pvesim.FaultStatus, Status: 500, Reason: "pmxcfs not ready"})
	srv := pvesim.Serve(unreadable)
	t.Cleanup(srv.Close)
	names, logs = listed(t, envFor(srv))
	if len(names) != 23 || !strings.Contains(logs, "could not read the token's permissions") || !strings.Contains(logs, "keeping every tool") {
		t.Errorf("permissions unreadable: %d tools\n%s", len(names), logs)
	}
}

// TestTargetsAtStart: the start-up log names the clusters; a targets file whose clusters are all read_only
// shows no write tool; every cluster's secret is registered with the redactor.
func TestTargetsAtStart(t *testing.T) {
	_, lab, env := twoClusters(t, "")
	names, logs := listed(t, env)
	if len(names) != 23 {
		t.Errorf("%d tools", len(names))
	}
	for _, want := range []string{`"clusters":["home","lab"]`, `"cluster":"lab"`, `"read_only":false`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the start-up log does not say %s:\n%s", want, logs)
		}
	}
	file := env[envTargets]
	b, _ := os.ReadFile(file)
	ro := strings.ReplaceAll(string(b), "tls_fingerprint", "read_only = true\ntls_fingerprint")
	env[envTargets] = writeFile(t, t.TempDir(), "ro.toml", ro, 0o600)
	names, logs = listed(t, env)
	if len(names) != 11 || !strings.Contains(logs, "every cluster is read_only") {
		t.Errorf("every cluster read-only: %v\n%s", names, logs)
	}

	// Proxmox (or a proxy before it) echoing lab's Authorization header: lab's secret is masked like home's.
	env[envTargets] = file
	lab.Inject(pvesim.Fault{Kind: pvesim.FaultEchoAuth})
	var out, errb bytes.Buffer
	run(context.Background(), []string{"call", "proxmox_status", "cluster=lab"}, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	if all := out.String() + errb.String(); strings.Contains(all, labSecret) || !strings.Contains(all, "Error") {
		t.Errorf("lab's secret leaked, or no error:\n%s", all)
	}
}

// TestSettingsOfClustersAndToolsets: the new variables, their flags and defaults, and that --help lists them.
func TestSettingsOfClustersAndToolsets(t *testing.T) {
	tests := []struct {
		args     []string
		env      map[string]string
		toolsets []string
		targets  string
		hide     bool
	}{
		{nil, nil, nil, "", true},
		{nil, map[string]string{envToolsets: "core, lifecycle", envTargets: "/etc/t.toml", envHide: "0"}, []string{"core", "lifecycle"}, "/etc/t.toml", false},
		{[]string{"--toolsets", "all", "--targets", "x.toml", "--hide-unpermitted=false"}, map[string]string{envHide: "1"}, []string{"all"}, "x.toml", false},
		{[]string{"--hide-unpermitted"}, map[string]string{envHide: "no"}, nil, "", true},
	}
	for _, tc := range tests {
		s, err := resolveArgs(t, tc.args, tc.env)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(s.toolsets, tc.toolsets) || s.targetsFile != tc.targets || s.hideUnpermitted != tc.hide {
			t.Errorf("%v %v: toolsets %v, targets %q, hide %v", tc.args, tc.env, s.toolsets, s.targetsFile, s.hideUnpermitted)
		}
	}
	var fv flagValues
	if _, err := fv.resolve(func(k string) string { return map[string]string{envToolsets: "guests"}[k] }); err == nil || !strings.Contains(err.Error(), `"guests", which is not a toolset`) {
		t.Errorf("an unknown toolset: %v", err)
	}
	for _, v := range []string{envTargets, envToolsets, envHide, "--targets", "--toolsets", "--hide-unpermitted"} {
		if !strings.Contains(usage, v) {
			t.Errorf("--help does not list %s", v)
		}
	}
	// --help names every toolset and the default ones, as the toolsets' definitions say
	var names, defaults []string
	for _, ts := range tools.Toolsets() {
		names = append(names, ts.Name)
		if ts.Default {
			defaults = append(defaults, ts.Name)
		}
	}
	for _, v := range []string{"toolsets: " + strings.Join(names, ", ") + ", all", "(default " + strings.Join(defaults, ",") + ";"} {
		if !strings.Contains(usage, v) {
			t.Errorf("--help does not say %q", v)
		}
	}
}

// TestDoctorPointsAtTheTargetsFile: when the targets file is wrong, doctor's advice names the file and the
// targets to fix, not the environment's variables; a variable set beside the file is to be unset; a file
// that cannot be read is to be named again.
func TestDoctorPointsAtTheTargetsFile(t *testing.T) {
	dir := t.TempDir()
	good := "[[target]]\nname = \"home\"\nurl = \"https://pve.home.lan:8006\"\ntoken_id = \"mcp@pve!mcp\"\ntoken_secret_env = \"HOME_SECRET\"\n"
	badPin := "[[target]]\nname = \"lab\"\nurl = \"https://pve.lab.lan:8006\"\ntoken_id = \"mcp@pve!mcp\"\ntoken_secret_env = \"HOME_SECRET\"\ntls_fingerprint = \"AA:BB\"\n"
	noSecretFile := "[[target]]\nname = \"prod\"\nurl = \"https://pve.prod.lan:8006\"\ntoken_id = \"mcp@pve!mcp\"\ntoken_secret_file = \"/nonexistent/secret\"\n"
	tests := []struct {
		name, file string
		env        map[string]string
		advice     string // %s: the file's path
	}{
		{"a bad pin", good + badPin, nil, "fix target lab in %s (the file PROXMOX_TARGETS names) and run doctor again"},
		{"two targets wrong", badPin + good + noSecretFile, nil, "fix target lab and target prod in %s (the file PROXMOX_TARGETS names) and run doctor again"},
		{"a problem of the file's own", "defaut_target = \"home\"\n" + good, nil, "fix %s (the file PROXMOX_TARGETS names) and run doctor again"},
		{"a variable beside the file", good, map[string]string{envURL: "https://pve:8006"}, "unset the variables above (a targets file names the clusters) and run doctor again"},
		{"no such file", "", nil, "check that PROXMOX_TARGETS names the targets file, and that it can be read, and run doctor again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "missing.toml")
			if tt.file != "" {
				path = writeFile(t, t.TempDir(), "targets.toml", tt.file, 0o600)
			}
			env := map[string]string{envTargets: path, "HOME_SECRET": homeSecret}
			for k, v := range tt.env {
				env[k] = v
			}
			var out, errb bytes.Buffer
			code := run(context.Background(), []string{"doctor"}, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			want := tt.advice
			if strings.Contains(want, "%s") {
				want = fmt.Sprintf(want, path)
			}
			if diff := cmp.Diff(want, strings.TrimSpace(lines[len(lines)-1])); diff != "" || code != 1 {
				t.Errorf("exit %d, advice (-want +got):\n%s\n%s", code, diff, out.String())
			}
			if strings.Contains(out.String(), "--help lists them") {
				t.Errorf("doctor sends the operator to the variables:\n%s", out.String())
			}
		})
	}
}

// TestRoleHeading: the role doctor prints says which clusters it is for, as a sentence.
func TestRoleHeading(t *testing.T) {
	tests := []struct {
		names []string
		want  string
	}{
		{nil, "Least-privilege role and token for the enabled tiers (run on a Proxmox node as root):"},
		{[]string{"home"}, "Least-privilege role and token for cluster home (run on one of its Proxmox nodes as root):"},
		{[]string{"home", "lab", "prod"}, "Least-privilege role and token for clusters home, lab and prod (run on a Proxmox node of each cluster as root):"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		d := &doctor{w: &b, r: redact.New(), seen: map[string]bool{}, name: func(v string) string { return v }}
		d.printRole(&settings{}, target{name: "home", cfg: pve.Config{TokenID: "mcp@pve!mcp"}}, tt.names)
		if got := strings.Split(strings.TrimPrefix(b.String(), "\n"), "\n")[0]; got != tt.want {
			t.Errorf("%v: %q, want %q", tt.names, got, tt.want)
		}
	}
}

// TestDemoSaysTheTargetsFileIsNotUsed: --demo with PROXMOX_TARGETS set says, where each command speaks, that it
// runs simulated clusters and does not use the file; the results are the demo's as without the file.
func TestDemoSaysTheTargetsFileIsNotUsed(t *testing.T) {
	file := writeFile(t, t.TempDir(), "targets.toml", "[[target]]\nname = \"home\"\n", 0o600) // not even valid: it is not read
	const note = "--demo runs simulated clusters: the targets file PROXMOX_TARGETS names is not used (--demo=home,lab simulates clusters named home and lab"
	runWith := func(env map[string]string, args ...string) (code int, stdout, stderr string) {
		var out, errb bytes.Buffer
		code = run(context.Background(), args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
		return code, out.String(), errb.String()
	}
	withFile := map[string]string{envTargets: file}
	tests := []struct {
		name   string
		args   []string
		stdout bool // the note is on stdout (doctor's report), else on stderr
	}{
		{"call", []string{"--demo", "call", "proxmox_list_vms"}, false},
		{"serve", []string{"--demo"}, false},
		{"doctor", []string{"--demo", "doctor"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runWith(withFile, tt.args...)
			where := errs
			if tt.stdout {
				where = out
			}
			if code != 0 || !strings.Contains(where, note) {
				t.Errorf("exit %d, does not say %q:\nstdout %s\nstderr %s", code, note, out, errs)
			}
			_, plain, plainErr := runWith(nil, tt.args...)
			if strings.Contains(plain+plainErr, note) {
				t.Errorf("says it without a targets file:\n%s%s", plain, plainErr)
			}
			if tt.name == "call" {
				if diff := cmp.Diff(plain, out); diff != "" {
					t.Errorf("the demo's result differs with the file set (-without +with):\n%s", diff)
				}
			}
		})
	}
}

// TestDemoClusters: --demo=home,lab simulates a cluster for each name, as a targets file would name them, the
// first the default target: a cluster: "*" list asks both, a write to one leaves the other untouched, the
// tools take the cluster argument, doctor checks each. Bad names are refused before anything starts.
func TestDemoClusters(t *testing.T) {
	runWith := func(args ...string) (code int, stdout, stderr string) {
		var out, errb bytes.Buffer
		code = run(context.Background(), args, strings.NewReader(""), &out, &errb, func(string) string { return "" })
		return code, out.String(), errb.String()
	}
	tests := []struct {
		name string
		args []string
		code int
		want []string // lines or pieces of stdout (stderr for a refusal)
		not  []string
	}{
		{"a list of every cluster", []string{"--demo=home,lab", "call", "proxmox_list_vms", "cluster=*"}, 0,
			[]string{"17 VMs match.", "\nhome 100 «opnsense» (qemu) pve1 running", "\nlab 100 «prod-build-100» (qemu) node02 stopped"}, nil},
		{"the default target is the first", []string{"--demo=home,lab", "call", "proxmox_status"}, 0,
			[]string{"Cluster home (Proxmox: «homelab»)"}, nil},
		{"a write to one cluster, then a list of both", []string{"--demo=home,lab", "call", "proxmox_start_resource", "vmid=100", "cluster=lab", "confirm=true",
			"then", "proxmox_list_vms", "cluster=*", "status=stopped"}, 0,
			[]string{"Done: start VM 100 «prod-build-100» on node02 in cluster lab (OK", "\nhome 103 «win11-desktop»"}, []string{"\nlab 100 "}},
		{"every write names its cluster", []string{"--demo=home,lab", "call", "proxmox_update_config", "vmid=101", "cores=2", "cluster=lab", "confirm=true",
			"then", "proxmox_guest_exec", "vmid=104", `command:=["hostname"]`, "confirm=true",
			"then", "proxmox_api_call", "method=POST", "path=/nodes/node02/qemu/100/status/start", "cluster=lab", "confirm=true"}, 0,
			[]string{"Changed VM 101 «dev-auth-101» on node02 in cluster lab:", "Ran «hostname» in VM 104 «k3s-server» on pve3 in cluster home:",
				"Done: POST /nodes/node02/qemu/100/status/start (write) in cluster lab (OK"}, nil},
		{"an unknown cluster", []string{"--demo=home,lab", "call", "proxmox_status", "cluster=prod"}, 1,
			[]string{`Invalid arguments, nothing was sent to Proxmox: cluster: got "prod"; expected one of home, lab, or * for all.`}, nil},
		{"the tools take the cluster argument", []string{"--demo=home,lab", "tools", "proxmox_status"}, 0, []string{"   cluster (string) Target cluster, * for all; one of: home, lab, *"}, nil},
		{"--demo=no is no demo", []string{"--demo=no", "call", "proxmox_status"}, 1, []string{"PROXMOX_URL is not set"}, []string{"homelab"}},
		{"--demo= is refused", []string{"--demo=", "call", "proxmox_status"}, 2, []string{"--demo= names no cluster"}, nil},
		{"--demo with the names apart", []string{"--demo", "home,lab", "call", "proxmox_status"}, 2,
			[]string{`unknown command "home,lab" (to simulate clusters by name, join them to the flag: --demo=home,lab)`}, nil},
		{"doctor checks each", []string{"--demo=home,lab", "doctor"}, 0,
			[]string{"OK    demo mode: 2 simulated clusters, home, lab; home is the default target", "== cluster home:", "== cluster lab:",
				"\nClusters (simulated):\n", "calls that name no cluster go to home (the first named in --demo)"}, []string{"default_target"}},
		{"--demo=true is the one cluster", []string{"--demo=true", "call", "proxmox_status"}, 0, []string{"Cluster «homelab»: quorate"}, []string{"Cluster home"}},
		{"a bad name", []string{"--demo=home,l@b", "call", "proxmox_status"}, 2, []string{`"l@b" is not a cluster name`}, nil},
		{"a name twice", []string{"--demo=home,home", "call", "proxmox_status"}, 2, []string{"home is named twice"}, nil},
		{"too many", []string{"--demo=a,b,c,d,e,f,g,h,i", "call", "proxmox_status"}, 2, []string{"at most 8 simulated clusters"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runWith(tt.args...)
			got := "\n" + out
			if tt.code == 2 {
				got = errs
			}
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout %s\nstderr %s", code, tt.code, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(got+errs, w) {
					t.Errorf("does not say %q:\nstdout %s\nstderr %s", w, out, errs)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(got, w) {
					t.Errorf("says %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestDemoTaskIDsLastTheDay: each demo call starts a fresh simulated cluster, whose past counts back from the
// day's start: a task id one call prints is found by the next call.
func TestDemoTaskIDsLastTheDay(t *testing.T) {
	call := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"--demo", "call"}, args...), strings.NewReader(""), &out, &errb, func(string) string { return "" })
		return code, out.String() + errb.String()
	}
	first := time.Now().UTC().Truncate(24 * time.Hour)
	_, out := call("proxmox_recent_tasks", "limit=1", "--output", "json")
	var res struct {
		Tasks []struct {
			UPID string `json:"upid"`
		} `json:"tasks"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Tasks) != 1 {
		t.Fatalf("recent tasks: %v\n%s", err, out)
	}
	// Into the next second, where a past counted back from the clock's now has other task ids.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	code, out := call("proxmox_get_task_status", "upid="+res.Tasks[0].UPID)
	if day := time.Now().UTC().Truncate(24 * time.Hour); !day.Equal(first) {
		t.Skip("the day changed between the two calls: the demo's past moved to the new day, as it should")
	}
	if code != 0 || !strings.Contains(out, "Task "+res.Tasks[0].UPID+" on pve3") {
		t.Errorf("exit %d: the next call does not find the task:\n%s", code, out)
	}
}

// TestAllowAnInitCommand: the operator allows a container's entrypoint as the refusal says, by naming the
// operation in PROXMOX_API_ALLOW, and the server takes that setting; the call is then sent, as a destructive one.
func TestAllowAnInitCommand(t *testing.T) {
	args := []string{"--demo", "call", "proxmox_api_call", "method=PUT", "path=/nodes/pve1/lxc/200/config", `params:={"entrypoint":"/bin/sh"}`, "confirm=true", "destructive=true"}
	call := func(env map[string]string) (int, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
		return code, out.String() + errb.String()
	}
	code, out := call(nil)
	const advice = `add "PUT /nodes/{node}/lxc/{vmid}/config" to PROXMOX_API_ALLOW`
	if code != 1 || !strings.Contains(out, advice) || !strings.Contains(out, "nothing was sent") {
		t.Errorf("not allowed: exit %d:\n%s", code, out)
	}
	code, out = call(map[string]string{"PROXMOX_API_ALLOW": "PUT /nodes/{node}/lxc/{vmid}/config"})
	if code != 0 || !strings.Contains(out, "PUT /nodes/pve1/lxc/200/config") || strings.Contains(out, "nothing was sent") {
		t.Errorf("allowed: exit %d:\n%s", code, out)
	}
}
