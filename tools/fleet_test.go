package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// fleet is the product in front of several simulated clusters, as a targets file would configure it: each
// cluster has its own name, token, secret and certificate, and the server one client per cluster.
type fleet struct {
	names   []string
	sims    []*pvesim.Server
	tokens  []string // each cluster's token id
	secrets []string
	mc      *client.Client
	mu      sync.Mutex
	log     bytes.Buffer
	audit   bytes.Buffer
}

type fleetOpts struct {
	clusters      []*pvesim.Cluster // one per cluster
	destructive   bool              // PROXMOX_ENABLE_DESTRUCTIVE=1
	defaultTarget string
	target        func(i int, t *Target)            // the targets file's settings of cluster i
	sim           func(i int) []pvesim.Option       // extra simulator options for cluster i
	secret        func(i int, secret string) string // what the server is given as cluster i's secret
	copts         []pve.Option                      // extra client options for every cluster
	hidden        []string                          // Options.Hidden
	via           func(i int, simURL string) string // the URL the client of cluster i dials
	timeout       time.Duration                     // the clients' per-request timeout (default 5s)
	tokenPrivs    func(i int) (id string, privs []string)
	elicit        client.ElicitationHandler // the client's elicitation handler (nil: it declares none)
	consent       *gate.Consent
	toolsets      []string // PROXMOX_TOOLSETS (default: the default toolsets)
}

// fleetCluster is a small generated cluster that differs from its neighbours in size and names.
func fleetCluster(i int) *pvesim.Cluster {
	return pvesim.Generate(pvesim.GenSpec{Nodes: 2 + i, Guests: 20 + 7*i, Seed: int64(i + 1)})
}

func newFleet(t testing.TB, n int, o fleetOpts) *fleet {
	t.Helper()
	f := &fleet{}
	r := redact.New()
	var targets []Target
	for i := 0; i < n; i++ {
		name := []string{"home", "lab", "prod", "edge", "dr", "test", "branch", "lab2"}[i]
		id, secret := fmt.Sprintf("mcp@pve!%s", name), fmt.Sprintf("%08d-%04x-4b8e-9a51-6c1f0b2d9e47", i+1, i+1)
		privs := pvesim.AdministratorPrivileges()
		if o.tokenPrivs != nil {
			if tid, p := o.tokenPrivs(i); tid != "" {
				id, privs = tid, p
			}
		}
		cluster := fleetCluster(i)
		if i < len(o.clusters) && o.clusters[i] != nil {
			cluster = o.clusters[i]
		}
		simOpts := []pvesim.Option{pvesim.WithTaskDuration(20 * time.Millisecond), pvesim.WithToken(id, secret, privs...)}
		if o.sim != nil {
			simOpts = append(simOpts, o.sim(i)...)
		}
		sim := pvesim.Serve(pvesim.New(cluster, simOpts...))
		t.Cleanup(sim.Close)
		f.names, f.sims, f.tokens, f.secrets = append(f.names, name), append(f.sims, sim), append(f.tokens, id), append(f.secrets, secret)

		target := sim.URL
		if o.via != nil {
			target = o.via(i, target)
		}
		u, err := pve.ParseBaseURL(target)
		if err != nil {
			t.Fatal(err)
		}
		fp, err := pve.ParseFingerprint(sim.Fingerprint)
		if err != nil {
			t.Fatal(err)
		}
		given := secret
		if o.secret != nil {
			given = o.secret(i, secret)
		}
		timeout := o.timeout
		if timeout == 0 {
			timeout = 5 * time.Second
		}
		copts := append([]pve.Option{pve.WithRedactor(r), pve.WithRetries(0, 0), pve.WithTaskPolling(5*time.Millisecond, 20*time.Millisecond)}, o.copts...)
		c, err := pve.New(pve.Config{BaseURL: u, TokenID: id, Secret: redact.NewSecret(given), Fingerprint: fp, Timeout: timeout}, copts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		tg := Target{Name: name, Client: c, Destructive: true}
		if o.target != nil {
			o.target(i, &tg)
		}
		targets = append(targets, tg)
	}
	logger := zerolog.New(r.Writer(syncBuffer{&f.mu, &f.log}))
	srv, err := NewServer(Options{
		Targets: targets, DefaultTarget: o.defaultTarget, Redactor: r, Log: logger, Version: "test", DefaultWait: 5 * time.Second,
		Hidden: o.hidden, Policy: gate.NewPolicy(o.destructive, gate.NewAuditor(logger, r.Writer(syncBuffer{&f.mu, &f.audit}), r.String)),
		Consent: o.consent, Toolsets: o.toolsets,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.mc = connect(t, srv, o.elicit, "", "fleet")
	f.resetLogs()
	return f
}

func (f *fleet) resetLogs() {
	for _, s := range f.sims {
		s.ResetLog()
	}
}

// call runs a tool with raw JSON arguments, as a client sends them.
func (f *fleet) call(t testing.TB, name, args string) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = json.RawMessage(args)
	res, err := f.mc.CallTool(context.Background(), req)
	if err != nil {
		t.Fatalf("%s %s: protocol error %v", name, args, err)
	}
	return res
}

// requests is how many requests each cluster received.
func (f *fleet) requests() []int {
	out := make([]int, len(f.sims))
	for i, s := range f.sims {
		out[i] = len(s.Requests())
	}
	return out
}

// writes lists, per cluster, the write requests that reached it.
func (f *fleet) writes() [][]string {
	out := make([][]string, len(f.sims))
	for i, s := range f.sims {
		out[i] = []string{}
		for _, r := range s.Writes() {
			out[i] = append(out[i], r.Method+" "+r.Path)
		}
	}
	return out
}

// auditRecords are the audit trail's records so far.
func (f *fleet) auditRecords(t testing.TB) []gate.Record {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []gate.Record
	for _, line := range strings.Split(strings.TrimSpace(f.audit.String()), "\n") {
		if line == "" {
			continue
		}
		var r gate.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

// credentialsStayHome checks every cluster's request log: each request carried that cluster's own token, and
// none was refused for its credentials.
func (f *fleet) credentialsStayHome(t testing.TB) {
	t.Helper()
	for i, s := range f.sims {
		for _, r := range s.Requests() {
			if r.TokenID != f.tokens[i] || r.Status == 401 {
				t.Errorf("cluster %s got %s %s with token %q (status %d), want only its own %s", f.names[i], r.Method, r.Path, r.TokenID, r.Status, f.tokens[i])
			}
		}
	}
}

func mcpListRequest() mcp.ListToolsRequest { return mcp.ListToolsRequest{} }

func mcpCallRequest(name, args string) mcp.CallToolRequest {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = json.RawMessage(args)
	return req
}
