package pve

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Cloud-init settings of a VM, checked as qemu-server checks them. The schema names their formats
// (pve-qm-ipconfig, address-list) without spelling them out, so the rules are written here, from qemu-server's
// parse_ipconfig and pve-common's address-list.

// ValidIPConfig checks an ipconfigN value: ip=(dhcp|IPv4/CIDR), gw=IPv4, ip6=(auto|dhcp|IPv6/CIDR), gw6=IPv6,
// comma separated, each at most once, a gateway only with a static address of its family.
func ValidIPConfig(s string) error {
	if s == "" {
		return errors.New("ipconfig is empty")
	}
	seen := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return fmt.Errorf("ipconfig part %s is not key=value (ip=, gw=, ip6=, gw6=)", quote(part))
		}
		if _, dup := seen[k]; dup {
			return fmt.Errorf("ipconfig sets %s twice", k)
		}
		seen[k] = v
		var err error
		switch k {
		case "ip":
			err = staticOr(v, true, "dhcp")
		case "ip6":
			err = staticOr(v, false, "dhcp", "auto")
		case "gw":
			err = address(v, true)
		case "gw6":
			err = address(v, false)
		default:
			err = fmt.Errorf("unknown key %s (ip, gw, ip6, gw6)", quote(k))
		}
		if err != nil {
			return fmt.Errorf("ipconfig %s: %w", k, err)
		}
	}
	if _, gw := seen["gw"]; gw && !strings.Contains(seen["ip"], "/") {
		return errors.New("ipconfig gw needs a static ip (ip=ADDRESS/PREFIX)")
	}
	if _, gw := seen["gw6"]; gw && !strings.Contains(seen["ip6"], "/") {
		return errors.New("ipconfig gw6 needs a static ip6 (ip6=ADDRESS/PREFIX)")
	}
	return nil
}

// staticOr accepts one of the words, or an address with a prefix of the given family.
func staticOr(v string, v4 bool, words ...string) error {
	for _, w := range words {
		if v == w {
			return nil
		}
	}
	p, err := netip.ParsePrefix(v)
	if err != nil || p.Addr().Is4() != v4 || p.Addr().Zone() != "" {
		return fmt.Errorf("%s is not %s or an %s address with its prefix (%s)", quote(v), strings.Join(words, " or "), family(v4), example(v4, true))
	}
	return nil
}

func address(v string, v4 bool) error {
	a, err := netip.ParseAddr(v)
	if err != nil || a.Is4() != v4 || a.Zone() != "" {
		return fmt.Errorf("%s is not an %s address (%s)", quote(v), family(v4), example(v4, false))
	}
	return nil
}

func family(v4 bool) string {
	if v4 {
		return "IPv4"
	}
	return "IPv6"
}

func example(v4, prefix bool) string {
	switch {
	case v4 && prefix:
		return "192.168.1.50/24"
	case v4:
		return "192.168.1.1"
	case prefix:
		return "2001:db8::50/64"
	}
	return "2001:db8::1"
}

// ValidNameservers checks a nameserver value: IP addresses separated by spaces, commas or semicolons.
func ValidNameservers(s string) error {
	list := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == ';' })
	if len(list) == 0 {
		return errors.New("nameserver is empty")
	}
	for _, a := range list {
		if _, err := netip.ParseAddr(a); err != nil {
			return fmt.Errorf("nameserver %s is not an IP address", quote(a))
		}
	}
	return nil
}

// ValidSearchDomains checks a searchdomain value: DNS names separated by spaces, commas or semicolons.
func ValidSearchDomains(s string) error {
	list := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == ';' })
	if len(list) == 0 {
		return errors.New("searchdomain is empty")
	}
	for _, d := range list {
		if err := ValidDNSName(d); err != nil {
			return err
		}
	}
	return nil
}

// sshKeyLine is one OpenSSH public key: an optional options prefix is not allowed here, a key type, the
// base64 blob, and an optional comment.
var sshKeyLine = regexp.MustCompile(`^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\x00-\x1f\x7f]*)?$`)

// ValidSSHKeys checks authorized_keys text: one OpenSSH public key a line, blank lines allowed.
func ValidSSHKeys(keys string) error {
	n := 0
	for i, line := range strings.Split(strings.ReplaceAll(keys, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if !sshKeyLine.MatchString(line) {
			return fmt.Errorf("ssh key line %d is not an OpenSSH public key (ssh-ed25519 AAAA… comment)", i+1)
		}
		n++
	}
	if n == 0 {
		return errors.New("no ssh key given")
	}
	return nil
}

// EncodeSSHKeys writes authorized_keys text as the sshkeys option holds it: one key a line, every byte but
// the unreserved ones (letters, digits, - . _ ~) percent-encoded, as qemu-server re-encodes what it stores
// (URI::Escape), so the option reads back exactly as it was sent.
func EncodeSSHKeys(keys string) string {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(keys, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	s := strings.Join(lines, "\n") + "\n"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
