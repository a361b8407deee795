package main

import (
	"runtime/debug"
)

// version is what `proxmox-mcp version`, the User-Agent and the MCP serverInfo say. A release build sets it with
// -ldflags "-X main.version=v1.2.3"; otherwise init reads it from the build information Go embeds.
var version = "dev"

func init() {
	info, _ := debug.ReadBuildInfo()
	version = resolveVersion(version, info)
}

// resolveVersion picks the most exact version known: the one set at link time, else the module version
// (`go install …@v1.2.3` records it; Go 1.24 and later also derive one from the checkout's tags and commit),
// else the commit the binary was built from, else "dev".
func resolveVersion(linked string, info *debug.BuildInfo) string {
	if linked != "" && linked != "dev" {
		return linked
	}
	if info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified {
		rev += "-dirty"
	}
	return "dev-" + rev
}
