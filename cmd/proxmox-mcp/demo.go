package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
	"github.com/proxmox-mcp/proxmox-mcp/tools"
)

// maxDemoClusters bounds --demo=NAME,…: each is a simulated cluster with its own TLS listener in this process.
const maxDemoClusters = 8

// demo is the built-in simulated cluster, served over TLS on loopback inside this process, and the client
// configuration that reaches it: the same HTTP, TLS pinning and token path as a real cluster.
type demo struct {
	srv    *pvesim.Server
	config pve.Config
}

func serveDemo(c *pvesim.Cluster) (*demo, error) {
	// The past counts back from today's midnight (UTC), so the task ids one call prints are found by the next
	// call's fresh simulated cluster, all day.
	srv := pvesim.Serve(pvesim.New(c, pvesim.WithHistoryAt(time.Now().UTC().Truncate(24*time.Hour))))
	u, err := pve.ParseBaseURL(srv.URL)
	if err != nil {
		srv.Close()
		return nil, err
	}
	fp, err := pve.ParseFingerprint(srv.Fingerprint)
	if err != nil {
		srv.Close()
		return nil, err
	}
	return &demo{srv: srv, config: pve.Config{
		BaseURL:     u,
		TokenID:     pvesim.DefaultTokenID,
		Secret:      redact.NewSecret(pvesim.DefaultTokenSecret),
		Fingerprint: fp,
	}}, nil
}

func (d *demo) Close() { d.srv.Close() }

// demoTargets starts the simulated clusters of demo mode: one, the homelab, as the one target of the
// environment; or, for --demo=home,lab, one per name as a targets file would name them, the first being the
// default target. The first is the homelab, each other a small generated cluster of its own (nodes node01…,
// its own guests), each on its own listener with its own certificate. close stops them.
func demoTargets(s *settings) (tc targetsConfig, close func(), err error) {
	var demos []*demo
	close = func() {
		for _, d := range demos {
			d.Close()
		}
	}
	names := s.demoClusters
	if len(names) == 0 {
		names = []string{tools.DefaultTarget}
	}
	for i, name := range names {
		c := pvesim.Default()
		if i > 0 {
			c = pvesim.Generate(pvesim.GenSpec{Nodes: 2, Guests: 12, Seed: int64(i)})
		}
		d, err := serveDemo(c)
		if err != nil {
			close()
			return targetsConfig{}, func() {}, err
		}
		demos = append(demos, d)
		tc.targets = append(tc.targets, target{name: name, cfg: d.config, destructive: true})
	}
	if len(s.demoClusters) > 0 {
		tc.fromFile, tc.defaultTarget = true, names[0]
	}
	return tc, close, nil
}

// parseDemoClusters reads the names of --demo=home,lab.
func parseDemoClusters(v string) ([]string, error) {
	var names []string
	for _, n := range strings.Split(v, ",") {
		n = strings.TrimSpace(n)
		if !targetName.MatchString(n) {
			return nil, fmt.Errorf("--demo=%s: %q is not a cluster name (a letter or digit, then letters, digits, '.', '_' or '-'; at most 32)", v, n)
		}
		if slices.Contains(names, n) {
			return nil, fmt.Errorf("--demo=%s: %s is named twice", v, n)
		}
		names = append(names, n)
	}
	if len(names) > maxDemoClusters {
		return nil, fmt.Errorf("--demo=%s: at most %d simulated clusters", v, maxDemoClusters)
	}
	return names, nil
}

// demoIgnoresTargets is what --demo says when PROXMOX_TARGETS names a targets file: the demo's clusters are
// simulated, so the file is not read. (Simulating the file's clusters would need it read without its secrets
// and connection settings, a second and looser reading: --demo=NAME,… names the simulated ones instead.)
func demoIgnoresTargets(s *settings) string {
	if !s.demo || s.targetsFile == "" {
		return ""
	}
	if len(s.demoClusters) > 0 {
		return "--demo runs simulated clusters: the targets file " + envTargets + " names is not used (unset " + envTargets + " to quiet this)"
	}
	return "--demo runs simulated clusters: the targets file " + envTargets + " names is not used (--demo=home,lab simulates clusters named home and lab; unset " + envTargets + " to quiet this)"
}
