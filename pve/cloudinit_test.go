package pve

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

func TestValidIPConfig(t *testing.T) {
	good := []string{"ip=dhcp", "ip=192.168.1.50/24,gw=192.168.1.1", "ip6=auto", "ip6=dhcp", "ip=10.0.0.2/8,ip6=2001:db8::2/64,gw6=2001:db8::1",
		"ip=dhcp,ip6=auto", "ip=manual,ip6=manual", "ip=10.0.0.2/8,ip6=2001:db8::2/8"}
	bad := []string{"", "ip=", "ip=192.168.1.50", "ip=192.168.1.500/24", "ip=2001:db8::2/64", "ip6=192.168.1.2/24", "gw=192.168.1.1",
		"ip=dhcp,gw=192.168.1.1", "ip=dhcp,ip=dhcp", "ipv4=dhcp", "ip=dhcp,", "ip=10.0.0.2/24,gw=fe80::1", "ip=10.0.0.2/33",
		"ip=10.0.0.2/7", "ip6=2001:db8::2/7", "ip=auto", "ip=manual,gw=10.0.0.1"}
	for _, s := range good {
		if err := ValidIPConfig(s); err != nil {
			t.Errorf("%q refused: %v", s, err)
		}
	}
	for _, s := range bad {
		if err := ValidIPConfig(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestValidNameserversAndSearchDomains(t *testing.T) {
	if err := ValidNameservers("1.1.1.1 9.9.9.9,2620:fe::fe"); err != nil {
		t.Error(err)
	}
	for _, s := range []string{"", "dns.example", "1.1.1.1 x"} {
		if ValidNameservers(s) == nil {
			t.Errorf("nameserver %q accepted", s)
		}
	}
	if err := ValidSearchDomains("lan home.example"); err != nil {
		t.Error(err)
	}
	for _, s := range []string{"", "bad_domain", "ok,-no"} {
		if ValidSearchDomains(s) == nil {
			t.Errorf("searchdomain %q accepted", s)
		}
	}
}

// realKeys reads testdata/ssh-public-keys.txt: OpenSSH public keys of every type, and whether each is accepted.
func realKeys(t testing.TB) (keys []string, accepted map[string]bool) {
	b, err := os.ReadFile(filepath.Join("testdata", "ssh-public-keys.txt"))
	if err != nil {
		t.Fatal(err)
	}
	accepted = map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		verdict, key, _ := strings.Cut(l, " ")
		keys = append(keys, key)
		accepted[key] = verdict == "yes"
	}
	return keys, accepted
}

func TestSSHKeys(t *testing.T) {
	keys, accepted := realKeys(t)
	byType := map[string]string{}
	for _, k := range keys {
		typ, _, _ := strings.Cut(k, " ")
		byType[typ] = k
		if err := ValidSSHKeys(k); (err == nil) != accepted[k] {
			t.Errorf("%s: %v, accepted %v", typ, err, accepted[k])
		}
	}
	if err := ValidSSHKeys(strings.Join(keys[:5], "\r\n") + "\n\n"); err != nil {
		t.Errorf("several keys: %v", err)
	}
	ed, rsa := byType["ssh-ed25519"], byType["ssh-rsa"]
	_, edBlob, _ := strings.Cut(ed, " ")
	edBlob, _, _ = strings.Cut(edBlob, " ")
	tests := []struct{ keys, want string }{
		{"", "no ssh key given"},
		{"\n \n", "no ssh key given"},
		{"ssh-rsa AAAA", "line 1 has key data that is not a ssh-rsa public key"},
		{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", "line 1 has key data that is not a whole ssh-ed25519 key (cut short in the paste?)"},
		{"ssh-ed25519 " + edBlob[:len(edBlob)-3] + " cut", "line 1 has key data that is not base64 (a key cut or wrapped in the paste?)"},
		{"ssh-ed25519 " + edBlob[:48] + " cut", "line 1 has key data that is not a whole ssh-ed25519 key (cut short in the paste?)"},
		{"ssh-rsa " + edBlob + " swapped", "line 1 names the type ssh-rsa, but its key data is a ssh-ed25519 key"},
		{"ssh-ed25519 not*base64", "line 1 has key data that is not base64 (a key cut or wrapped in the paste?)"},
		{"ssh-ed25519", "line 1 has no key data after its type ssh-ed25519"},
		{"ssh-ed25519  " + edBlob, "line 1 has no key data after its type ssh-ed25519"},
		{ed + "\x1b[31m", "line 1 has a control character or a line break in its comment"},
		{rsa + "\nssh-foo AAAA", `line 2 starts with "ssh-foo", not a key type OpenSSH accepts (` + sshKeyTypeNames + ")"},
		{`command="rm -rf /" ` + ed, "line 1 does not start with a key type OpenSSH accepts (" + sshKeyTypeNames + "; no options before it)"},
		{"AAAAC3Nza ops", "line 1 does not start with a key type OpenSSH accepts (" + sshKeyTypeNames + "; no options before it)"}, // only a plain lower-case first word is echoed
		{"-----BEGIN OPENSSH PRIVATE KEY-----", "line 1 is part of a private key: give the public key (the .pub file), never the private one"},
		{byType["ssh-dss"], "line 1 is a DSA key (ssh-dss), which OpenSSH no longer accepts: make an ed25519 key (ssh-keygen -t ed25519)"},
		{ed + " a comment with spaces", ""},
		{ed + " josé@laptop", ""},
		// cloud-init's YAML (PyYAML) breaks lines at \r, U+0085, U+2028 and U+2029, and PVE writes each key
		// unquoted into its user-data: what follows one would be a key of its own, e.g. runcmd.
		{ed + " ops\u2028runcmd: [[sh, -c, id]]", "line 1 has a control character or a line break in its comment"},
		{ed + " ops\u2029runcmd: [[sh, -c, id]]", "line 1 has a control character or a line break in its comment"},
		{ed + " ops\u0085runcmd: [[sh, -c, id]]", "line 1 has a control character or a line break in its comment"},
		{"ssh-ed25519 " + edBlob[:64] + "\r" + edBlob[64:] + " : [[sh, -c, id]]", "line 1 has key data that is not base64 (a key cut or wrapped in the paste?)"},
		{"ssh-ed25519 " + edBlob + "\r", ""}, // a stray \r at the end of a line is trimmed
	}
	for _, tc := range tests {
		got := ""
		if err := ValidSSHKeys(tc.keys); err != nil {
			got = err.Error()
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%.40q (-want +got)\n%s", tc.keys, diff)
		}
	}
	// every key cut in its blob at a 4-character boundary (where it still decodes) is refused
	for _, k := range keys[:7] {
		typ, rest, _ := strings.Cut(k, " ")
		blob, _, _ := strings.Cut(rest, " ")
		for n := 4; n < len(blob); n += 4 {
			if ValidSSHKeys(typ+" "+blob[:n]) == nil {
				t.Errorf("%s cut to %d characters accepted", typ, n)
			}
		}
	}
	got := EncodeSSHKeys(" " + ed + "\r\n\n")
	if want := strings.NewReplacer(" ", "%20", "@", "%40", "+", "%2B", "/", "%2F", "=", "%3D").Replace(ed) + "%0A"; got != want {
		t.Errorf("encoded %q, want %q", got, want)
	}
}

// FuzzValidSSHKeys checks the validator against an oracle written apart from it, from the formats' own
// description: a line is TYPE SP BASE64 [SP COMMENT]; the blob, read with a bytes.Reader and binary.Read, is
// the type as an SSH string and then exactly the type's count of SSH strings.
func FuzzValidSSHKeys(f *testing.F) {
	keys, _ := realKeys(f)
	for _, k := range keys {
		f.Add(k)
		f.Add(k + "\n" + k)
		f.Add(strings.Replace(k, " ", "  ", 1))
	}
	f.Add("ssh-rsa AAAA")
	f.Add(keys[0] + " ops\u2028runcmd: [id]")
	f.Add(strings.Replace(keys[0], "AAAA", "AAAA\r", 1))
	f.Add("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5")
	f.Fuzz(func(t *testing.T, keys string) {
		if got, want := ValidSSHKeys(keys) == nil, sshKeysOracle(keys); got != want {
			t.Fatalf("%q: valid %v, oracle says %v", keys, got, want)
		}
	})
}

func sshKeysOracle(keys string) bool {
	counts := map[string]int{"ssh-ed25519": 1, "ssh-rsa": 2, "ecdsa-sha2-nistp256": 2, "ecdsa-sha2-nistp384": 2, "ecdsa-sha2-nistp521": 2,
		"sk-ssh-ed25519@openssh.com": 2, "sk-ecdsa-sha2-nistp256@openssh.com": 3}
	seen := false
	for _, line := range strings.Split(strings.ReplaceAll(keys, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		seen = true
		parts := strings.SplitN(line, " ", 3)
		count, ok := counts[parts[0]]
		if !ok || len(parts) < 2 || parts[1] == "" || strings.Contains(line, "PRIVATE KEY") {
			return false
		}
		if len(parts) == 3 {
			// no C0, DEL or C1 control, nor a Unicode line or paragraph separator: a YAML line break
			for _, r := range parts[2] {
				if r < 0x20 || 0x7f <= r && r <= 0x9f || r == 0x2028 || r == 0x2029 {
					return false
				}
			}
		}
		for i := 0; i < len(parts[1]); i++ {
			if !strings.Contains("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", parts[1][i:i+1]) {
				return false
			}
		}
		blob, err := base64.StdEncoding.Strict().DecodeString(parts[1])
		if err != nil {
			return false
		}
		r := bytes.NewReader(blob)
		var got []string
		for r.Len() > 0 {
			var n uint32
			if binary.Read(r, binary.BigEndian, &n) != nil || int64(n) > int64(r.Len()) {
				return false
			}
			s := make([]byte, n)
			if _, err := io.ReadFull(r, s); err != nil {
				return false
			}
			got = append(got, string(s))
		}
		if len(got) != 1+count || got[0] != parts[0] {
			return false
		}
	}
	return seen
}

// urlencodedChars is what the schema's urlencoded format allows (pve-common: ^[-%a-zA-Z0-9_.!~*'()]*$).
var urlencodedChars = regexp.MustCompile(`^[-%a-zA-Z0-9_.!~*'()]*$`)

// FuzzEncodeSSHKeys: whatever the keys, the encoding is what the schema's format accepts, and decoding it (with
// the standard library, not the code under test) gives back the keys, one trimmed line each.
func FuzzEncodeSSHKeys(f *testing.F) {
	for _, s := range []string{"ssh-ed25519 AAAA ops@laptop", "a\nb\r\n", "ü€ %+&=?#", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, keys string) {
		enc := EncodeSSHKeys(keys)
		if !urlencodedChars.MatchString(enc) {
			t.Fatalf("%q encodes to %q, which the schema's urlencoded format refuses", keys, enc)
		}
		dec, err := url.PathUnescape(enc)
		if err != nil {
			t.Fatalf("%q: %v", enc, err)
		}
		var want []string
		for _, l := range strings.Split(strings.ReplaceAll(keys, "\r\n", "\n"), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				want = append(want, l)
			}
		}
		if dec != strings.Join(want, "\n")+"\n" {
			t.Fatalf("%q round-trips to %q", keys, dec)
		}
	})
}

// FuzzValidIPConfig checks the validator against an oracle written apart from it, with package net.
func FuzzValidIPConfig(f *testing.F) {
	for _, s := range []string{"ip=dhcp", "ip=10.0.0.1/24,gw=10.0.0.254", "ip6=auto", "gw=1.2.3.4", "ip=1.2.3.4/24,ip=dhcp", "ip=::1/128",
		"ip=manual", "ip=10.0.0.1/7", "ip6=fe80::1/8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, want := ValidIPConfig(s) == nil, ipconfigOracle(s)
		if got != want {
			t.Fatalf("%q: valid %v, oracle says %v", s, got, want)
		}
		// What the typed tools accept, the schema (and so Proxmox) accepts: no clone is left behind by a
		// configure step that Proxmox refuses.
		if got {
			if probs := configOp.CheckRaw(map[string]string{"node": "pve1", "vmid": "100", "ipconfig0": s}); len(probs) > 0 {
				t.Fatalf("%q: valid here, refused by the schema: %v", s, probs)
			}
		}
	})
}

var configOp = schema.Lookup("PUT", "/nodes/{node}/qemu/{vmid}/config")

func ipconfigOracle(s string) bool {
	if s == "" {
		return false
	}
	kv := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		i := strings.IndexByte(part, '=')
		if i < 0 {
			return false
		}
		k, v := part[:i], part[i+1:]
		if _, dup := kv[k]; dup {
			return false
		}
		kv[k] = v
	}
	cidr := func(v string, v4 bool) bool {
		ip, _, err := net.ParseCIDR(v)
		bits := v[strings.LastIndexByte(v, '/')+1:]
		n, _ := strconv.Atoi(bits)
		return err == nil && (len(bits) == 1 || bits[0] != '0') && n >= 8 && (ip.To4() != nil) == v4 && !strings.Contains(v, "%") && strings.Count(v, "/") == 1 && strings.Contains(v, ".") == v4
	}
	addr := func(v string, v4 bool) bool {
		ip := net.ParseIP(v)
		return ip != nil && (ip.To4() != nil) == v4 && strings.Contains(v, ".") == v4
	}
	for k, v := range kv {
		ok := false
		switch k {
		case "ip":
			ok = v == "dhcp" || v == "manual" || cidr(v, true)
		case "ip6":
			ok = v == "dhcp" || v == "auto" || v == "manual" || cidr(v, false)
		case "gw":
			ok = addr(v, true) && strings.Contains(kv["ip"], "/")
		case "gw6":
			ok = addr(v, false) && strings.Contains(kv["ip6"], "/")
		}
		if !ok {
			return false
		}
	}
	return true
}
