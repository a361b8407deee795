package pve

import (
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// Oracles for the formats the validators check, written from ../shared/pve-api/README.md (pve-common's
// JSONSchema.pm and UPID.pm, as listed there) as plain loops over the bytes, so that a validator whose regexp
// is too lenient (or too strict) disagrees with them. They share no code with validate.go or upid.go. Where
// the validators are stricter than the schema on purpose, the oracle says so and applies the same rule.

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isASCIIDigit(c byte) bool  { return '0' <= c && c <= '9' }

// oracleVMID: pve-vmid is ^[1-9][0-9]{2,8}$ on the decimal form.
func oracleVMID(n int64) bool {
	s := strconv.FormatInt(n, 10)
	if len(s) < 3 || len(s) > 9 || s[0] < '1' || s[0] > '9' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isASCIIDigit(s[i]) {
			return false
		}
	}
	return true
}

// oracleNode: pve-node is ^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$; the client also caps it at 63
// characters (a DNS label), which the schema does not.
func oracleNode(s string) bool { return len(s) <= 63 && nodeShape(s) }

// nodeShape is pve-node without the client's cap.
func nodeShape(s string) bool {
	if len(s) == 0 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isASCIILetter(c) && !isASCIIDigit(c) && c != '-' {
			return false
		}
	}
	return true
}

// oracleSnapshot: pve-snapshot-name is pve-configid (^[a-z][a-z0-9_-]+$, case-insensitive) of at most 40
// characters, and not current or pending (refused here in any case, for both guest types).
func oracleSnapshot(s string) bool {
	if len(s) < 2 || len(s) > 40 || !isASCIILetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isASCIILetter(c) && !isASCIIDigit(c) && c != '_' && c != '-' {
			return false
		}
	}
	return !strings.EqualFold(s, "current") && !strings.EqualFold(s, "pending")
}

// oracleStorageName: pve-storage-id is at least 2 characters of ^[a-z][a-z0-9._-]*[a-z0-9]$,
// case-insensitive.
func oracleStorageName(s string) bool {
	if len(s) < 2 || !isASCIILetter(s[0]) {
		return false
	}
	if last := s[len(s)-1]; !isASCIILetter(last) && !isASCIIDigit(last) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isASCIILetter(c) && !isASCIIDigit(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// oracleStorage is a storage id as the client accepts it: the schema's rule, at most 63 characters.
func oracleStorage(s string) bool { return len(s) <= 63 && oracleStorageName(s) }

// oracleVolume: pve-volume-id is STORAGE:PATH. The client also requires a non-empty PATH without control
// characters, spaces or commas (a comma would start another property in a property string) and caps the
// whole at 255 characters.
func oracleVolume(s string) bool {
	st, path, ok := strings.Cut(s, ":")
	if !ok || len(s) > 255 || !oracleStorageName(st) || path == "" {
		return false
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; c < 0x20 || c == 0x7f || c == ' ' || c == ',' {
			return false
		}
	}
	return true
}

// oracleUPID: PVE's parser is
// ^UPID:(NODE):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$ with
// NODE a pve-node (uncapped) and Perl's \s, which on character strings is Unicode White_Space. The client
// also refuses ids over 512 bytes.
func oracleUPID(s string) bool {
	if len(s) > 512 || len(s) <= len("UPID:") || !strings.HasPrefix(s, "UPID:") || !strings.HasSuffix(s, ":") {
		return false
	}
	f := strings.Split(s[len("UPID:"):len(s)-1], ":")
	if len(f) != 7 {
		return false
	}
	hex := func(s string, min, max int) bool {
		if len(s) < min || len(s) > max {
			return false
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; !isASCIIDigit(c) && !('a' <= c && c <= 'f') && !('A' <= c && c <= 'F') {
				return false
			}
		}
		return true
	}
	field := func(s string, min int) bool {
		if len(s) < min {
			return false
		}
		for _, r := range s {
			if r == '/' || unicode.IsSpace(r) {
				return false
			}
		}
		return true
	}
	return nodeShape(f[0]) && hex(f[1], 8, 8) && hex(f[2], 8, 9) && hex(f[3], 8, 8) && field(f[4], 1) && field(f[5], 0) && field(f[6], 1)
}

// oracleTag: pve-tag is ^[a-z0-9_][a-z0-9_\-+.]*$, case-insensitive; the client takes ASCII only and at
// most 128 characters.
func oracleTag(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := isASCIILetter(c) || isASCIIDigit(c) || c == '_' || i > 0 && (c == '-' || c == '+' || c == '.')
		if !ok {
			return false
		}
	}
	return true
}

// oraclePool: pve-poolid is one to three '/'-separated levels of letters, digits, '.', '_' and '-'; the client
// caps the whole at 63 characters.
func oraclePool(s string) bool {
	levels := strings.Split(s, "/")
	if len(s) > 63 || len(levels) > 3 {
		return false
	}
	for _, l := range levels {
		if l == "" {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !isASCIILetter(c) && !isASCIIDigit(c) && c != '.' && c != '_' && c != '-' {
				return false
			}
		}
	}
	return true
}

// oracleDNSName: dns-name is '.'-separated labels of letters, digits and '-', neither first nor last in a
// label; the client caps it at 255 characters.
func oracleDNSName(s string) bool {
	if len(s) > 255 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if !nodeShape(l) {
			return false
		}
	}
	return true
}

