package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// runWith runs the command in this process with the given environment and stdin.
func runWith(env map[string]string, stdin *os.File, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	var in io.Reader = strings.NewReader("")
	if stdin != nil {
		in = stdin
	}
	code = run(context.Background(), args, in, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestCallSaysWhyThereIsNoSuchTool(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--demo", "call", "list_vms"}, `no tool "list_vms"; did you mean proxmox_list_vms?`},
		{[]string{"--demo", "call", "proxmox_list_vm"}, "did you mean proxmox_list_vms?"},
		{[]string{"--demo", "call", "start_resource", "vmid=103"}, "did you mean proxmox_start_resource?"},
		{[]string{"--demo", "call", "proxmox_stat_resource"}, "did you mean proxmox_start_resource or proxmox_stop_resource?"},
		{[]string{"--demo", "call", "bogus_thing"}, `no tool "bogus_thing" (proxmox-mcp tools lists them)`},
		{[]string{"--demo", "--read-only", "call", "proxmox_start_resource", "vmid=103"}, "no tool proxmox_start_resource here: it is a write tool and read-only mode (PROXMOX_READ_ONLY=1, --read-only) leaves those out"},
		{[]string{"--demo", "--read-only", "call", "proxmox_guest_exec", "vmid=104"}, "no tool proxmox_guest_exec here: it is an exec tool and read-only mode (PROXMOX_READ_ONLY=1, --read-only) leaves those out"},
		{[]string{"--demo", "--tools", "proxmox_status", "call", "proxmox_list_vms"}, "no tool proxmox_list_vms here: the PROXMOX_TOOLS list (--tools) leaves it out"},
		{[]string{"--demo", "--toolsets", "core", "call", "proxmox_start_resource", "vmid=103"}, "no tool proxmox_start_resource here: it is in toolset lifecycle, which PROXMOX_TOOLSETS (--toolsets) leaves out"},
		{[]string{"call", "proxmox_guest_info", "vmid=104"}, "no tool proxmox_guest_info here: it is in toolset guest, which is off by default (PROXMOX_TOOLSETS=core,lifecycle,guest turns it on)"},
		{[]string{"call", "proxmox_api_get", "path=/version"}, "no tool proxmox_api_get here: it is in toolset api, which is off by default (PROXMOX_TOOLSETS=core,lifecycle,api turns it on)"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := runWith(nil, nil, tc.args...)
			if code != 1 || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q, want 1 and %q (stdout %q)", code, errs, tc.want, out)
			}
		})
	}
	if got := nearestNames("bogus_thing", []string{"proxmox_status", "proxmox_list_vms"}, 3); len(got) != 0 {
		t.Errorf("suggestions for a name near nothing: %v", got)
	}
}

// hostile is cluster text that would act on a terminal: a title change (OSC), a colour (CSI), a C1 CSI, a bidi
// override, a zero-width space.
const hostile = "boom \x1b]0;pwned\x07 \x1b[31mred \u009b2J \u202eevil\u200b"

// terminalActive reports the first character of s that a terminal would act on or hide, if any.
func terminalActive(s string) (rune, bool) {
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f || r == 0x202e || r == 0x200b || r == 0x2066 {
			return r, true
		}
	}
	return 0, false
}

func TestCallPrintsNoTerminalControl(t *testing.T) {
	sim := pvesim.Serve(pvesim.New(pvesim.Default()))
	defer sim.Close()
	if err := sim.SetGuestConfig(100, "description", "note "+hostile); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PROXMOX_URL": sim.URL, "PROXMOX_TOKEN_ID": pvesim.DefaultTokenID, "PROXMOX_TOKEN_SECRET": pvesim.DefaultTokenSecret,
		"PROXMOX_TLS_FINGERPRINT": sim.Fingerprint}
	tests := []struct {
		name  string
		fault bool
		args  []string
		code  int
		want  string
	}{
		{"error text", true, []string{"call", "proxmox_list_vms"}, 1, "boom"},
		{"error as JSON", true, []string{"call", "proxmox_list_vms", "--output", "json"}, 1, "boom"},
		{"notes as text", false, []string{"call", "proxmox_get_resource", "vmid=100"}, 0, "note"},
		{"notes as JSON", false, []string{"call", "proxmox_get_resource", "vmid=100", "-o", "json"}, 0, `"note boom`},
		{"error with readable logs", true, []string{"--log-level", "debug", "call", "proxmox_list_vms"}, 1, "proxmox-mcp: debug: proxmox request ("},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fault {
				defer sim.Inject(pvesim.Fault{Path: "/cluster/resources", Kind: pvesim.FaultStatus, Status: 500, Reason: hostile})()
			}
			code, out, errs := runWith(env, nil, tc.args...)
			if code != tc.code || !strings.Contains(out+errs, tc.want) {
				t.Fatalf("exit %d (want %d), output lacks %q:\nstdout %q\nstderr %q", code, tc.code, tc.want, out, errs)
			}
			for where, text := range map[string]string{"stdout": out, "stderr": errs} {
				if r, bad := terminalActive(text); bad {
					t.Errorf("%s carries %U: %q", where, r, text)
				}
			}
			if strings.Contains(errs, `{"level"`) {
				t.Errorf("stderr holds JSON log lines: %q", errs)
			}
			if strings.HasSuffix(tc.args[len(tc.args)-1], "json") {
				var v any
				if err := json.Unmarshal([]byte(out), &v); err != nil {
					t.Errorf("--output json is not JSON: %v", err)
				}
			}
		})
	}
}

