package main

import (
	"fmt"
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// noteTerminal tells a person who started the stdio server at a terminal what they are looking at: a server
// that waits, silently, for an MCP client to speak JSON-RPC on stdin. An MCP client connects stdin to a pipe,
// never to a terminal, so it never sees this (and it goes to stderr, which is not the protocol's).
func noteTerminal(stdin io.Reader, stderr io.Writer, demo bool) {
	f, ok := stdin.(*os.File)
	if !ok {
		return
	}
	// A terminal, not any character device: /dev/null (systemd's StandardInput=null) is one too.
	if !isatty.IsTerminal(f.Fd()) {
		return
	}
	try := "proxmox-mcp call proxmox_status"
	if demo {
		try = "proxmox-mcp --demo call proxmox_list_vms"
	}
	fmt.Fprintf(stderr, "proxmox-mcp: this is an MCP stdio server: it is waiting for an MCP client (an assistant that "+
		"launches it) to speak JSON-RPC on stdin and stdout.\n"+
		"To try a tool by hand, run: %s   (proxmox-mcp tools lists them; --help says more)\n"+
		"Ctrl-D or Ctrl-C ends this server.\n", try)
}
