package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/tools"
)

// binary is the proxmox-mcp built once for the end-to-end tests, which drive it as a subprocess. It is linked
// with e2eVersion, as a release build is.
var binary string

const e2eVersion = "v0.0.0-e2e"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "proxmox-mcp-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "proxmox-mcp")
	out, err := exec.Command("go", "build", "-ldflags=-X main.version="+e2eVersion, "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// lockedBuffer collects a subprocess's stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// simEnv points the binary at a simulated cluster served by this test process.
func simEnv(t *testing.T, sim *pvesim.Server, extra ...string) []string {
	t.Helper()
	return append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"PROXMOX_URL=" + sim.URL,
		"PROXMOX_TOKEN_ID=" + pvesim.DefaultTokenID,
		"PROXMOX_TOKEN_SECRET=" + pvesim.DefaultTokenSecret,
		"PROXMOX_TLS_FINGERPRINT=" + sim.Fingerprint,
		"PROXMOX_WAIT_SECONDS=10",
	}, extra...)
}

// stdioSession launches the binary with exactly env and opens an MCP session over its stdio.
func stdioSession(t *testing.T, env []string, args ...string) (*client.Client, *lockedBuffer) {
	t.Helper()
	stderr := &lockedBuffer{}
	c, err := client.NewStdioMCPClientWithOptions(binary, nil, args,
		transport.WithCommandFunc(func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
			cmd := exec.CommandContext(ctx, command, args...)
			cmd.Env = env
			return cmd, nil
		}),
		transport.WithCommandStderrWriter(stderr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	initialize(t, c)
	return c, stderr
}

func initialize(t testing.TB, c *client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeLeft(t))
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "e2e", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize: %v", err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// httpServer launches the binary with --http and waits for /healthz.
func httpServer(t *testing.T, env []string, args ...string) (addr string, stderr *lockedBuffer) {
	t.Helper()
	addr = freeAddr(t)
	stderr = &lockedBuffer{}
	cmd := exec.Command(binary, append([]string{"--http", addr}, args...)...)
	cmd.Env = env
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		if _, ok := waitFor(t, done); !ok {
			_ = cmd.Process.Kill()
			t.Error("server did not stop on SIGINT")
		}
	})
	listening := waitUntil(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	if !listening {
		t.Fatalf("server did not listen on %s: %s", addr, stderr.String())
	}
	return addr, stderr
}

func httpSession(t *testing.T, addr, token string) (*client.Client, error) {
	t.Helper()
	var opts []transport.StreamableHTTPCOption
	if token != "" {
		opts = append(opts, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	}
	c, err := client.NewStreamableHttpClient("http://"+addr+"/mcp", opts...)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), timeLeft(t))
	defer cancel()
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "e2e", Version: "1"}
	_, err = c.Initialize(ctx, req)
	return c, err
}

func callE2E(t *testing.T, c *client.Client, name, args string) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeLeft(t))
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = json.RawMessage(args)
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("%s %s: %v", name, args, err)
	}
	return res
}

func resText(res *mcp.CallToolResult) string { return resultText(res) }

// gateCases are the same refusals, validation and successes, run through every transport.
var gateCases = []struct {
	name, tool, args string
	refused          bool
	want             string
}{
	{"read", "proxmox_list_vms", `{"status":"running"}`, false, "5 VMs match"},
	{"write without confirm", "proxmox_start_resource", `{"vmid":103}`, true, "confirm: true (missing)"},
	{"write with string confirm", "proxmox_start_resource", `{"vmid":103,"confirm":"true"}`, true, `got "true"`},
	{"destructive with confirm only", "proxmox_destroy_resource", `{"vmid":204,"confirm":true}`, true, "destructive: true (missing)"},
	{"destructive without the operator", "proxmox_destroy_resource", `{"vmid":204,"confirm":true,"destructive":true}`, true, "PROXMOX_ENABLE_DESTRUCTIVE=1 (off)"},
	{"force stop without the operator", "proxmox_force_stop_resource", `{"vmid":100,"confirm":true,"destructive":true}`, true, "ask the person"},
	{"bad vmid", "proxmox_get_resource", `{"vmid":100.7}`, true, "vmid: got the number 100.7"},
	{"unknown argument", "proxmox_status", `{"verbose":true}`, true, `unknown argument "verbose"`},
	{"dry run", "proxmox_stop_resource", `{"vmid":100,"dry_run":true}`, false, "Dry run of shutdown VM 100"},
	{"confirmed write", "proxmox_start_resource", `{"vmid":103,"confirm":true}`, false, "Done: start VM 103"},
}

