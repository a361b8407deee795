package tools

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

// FuzzToolArguments sends hostile values (traversal, escapes, NUL, newlines, look-alikes, overlong strings,
// numbers in every JSON spelling) through the real MCP session as node, vmid, snapshot and storage arguments of
// reads and dry-run writes. Whatever the values: nothing is written; invalid input is refused before any
// request; and every request that reaches the simulated cluster has clean segments, its node one of the
// cluster's (or the caller's, when valid), its vmid the caller's, its snapshot or storage name the caller's.
func FuzzToolArguments(f *testing.F) {
	seeds := []struct{ node, vmid, name string }{
		{"pve2", "102", "weekly"},
		{"", "102", "pre-upgrade"},
		{"../access", "100", "x1"},
		{"%2e%2e", "100", "%2e%2e"},
		{"pve1/../../cluster", "100", "a/../../b"},
		{"pve\x00", "100", "s\n1"},
		{"рve1", "100", "ѕnap"}, // Cyrillic look-alikes
		{"pve1\r\nX-Evil: 1", "100", "snap?x=1#y"},
		{strings.Repeat("a", 300), "100", strings.Repeat("b", 300)},
		{"pve1", "100.7", "snap"},
		{"pve1", `"100"`, "snap"},
		{"pve1", "1e2", "snap"},
		{"pve1", "-1", "snap"},
		{"pve1", "99999999999999999999", "snap"},
		{"pve1", "100.0", "snap"},
		{"pve1", "1E2", "snap"},
		{"pve1", "100e0", "snap"},
		{"pve1", "-0", "snap"},
		{"pve1", " 100 ", "snap"},
		{"pve1", "1e400", "snap"}, // beyond float64: the session refuses the request
		{"pve1", "-1" + strings.Repeat("7", 400), "snap"},
		{"pve1", "[1e400]", "snap"},
		{"pve1", `{"a":1e400}`, "snap"},
		{"pve1", `100,"x":1e400`, "snap"}, // a member of its own, beyond float64
		{"pve1", "null", "current"},
		{"pve1", "{}", "vzdump"},
		{"pve1", "100", "nas-backup"},
		{"", "100", "nas-backup"},
		{"pve1", "100", "local;rm -rf"},
	}
	for _, s := range seeds {
		f.Add(s.node, s.vmid, s.name)
	}
	h := newHarness(f, harnessOpts{destructive: true})
	nodes := pvesim.Default().NodeNames()
	f.Fuzz(func(t *testing.T, node, vmid, name string) {
		q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
		nodeArg := ""
		if node != "" {
			nodeArg = `,"node":` + q(node)
		}
		// guestHere: the vmid names a guest, and node (if given) is its node
		guestHere := func(id int, node, _ string) bool {
			g, ok := h.sim.Guest(id)
			return ok && (node == "" || node == g.Node)
		}
		never := func(int, string, string) bool { return false }
		calls := []struct {
			tool, args string
			usesName   bool // name is a snapshot name
			usesStore  bool // name is a storage id
			mustWork   func(id int, node, name string) bool
		}{
			{"proxmox_delete_snapshot", `{"vmid":` + vmid + `,"name":` + q(name) + nodeArg + `,"dry_run":true}`, true, false, never},
			{"proxmox_snapshot_resource", `{"vmid":` + vmid + `,"name":` + q(name) + nodeArg + `,"dry_run":true}`, true, false, never},
			{"proxmox_list_snapshots", `{"vmid":` + vmid + nodeArg + `}`, false, false, guestHere},
			{"proxmox_resource_usage", `{"vmid":` + vmid + nodeArg + `}`, false, false, guestHere}, // node alone is valid too
			{"proxmox_list_backups", `{"storage":` + q(name) + nodeArg + `}`, false, true, func(_ int, node, name string) bool {
				return node == "" && name == "nas-backup"
			}},
		}
		// the vmid as the server must read it: a JSON integer literal (whitespace around it is JSON too)
		trimmed := strings.Trim(vmid, " \t\r\n")
		id, vmidErr := strconv.Atoi(trimmed)
		vmidOK := vmidErr == nil && !strings.HasPrefix(trimmed, "+") && json.Valid([]byte(vmid)) && pve.ValidVMID(id) == nil
		vmidNull := trimmed == "null" // an optional argument sent as null is absent
		nodeOK := node == "" || pve.ValidNode(node) == nil
		for _, c := range calls {
			if !json.Valid([]byte(c.args)) {
				continue // a client cannot send it: the request would not be JSON-RPC
			}
			h.sim.ResetLog()
			res, err := h.callErr(c.tool, c.args)
			if err != nil {
				// The MCP library decodes a call's whole arguments into Go's generic JSON values and refuses the
				// request (a JSON-RPC invalid request) when that fails: a number beyond float64's range anywhere in
				// them. That is a refusal too, of this call only, and must have touched nothing.
				var generic any
				if json.Unmarshal([]byte(c.args), &generic) == nil || !errors.Is(err, mcp.ErrInvalidRequest) {
					t.Fatalf("%s %s: protocol error %v", c.tool, c.args, err)
				}
				if reqs := h.sim.Requests(); len(reqs) > 0 {
					t.Fatalf("%s %s: refused by the session, yet %d requests reached the cluster", c.tool, c.args, len(reqs))
				}
				continue
			}
			txt := text(res)
			if strings.Contains(txt, "internal error") {
				t.Fatalf("%s %s: %s", c.tool, c.args, txt)
			}
			valid := nodeOK
			if c.usesStore {
				valid = valid && pve.ValidStorage(name) == nil
			} else if c.tool == "proxmox_resource_usage" {
				valid = valid && (vmidOK || vmidNull && node != "")
			} else {
				valid = valid && vmidOK
			}
			if c.usesName {
				valid = valid && pve.ValidSnapshotName(name) == nil
			}
			reqs := h.sim.Requests()
			if !valid && (len(reqs) > 0 || !res.IsError) {
				t.Fatalf("%s %s: invalid input reached the cluster (%d requests) or was accepted: %s", c.tool, c.args, len(reqs), txt)
			}
			// Valid input for something that exists must work: a check that refuses everything would pass the
			// rest of this test.
			if valid && c.mustWork(id, node, name) && (res.IsError || len(reqs) == 0) {
				t.Fatalf("%s %s: valid call failed (%d requests): %s", c.tool, c.args, len(reqs), txt)
			}
			for _, r := range reqs {
				if r.Method != "GET" {
					t.Fatalf("%s %s: sent %s %s", c.tool, c.args, r.Method, r.RawPath)
				}
				segs := rawSegments(t, r.RawPath)
				for i, s := range segs {
					switch {
					case s == "" || s == "." || s == "..":
						t.Fatalf("%s: bad segment %q in %s", c.tool, s, r.RawPath)
					case i == 1 && segs[0] == "nodes" && !slices.Contains(nodes, s) && s != node:
						t.Fatalf("%s %s: request to node %q, not the caller's or the cluster's: %s", c.tool, c.args, s, r.RawPath)
					case i == 3 && (segs[2] == "qemu" || segs[2] == "lxc") && s != strconv.Itoa(id):
						t.Fatalf("%s %s: request for guest %q: %s", c.tool, c.args, s, r.RawPath)
					case i == 5 && segs[4] == "snapshot" && s != name:
						t.Fatalf("%s %s: request for snapshot %q: %s", c.tool, c.args, s, r.RawPath)
					case i == 3 && segs[2] == "storage" && s != name:
						t.Fatalf("%s %s: request for storage %q: %s", c.tool, c.args, s, r.RawPath)
					}
				}
			}
		}
		if w := h.sim.Writes(); len(w) != 0 {
			t.Fatalf("the cluster was written: %+v", w)
		}
	})
}

// rawSegments splits an escaped request path after /api2/json into unescaped segments.
func rawSegments(t *testing.T, raw string) []string {
	t.Helper()
	rest, ok := strings.CutPrefix(raw, "/api2/json/")
	if !ok {
		t.Fatalf("request outside the API: %s", raw)
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	var out []string
	for _, s := range strings.Split(rest, "/") {
		u, err := url.PathUnescape(s)
		if err != nil {
			t.Fatalf("segment %q of %s: %v", s, raw, err)
		}
		out = append(out, u)
	}
	return out
}
