package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// haResource is a guest under the HA manager's care, as /etc/pve/ha/resources.cfg holds it.
type haResource struct {
	sid  string            // vm:100 or ct:101
	typ  string            // vm or ct
	opts map[string]string // the options given: state, group, comment, max_restart, max_relocate, failback
}

// haOptions are the options a resource keeps (pve-ha-manager's PVE::HA::Resources properties).
var haOptions = []string{"comment", "failback", "group", "max_relocate", "max_restart", "state"}

func (c *Cluster) haResource(sid string) *haResource {
	for _, r := range c.ha {
		if r.sid == sid {
			return r
		}
	}
	return nil
}

// addHAResource keeps the resources sorted by sid.
func (c *Cluster) addHAResource(r *haResource) {
	c.ha = append(c.ha, r)
	slices.SortFunc(c.ha, func(a, b *haResource) int { return strings.Compare(a.sid, b.sid) })
}

func (c *Cluster) removeHAResource(sid string) {
	c.ha = slices.DeleteFunc(c.ha, func(r *haResource) bool { return r.sid == sid })
}

// haState is what /cluster/resources shows as a guest's hastate: its requested state ("started" unless
// set), or "" when the guest is not HA managed.
func (c *Cluster) haState(kind string, vmid int) string {
	typ := "vm"
	if kind == "lxc" {
		typ = "ct"
	}
	r := c.haResource(typ + ":" + strconv.Itoa(vmid))
	if r == nil {
		return ""
	}
	if s := r.opts["state"]; s != "" {
		return s
	}
	return "started"
}

// haDigest is the SHA-1 of resources.cfg as the section config writes it.
func (c *Cluster) haDigest() string {
	h := sha1.New()
	for _, r := range c.ha {
		h.Write([]byte(r.typ + ": " + strings.TrimPrefix(r.sid, r.typ+":") + "\n"))
		for _, k := range sortedKeys(r.opts) {
			h.Write([]byte("\t" + k + " " + r.opts[k] + "\n"))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// parseSID is PVE::HA::Config::parse_sid: a bare vmid becomes vm:ID or ct:ID after the guest's kind.
func (c *Cluster) parseSID(sid string) (full, typ, name string, err *apiError) {
	if isDigits(sid) {
		g := c.guests[atoiOr(sid, 0)]
		if g == nil {
			return "", "", "", fail("unable to detect SID from VMID - VM/CT %s does not exist", sid)
		}
		typ = "vm"
		if g.kind == "lxc" {
			typ = "ct"
		}
		return typ + ":" + sid, typ, sid, nil
	}
	typ, name, ok := strings.Cut(sid, ":")
	if !ok || typ == "" || name == "" {
		return "", "", "", fail("unable to parse service id '%s'", sid)
	}
	return sid, typ, name, nil
}

// checkHAGuest is the resource plugin's verify_name and exists: the guest must be there and of its kind.
func (c *Cluster) checkHAGuest(sid, typ, name string) *apiError {
	if typ != "vm" && typ != "ct" {
		return fail("unknown section type '%s'", typ)
	}
	if len(name) < 2 || name[0] == '0' || !isDigits(name) {
		return fail("invalid VMID")
	}
	vmid := atoiOr(name, 0)
	g := c.guests[vmid]
	if g == nil {
		return fail("resource '%s' does not exist in cluster", sid)
	}
	if typ == "vm" && g.kind != "qemu" {
		return fail("resource '%s' - guest with ID %d is not a VM", sid, vmid)
	}
	if typ == "ct" && g.kind != "lxc" {
		return fail("resource '%s' - guest with ID %d is not a container", sid, vmid)
	}
	return nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}