func runGateCases(t *testing.T, c *client.Client, sim *pvesim.Server) {
	t.Helper()
	for _, tc := range gateCases {
		t.Run(tc.name, func(t *testing.T) {
			sim.ResetLog()
			res := callE2E(t, c, tc.tool, tc.args)
			if res.IsError != tc.refused || !strings.Contains(resText(res), tc.want) {
				t.Fatalf("isError=%v: %s", res.IsError, resText(res))
			}
			writes := len(sim.Writes())
			if tc.refused && writes != 0 || tc.name == "dry run" && writes != 0 {
				t.Errorf("%d writes reached the cluster", writes)
			}
			if tc.name == "confirmed write" && writes != 1 {
				t.Errorf("%d writes, want 1", writes)
			}
		})
	}
}

func TestStdioEndToEnd(t *testing.T) {
	sim := pvesim.Serve(pvesim.New(pvesim.Default(), pvesim.WithTaskDuration(20*time.Millisecond)))
	defer sim.Close()
	c, stderr := stdioSession(t, simEnv(t, sim))
	tools, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil || len(tools.Tools) != 23 {
		t.Fatalf("tools/list: %d tools, %v", len(tools.Tools), err)
	}
	runGateCases(t, c, sim)
	c.Close()
	wants := []string{`"decision":"refused"`, `"decision":"sent"`, "Proxmox reached"}
	// The child wrote these before its answers, but the goroutine copying its stderr pipe may still be busy.
	logs := waitForAll(t, stderr, wants)
	if strings.Contains(logs, pvesim.DefaultTokenSecret) {
		t.Error("the secret reached stderr")
	}
	for _, want := range wants {
		if !strings.Contains(logs, want) {
			t.Errorf("stderr lacks %s:\n%s", want, logs)
		}
	}
}

