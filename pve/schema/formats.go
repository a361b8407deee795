package schema

import (
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp/pve/internal/lazyre"
)

// The named formats the schema uses, checked as PVE checks them, with PVE's error texts (which end in "\n",
// as the die in the Perl checker does). Sources: pve-common (JSONSchema.pm, ParseUtils.pm), pve-access-control,
// pve-storage, pve-firewall, pve-network (9.1's ID formats), pve-ha-manager, pve-guest-common, pve-manager,
// qemu-server and pve-container. A format not here is accepted as it is (Formats lists which).

var (
	vmidRE        = &lazyre.Regexp{Src: `^[1-9][0-9]{2,8}$`}
	nodeRE        = &lazyre.Regexp{Src: `^[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?$`}
	configIDRE    = &lazyre.Regexp{Src: `(?i)^[a-z][a-z0-9_-]+$`}
	idRE          = &lazyre.Regexp{Src: `(?i)^[a-z][a-z0-9\-_.]*[a-z0-9]$`}
	bridgeRE      = &lazyre.Regexp{Src: `^[-_.\w\d]+$`}
	poolIDRE      = &lazyre.Regexp{Src: `^[A-Za-z0-9.\-_]+(?:/[A-Za-z0-9.\-_]+){0,2}$`}
	roleRE        = &lazyre.Regexp{Src: `^[A-Za-z0-9.\-_]+$`}
	groupRE       = &lazyre.Regexp{Src: `^[A-Za-z0-9.\-_]+$`}
	realmRE       = &lazyre.Regexp{Src: `^[A-Za-z][A-Za-z0-9.\-_]+$`}
	userRE        = &lazyre.Regexp{Src: `^[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+$`}
	tokenRE       = &lazyre.Regexp{Src: `^[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+![A-Za-z][A-Za-z0-9.\-_]+$`}
	dnsNameRE     = &lazyre.Regexp{Src: `^(([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?)\.)*([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?)$`}
	tagRE         = &lazyre.Regexp{Src: `(?i)^[a-z0-9_][a-z0-9_\-+.]*$`}
	volumeIDRE    = &lazyre.Regexp{Src: `(?i)^([a-z][a-z0-9\-_.]*[a-z0-9]):(.+)$`}
	macRE         = &lazyre.Regexp{Src: `(?i)^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$`}
	macPrefixRE   = &lazyre.Regexp{Src: `(?i)^[a-f0-9][02468ace](?::[a-f0-9]{2}){0,2}(?::[a-f0-9]?)?$`}
	urlencRE      = &lazyre.Regexp{Src: `^[-%a-zA-Z0-9_.!~*'()]*$`}
	diskSizeRE    = &lazyre.Regexp{Src: `^(\d+(\.\d+)?)([KMGT](?:iB)?)?$`}
	startupRE     = &lazyre.Regexp{Src: `^(order=)?\d+$|^up=\d+$|^down=\d+$`}
	ifaceRE       = &lazyre.Regexp{Src: `(?i)^[a-z][a-z0-9_]{1,20}([:.]\d+)?$`}
	vlanRE        = &lazyre.Regexp{Src: `^(\d+)(?:-(\d+))?$`}
	emailUserRE   = &lazyre.Regexp{Src: `^[\w+\-~]+(\.[\w+\-~]+)*$`}
	emailRE       = &lazyre.Regexp{Src: `^[\w+\-~]+(\.[\w+\-~]+)*@[a-zA-Z0-9\-]+(\.[a-zA-Z0-9\-]+)*$`}
	ldapAttrRE    = &lazyre.Regexp{Src: `^[a-zA-Z0-9]+$`}
	tfaSecretRE   = &lazyre.Regexp{Src: `^v2-0x[0-9a-fA-F]{16,128}$|^v2-[A-Z2-7=]{16,128}$|^(?:[A-Z2-7=]{16}|[A-Fa-f0-9]{40})$`}
	taskStatusRE  = &lazyre.Regexp{Src: `(?i)^(ok|error|warning|unknown)$`}
	storagePathRE = &lazyre.Regexp{Src: `^/[^;()]+`}
	mapPathRE     = &lazyre.Regexp{Src: `^/[^;,=()]+`}
	lvmNameRE     = &lazyre.Regexp{Src: `(?i)^[a-z0-9][a-z0-9\-_.]*[a-z0-9]$`}
	noSpaceRE     = &lazyre.Regexp{Src: `^\S+$`}
	dirOverrideRE = &lazyre.Regexp{Src: `^([a-z]+)=([^.]*(?:\.?[^.]+)+)$`}
	haResourceRE  = &lazyre.Regexp{Src: `^[a-z]+:\S+$`}
	haResOrVMRE   = &lazyre.Regexp{Src: `^([a-z]+:\S+|\d+)$`}
	haNodeRE      = &lazyre.Regexp{Src: `^([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?)(:\d+)?$`}
	replJobRE     = &lazyre.Regexp{Src: `^(\d+)-(\d+)$`}
	fabricIDRE    = &lazyre.Regexp{Src: `(?i)^[a-zA-Z0-9][a-zA-Z0-9-]{0,6}[a-zA-Z0-9]?$`}
	sdnIDRE       = &lazyre.Regexp{Src: `(?i)^[a-z][a-z0-9]*[a-z0-9]$`}
	sdnCtrlIDRE   = &lazyre.Regexp{Src: `(?i)^[a-z][a-z0-9_-]*[a-z0-9]$`}
	isisNetRE     = &lazyre.Regexp{Src: `^[a-fA-F0-9]{2}(\.[a-fA-F0-9]{4}){3,9}\.[a-fA-F0-9]{2}$`}
	bgpRTRE       = &lazyre.Regexp{Src: `^(\d+):(\d+)$`}
	dayRE         = &lazyre.Regexp{Src: `^(mon|tue|wed|thu|fri|sat|sun)$`}
	graphiteRE    = &lazyre.Regexp{Src: `^(([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?)\.)*([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?)$`}
	acmeDomainRE  = &lazyre.Regexp{Src: `(?i)^[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)+$`}
	acmeAliasRE   = &lazyre.Regexp{Src: `(?i)^[a-z0-9_][a-z0-9_-]*(?:\.[a-z0-9_][a-z0-9_-]*)+$`}
	hotplugRE     = &lazyre.Regexp{Src: `^(network|disk|cpu|memory|usb|cloudinit)$`}
	drivenameRE   = &lazyre.Regexp{Src: `^(ide|sata|scsi|virtio|efidisk|tpmstate)(\d+)$`}
	cpusetRE      = &lazyre.Regexp{Src: `^\d+(-\d+)?$`}
	hostPortRE    = &lazyre.Regexp{Src: `^([[:alnum:]\-.]+)(?::(\d+))?$`}
	aliasNameRE   = &lazyre.Regexp{Src: `^(dc/|guest/)?[A-Za-z][A-Za-z0-9\-_]+$`}
	fwPortRE      = &lazyre.Regexp{Src: `^\d+$`}
	fwNameRE      = &lazyre.Regexp{Src: `(?i)^[a-z][a-z0-9\-_]*$`}
	ipsetRefRE    = &lazyre.Regexp{Src: `^\+(dc/|guest/)?[A-Za-z][A-Za-z0-9\-_]+$`}
	listSplitRE   = &lazyre.Regexp{Src: `\s+`}
	mpBadRE       = &lazyre.Regexp{Src: `/\.\.?/|/\.\.?$|^\.\./`}
	devBadRE      = &lazyre.Regexp{Src: `/\.\.?(?:/|$)`}
)

