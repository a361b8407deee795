package pve

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode"

	"github.com/proxmox-mcp/proxmox-mcp/pve/internal/lazyre"
)

// Cloud-init settings of a VM, checked as qemu-server checks them. The schema names their formats
// (pve-qm-ipconfig, address-list) without spelling them out, so the rules are written here, from qemu-server's
// parse_ipconfig and pve-common's address-list.

// ValidIPConfig checks an ipconfigN value: ip=(dhcp|manual|IPv4/CIDR), gw=IPv4, ip6=(auto|dhcp|manual|IPv6/CIDR),
// gw6=IPv6, comma separated, each at most once, a prefix of 8 bits or more (as pve-common's *-config formats), and
// a gateway only with a static address of its family (Proxmox takes one beside dhcp, and it means nothing there).
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
			err = staticOr(v, true, "dhcp", "manual")
		case "ip6":
			err = staticOr(v, false, "auto", "dhcp", "manual")
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
	if err != nil || p.Addr().Is4() != v4 || p.Addr().Zone() != "" || p.Bits() < 8 {
		return fmt.Errorf("%s is not %s or an %s address with its prefix of 8 bits or more (%s)", quote(v), strings.Join(words, ", "), family(v4), example(v4, true))
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

// sshKeyFields are the public key types OpenSSH accepts in authorized_keys, each with the number of
// length-prefixed strings its key blob holds after the type (RFC 4253 6.6, RFC 5656 3.1, OpenSSH's
// PROTOCOL.u2f): ed25519 its key; RSA e and n; ECDSA the curve and the point; a security key's also the
// application. DSA (ssh-dss) is left out: OpenSSH refuses it by default since 7.0 and no longer builds it
// since 9.8, so a guest would silently not accept the key.
var sshKeyFields = map[string]int{
	"ssh-ed25519":                        1,
	"ssh-rsa":                            2,
	"ecdsa-sha2-nistp256":                2,
	"ecdsa-sha2-nistp384":                2,
	"ecdsa-sha2-nistp521":                2,
	"sk-ssh-ed25519@openssh.com":         2,
	"sk-ecdsa-sha2-nistp256@openssh.com": 3,
}

var sshKeyTypeNames = "ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com"

// plainKeyType matches what may be echoed of a line's first word: a short name of the characters key types use.
var plainKeyType = &lazyre.Regexp{Src: `^[a-z0-9@.-]{1,40}$`}

// ValidSSHKeys checks authorized_keys text: one OpenSSH public key a line (a key type, its base64 blob, an
// optional comment; no options prefix), blank lines allowed. The blob must decode and hold a whole key of the
// type the line names: the type again as its first string, then the type's strings, nothing more, so a key
// cut short in a paste or given under another type is refused before it reaches a guest that would ignore it.
func ValidSSHKeys(keys string) error {
	n := 0
	for i, line := range strings.Split(strings.ReplaceAll(keys, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if err := validSSHKey(line); err != nil {
			return fmt.Errorf("line %d %w", i+1, err)
		}
		n++
	}
	if n == 0 {
		return errors.New("no ssh key given")
	}
	return nil
}

// validSSHKey checks one line; its error completes "line N …".
func validSSHKey(line string) error {
	if strings.Contains(line, "PRIVATE KEY") {
		return errors.New("is part of a private key: give the public key (the .pub file), never the private one")
	}
	typ, rest, _ := strings.Cut(line, " ")
	blob, comment, _ := strings.Cut(rest, " ")
	fields, known := sshKeyFields[typ]
	switch {
	case typ == "ssh-dss":
		return errors.New("is a DSA key (ssh-dss), which OpenSSH no longer accepts: make an ed25519 key (ssh-keygen -t ed25519)")
	case !known && plainKeyType.MatchString(typ):
		return fmt.Errorf("starts with %q, not a key type OpenSSH accepts (%s)", typ, sshKeyTypeNames)
	case !known:
		return fmt.Errorf("does not start with a key type OpenSSH accepts (%s; no options before it)", sshKeyTypeNames)
	case blob == "":
		return fmt.Errorf("has no key data after its type %s", typ)
	case strings.ContainsFunc(comment, breaksLine):
		return errors.New("has a control character or a line break in its comment")
	}
	// The decoder skips \r and \n: a blob holding one decodes, but the guest's cloud-init would break the line there.
	data, err := base64.StdEncoding.Strict().DecodeString(blob)
	if err != nil || strings.ContainsAny(blob, "\r\n") {
		return errors.New("has key data that is not base64 (a key cut or wrapped in the paste?)")
	}
	strs, whole := sshStrings(data)
	if len(strs) == 0 || string(strs[0]) != typ {
		if len(strs) > 0 && sshKeyFields[string(strs[0])] > 0 {
			return fmt.Errorf("names the type %s, but its key data is a %s key", typ, strs[0])
		}
		return fmt.Errorf("has key data that is not a %s public key", typ)
	}
	if !whole || len(strs) != 1+fields {
		return fmt.Errorf("has key data that is not a whole %s key (cut short in the paste?)", typ)
	}
	return nil
}

// breaksLine reports a control character (C0, DEL or C1) or a Unicode line or paragraph separator. PVE writes
// each key unquoted into the guest's cloud-init YAML, and PyYAML breaks lines at \r, U+0085, U+2028 and U+2029:
// text after one would be a YAML key of its own (runcmd: a command run as root at boot).
func breaksLine(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// sshStrings splits an SSH wire-format blob into its length-prefixed strings (uint32 big-endian length, then
// the bytes); whole reports that they fill the blob exactly.
func sshStrings(b []byte) (strs [][]byte, whole bool) {
	for len(b) > 0 {
		if len(b) < 4 {
			return strs, false
		}
		n := binary.BigEndian.Uint32(b)
		if uint64(n) > uint64(len(b)-4) {
			return strs, false
		}
		strs, b = append(strs, b[4:4+n]), b[4+n:]
	}
	return strs, true
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