func TestCallFailureIsOneReadableLine(t *testing.T) {
	code, out, errs := runWith(nil, nil, "--demo", "call", "proxmox_get_resource", "vmid=999")
	if code != 1 || !strings.HasPrefix(out, "Error: no VM or container with vmid 999") || strings.Count(out, "\n") != 1 {
		t.Errorf("exit %d, stdout %q: want 1 and one line saying what failed", code, out)
	}
	if errs != "" {
		t.Errorf("stderr repeats it: %q", errs)
	}
	// Asked for, log lines are readable ones.
	_, _, errs = runWith(map[string]string{"PROXMOX_LOG_LEVEL": "warn"}, nil, "--demo", "call", "proxmox_get_resource", "vmid=999")
	if want := "proxmox-mcp: warn: tool call (duration="; !strings.HasPrefix(errs, want) || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "tool=proxmox_get_resource") {
		t.Errorf("stderr %q, want one line starting %q", errs, want)
	}
}

func TestHumanLog(t *testing.T) {
	const secret = "6d2a1b3c-9e8f-4a7b-b5c4-0d1e2f3a4b5c"
	r := redact.New(secret)
	var b bytes.Buffer
	log := zerolog.New(&humanLog{r: r, w: &b})
	log.Warn().Str("error", "Proxmox said \x1b]0;t\x07"+secret[:10]+"\u200b"+secret[10:]).Int("status", 500).Msg("proxmox\nrequest")
	log.Info().RawJSON("audit", []byte(`{"tool":"proxmox_start_resource","decision":"sent"}`)).Msg("write attempt")
	want := "proxmox-mcp: warn: proxmox request (error=Proxmox said " + r.Mask() + ", status=500)\n" +
		`proxmox-mcp: info: write attempt (audit={"decision":"sent","tool":"proxmox_start_resource"})` + "\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestEscapeInvisible(t *testing.T) {
	in := map[string]any{"name": "a\u202eb\u009bc\u200bd\U000E0041e\x7f", "plain": "Grüße 日本", "n": 1}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	esc := escapeInvisible(b)
	if r, bad := terminalActive(string(esc)); bad {
		t.Errorf("escaped JSON still carries %U: %s", r, esc)
	}
	if !strings.Contains(string(esc), "Grüße 日本") {
		t.Errorf("visible text was escaped too: %s", esc)
	}
	var back map[string]any
	if err := json.Unmarshal(esc, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"name": in["name"], "plain": in["plain"], "n": 1.0}, back); diff != "" {
		t.Errorf("the JSON means something else now (-want +got)\n%s", diff)
	}
}

// TestCallArguments: key=value pairs become the JSON a client would send; a pair that is not one, or a key
// given twice (whose first value would be lost without a word), is refused.
func TestCallArguments(t *testing.T) {
	for _, tc := range []struct {
		kv      []string
		want    string
		wantErr string
	}{
		{[]string{"vmid=100", "name=web", "confirm=true", `tags:=["a"]`, "size==10"}, `{"confirm":true,"name":"web","size":"10","tags":["a"],"vmid":100}`, ""},
		{[]string{"vmid=100", "vmid=101"}, "", `argument "vmid" is given twice: give each argument once`},
		{[]string{"vmid=100", "vmid:=101"}, "", `argument "vmid" is given twice: give each argument once`},
		{[]string{"name=a", "name==b"}, "", `argument "name" is given twice: give each argument once`},
		{[]string{"=5"}, "", `argument "=5" is not key=value`},
	} {
		got, err := callArguments("", tc.kv)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if diff := cmp.Diff(tc.want+"|"+tc.wantErr, string(got)+"|"+gotErr); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tc.kv, diff)
		}
	}
}

// TestNoClusterSaysHowToTry: a command that needs a cluster, run with none configured (a first try), says what
// is missing and that --demo needs none; with a cluster named, the problem alone.
func TestNoClusterSaysHowToTry(t *testing.T) {
	const hint = "(proxmox-mcp --help lists the settings; add --demo to try the tools on a simulated cluster)\n"
	for _, tc := range []struct {
		env      map[string]string
		wantHint bool
	}{
		{nil, true},
		{map[string]string{envURL: "https://pve.example.com:8006"}, false},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"call", "proxmox_list_vms"}, strings.NewReader(""), &out, &errb, func(k string) string { return tc.env[k] })
		got := errb.String()
		if code != 1 || !strings.Contains(got, "PROXMOX_TOKEN_ID is not set") {
			t.Errorf("%v: exit %d: %s", tc.env, code, got)
		}
		if diff := cmp.Diff(tc.wantHint, strings.HasSuffix(got, hint)); diff != "" {
			t.Errorf("%v: the hint (-want +got):\n%s\n%s", tc.env, diff, got)
		}
	}
}
