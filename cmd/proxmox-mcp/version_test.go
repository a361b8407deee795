package main

import (
	"context"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

func TestResolveVersion(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	info := func(mainVersion string, s []debug.BuildSetting) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/proxmox-mcp/proxmox-mcp", Version: mainVersion}, Settings: s}
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name   string
		linked string
		info   *debug.BuildInfo
		want   string
	}{
		{"ldflags win", "v1.2.3", info("v1.0.0", settings("vcs.revision", rev)), "v1.2.3"},
		{"go install @version", "dev", info("v0.4.1", nil), "v0.4.1"},
		{"pseudo-version from a checkout", "dev", info("v0.0.0-20250102030405-0123456789ab+dirty", nil), "v0.0.0-20250102030405-0123456789ab+dirty"},
		{"devel build with vcs stamp", "dev", info("(devel)", settings("vcs", "git", "vcs.revision", rev, "vcs.modified", "false")), "dev-0123456789ab"},
		{"modified tree", "dev", info("(devel)", settings("vcs.revision", rev, "vcs.modified", "true")), "dev-0123456789ab-dirty"},
		{"no vcs information", "dev", info("(devel)", nil), "dev"},
		{"no build information", "dev", nil, "dev"},
		{"empty linked value", "", info("v2.0.0", nil), "v2.0.0"},
	}
	for _, tc := range tests {
		if got := resolveVersion(tc.linked, tc.info); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestVersionOfTheBinary checks that the version set at link time is what the command prints and what the
// server tells an MCP client in serverInfo.
func TestVersionOfTheBinary(t *testing.T) {
	out, err := exec.Command(binary, "version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "proxmox-mcp "+e2eVersion {
		t.Errorf("proxmox-mcp version: %q, %v", out, err)
	}
	c, err := client.NewStdioMCPClientWithOptions(binary, nil, []string{"--demo"},
		transport.WithCommandFunc(func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
			cmd := exec.CommandContext(ctx, command, args...)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			return cmd, nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "version", Version: "1"}
	res, err := c.Initialize(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.ServerInfo.Version != e2eVersion {
		t.Errorf("serverInfo.version = %q, want %q", res.ServerInfo.Version, e2eVersion)
	}
}