// storageContents are pve-storage's content types (valid_content_types('dir') plus import).
var storageContents = []string{"images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"}

// privileges are every privilege pve-access-control knows ($privgroups and Permissions.Modify).
var privileges = []string{
	"Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit",
	"Group.Allocate", "Mapping.Audit", "Mapping.Modify", "Mapping.Use", "Permissions.Modify",
	"Pool.Allocate", "Pool.Audit", "Realm.Allocate", "Realm.AllocateUser", "SDN.Allocate", "SDN.Audit", "SDN.Use",
	"Sys.AccessNetwork", "Sys.Audit", "Sys.Console", "Sys.Incoming", "Sys.Modify", "Sys.PowerMgmt", "Sys.Syslog",
	"User.Modify", "VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone", "VM.Config.CDROM", "VM.Config.CPU",
	"VM.Config.Cloudinit", "VM.Config.Disk", "VM.Config.HWType", "VM.Config.Memory", "VM.Config.Network",
	"VM.Config.Options", "VM.Console", "VM.GuestAgent.Audit", "VM.GuestAgent.FileRead",
	"VM.GuestAgent.FileSystemMgmt", "VM.GuestAgent.FileWrite", "VM.GuestAgent.Unrestricted", "VM.Migrate",
	"VM.PowerMgmt", "VM.Replicate", "VM.Snapshot", "VM.Snapshot.Rollback",
}