// waitForAll returns b's contents once they hold every one of wants (or when the test runs out of time).
func waitForAll(t *testing.T, b *lockedBuffer, wants []string) string {
	waitUntil(t, func() bool {
		s := b.String()
		for _, w := range wants {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	})
	return b.String()
}

func TestHTTPEndToEnd(t *testing.T) {
	sim := pvesim.Serve(pvesim.New(pvesim.Default(), pvesim.WithTaskDuration(20*time.Millisecond)))
	defer sim.Close()
	const token = "e2e-token-0123456789abcdef0123456789"
	addr, stderr := httpServer(t, simEnv(t, sim, envHTTPToken+"="+token))
	for _, bad := range []string{"", "wrong-token-0123456789abcdef"} {
		// mcp-go's client reports a 401 as "authorization required".
		if _, err := httpSession(t, addr, bad); err == nil || !strings.Contains(err.Error(), "authorization required") {
			t.Errorf("token %q: initialize error %v, want a 401", bad, err)
		}
	}
	resp, err := http.Post("http://"+addr+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("no token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz: %v %v", resp, err)
	}
	c, err := httpSession(t, addr, token)
	if err != nil {
		t.Fatal(err)
	}
	runGateCases(t, c, sim)
	if strings.Contains(stderr.String(), pvesim.DefaultTokenSecret) || strings.Contains(stderr.String(), token) {
		t.Error("a secret reached stderr")
	}
}

func TestHTTPRefusesExposureWithoutToken(t *testing.T) {
	cmd := exec.Command(binary, "--demo", "--http", "0.0.0.0:0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "refusing to serve the cluster to the network without a bearer token") {
		t.Fatalf("err %v: %s", err, out)
	}
}

// demoKey is an OpenSSH public key (pve/testdata/ssh-public-keys.txt), for the README's provisioning example.
const demoKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFfa5q2XLY3OruD+5x7U9K+MINP32BTBaoI2h+wENaXF ops@laptop"

// readmeFirewallCall is the README's firewall example: a rule created with proxmox_api_call, then listed.
var readmeFirewallCall = []string{"--demo", "call", "proxmox_api_call", "method=POST", "path=/cluster/firewall/rules",
	`params:={"type":"in","action":"ACCEPT","proto":"tcp","dport":"8443","enable":1}`, "confirm=true",
	"then", "proxmox_api_get", "path=/cluster/firewall/rules"}

func TestDemoCallCommands(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--demo", "call", "proxmox_api_get", "path=/cluster/ha/resources"}, 0, `| {"digest":"`},
		{[]string{"--demo", "call", "proxmox_api_find", "query=firewall rules"}, 0, "GET /cluster/firewall/rules (read) List rules"},
		{readmeFirewallCall, 0, `"dport":"8443","enable":1`},
		{[]string{"--demo", "call", "proxmox_api_call", "method=POST", "path=/nodes/pve1/execute", "params:={\"commands\":\"[]\"}", "confirm=true", "destructive=true"}, 1, "PROXMOX_API_ALLOW (not named)"},
		{[]string{"--demo", "call", "proxmox_api_get", "path=/cluster/resources", "then", "proxmox_nope"}, 1, `no tool "proxmox_nope"`},
		{[]string{"--demo", "call", "proxmox_start_resource", "vmid=103", "then", "proxmox_list_vms"}, 1, "confirm: true (missing)"},
		{[]string{"--demo", "call", "--json", "{}", "proxmox_status", "then", "proxmox_status"}, 1, "not of a chain"},
		{[]string{"api", "classes"}, 0, "operator-only PUT    /access/acl  access-control"},
		{[]string{"--demo", "--api-allow", "PUT /access/acl", "call", "proxmox_api_call", "method=PUT", "path=/access/acl",
			`params:={"path":"/","roles":"PVEAuditor","users":"alice@pve"}`, "confirm=true", "destructive=true"}, 0, "Done: PUT /access/acl (operator-only)"},
		{[]string{"api"}, 2, `want "api classes"`},
		{[]string{"--demo", "call", "proxmox_list_vms"}, 0, "100 «opnsense» (qemu) pve1 running"},
		{[]string{"--demo", "call", "proxmox_start_resource", "vmid=103"}, 1, "confirm: true (missing)"},
		{[]string{"--demo", "call", "proxmox_start_resource", "vmid=103", "confirm=true"}, 0, "Done: start VM 103"},
		{[]string{"--demo", "call", "proxmox_destroy_resource", "vmid=204", "confirm=true"}, 1, "destructive: true (missing)"},
		{[]string{"--demo", "call", "proxmox_destroy_resource", "vmid=204", "confirm=true", "destructive=true"}, 0, "Done: destroy CT 204"},
		{[]string{"call", "--demo", "proxmox_get_resource", "--json", `{"vmid":100}`, "--output", "json"}, 0, `"name": "opnsense"`},
		{[]string{"--demo", "call", "proxmox_provision_vm", "template=9000", "name=web1", "ciuser=ops", "sshkeys=" + demoKey, "confirm=true"}, 0,
			"Provisioned VM 107 «web1» on pve1"},
		{[]string{"--demo", "call", "proxmox_guest_exec", "vmid=104", `command:=["uname","-a"]`, "confirm=true"}, 0, "| Linux k3s-server"},
		{[]string{"--demo", "call", "proxmox_guest_exec", "vmid=104", `command:=["rm","-rf","/"]`, "confirm=true"}, 1, `"rm" is not in it; it allows hostname, uname, cat, df`},
		{[]string{"--demo", "call", "proxmox_nope"}, 1, `no tool "proxmox_nope"`},
		{[]string{"--demo", "tools"}, 0, "proxmox_destroy_resource"},
		{[]string{"--demo", "--read-only", "tools"}, 0, "proxmox_list_vms"},
		{[]string{"--help"}, 0, "PROXMOX_ENABLE_DESTRUCTIVE"},
		{[]string{"--bogus"}, 2, "flag provided but not defined"},
		{[]string{"call"}, 1, "name a tool"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args, strings.NewReader(""), &out, &errb, func(string) string { return "" })
			if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.want) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tc.code, out.String(), errb.String())
			}
			// the provision prints the new VM's address
			if slices.Contains(tc.args, "proxmox_provision_vm") && !regexp.MustCompile(`in [0-9.]+s: address 192\.168\.1\.[0-9]+\.`).MatchString(out.String()) {
				t.Errorf("no address printed:\n%s", out.String())
			}
		})
	}
}

func TestConfigurationErrorsStopTheServer(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "PROXMOX_URL is not set"},
		{map[string]string{envReadOnly: "1", envTools: "proxmox_start_resource", "PROXMOX_URL": "https://x", "PROXMOX_TOKEN_ID": "a@pve!bb", "PROXMOX_TOKEN_SECRET": "5f0c2a0e-3d7b-4b8e-9a51-6c1f0b2d9e47"}, "registers no write tools"},
		{map[string]string{envReadOnly: "1", envDestructive: "1"}, "contradict"},
		{map[string]string{envAPIAllow: "PUT /access/acl, GET /cluster/resources"}, `names "GET /cluster/resources", a read operation`},
		{map[string]string{envAPIAllow: "POST /nodes/{node}/qemu/{vmid}/agent/exec"}, "never send"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := run(context.Background(), nil, strings.NewReader(""), &out, &errb, func(k string) string { return tc.env[k] })
		if code == 0 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("env %v: exit %d, stderr %q, want %q", tc.env, code, errb.String(), tc.want)
		}
		if out.Len() != 0 {
			t.Errorf("stdout must stay clean for the protocol: %q", out.String())
		}
	}
}

func TestManifest(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "openclaw.plugin.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		ID           string         `json:"id"`
		Name         string         `json:"name"`
		Description  string         `json:"description"`
		Version      string         `json:"version"`
		ConfigSchema map[string]any `json:"configSchema"`
		Activation   map[string]any `json:"activation"`
		MCPServers   map[string]struct {
			Transport string            `json:"transport"`
			Command   string            `json:"command"`
			Args      []string          `json:"args"`
			Env       map[string]string `json:"env"`
		} `json:"mcpServers"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	if m.ID != "proxmox-mcp" || m.Name == "" || m.Description == "" || m.Version == "" || m.ConfigSchema["type"] != "object" || m.Activation == nil {
		t.Errorf("manifest lacks a required field: %+v", m)
	}
	// The description is what an OpenClaw user reads of the plugin: it names what each toolset does (a toolset
	// added later fails here until it does).
	says := map[string][]string{"core": {"inventory", "snapshots"}, "lifecycle": {"start", "destroy", "PROXMOX_ENABLE_DESTRUCTIVE=1"},
		"guest": {"guest agent", "reconfigure", "migrate", "provision", "commands in a guest"}, "api": {"Proxmox API"}}
	for _, ts := range tools.Toolsets() {
		words, ok := says[ts.Name]
		if !ok {
			t.Errorf("toolset %s: the manifest's description is not checked for it: add it here and to the description", ts.Name)
		}
		for _, w := range words {
			if !strings.Contains(m.Description, w) {
				t.Errorf("the manifest's description does not say %q (toolset %s): %s", w, ts.Name, m.Description)
			}
		}
	}
	if len(m.MCPServers) == 0 {
		t.Fatal("no mcpServers entry")
	}
	for name, s := range m.MCPServers {
		// The command must be this package's binary, launched over stdio.
		if s.Transport != "stdio" || s.Command != filepath.Base(mustWd(t)) {
			t.Errorf("server %s launches %q over %q, want proxmox-mcp over stdio", name, s.Command, s.Transport)
		}
		for k, v := range s.Env {
			if strings.Contains(k, "SECRET") || strings.Contains(k, "TOKEN") && v != "" {
				t.Errorf("the manifest carries %s: secrets come from the environment", k)
			}
		}
	}
	// And that command exists: it is what go install puts on PATH; here, the binary TestMain built.
	if _, err := os.Stat(binary); err != nil || filepath.Base(binary) != "proxmox-mcp" {
		t.Errorf("no %s binary: %v", filepath.Base(binary), err)
	}
}

func mustWd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// TestReadmeGenericCalls: the README's demo commands of the generic tools are the ones TestDemoCallCommands
// runs, word for word.
func TestReadmeGenericCalls(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"--demo call proxmox_api_find query=firewall rules":      false,
		"--demo call proxmox_api_get path=/cluster/ha/resources": false,
		strings.Join(readmeFirewallCall, " "):                    false,
	}
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "go run ./cmd/proxmox-mcp ")
		if !ok || !strings.Contains(rest, "proxmox_api_") {
			continue
		}
		words := shellWords(t, rest)
		if _, known := want[strings.Join(words, " ")]; !known {
			t.Errorf("README runs %q, which TestDemoCallCommands does not", words)
		}
		want[strings.Join(words, " ")] = true
	}
	for cmd, seen := range want {
		if !seen {
			t.Errorf("README does not show %q", cmd)
		}
	}
}

// shellWords splits a README command line as sh does for the quoting it uses ('…' and "…"), up to a comment.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\'' || c == '"':
			j := strings.IndexByte(line[i+1:], c)
			if j < 0 {
				t.Fatalf("unbalanced quote in %q", line)
			}
			cur.WriteString(line[i+1 : i+1+j])
			i, inWord = i+1+j, true
		case c == ' ' || c == '\t':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		case c == '#' && !inWord:
			return words
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
