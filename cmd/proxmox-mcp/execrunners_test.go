package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRunsOthers: the allowlist entries doctor warns about are the programs that run others, by base name, in
// any case, with or without a path, ".exe" or a version; the demo's own list holds none.
func TestRunsOthers(t *testing.T) {
	runs := []string{"ip", "/usr/sbin/ip", "/bin/sh", "find", "xargs", "env", "/usr/bin/env", "python3", "python3.11", "/usr/bin/perl5.36",
		"gawk", "timeout", "busybox", "sudo", "tar", "rsync", "ssh", "nsenter", "systemd-run", "docker", "kubectl", `C:\Windows\System32\cmd.exe`,
		"PowerShell.exe", "prlimit", "numactl", "setarch", "sg", "runcon", "bwrap", "sqlite3", "psql", "mysql", "npx", "start-stop-daemon"}
	others := []string{"hostname", "uname", "cat", "df", "/usr/bin/uptime", "systemctl", "ipcalc", "shutdown", "lsblk", "free"}
	got, want := map[string]bool{}, map[string]bool{}
	for _, e := range runs {
		got[e], want[e] = runsOthers(e), true
	}
	for _, e := range others {
		got[e], want[e] = runsOthers(e), false
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runsOthers (-want +got)\n%s", diff)
	}
	for _, e := range strings.Split(demoExecAllow, ",") {
		if runsOthers(e) {
			t.Errorf("the demo allows %s, which runs other programs", e)
		}
	}
}