// oracleBridge: pve-bridge-id is ^[-_.\w\d]+$ (ASCII word characters, '-' and '.'); the client also wants a
// Linux interface name: a letter or digit first, at most 15 bytes.
func oracleBridge(s string) bool {
	if len(s) == 0 || len(s) > 15 || !isASCIILetter(s[0]) && !isASCIIDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isASCIILetter(c) && !isASCIIDigit(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// oracleTokenID: pve-tokenid is USER@REALM!TOKEN, REALM and TOKEN a letter then letters, digits, '.', '-'
// or '_' (at least 2 characters); USER has no white space, ':' or '/', and for the client no '@', '!' or '='
// either (the Authorization header is read up to the first of them).
func oracleTokenID(s string) bool {
	user, rest, ok := strings.Cut(s, "@")
	if !ok || user == "" || strings.ContainsAny(user, " \t\n\f\r:/@!=") {
		return false
	}
	realm, token, ok := strings.Cut(rest, "!")
	name := func(v string) bool {
		if len(v) < 2 || !isASCIILetter(v[0]) {
			return false
		}
		for i := 1; i < len(v); i++ {
			if c := v[i]; !isASCIILetter(c) && !isASCIIDigit(c) && c != '.' && c != '-' && c != '_' {
				return false
			}
		}
		return true
	}
	return ok && name(realm) && name(token)
}

// FuzzValidators: each validator accepts exactly what its oracle accepts.
func FuzzValidators(f *testing.F) {
	for _, s := range []string{
		"pve1", "a", "-pve", "pve-", "pve_1", "PVE1", "node.lan", strings.Repeat("n", 63), strings.Repeat("n", 64),
		"snap", "s", "1snap", "pre-upgrade_2", "current", "Pending", "ſnap", "\u212Aelvin", "snap\u017f", strings.Repeat("s", 41),
		"local", "local-lvm", "l", "local.", "nas.backup", "ſtorage", "local\u212A",
		"local:iso/debian-12.iso", "local:", ":x", "local:a b", "local:a,b", "l:x", "local:vztmpl/x\x00", "ſ1:x", "pbs:backup/vm/100/2026-01-01T00:00:00Z",
		"100", "0100", "1e3", "",
		"prod", "+x", "_x", "a+b.c", "lab/web/db", "lab/web/db/x", "lab//x", "/lab", "web-01.lan", "a..b", "-a.b",
		"vmbr0", "vmbr0.100", "_br", "eth_veryverylong0", "mcp@pve!mcp", "a@b@pve!t1", "a=b@pve!t1", "u@pve!t",
	} {
		f.Add(s, int64(len(s))*37)
	}
	f.Add("x", int64(99))
	f.Add("x", int64(100))
	f.Add("x", int64(999999999))
	f.Add("x", int64(1000000000))
	f.Add("x", int64(-100))
	f.Fuzz(func(t *testing.T, s string, n int64) {
		check := func(what string, got error, want bool) {
			t.Helper()
			if (got == nil) != want {
				t.Errorf("%s(%q): validator says %v, oracle says valid=%v", what, s, got, want)
			}
		}
		check("ValidNode", ValidNode(s), oracleNode(s))
		check("ValidSnapshotName", ValidSnapshotName(s), oracleSnapshot(s))
		check("ValidStorage", ValidStorage(s), oracleStorage(s))
		check("ValidVolumeID", ValidVolumeID(s), oracleVolume(s))
		check("ValidTag", ValidTag(s), oracleTag(s))
		check("ValidPool", ValidPool(s), oraclePool(s))
		check("ValidDNSName", ValidDNSName(s), oracleDNSName(s))
		check("ValidBridge", ValidBridge(s), oracleBridge(s))
		check("ValidTokenID", ValidTokenID(s), oracleTokenID(s))
		if msg, _ := schema.CheckFormat(formatTokenID, s); ValidTokenID(s) == nil && msg != "" {
			t.Errorf("ValidTokenID(%q) accepts what the schema's %s refuses: %s", s, formatTokenID, msg)
		}
		if strconv.IntSize == 64 || n == int64(int32(n)) {
			if got, want := ValidVMID(int(n)) == nil, oracleVMID(n); got != want {
				t.Errorf("ValidVMID(%d) = %v, oracle says %v", n, got, want)
			}
		}
	})
}
