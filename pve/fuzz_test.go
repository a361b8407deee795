package pve

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseUPID: never panics; what parses is exactly what PVE's pattern accepts, round-trips, and names a
// valid node (it becomes a path segment when the task is polled).
func FuzzParseUPID(f *testing.F) {
	for _, s := range []string{
		testUPID,
		"UPID:example-node:000934AF:FFFFFFFFF:68BF3A41:fake-but-valid-type:100:root@pam:",
		"UPID:pve:00061CB3:010BA69C:64EFECB0:imgcopy::root@pam:",
		"UPID:pve1:000A1B2C:01C3D4E5:6740F00D:qmstart:100:root@pam!mcp",
		"UPID:../x:000A1B2C:01C3D4E5:6740F00D:qmstart:100:root@pam:",
		"UPID:pve1:000A1B2C:01C3D4E5:6740F00D:qm start:100:root@pam:",
		"invalid garbage", "", "UPID:", "UPID::",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUPID(s)
		if err != nil {
			if !u.IsZero() {
				t.Fatalf("error %v with a non-zero UPID", err)
			}
			if oracleUPID(s) {
				t.Fatalf("refused %q, which PVE's pattern accepts: %v", s, err)
			}
			return
		}
		if u.String() != s {
			t.Fatalf("String() = %q, want %q", u.String(), s)
		}
		if !oracleUPID(s) {
			t.Fatalf("parsed %q, which PVE's pattern refuses", s)
		}
		if !oracleNode(u.Node) && len(u.Node) <= maxNameLen {
			t.Fatalf("parsed node %q is not a valid node", u.Node)
		}
		if strings.ContainsAny(u.Type+u.ID+u.User, ":/ \t\n\r") {
			t.Fatalf("field with separator: %+v", u)
		}
		p, err := taskPath(u, "status")
		if err != nil {
			return // an over-long node name
		}
		segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
		if len(segs) != 5 {
			t.Fatalf("task path %q has %d segments, want 5", p, len(segs))
		}
		if got, _ := url.PathUnescape(segs[3]); got != s {
			t.Fatalf("task segment %q unescapes to %q, want %q", segs[3], got, s)
		}
	})
}

// FuzzGuestPaths: whatever the strings, a request is either refused or its path has exactly the intended
// segments, each unescaping to the input: no traversal, no extra segment, no query.
func FuzzGuestPaths(f *testing.F) {
	for _, s := range [][3]string{
		{"pve1", "qemu", "pre-upgrade"}, {"../access", "qemu", "x"}, {"pve1", "lxc", "a/../../b"},
		{"%2e%2e", "qemu", "snap"}, {"pve1/../../cluster", "lxc", "s1"}, {"pve\x00", "qemu", "s\n"},
		{"рve1", "qemu", "ѕnap"}, {strings.Repeat("a", 300), "qemu", strings.Repeat("b", 300)},
	} {
		f.Add(s[0], s[1], s[2], int64(100))
	}
	f.Add("pve1", "qemu", "snap", int64(-1))
	f.Add("pve1", "qemu", "snap", int64(1e12))
	f.Fuzz(func(t *testing.T, node, typ, snap string, vmid int64) {
		g := GuestRef{Node: node, Type: GuestType(typ), VMID: int(vmid)}
		req, err := DeleteSnapshotRequest(g, snap)
		if err != nil {
			if req.path != "" {
				t.Fatalf("refused request has a path %q", req.path)
			}
			return
		}
		want := []string{"nodes", node, typ, strconv.FormatInt(vmid, 10), "snapshot", snap}
		checkSegments(t, req.path, want)
		if !oracleNode(node) || !oracleSnapshot(snap) || !oracleVMID(vmid) || typ != "qemu" && typ != "lxc" {
			t.Fatalf("accepted invalid input %q %q %q %d", node, typ, snap, vmid)
		}
		u := *mustParse(t, "https://pve.example.com:8006/api2/json")
		u.RawPath = u.EscapedPath() + req.path
		if pu, err := url.Parse(u.String()); err != nil || pu.RawQuery != "" || pu.Fragment != "" {
			t.Fatalf("path %q makes URL %q with query or fragment (%v)", req.path, u.String(), err)
		}
	})
}