// Privileges returns every privilege name PVE 9 knows.
func Privileges() []string { return slices.Clone(privileges) }

// IsPrivilege reports whether name is one of the privileges PVE 9 knows, exactly as it spells it.
func IsPrivilege(name string) bool { return slices.Contains(privileges, name) }

// conntrackHelpers are pve-firewall's $pve_fw_helpers.
var conntrackHelpers = []string{"amanda", "ftp", "irc", "netbios-ns", "pptp", "sane", "sip", "snmp", "tftp"}

// checker returns "" for a good value, else PVE's message.
type checker func(string) string

// format is a named format's checker; approximate marks those whose PVE rule needs tables read at run time
// (/etc/services, /etc/protocols, the ICMP type names) or is looser in details (PEM line breaks): the
// syntax is checked, the details are left to PVE.
type format struct {
	check       checker
	approximate bool
}

func unless(ok bool, msg string) string {
	if ok {
		return ""
	}
	return msg
}

func matches(re *lazyre.Regexp, msg string) checker {
	return func(v string) string { return unless(re.MatchString(v), msg) }
}

func isIPv4(v string) bool {
	a, err := netip.ParseAddr(v)
	return err == nil && a.Is4()
}

func isIPv6(v string) bool {
	a, err := netip.ParseAddr(v)
	return err == nil && a.Is6() && a.Zone() == ""
}

func isIP(v string) bool { return isIPv4(v) || isIPv6(v) }

func cidrBits(v string, ok func(string) bool, max int) bool {
	ip, bits, found := strings.Cut(v, "/")
	if !found || !ok(ip) || bits == "" || len(bits) > 3 {
		return false
	}
	for i := 0; i < len(bits); i++ {
		if bits[i] < '0' || bits[i] > '9' {
			return false
		}
	}
	n, _ := strconv.Atoi(bits)
	return n > 7 && n <= max
}

func isCIDRv4(v string) bool { return cidrBits(v, isIPv4, 32) }
func isCIDRv6(v string) bool { return cidrBits(v, isIPv6, 128) }

// parseID is pve-common's parse_id.
func parseID(kind string) checker {
	return func(v string) string {
		if utf8.RuneCountInString(v) < 2 {
			return kind + " ID '" + v + "' cannot be shorter than 2 characters\n"
		}
		return unless(idRE.MatchString(v), kind+" ID '"+v+"' contains illegal characters\n")
	}
}

// idPairs is parse_idmap for storage-pair and bridge-pair lists: "1", a default target, or source:target.
func idPairs(item checker) checker {
	return func(v string) string {
		var hasDefault, identity, entries bool
		sources := map[string]bool{}
		for _, e := range SplitList(v) {
			switch {
			case e == "1":
				identity = true
			case strings.Count(e, ":") == 1 && !strings.HasPrefix(e, ":") && !strings.HasSuffix(e, ":"):
				src, dst, _ := strings.Cut(e, ":")
				if msg := item(src) + item(dst); msg != "" {
					return "entry '" + e + "' contains invalid ID - " + msg + "\n"
				}
				if sources[src] {
					return "duplicate mapping for source '" + src + "'\n"
				}
				sources[src], entries = true, true
			default:
				if msg := item(e); msg != "" {
					return "entry '" + e + "' contains invalid ID - " + msg + "\n"
				}
				if hasDefault {
					return "default target ID can only be provided once\n"
				}
				hasDefault = true
			}
		}
		return unless(!identity || !hasDefault && !entries, "identity mapping cannot be combined with other mappings\n")
	}
}

func checkStartup(v string) string {
	if v == "" || v == "0" {
		return "unable to parse startup options\n"
	}
	for _, p := range strings.Split(v, ",") {
		if strings.TrimSpace(p) != "" && !startupRE.MatchString(p) {
			return "unable to parse startup options\n"
		}
	}
	return ""
}

func checkVLAN(v string) string {
	m := vlanRE.FindStringSubmatch(v)
	if m == nil {
		return "invalid VLAN configuration '" + v + "'\n"
	}
	start, _ := strconv.Atoi(m[1])
	if start < 2 || start > 4094 {
		return "invalid VLAN tag '" + m[1] + "'\n"
	}
	if m[2] != "" {
		end, _ := strconv.Atoi(m[2])
		if end < 2 || end > 4094 {
			return "invalid VLAN tag '" + m[2] + "'\n"
		}
		if start >= end {
			return "VLAN range must go from lower to higher tag '" + v + "'\n"
		}
	}
	return ""
}

