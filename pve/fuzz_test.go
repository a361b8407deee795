package pve

import (
	"net/url"
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
		"invalid garbage", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUPID(s)
		if err != nil {
			if !u.IsZero() {
				t.Fatalf("error %v with a non-zero UPID", err)
			}
			return
		}
		if u.String() != s {
			t.Fatalf("String() = %q, want %q", u.String(), s)
		}
		if err := ValidNode(u.Node); err != nil && len(u.Node) <= maxNameLen {
			t.Fatalf("parsed node %q is not a valid node: %v", u.Node, err)
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
			if req.Path != "" {
				t.Fatalf("refused request has a path %q", req.Path)
			}
			return
		}
		want := []string{"nodes", node, typ, strconv.FormatInt(vmid, 10), "snapshot", snap}
		checkSegments(t, req.Path, want)
		if ValidNode(node) != nil || ValidSnapshotName(snap) != nil || ValidVMID(int(vmid)) != nil || GuestType(typ).Valid() != nil {
			t.Fatalf("accepted invalid input %q %q %q %d", node, typ, snap, vmid)
		}
		u := *mustParse(t, "https://pve.example.com:8006/api2/json")
		u.RawPath = u.EscapedPath() + req.Path
		if pu, err := url.Parse(u.String()); err != nil || pu.RawQuery != "" || pu.Fragment != "" {
			t.Fatalf("path %q makes URL %q with query or fragment (%v)", req.Path, u.String(), err)
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
