package pvesim

import (
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

func addConfigRoutes(add func(method, path, kind string, h func(*call) (reply, *apiError))) {
	for _, kind := range []string{"qemu", "lxc"} {
		g := "/nodes/{node}/" + kind + "/{vmid}"
		add("PUT", g+"/config", kind, (*call).updateConfig)
		add("GET", g+"/pending", kind, (*call).pendingConfig)
		add("PUT", g+"/resize", kind, (*call).resize)
	}
}

// configControl are the parameters of PUT …/config that say how to change, not what.
var configControl = map[string]bool{"node": true, "vmid": true, "delete": true, "revert": true, "digest": true,
	"skiplock": true, "force": true, "background_delay": true}

// changeableGuest is the guest a config change or a resize acts on, after what both check first, in
// qemu-server's order: no skiplock from a token, the guest exists, it is not locked, the digest matches.
func (c *call) changeableGuest() (*guest, *apiError) {
	if err := c.noSkiplock(); err != nil {
		return nil, err
	}
	g, err := c.guest()
	if err != nil {
		return nil, err
	}
	if err := writable(g); err != nil {
		return nil, err
	}
	if err := c.checkConfigDigest(g); err != nil {
		return nil, err
	}
	return g, nil
}

// updateConfig is PUT …/config: the synchronous change of a guest's options. It answers null once the change
// is written (live, or pending for a running guest; see config.go).
func (c *call) updateConfig() (reply, *apiError) {
	g, err := c.changeableGuest()
	if err != nil {
		return reply{}, err
	}
	set := map[string]string{}
	for k, v := range c.p {
		if configControl[k] {
			continue
		}
		if isDiskKey(g.kind, k) && newAllocRE.MatchString(strings.SplitN(v, ",", 2)[0]) {
			return reply{}, fail("pvesim: allocating a disk through the config is not simulated")
		}
		set[k] = v
	}
	del := schema.SplitList(c.p["delete"])
	for _, k := range del {
		if _, ok := set[k]; ok {
			return reply{}, fail("unable to delete '%s' - option is also set", k)
		}
		if isDiskKey(g.kind, k) {
			return reply{}, fail("pvesim: removing a disk through the config is not simulated")
		}
	}
	for _, k := range schema.SplitList(c.p["revert"]) {
		g.unpend(k)
	}
	g.setConfig(set, del)
	return reply{}, nil
}

// checkDigest refuses a change made against another version of the configuration.
func (c *call) checkConfigDigest(g *guest) *apiError {
	if d, ok := c.p["digest"]; ok && d != confDigest(g.conf) {
		return fail("detected modified configuration - file changed by other user? Try again.")
	}
	return nil
}

// pendingConfig is GET …/pending: every key with its current value, and its pending value or pending delete.
func (c *call) pendingConfig() (reply, *apiError) {
	g, err := c.guest()
	if err != nil {
		return reply{}, err
	}
	keys := map[string]bool{}
	for k := range g.conf {
		keys[k] = true
	}
	for k := range g.pending {
		keys[k] = true
	}
	var w jsonWriter
	w.OpenArr()
	for _, k := range sortedKeys(keys) {
		w.Open()
		w.Str("key", k)
		if v, ok := g.conf[k]; ok {
			w.Str("value", v)
		}
		if v, ok := g.pending[k]; ok {
			w.Str("pending", v)
		}
		if g.pendingDel[k] {
			w.Int("delete", 1)
		}
		w.End()
	}
	w.EndArr()
	return reply{data: rawJSON(w.b)}, nil
}

// resize is PUT …/resize: a task that grows one disk (its volume and its size= in the config). Shrinking
// fails inside the task, as in qemu-server and pve-container.
func (c *call) resize() (reply, *apiError) {
	g, err := c.changeableGuest()
	if err != nil {
		return reply{}, err
	}
	key := c.p["disk"]
	v, ok := g.conf[key]
	if !ok {
		return reply{}, fail("disk '%s' does not exist", key)
	}
	if strings.Contains(v, "media=cdrom") {
		return reply{}, fail("you can't resize a cdrom")
	}
	size, ok := newDiskSize(diskSize(v), c.p["size"])
	if !ok {
		return reply{}, badParam("size", "value does not match the regex pattern")
	}
	op := taskOp{vmids: []int{g.vmid}, params: map[string]string{"disk": key, "_size": strconv.FormatInt(size, 10)}}
	if size < diskSize(v) {
		op.fail = "shrinking disks is not supported"
	}
	t := c.s.newTask(c.n.name, "resize", strconv.Itoa(g.vmid), c.user(), c.now, op, "")
	return reply{data: t.upid}, nil
}
