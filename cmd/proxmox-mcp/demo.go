package main

import (
	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// demo is the built-in simulated cluster, served over TLS on loopback inside this process, and the client
// configuration that reaches it: the same HTTP, TLS pinning and token path as a real cluster.
type demo struct {
	srv    *pvesim.Server
	config pve.Config
}

func startDemo() (*demo, error) {
	srv := pvesim.Serve(pvesim.New(pvesim.Default()))
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

// demoIgnoresTargets is what --demo says when PROXMOX_TARGETS names a targets file: the demo is one simulated
// cluster, so the file is not read and no tool takes a cluster argument. (Simulating each of the file's
// clusters would need the file read without its secrets and connection settings, a second and looser reading,
// and would give copies of the same homelab: the tests' fleets do that job.)
func demoIgnoresTargets(s *settings) string {
	if !s.demo || s.targetsFile == "" {
		return ""
	}
	return "--demo runs one simulated cluster: the targets file " + envTargets + " names is not used, and the tools take no cluster argument (unset " + envTargets + " to quiet this)"
}
