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