func checkSegments(t *testing.T, path string, want []string) {
	t.Helper()
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(segs) != len(want) {
		t.Fatalf("path %q has %d segments, want %d", path, len(segs), len(want))
	}
	for i, s := range segs {
		got, err := url.PathUnescape(s)
		if err != nil || got != want[i] {
			t.Fatalf("segment %d of %q = %q (%v), want %q", i, path, got, err, want[i])
		}
		if s == ".." || s == "." {
			t.Fatalf("dot segment in %q", path)
		}
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// FuzzRequestBuilders: every write request builder, fed the same hostile strings as node, type, name and
// storage, either refuses (with no path) or builds a path whose segments are exactly the intended ones and
// whose parameters carry the values unchanged (form encoding escapes them, it never splits them).
func FuzzRequestBuilders(f *testing.F) {
	for _, s := range [][4]string{
		{"pve1", "qemu", "pre-upgrade", "local-lvm"}, {"../access", "lxc", "x", "../x"}, {"%2e%2e", "qemu", "%2e%2e", "%2e"},
		{"pve1/../../cluster", "lxc", "a/../../b", "a/b"}, {"pve\x00", "qemu", "s\n", "s\r\n"},
		{"рve1", "qemu", "ѕnap", "lоcal"}, {strings.Repeat("a", 300), "qemu", strings.Repeat("b", 300), strings.Repeat("c", 300)},
		{"pve1", "qemu", "snap&delete=1", "local?x=1"}, {"pve1", "QEMU", "current", "local#frag"},
	} {
		f.Add(s[0], s[1], s[2], s[3], int64(100), int64(101))
	}
	f.Add("pve1", "qemu", "snap", "local", int64(-1), int64(1e12))
	f.Fuzz(func(t *testing.T, node, typ, name, storage string, vmid, newid int64) {
		g := GuestRef{Node: node, Type: GuestType(typ), VMID: int(vmid)}
		guestOK := oracleNode(node) && (typ == "qemu" || typ == "lxc") && oracleVMID(vmid)
		base := []string{"nodes", node, typ, strconv.FormatInt(vmid, 10)}
		check := func(what string, req Request, err error, valid bool, want []string) {
			t.Helper()
			if err != nil {
				if req.path != "" || req.method != "" {
					t.Fatalf("%s: refused request has %s %q", what, req.method, req.path)
				}
				if valid {
					t.Fatalf("%s: refused valid input %q %q %q %q %d %d: %v", what, node, typ, name, storage, vmid, newid, err)
				}
				return
			}
			if !valid {
				t.Fatalf("%s: accepted invalid input %q %q %q %q %d %d", what, node, typ, name, storage, vmid, newid)
			}
			checkSegments(t, req.path, want)
		}
		for _, action := range []string{"start", "shutdown", "reboot", "stop"} {
			req, err := PowerRequest(g, action, 0, false)
			check("power "+action, req, err, guestOK, append(slices.Clone(base), "status", action))
		}
		req, err := SnapshotRequest(g, name, name, false)
		check("snapshot", req, err, guestOK && oracleSnapshot(name), append(slices.Clone(base), "snapshot"))
		if err == nil && req.params.Get("snapname") != name {
			t.Fatalf("snapname %q, want %q", req.params.Get("snapname"), name)
		}
		req, err = RollbackRequest(g, name, false)
		check("rollback", req, err, guestOK && oracleSnapshot(name), append(slices.Clone(base), "snapshot", name, "rollback"))
		req, err = DestroyRequest(g, true)
		check("destroy", req, err, guestOK, base)
		req, err = CloneRequest(g, CloneOptions{NewID: int(newid), Target: node, Storage: storage, Full: storage != ""})
		cloneOK := guestOK && oracleVMID(newid) && newid != vmid && (storage == "" || oracleStorage(storage)) && (node == "" || oracleNode(node))
		check("clone", req, err, cloneOK, append(slices.Clone(base), "clone"))
		req, err = BackupRequest(g, BackupOptions{Storage: storage})
		check("backup", req, err, guestOK && (storage == "" || oracleStorage(storage)), []string{"nodes", node, "vzdump"})
		if err == nil && storage != "" && req.params.Get("storage") != storage {
			t.Fatalf("backup storage %q, want %q", req.params.Get("storage"), storage)
		}
		req, err = CreateVMRequest(node, VMSpec{VMID: int(vmid), Name: "vm1", Memory: 1024, Cores: 1, Disk: storage + ":8"})
		check("create vm", req, err, oracleNode(node) && oracleVMID(vmid) && oracleStorage(storage), []string{"nodes", node, "qemu"})
	})
}
