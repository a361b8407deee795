// Command proxmox-mcp is an MCP server that lets an AI assistant operate a Proxmox VE cluster safely. See
// `proxmox-mcp --help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

const usage = `proxmox-mcp - an MCP server for operating a Proxmox VE cluster safely

USAGE
  proxmox-mcp [flags]                        serve MCP over stdio (what an MCP client launches)
  proxmox-mcp [flags] --http ADDR            serve MCP over streamable HTTP at http://ADDR/mcp
  proxmox-mcp [flags] call TOOL [ARGS]       run one tool and print its result
  proxmox-mcp [flags] tools                  list the toolsets and their token cost, then the tools
  proxmox-mcp [flags] tools TOOL             one tool: what it does, its tier and privileges, its arguments
  proxmox-mcp [flags] doctor                 check URL, TLS, token and privileges of every cluster; say what to fix
  proxmox-mcp api classes                    the class of every Proxmox API operation: what the gate asks
  proxmox-mcp version                        print the version

  Add --demo to any of them to use the built-in simulated cluster instead of a real one: no Proxmox and
  no settings needed, destructive tools and exec (of hostname, uname, cat, df) enabled inside the
  simulation (PROXMOX_ENABLE_DESTRUCTIVE=0 or PROXMOX_ENABLE_EXEC=0 turns one off, to try the refusals).
  --demo=home,lab simulates a cluster for each name, as a targets file would name them (home the default).

CALL
  proxmox-mcp --demo call proxmox_list_vms status=running
  proxmox-mcp --demo call proxmox_start_resource vmid=103 confirm=true
  proxmox-mcp call proxmox_get_resource --json '{"vmid": 100}'
  proxmox-mcp --demo call proxmox_api_get path=/cluster/ha/resources
  proxmox-mcp --demo call proxmox_start_resource vmid=103 confirm=true then proxmox_list_vms status=running
  ARGS are key=value pairs (values that parse as JSON - numbers, true, false, [..] - are sent as JSON,
  others as strings; key:=VALUE forces JSON, key==VALUE forces a string) or --json OBJECT. The call goes
  through the same gate, validation and redaction as an assistant's. --output json prints the structured
  result. "then" chains another call on the same server (in the demo, the same simulated clusters),
  stopping at the first that fails. The exit status is 1 when a result is an error.

SAFETY
  Reads are always allowed. Writes need the argument confirm: true. Destructive tools (destroy, delete or
  roll back a snapshot, force stop) also need destructive: true AND this server started with
  PROXMOX_ENABLE_DESTRUCTIVE=1. Running a command in a guest (proxmox_guest_exec) needs confirm: true,
  PROXMOX_ENABLE_EXEC=1 and a program PROXMOX_EXEC_ALLOW names. Any write takes dry_run: true to show
  what it would send. The generic proxmox_api_call asks what its operation's class needs (proxmox-mcp api
  classes); operator-only operations (access control, node power, consoles, ...) only when the operator
  names them in PROXMOX_API_ALLOW.
  Then a person approves each destructive call and each command run in a guest through the MCP client
  (elicitation): they see the exact request and what would be lost, and type the guest's vmid or name;
  anything else sends nothing.

PROXMOX CONNECTION (environment, or the flag in brackets; flags win)
  PROXMOX_URL               https://pve.example.com:8006, with or without /api2/json      [--url]
  PROXMOX_TOKEN_ID          user@realm!tokenid; quote it in shells: 'mcp@pve!mcp'       [--token-id]
  PROXMOX_TOKEN_SECRET      the token's secret (environment only, never a flag)
  PROXMOX_TLS_FINGERPRINT   pin the server certificate's SHA-256 (doctor prints it)     [--fingerprint]
  PROXMOX_CA_FILE           PEM bundle to verify the server with                         [--ca-file]
  PROXMOX_TLS_INSECURE      1 turns verification off (prefer the fingerprint)            [--tls-insecure]
  PROXMOX_TIMEOUT           per-request timeout, e.g. 30s                                [--timeout]

SEVERAL CLUSTERS
  PROXMOX_TARGETS           a TOML file of clusters, instead of the variables above     [--targets]
                            ([[target]] name, url, token_id, token_secret_env or token_secret_file,
                            tls_fingerprint or ca_file, timeout, read_only, enable_destructive;
                            default_target). Every tool then takes cluster; lists, status and
                            recent tasks also take cluster "*" (every cluster at once).

SERVER
  PROXMOX_ENABLE_DESTRUCTIVE  1 enables destructive tools (the operator's decision)  [--enable-destructive]
  PROXMOX_ENABLE_EXEC         1 enables running commands in guests                   [--enable-exec]
  PROXMOX_EXEC_ALLOW          programs exec may run: hostname,/usr/local/bin/*       [--exec-allow]
  PROXMOX_READ_ONLY           1 registers no write tools at all                      [--read-only]
  PROXMOX_TOOLSETS            comma list of toolsets: core, lifecycle, api, guest, all [--toolsets]
                              (default core,lifecycle; proxmox-mcp tools shows each one's cost)
  PROXMOX_TOOLS               comma list of tools: alone only these, with            [--tools]
                              PROXMOX_TOOLSETS these besides
  PROXMOX_HIDE_UNPERMITTED    0 keeps the tools no cluster's token can run           [--hide-unpermitted]
                              (default 1: read at start, left out, logged)
  PROXMOX_API_ALLOW           comma list of "METHOD /path/template": operator-only API
                              operations the generic tools may call                  [--api-allow]
  PROXMOX_AUDIT_LOG           also append the audit trail (JSON lines) to this file  [--audit-log]
  PROXMOX_WAIT_SECONDS        default wait for a write's task (default 30)           [--wait]
  PROXMOX_LOG_LEVEL           debug, info (default), warn, error; logs go to stderr  [--log-level]

CONSENT (a person approves changes through the MCP client)
  PROXMOX_CONSENT             destructive (default): ask about destructive and exec calls; writes: all writes; off
  PROXMOX_CONSENT_FALLBACK    gate (default): a client that cannot ask gets the gate alone; refuse: refused
  PROXMOX_CONSENT_TIMEOUT     how long a question waits for its answer (default 120s)
  PROXMOX_CONSENT_MIN_SECONDS a decline sooner than this was not a person's: fallback applies (default 1)
  PROXMOX_MCP_STATE_KEY       signs approvals over HTTP; replicas share it (32+ chars; default: random)

HTTP (--http ADDR, e.g. --http 127.0.0.1:8080)
  PROXMOX_MCP_HTTP_TOKEN      bearer token clients must send (required unless ADDR is loopback)
  PROXMOX_MCP_ALLOWED_HOSTS   extra Host names to accept besides loopback           [--allowed-hosts]
  PROXMOX_MCP_ALLOWED_ORIGINS browser Origins to accept (none by default)           [--allowed-origins]
  The endpoint is /mcp, stateless (any replica can answer any request); /healthz answers ok.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// exitError carries an exit status out of a subcommand.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// run is main without the process: arguments, standard streams and environment come in, an exit status goes out.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	var fv flagValues
	fs := newFlagSet("proxmox-mcp", &fv)
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "proxmox-mcp: %v\nRun proxmox-mcp --help for usage.\n", err)
		return 2
	}
	if fv.help {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if fv.version {
		fmt.Fprintln(stdout, "proxmox-mcp", version)
		return 0
	}
	rest := fs.Args()
	cmd := ""
	if len(rest) > 0 {
		cmd, rest = rest[0], rest[1:]
	}
	// Global flags may also follow the subcommand: proxmox-mcp call --demo TOOL.
	var sub *flag.FlagSet
	var callOpts callFlags
	switch cmd {
	case "", "serve", "tools", "doctor", "version", "api":
		sub = newFlagSet(cmd, &fv)
	case "call":
		sub = newFlagSet(cmd, &fv)
		callOpts.register(sub)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		hint := ""
		if _, err := parseDemoClusters(cmd); err == nil && fv.demo && fv.demoClusters == "" && strings.Contains(cmd, ",") {
			// names parseDemoClusters took: plain letters, digits, '.', '_', '-'
			hint = fmt.Sprintf(" (to simulate clusters by name, join them to the flag: --demo=%s)", cmd)
		}
		fmt.Fprintf(stderr, "proxmox-mcp: unknown command %q%s\nRun proxmox-mcp --help for usage.\n", cmd, hint)
		return 2
	}
	rest, err := parseInterleaved(sub, rest)
	if err != nil {
		fmt.Fprintf(stderr, "proxmox-mcp %s: %v\n", cmd, err)
		return 2
	}
	if fv.help && !(cmd == "call" && len(rest) > 0) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	s, err := fv.resolve(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "proxmox-mcp: configuration: %v\n", err)
		return 2
	}
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "proxmox-mcp", version)
		return 0
	case "api":
		if len(rest) != 1 || rest[0] != "classes" {
			fmt.Fprintf(stderr, "proxmox-mcp api: want \"api classes\"\nRun proxmox-mcp --help for usage.\n")
			return 2
		}
		err = schema.WriteClassTable(stdout)
	case "tools":
		switch len(rest) {
		case 0:
			err = printTools(stdout, s)
		case 1:
			err = printToolHelp(stdout, s, rest[0])
		default:
			fmt.Fprintf(stderr, "proxmox-mcp tools: name one tool, or none to list them all\n")
			return 2
		}
	case "call":
		if fv.help { // call TOOL --help
			err = printToolHelp(stdout, s, rest[0])
			break
		}
		err = runCall(ctx, s, callOpts, rest, stdout, stderr)
	case "doctor":
		err = runDoctor(ctx, s, stdout)
	default:
		if len(rest) > 0 {
			fmt.Fprintf(stderr, "proxmox-mcp: unexpected argument %q\n", rest[0])
			return 2
		}
		if s.http == "" {
			noteTerminal(stdin, stderr, s.demo)
		}
		err = serve(ctx, s, stdin, stdout, stderr)
	}
	var code exitError
	var unset *pve.ConfigError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, &unset) && s.targetsFile == "" && s.pveEnv(envURL) == "":
		// Nothing names a cluster: most likely a first try, which the demo answers without one.
		fmt.Fprintf(stderr, "proxmox-mcp: %v\n(proxmox-mcp --help lists the settings; add --demo to try the tools on a simulated cluster)\n", err)
		return 1
	default:
		fmt.Fprintf(stderr, "proxmox-mcp: %v\n", err)
		return 1
	}
}

// parseInterleaved parses flags that may appear between positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