func checkUser(v string) string {
	n := utf8.RuneCountInString(v)
	if n < 3 {
		return "user name '" + v + "' is too short\n"
	}
	if n > 64 {
		return "user name '" + v + "' is too long (" + strconv.Itoa(n) + " > 64)\n"
	}
	return unless(userRE.MatchString(v), "value '"+v+"' does not look like a valid user name\n")
}

func checkPool(v string) string {
	if len(strings.Split(v, "/")) > 3 {
		return "pool name '" + v + "' nested too deeply (max levels = 3)\n"
	}
	return unless(poolIDRE.MatchString(v), "pool name '"+v+"' contains invalid characters\n")
}

func checkVolumeOrPath(v string) string {
	if strings.HasPrefix(v, "/") {
		return ""
	}
	return unless(volumeIDRE.MatchString(v), "unable to parse volume ID '"+v+"'\n")
}

func checkDirOverride(v string) string {
	if m := dirOverrideRE.FindStringSubmatch(v); m != nil && slices.Contains(storageContents, m[1]) {
		ok := len(m[2]) < 1023
		for _, part := range strings.Split(m[2], "/") {
			if len(part) >= 255 {
				ok = false
			}
		}
		if ok {
			return ""
		}
	}
	return "invalid override '" + v + "'\n"
}

func checkHostPort(v string) string {
	ok := false
	if m := hostPortRE.FindStringSubmatch(v); m != nil {
		ok = true
	} else if rest, found := strings.CutPrefix(v, "["); found {
		host, port, _ := strings.Cut(rest, "]")
		ok = (isIP(host) || hostPortRE.MatchString(host)) && (port == "" || strings.HasPrefix(port, ":") && fwPortRE.MatchString(port[1:]))
	} else if ip, port, found := strings.Cut(v, "."); isIPv6(v) || found && isIPv6(ip) && fwPortRE.MatchString(port) {
		ok = true
	}
	return unless(ok, "value does not look like a valid portal address\n")
}

func checkReplicationJob(v string) string {
	msg := "invalid replication job id '" + v + "'"
	m := replJobRE.FindStringSubmatch(v)
	if m == nil {
		return msg + "\n"
	}
	if guest, err := strconv.Atoi(m[1]); err != nil || guest < 100 {
		return msg + " (guest IDs < 100 are reserved)\n"
	}
	return ""
}

func checkSubnetID(v string) string {
	cidr := v
	if !strings.Contains(v, "/") {
		parts := strings.Split(v, "-")
		ip, mask := "", ""
		if len(parts) > 1 {
			ip = parts[1]
		}
		if len(parts) > 2 {
			mask = parts[2]
		}
		cidr = ip + "/" + mask
	}
	return unless(isCIDRv4(cidr) || isCIDRv6(cidr), "value does not look like a valid CIDR network\n")
}

func checkBGPRT(v string) string {
	m := bgpRTRE.FindStringSubmatch(v)
	if m == nil {
		return "value does not look like a valid bgp route-target\n"
	}
	ok := true
	for _, part := range m[1:] {
		if n, err := strconv.ParseUint(part, 10, 64); err != nil || n > 4294967295 {
			ok = false
		}
	}
	return unless(ok, "value does not look like a valid bgp route-target\n")
}

func checkHotplug(v string) string {
	if v == "0" || v == "1" {
		return ""
	}
	for _, f := range SplitList(v) {
		if !hotplugRE.MatchString(f) {
			return "invalid hotplug feature '" + f + "'\n"
		}
	}
	return ""
}

// drive counts are qemu-server's MAX_IDE_DISKS, MAX_SATA_DISKS, MAX_SCSI_DISKS, MAX_VIRTIO_DISKS; one EFI
// disk and one TPM state.
func driveCount(bus string) int {
	switch bus {
	case "ide":
		return 4
	case "sata":
		return 6
	case "scsi":
		return 31
	case "virtio":
		return 16
	}
	return 1 // efidisk, tpmstate
}

func checkBootdisk(v string) string {
	m := drivenameRE.FindStringSubmatch(v)
	ok := m != nil && (m[2] == "0" || m[2][0] != '0')
	if ok {
		n, err := strconv.Atoi(m[2])
		ok = err == nil && n < driveCount(m[1])
	}
	return unless(ok, "invalid boot disk '"+v+"'\n")
}

func checkCPUSet(v string) string {
	for _, part := range strings.Split(v, ",") {
		if !cpusetRE.MatchString(part) {
			return "unable to parse cpuset option\n"
		}
		if a, b, found := strings.Cut(part, "-"); found {
			x, _ := strconv.Atoi(a)
			y, _ := strconv.Atoi(b)
			if x > y {
				return "unable to parse cpuset option\n"
			}
		}
	}
	return ""
}

