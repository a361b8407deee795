package pvesim

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
)

// A configuration change to a running guest takes effect at once only where the guest can take it live; the
// rest waits in the config's pending section for the next boot, as qemu-server's vmconfig_hotplug_pending
// decides with the default hotplug setting (network, disk, usb: not cpu or memory). GET …/config shows the
// pending values applied, GET …/pending both, and a start applies them.

// qemuLiveKeys are what a running VM takes at once besides NICs: the options qemu-server writes straight into
// the config ("fast plug"), the balloon target, which the balloon driver follows, and cloud-init's settings,
// which only the next boot's cloud-init reads anyway.
var qemuLiveKeys = map[string]bool{
	"name": true, "description": true, "tags": true, "onboot": true, "startup": true, "protection": true,
	"hookscript": true, "vmstatestorage": true, "balloon": true,
	"ciuser": true, "cipassword": true, "sshkeys": true, "nameserver": true, "searchdomain": true,
	"citype": true, "ciupgrade": true, "cicustom": true,
}

// lxcRestartKeys are what a running container takes only when it starts again; pve-container applies the
// rest (cores, memory, swap, hostname, DNS, notes, tags) to the running container.
var lxcRestartKeys = map[string]bool{"arch": true, "ostype": true, "unprivileged": true, "features": true, "cmode": true,
	"console": true, "tty": true, "entrypoint": true, "env": true, "hookscript": true}

// liveKey reports whether a running guest of kind takes key at once.
func liveKey(kind, key string) bool {
	if kind == "lxc" {
		return !lxcRestartKeys[key]
	}
	return qemuLiveKeys[key] || numbered(key, "net") || numbered(key, "ipconfig")
}

// setConfig applies a change to the guest's configuration: set holds new values, del the keys to remove.
// A running guest defers what it cannot take live.
func (g *guest) setConfig(set map[string]string, del []string) {
	for _, k := range sortedKeys(set) {
		if g.running && !liveKey(g.kind, k) {
			g.pend(k, set[k], false)
			continue
		}
		g.conf[k] = set[k]
		g.unpend(k)
	}
	for _, k := range del {
		if g.running && !liveKey(g.kind, k) {
			g.pend(k, "", true)
			continue
		}
		delete(g.conf, k)
		g.unpend(k)
	}
}

func (g *guest) pend(key, value string, del bool) {
	if g.pending == nil {
		g.pending, g.pendingDel = map[string]string{}, map[string]bool{}
	}
	if del {
		delete(g.pending, key)
		g.pendingDel[key] = true
		return
	}
	delete(g.pendingDel, key)
	g.pending[key] = value
}

func (g *guest) unpend(key string) {
	delete(g.pending, key)
	delete(g.pendingDel, key)
}

// applyPending is what a fresh boot does with the pending section.
func (g *guest) applyPending() {
	for k, v := range g.pending {
		g.conf[k] = v
	}
	for k := range g.pendingDel {
		delete(g.conf, k)
	}
	g.pending, g.pendingDel = nil, nil
}

// configView is the configuration GET …/config shows: with the pending values applied unless current.
func (g *guest) configView(current bool) map[string]string {
	conf := maps.Clone(g.conf)
	if current {
		return conf
	}
	for k, v := range g.pending {
		conf[k] = v
	}
	for k := range g.pendingDel {
		delete(conf, k)
	}
	return conf
}

// diskSize reads a disk's size= option.
func diskSize(value string) int64 {
	n, _ := parseSize(propValue(value, "size"))
	return n
}

// resized is a disk's config value with a new size.
func resized(value string, size int64) string {
	parts := strings.Split(value, ",")
	for i, p := range parts {
		if strings.HasPrefix(p, "size=") {
			parts[i] = "size=" + formatSize(size)
			return strings.Join(parts, ",")
		}
	}
	return value + ",size=" + formatSize(size)
}

// newDiskSize is what a resize's size parameter asks for: "+10G" grows by, "40G" grows to.
func newDiskSize(current int64, param string) (int64, bool) {
	grow, rel := strings.CutPrefix(param, "+")
	n, ok := parseSize(grow)
	if !ok {
		return 0, false
	}
	if rel {
		return current + n, true
	}
	return n, true
}

// resizeDisk gives a guest's disk its new size, in the config and on its volume, and returns the log lines
// lvextend writes.
func (s *Sim) resizeDisk(g *guest, key string, size int64) []string {
	v, ok := g.conf[key]
	if !ok {
		return nil
	}
	old := diskSize(v)
	g.conf[key] = resized(v, size)
	volid, _, _ := strings.Cut(strings.TrimPrefix(v, "volume="), ",")
	if vol := s.c.findVolume(volid, g.node); vol != nil {
		vol.size = size
	}
	if size == old {
		return nil
	}
	lv := "pve/" + volName(volid)
	return []string{
		fmt.Sprintf("  Size of logical volume %s changed from %s (%d extents) to %s (%d extents).", lv, gibText(old), old/(4<<20), gibText(size), size/(4<<20)),
		fmt.Sprintf("  Logical volume %s successfully resized.", lv),
	}
}

func gibText(n int64) string {
	return strconv.FormatFloat(float64(n)/(1<<30), 'f', 2, 64) + " GiB"
}
