package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

func TestDoctor(t *testing.T) {
	full := pvesim.Serve(pvesim.New(pvesim.Default()))
	defer full.Close()
	readOnly := pvesim.Serve(pvesim.New(pvesim.Default(), pvesim.WithToken("auditor@pve!ro", "ro-secret-0123456789", "VM.Audit", "Sys.Audit", "Datastore.Audit", "Pool.Audit")))
	defer readOnly.Close()
	env := func(sim *pvesim.Server, kv ...string) map[string]string {
		m := map[string]string{
			"PROXMOX_URL": sim.URL, "PROXMOX_TOKEN_ID": pvesim.DefaultTokenID, "PROXMOX_TOKEN_SECRET": pvesim.DefaultTokenSecret,
			"PROXMOX_TLS_FINGERPRINT": sim.Fingerprint,
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		code int
		want []string
	}{
		{"healthy, more privileges than needed", nil, env(full), 0, []string{
			"OK    token accepted; Proxmox VE 9.1", "OK    TLS: pinned fingerprint matches", "holds every privilege",
			"WARN  privileges: the token holds", "pveum role add MCPOperator", "pveum user token add"}},
		{"unpinned self-signed certificate", nil, env(full, "PROXMOX_TLS_FINGERPRINT", ""), 1, []string{
			"FAIL  TLS: the certificate is not trusted", "PROXMOX_TLS_FINGERPRINT=" + full.Fingerprint}},
		{"wrong pin", nil, env(full, "PROXMOX_TLS_FINGERPRINT", strings.Repeat("AA:", 31)+"AA"), 1, []string{
			"does not match the certificate", full.Fingerprint}},
		{"insecure", nil, env(full, "PROXMOX_TLS_FINGERPRINT", "", "PROXMOX_TLS_INSECURE", "1"), 0, []string{"WARN  TLS: verification is OFF"}},
		{"bad secret", nil, env(full, "PROXMOX_TOKEN_SECRET", "wrong-secret-value"), 1, []string{"FAIL  token: Proxmox rejected root@pam!mcp"}},
		{"read-only token, write tier", nil, env(readOnly, "PROXMOX_TOKEN_ID", "auditor@pve!ro", "PROXMOX_TOKEN_SECRET", "ro-secret-0123456789"), 1, []string{
			"FAIL  privileges:", "proxmox_start_resource needs VM.PowerMgmt", "pveum acl modify / -token 'auditor@pve!ro' -role MCPOperator"}},
		{"read-only token, read tier", []string{"--read-only"}, env(readOnly, "PROXMOX_TOKEN_ID", "auditor@pve!ro", "PROXMOX_TOKEN_SECRET", "ro-secret-0123456789"), 0, []string{
			"holds every privilege", `pveum role add MCPReadOnly -privs "Datastore.Audit,Pool.Audit,Sys.Audit,VM.Audit"`}},
		{"nothing set", nil, map[string]string{}, 1, []string{"FAIL  configuration: PROXMOX_URL is not set", "FAIL  configuration: PROXMOX_TOKEN_SECRET is not set"}},
		{"demo", []string{"--demo"}, nil, 0, []string{"demo mode", "token accepted"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append(tc.args, "doctor"), strings.NewReader(""), &out, &errb, func(k string) string { return tc.env[k] })
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("doctor does not say %q:\n%s%s", w, out.String(), errb.String())
				}
			}
			if strings.Contains(out.String()+errb.String(), pvesim.DefaultTokenSecret) {
				t.Error("doctor printed the secret")
			}
		})
	}
}