func checkMountPath(v string) string {
	return unless(!mpBadRE.MatchString(v), v+" contains illegal character sequences\n")
}

func checkDevPath(v string) string {
	return unless(!devBadRE.MatchString(v) && strings.HasPrefix(v, "/dev/"), v+" is not a valid device path\n")
}

// checkLinkLocal is pve-container's verify_ip_with_ll_iface: an IP, or fe80:…%iface.
func checkLinkLocal(v string) string {
	if addr, iface, found := strings.Cut(v, "%"); found && strings.HasPrefix(addr, "fe80:") && isIP(addr) && ifaceRE.MatchString(iface) {
		return ""
	}
	return unless(isIP(v), "value does not look like a valid IP address\n")
}

// firewall ports: numbers, ranges a:b, service names; at most 15 numbers (a range counts 2).
func checkPorts(v string) string {
	count := 0
	for _, item := range strings.Split(v, ",") {
		lo, hi, isRange := strings.Cut(item, ":")
		for _, p := range []string{lo, hi} {
			if !isRange && p == hi {
				continue
			}
			if fwPortRE.MatchString(p) {
				if n, _ := strconv.Atoi(p); n < 0 || n > 65535 {
					return "invalid port '" + p + "'\n"
				}
				count++
			} else if !fwNameRE.MatchString(p) || isRange {
				return "invalid port '" + p + "'\n"
			}
		}
	}
	return unless(count <= 15, "too many entries in port list (> 15 numbers)\n")
}

// firewall addresses: an IP set (+name), an alias, or a list of IPs, CIDRs and ranges a-b.
func checkFirewallAddresses(v string) string {
	if ipsetRefRE.MatchString(v) || aliasNameRE.MatchString(v) {
		return ""
	}
	for _, item := range strings.Split(v, ",") {
		if a, b, isRange := strings.Cut(item, "-"); isRange {
			if !(isIPv4(a) && isIPv4(b) || isIPv6(a) && isIPv6(b)) {
				return "invalid IP address range '" + item + "'\n"
			}
			continue
		}
		if checkIPOrCIDR(item) != "" {
			return "invalid IP address: " + item + "\n"
		}
	}
	return ""
}

func checkIPOrCIDR(v string) string {
	ip, bits, hasBits := strings.Cut(v, "/")
	if !isIP(ip) {
		return "value does not look like a valid IP address or CIDR network\n"
	}
	if hasBits {
		n, err := strconv.Atoi(bits)
		max := 32
		if isIPv6(ip) {
			max = 128
		}
		if err != nil || n < 0 || n > max || !fwPortRE.MatchString(bits) {
			return "value does not look like a valid IP address or CIDR network\n"
		}
	}
	return ""
}

