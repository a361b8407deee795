package pve

import (
	"net"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestValidIPConfig(t *testing.T) {
	good := []string{"ip=dhcp", "ip=192.168.1.50/24,gw=192.168.1.1", "ip6=auto", "ip6=dhcp", "ip=10.0.0.2/8,ip6=2001:db8::2/64,gw6=2001:db8::1",
		"ip=dhcp,ip6=auto"}
	bad := []string{"", "ip=", "ip=192.168.1.50", "ip=192.168.1.500/24", "ip=2001:db8::2/64", "ip6=192.168.1.2/24", "gw=192.168.1.1",
		"ip=dhcp,gw=192.168.1.1", "ip=dhcp,ip=dhcp", "ipv4=dhcp", "ip=dhcp,", "ip=10.0.0.2/24,gw=fe80::1", "ip=10.0.0.2/33"}
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

func TestSSHKeys(t *testing.T) {
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ4bGF0ZXN0a2V5Zm9ydGVzdHNvbmx5 ops@laptop"
	if err := ValidSSHKeys(key + "\n\necdsa-sha2-nistp256 AAAAE2VjZHNh= other\n"); err != nil {
		t.Error(err)
	}
	for _, s := range []string{"", "\n", "AAAAC3Nza ops", "ssh-ed25519", "ssh-ed25519 not*base64", `command="rm -rf /" ssh-ed25519 AAAA`, "ssh-ed25519 AAAA x\x1b[31m"} {
		if ValidSSHKeys(s) == nil {
			t.Errorf("%q accepted", s)
		}
	}
	got := EncodeSSHKeys(" " + key + "\r\n\n")
	if want := "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIGJ4bGF0ZXN0a2V5Zm9ydGVzdHNvbmx5%20ops%40laptop%0A"; got != want {
		t.Errorf("encoded %q, want %q", got, want)
	}
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
	for _, s := range []string{"ip=dhcp", "ip=10.0.0.1/24,gw=10.0.0.254", "ip6=auto", "gw=1.2.3.4", "ip=1.2.3.4/24,ip=dhcp", "ip=::1/128"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidIPConfig(s) == nil, ipconfigOracle(s); got != want {
			t.Fatalf("%q: valid %v, oracle says %v", s, got, want)
		}
	})
}

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
		return err == nil && (len(bits) == 1 || bits[0] != '0') && (ip.To4() != nil) == v4 && !strings.Contains(v, "%") && strings.Count(v, "/") == 1 && strings.Contains(v, ".") == v4
	}
	addr := func(v string, v4 bool) bool {
		ip := net.ParseIP(v)
		return ip != nil && (ip.To4() != nil) == v4 && strings.Contains(v, ".") == v4
	}
	for k, v := range kv {
		ok := false
		switch k {
		case "ip":
			ok = v == "dhcp" || cidr(v, true)
		case "ip6":
			ok = v == "dhcp" || v == "auto" || cidr(v, false)
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
