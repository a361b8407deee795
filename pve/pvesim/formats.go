package pvesim

import (
	"net/netip"
	"regexp"
	"strings"
)

// Named formats from pve-common's JSONSchema.pm (and pve-storage, pve-access-control), with their error
// texts. Formats not listed here are accepted as they are: the simulator does not pretend to know them.
var (
	vmidRE      = regexp.MustCompile(`^[1-9][0-9]{2,8}$`)
	nodeRE      = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?$`)
	configIDRE  = regexp.MustCompile(`(?i)^[a-z][a-z0-9_\-]+$`)
	storageIDRE = regexp.MustCompile(`(?i)^[a-z][a-z0-9\-_.]*[a-z0-9]$`)
	poolIDRE    = regexp.MustCompile(`^[A-Za-z0-9.\-_]+(?:/[A-Za-z0-9.\-_]+){0,2}$`)
	dnsNameRE   = regexp.MustCompile(`^(([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?)\.)*([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?)$`)
	tagRE       = regexp.MustCompile(`(?i)^[a-z0-9_][a-z0-9_\-+.]*$`)
	volumeIDRE  = regexp.MustCompile(`(?i)^([a-z][a-z0-9\-_.]*[a-z0-9]):(.+)$`)
	macRE       = regexp.MustCompile(`(?i)^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$`)
	bridgeRE    = regexp.MustCompile(`^[-_.\w\d]+$`)
	urlencRE    = regexp.MustCompile(`^[-%a-zA-Z0-9_.!~*'()]*$`)
	diskSizeRE  = regexp.MustCompile(`^(\d+(\.\d+)?)([KMGT])?$`)
	startupRE   = regexp.MustCompile(`^(order=)?\d+$|^up=\d+$|^down=\d+$`)
	listSplitRE = regexp.MustCompile(`[;,\s\x00]+`)
)

var storageContents = map[string]bool{
	"images": true, "rootdir": true, "vztmpl": true, "iso": true, "backup": true, "snippets": true, "import": true,
}

var taskStatusTypes = map[string]bool{"ok": true, "error": true, "warning": true, "unknown": true}

// formatCheckers return "" for a good value, else PVE's message (which ends in "\n", as the die does).
var formatCheckers = map[string]func(string) string{
	"pve-vmid": func(v string) string {
		return unless(vmidRE.MatchString(v), "value does not look like a valid VM ID\n")
	},
	"pve-node": func(v string) string {
		return unless(nodeRE.MatchString(v), "value does not look like a valid node name\n")
	},
	"pve-configid": func(v string) string {
		return unless(configIDRE.MatchString(v), "invalid configuration ID '"+v+"'\n")
	},
	"pve-storage-id": func(v string) string {
		return unless(storageIDRE.MatchString(v), "storage ID '"+v+"' contains illegal characters\n")
	},
	"pve-poolid": func(v string) string {
		return unless(poolIDRE.MatchString(v), "pool name '"+v+"' contains invalid characters\n")
	},
	"dns-name": func(v string) string {
		return unless(dnsNameRE.MatchString(v), "value does not look like a valid DNS name\n")
	},
	"pve-tag": func(v string) string {
		return unless(tagRE.MatchString(v), "invalid characters in tag\n")
	},
	"pve-volume-id": func(v string) string {
		return unless(volumeIDRE.MatchString(v), "unable to parse volume ID '"+v+"'\n")
	},
	"mac-addr": func(v string) string {
		return unless(macRE.MatchString(v), "value does not look like a valid unicast MAC address\n")
	},
	"pve-bridge-id": func(v string) string {
		return unless(bridgeRE.MatchString(v), "invalid bridge ID '"+v+"'\n")
	},
	"urlencoded": func(v string) string {
		return unless(urlencRE.MatchString(v), "invalid urlencoded string: "+v+"\n")
	},
	"disk-size": func(v string) string {
		return unless(diskSizeRE.MatchString(v), "value does not look like a valid disk size: "+v+"\n")
	},
	"pve-storage-content": func(v string) string {
		return unless(storageContents[v], "invalid content type '"+v+"'\n")
	},
	"pve-task-status-type": func(v string) string {
		return unless(taskStatusTypes[strings.ToLower(v)], "invalid status '"+v+"'\n")
	},
	"pve-startup-order": func(v string) string {
		for _, p := range strings.Split(v, ",") {
			if strings.TrimSpace(p) != "" && !startupRE.MatchString(p) {
				return "unable to parse startup options\n"
			}
		}
		return ""
	},
	"CIDR": func(v string) string {
		pfx, err := netip.ParsePrefix(v)
		ok := err == nil && ((pfx.Addr().Is4() && pfx.Bits() > 7) || (pfx.Addr().Is6() && pfx.Bits() > 7))
		return unless(ok, "value does not look like a valid CIDR network\n")
	},
	"ipv4": func(v string) string {
		a, err := netip.ParseAddr(v)
		return unless(err == nil && a.Is4(), "value does not look like a valid IPv4 address\n")
	},
	"ipv6": func(v string) string {
		a, err := netip.ParseAddr(v)
		return unless(err == nil && a.Is6(), "value does not look like a valid IPv6 address\n")
	},
	"ip": func(v string) string {
		_, err := netip.ParseAddr(v)
		return unless(err == nil, "value does not look like a valid IP address\n")
	},
}

func unless(ok bool, msg string) string {
	if ok {
		return ""
	}
	return msg
}

// checkFormat validates a value against a named format; "NAME-list" formats validate each item of a
// split_list, as check_format does.
func checkFormat(format, v string) string {
	if check, ok := formatCheckers[format]; ok {
		return check(v)
	}
	if base, ok := strings.CutSuffix(format, "-list"); ok {
		if check, ok := formatCheckers[base]; ok {
			for _, item := range splitList(v) {
				if msg := check(item); msg != "" {
					return msg
				}
			}
		}
	}
	return ""
}

// splitList is PVE::Tools::split_list: items separated by ';', ',', whitespace or NUL.
func splitList(s string) []string {
	var out []string
	for _, p := range listSplitRE.Split(strings.TrimSpace(s), -1) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// validNodeName is the pve-node format.
func validNodeName(s string) bool { return nodeRE.MatchString(s) }