func checkProtocol(v string) string {
	if v == "" || fwNameRE.MatchString(v) {
		return ""
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= 255 && fwPortRE.MatchString(v) {
		return ""
	}
	return "unknown protocol '" + v + "'\n"
}

func checkICMPType(v string) string {
	if v == "" || fwNameRE.MatchString(v) || fwPortRE.MatchString(v) {
		return ""
	}
	return "invalid icmp-type value '" + v + "'\n"
}

func checkConntrack(v string) string {
	helpers := strings.Split(v, ",")
	if v != strings.Join(helpers, ",") || slices.Contains(helpers, "") && v != "" {
		return "extraneous commas in list\n"
	}
	for _, h := range helpers {
		if h != "" && !slices.Contains(conntrackHelpers, h) {
			return "unknown helper " + h
		}
	}
	return ""
}

// checkPEM is pve-common's check_pem: text before the first block is ignored, then one block (or, for a
// chain, several separated by newlines) and nothing else.
func checkPEM(label string, multiple bool) checker {
	one := `-----BEGIN (` + label + `)-----\n(?:[A-Za-z0-9+/=]+\n)*-----END (` + label + `)-----`
	re := `^` + one + `\n*$`
	if multiple {
		re = `^(?:` + one + `\n+)*` + one + `\n*$`
	}
	pem := regexp.MustCompile(re)
	return func(v string) string {
		if i := strings.Index(v, "-----BEGIN "); i > 0 {
			v = v[i:]
		}
		return unless(pem.MatchString(v), "not a valid PEM-formatted string.\n")
	}
}

// formatRegistry is built on first use; building it compiles no pattern that validation does not use.
var formatRegistry = sync.OnceValue(func() map[string]format {
	exact := func(c checker) format { return format{check: c} }
	m := map[string]format{
		"string":         exact(func(string) string { return "" }),
		"urlencoded":     exact(func(v string) string { return unless(urlencRE.MatchString(v), "invalid urlencoded string: "+v+"\n") }),
		"pve-configid":   exact(func(v string) string { return unless(configIDRE.MatchString(v), "invalid configuration ID '"+v+"'\n") }),
		"pve-storage-id": exact(parseID("storage")),
		"acme-plugin-id": exact(parseID("ACME plugin")),
		"pve-bridge-id":  exact(func(v string) string { return unless(bridgeRE.MatchString(v), "invalid bridge ID '"+v+"'\n") }),
		"pve-vmid":       exact(matches(vmidRE, "value does not look like a valid VM ID\n")),
		"pve-node":       exact(matches(nodeRE, "value does not look like a valid node name\n")),
		"storage-pair":   exact(idPairs(parseID("storage"))),
		"bridge-pair":    exact(idPairs(func(v string) string { return unless(bridgeRE.MatchString(v), "invalid bridge ID '"+v+"'\n") })),
		"mac-addr":       exact(matches(macRE, "value does not look like a valid unicast MAC address\n")),
		"mac-prefix":     exact(matches(macPrefixRE, "value is not a valid unicast MAC address prefix\n")),
		"ipv4":           exact(func(v string) string { return unless(isIPv4(v), "value does not look like a valid IPv4 address\n") }),
		"ipv6":           exact(func(v string) string { return unless(isIPv6(v), "value does not look like a valid IPv6 address\n") }),
		"ip":             exact(func(v string) string { return unless(isIP(v), "value does not look like a valid IP address\n") }),
		"ldap-simple-attr": exact(func(v string) string {
			return unless(ldapAttrRE.MatchString(v), "value '"+v+"' does not look like a simple ldap attribute name\n")
		}),
		"ipv4mask": exact(func(v string) string {
			a, err := netip.ParseAddr(v)
			ok := err == nil && a.Is4()
			if ok {
				b := a.As4()
				x := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
				ok = x == 0 || (^x)&(^x+1) == 0 // ones then zeros
			}
			return unless(ok, "value does not look like a valid IP netmask\n")
		}),
		"CIDRv6": exact(func(v string) string {
			return unless(isCIDRv6(v), "value does not look like a valid IPv6 CIDR network\n")
		}),
		"CIDRv4": exact(func(v string) string {
			return unless(isCIDRv4(v), "value does not look like a valid IPv4 CIDR network\n")
		}),
		"CIDR": exact(func(v string) string {
			return unless(isCIDRv4(v) || isCIDRv6(v), "value does not look like a valid CIDR network\n")
		}),
		"pve-ipv4-config": exact(func(v string) string {
			return unless(v == "dhcp" || v == "manual" || isCIDRv4(v), "value does not look like a valid ipv4 network configuration\n")
		}),
		"pve-ipv6-config": exact(func(v string) string {
			return unless(v == "auto" || v == "dhcp" || v == "manual" || isCIDRv6(v), "value does not look like a valid ipv6 network configuration\n")
		}),
		"email": exact(matches(emailRE, "value does not look like a valid email address\n")),
		"email-or-username": exact(func(v string) string {
			return unless(emailRE.MatchString(v) || emailUserRE.MatchString(v), "value does not look like a valid email address or user name\n")
		}),
		"dns-name": exact(matches(dnsNameRE, "value does not look like a valid DNS name\n")),
		"pve-iface": exact(func(v string) string {
			return unless(ifaceRE.MatchString(v), "invalid network interface name '"+v+"'\n")
		}),
		"pve-vlan-id-or-range": exact(checkVLAN),
		"address": exact(func(v string) string {
			return unless(isIP(v) || dnsNameRE.MatchString(v), "value does not look like a valid address: "+v+"\n")
		}),
		"disk-size": exact(func(v string) string {
			return unless(diskSizeRE.MatchString(v), "value does not look like a valid disk size: "+v+"\n")
		}),
		"pve-startup-order":    exact(checkStartup),
		"pve-tag":              exact(matches(tagRE, "invalid characters in tag\n")),
		"pve-tfa-secret":       exact(matches(tfaSecretRE, "unable to decode TFA secret\n")),
		"pve-task-status-type": exact(func(v string) string { return unless(taskStatusRE.MatchString(v), "invalid status '"+v+"'\n") }),

		"pve-userid": exact(checkUser),
		"pve-tokenid": exact(func(v string) string {
			return unless(tokenRE.MatchString(v), "value '"+v+"' does not look like a valid token ID\n")
		}),
		"pve-realm": exact(matches(realmRE, "value does not look like a valid realm\n")),
		"pve-groupid": exact(func(v string) string {
			return unless(groupRE.MatchString(v), "group name '"+v+"' contains invalid characters\n")
		}),
		"pve-roleid": exact(func(v string) string {
			return unless(roleRE.MatchString(v), "role name '"+v+"' contains invalid characters\n")
		}),
		"pve-poolid": exact(checkPool),
		"pve-priv":   exact(func(v string) string { return unless(slices.Contains(privileges, v), "invalid privilege '"+v+"'\n") }),

		"pve-storage-path": exact(matches(storagePathRE, "value does not look like a valid absolute path\n")),
		"pve-storage-server": exact(func(v string) string {
			return unless(isIP(v) || dnsNameRE.MatchString(v), "value does not look like a valid server name or IP address\n")
		}),
		"pve-storage-vgname": exact(func(v string) string {
			return unless(lvmNameRE.MatchString(v), "lvm name '"+v+"' contains illegal characters\n")
		}),
		"pve-storage-portal-dns": exact(checkHostPort),
		"pve-storage-content": exact(func(v string) string {
			return unless(slices.Contains(storageContents, v), "invalid content type '"+v+"'\n")
		}),
		"pve-storage-options":            exact(func(v string) string { return unless(noSpaceRE.MatchString(v), "invalid options '"+v+"'\n") }),
		"pve-volume-id":                  exact(func(v string) string { return unless(volumeIDRE.MatchString(v), "unable to parse volume ID '"+v+"'\n") }),
		"pve-volume-id-or-absolute-path": exact(checkVolumeOrPath),
		"pve-volume-id-or-qm-path": exact(func(v string) string {
			return unless(v == "none" || v == "cdrom" || checkVolumeOrPath(v) == "", checkVolumeOrPath(v))
		}),
		"pve-dir-override":                    exact(checkDirOverride),
		"pve-storage-path-in-property-string": exact(matches(mapPathRE, "Value does not look like a valid absolute path. These symbols are currently not allowed in path: ;,=()\n")),

		"IPorCIDR": exact(checkIPOrCIDR),
		"IPorCIDRorAlias": exact(func(v string) string {
			if aliasNameRE.MatchString(v) {
				return ""
			}
			return checkIPOrCIDR(v)
		}),
		"pve-fw-conntrack-helper": exact(checkConntrack),
		"pve-fw-sport-spec":       {check: checkPorts, approximate: true},
		"pve-fw-dport-spec":       {check: checkPorts, approximate: true},
		"pve-fw-addr-spec":        {check: checkFirewallAddresses, approximate: true},
		"pve-fw-protocol-spec":    {check: checkProtocol, approximate: true},
		"pve-fw-icmp-type-spec":   {check: checkICMPType, approximate: true},

		"pve-sdn-fabric-id": exact(func(v string) string {
			return unless(fabricIDRE.MatchString(v), "Fabric ID '"+v+"' contains illegal characters\n")
		}),
		"pve-sdn-subnet-id":     exact(checkSubnetID),
		"pve-sdn-isis-net":      exact(matches(isisNetRE, "value does not look like a valid isis net\n")),
		"pve-sdn-bgp-rt":        exact(checkBGPRT),
		"pve-sdn-zone-id":       exact(sdnID("zone", sdnIDRE, 8)),
		"pve-sdn-vnet-id":       exact(sdnID("vnet", sdnIDRE, 8)),
		"pve-sdn-ipam-id":       exact(sdnID("ipam", sdnIDRE, 0)),
		"pve-sdn-dns-id":        exact(sdnID("dns", sdnIDRE, 0)),
		"pve-sdn-controller-id": exact(sdnID("controller", sdnCtrlIDRE, 64)),

		"pve-ha-resource-id":       exact(matches(haResourceRE, "value does not look like a valid ha resource id\n")),
		"pve-ha-resource-or-vm-id": exact(matches(haResOrVMRE, "value does not look like a valid ha resource id\n")),
		"pve-ha-node":              exact(matches(haNodeRE, "value does not look like a valid ha node\n")),
		"pve-replication-job-id":   exact(checkReplicationJob),
		"pve-day-of-week":          exact(func(v string) string { return unless(dayRE.MatchString(v), "invalid day '"+v+"'\n") }),
		"graphite-path":            exact(matches(graphiteRE, "value does not look like a valid graphite path\n")),
		"pve-acme-domain": exact(func(v string) string {
			return unless(acmeDomainRE.MatchString(v), "value '"+v+"' does not look like a valid domain name!\n")
		}),
		"pve-acme-alias": exact(func(v string) string {
			return unless(acmeAliasRE.MatchString(v), "value '"+v+"' does not look like a valid alias name!\n")
		}),
		"pve-hotplug-features":  exact(checkHotplug),
		"pve-qm-bootdisk":       exact(checkBootdisk),
		"pve-cpuset":            exact(checkCPUSet),
		"pve-lxc-mp-string":     exact(checkMountPath),
		"pve-lxc-dev-string":    exact(checkDevPath),
		"lxc-ip-with-ll-iface":  exact(checkLinkLocal),
		"pem-string":            {check: checkPEM(`[^-]*?`, false), approximate: true},
		"pem-certificate":       {check: checkPEM("CERTIFICATE", false), approximate: true},
		"pem-certificate-chain": {check: checkPEM("CERTIFICATE", true), approximate: true},
	}
	return m
})

// sdnID is pve-network 9.1's parse_sdn_*_id: the pattern, and for some a length limit.
func sdnID(kind string, re *lazyre.Regexp, max int) checker {
	return func(v string) string {
		if !re.MatchString(v) {
			return kind + " ID '" + v + "' contains illegal characters\n"
		}
		if max > 0 && utf8.RuneCountInString(v) > max {
			return kind + " ID '" + v + "' can't be more length than " + strconv.Itoa(max) + " characters\n"
		}
		return ""
	}
}

// CheckFormat validates a value against a named format as PVE's check_format does, "NAME-list" (each item
// of a split_list) and "NAME-opt" (empty allowed) included. msg is "" for a good value, else PVE's message;
// known is false for a format this package does not check (the value then passes).
func CheckFormat(name, value string) (msg string, known bool) {
	reg := formatRegistry()
	if f, ok := reg[name]; ok {
		return f.check(value), true
	}
	if base, ok := strings.CutSuffix(name, "-list"); ok {
		if f, ok := reg[base]; ok {
			for _, item := range SplitList(value) {
				if msg := f.check(item); msg != "" {
					return msg, true
				}
			}
			return "", true
		}
	}
	if base, ok := strings.CutSuffix(name, "-opt"); ok {
		if f, ok := reg[base]; ok {
			if value == "" {
				return "", true
			}
			return f.check(value), true
		}
	}
	return "", false
}

// SplitList is PVE's split_list: NUL-separated if the text holds a NUL, else separated by commas,
// semicolons and white space.
func SplitList(s string) []string {
	if strings.Contains(s, "\x00") {
		return strings.Split(s, "\x00")
	}
	s = strings.Map(func(r rune) rune {
		if r == ',' || r == ';' {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimLeft(s, " \t\n\r\f\v")
	var out []string
	for _, p := range listSplitRE.Split(s, -1) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// FormatInfo says how a named format the schema uses is checked.
type FormatInfo struct {
	Name string
	Uses int // parameters (property-string keys included) that name it
	// How is "exact" (PVE's rule), "approximate" (PVE's rule needs tables read at run time; the syntax is
	// checked), "keys" (a property string checked key by key from its typetext) or "unchecked".
	How string
}

// Formats lists every named format the schema's parameters use, with how this package checks it.
func Formats() []FormatInfo {
	uses := map[string]int{}
	keyed := map[string]bool{}
	var visit func(p *Param)
	visit = func(p *Param) {
		if p.Format != "" {
			uses[p.Format]++
			if p.KeysFromTypeText {
				keyed[p.Format] = true
			}
		}
		for i := range p.Keys {
			visit(&p.Keys[i])
		}
		if p.Items != nil {
			visit(p.Items)
		}
		for i := range p.OneOf {
			visit(&p.OneOf[i])
		}
	}
	for _, o := range Operations() {
		for _, p := range o.Params {
			visit(p)
		}
	}
	reg := formatRegistry()
	var out []FormatInfo
	for name, n := range uses {
		how := "unchecked"
		base := strings.TrimSuffix(strings.TrimSuffix(name, "-list"), "-opt")
		if f, ok := reg[name]; ok || reg[base].check != nil {
			if !ok {
				f = reg[base]
			}
			how = "exact"
			if f.approximate {
				how = "approximate"
			}
		} else if keyed[name] {
			how = "keys"
		}
		out = append(out, FormatInfo{Name: name, Uses: n, How: how})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
