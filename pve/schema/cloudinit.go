package schema

import (
	"net/url"
	"strings"
)

// cloudInitText are the parameters of a VM whose text qemu-server writes unquoted, one line each, into the
// cloud-init user-data it makes (PVE::QemuServer::Cloudinit: "user: $username", "password: $password", each
// ssh key as "  - $key", the search domains into the network configuration). cloud-init reads that text with
// PyYAML, which breaks lines at \r, \n, U+0085, U+2028 and U+2029: whatever follows a break in such a value
// would be a setting of its own, such as runcmd (a command run as root at the guest's next boot). Nothing
// else checks for one: PVE's config writer refuses only \n, and these parameters have no format (sshkeys is
// URL-encoded, so any character reaches the guest). A value holding a break is refused as invalid input; a
// legitimate value never holds one, except the \n between ssh keys.
var cloudInitText = map[string]bool{"ciuser": true, "cipassword": true, "searchdomain": true, "sshkeys": true}

// yamlBreaks are the characters PyYAML takes for a line break.
const yamlBreaks = "\r\n\u0085\u2028\u2029"

// cloudInitProblems refuses, for an operation on a VM's configuration, a cloud-init text value that holds a
// line break (for sshkeys, once decoded, one other than the \n between keys).
func (o *Operation) cloudInitProblems(send url.Values) []Problem {
	if !strings.HasPrefix(o.Path, "/nodes/{node}/qemu") {
		return nil
	}
	var probs []Problem
	for name, vals := range send {
		if !cloudInitText[name] {
			continue
		}
		for _, v := range vals {
			breaks := yamlBreaks
			if name == "sshkeys" {
				if d, err := url.PathUnescape(v); err == nil {
					v = d
				}
				breaks = "\r\u0085\u2028\u2029"
			}
			if strings.ContainsAny(v, breaks) {
				probs = append(probs, Problem{Param: name, Kind: "format",
					Msg:     "holds a line break, which the guest's cloud-init would read as the end of this setting and the start of another",
					Allowed: "one line of text, without \\r, \\n, U+0085, U+2028 or U+2029 (for sshkeys, \\n between keys only)"})
				break
			}
		}
	}
	return probs
}
