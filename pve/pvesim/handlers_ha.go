package pvesim

import (
	"maps"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

func addHARoutes(add func(method, path, kind string, h func(*call) (reply, *apiError))) {
	add("GET", "/cluster/ha/resources", "", (*call).haList)
	add("POST", "/cluster/ha/resources", "", (*call).haCreate)
	add("GET", "/cluster/ha/resources/{sid}", "", (*call).haRead)
	add("PUT", "/cluster/ha/resources/{sid}", "", (*call).haUpdate)
	add("DELETE", "/cluster/ha/resources/{sid}", "", (*call).haDelete)
}

func (c *call) writeHAResource(w *jsonWriter, r *haResource, digest string) {
	w.Open()
	w.Str("sid", r.sid)
	w.Str("type", r.typ)
	for _, k := range sortedKeys(r.opts) {
		switch k {
		case "max_restart", "max_relocate", "failback":
			w.Int(k, int64(atoiOr(r.opts[k], 0)))
		default:
			w.Str(k, r.opts[k])
		}
	}
	w.Str("digest", digest)
	w.End()
}

func (c *call) haList() (reply, *apiError) {
	cl := c.s.c
	digest := cl.haDigest()
	var w jsonWriter
	w.OpenArr()
	for _, r := range cl.ha {
		if t := c.p["type"]; t != "" && t != r.typ {
			continue
		}
		c.writeHAResource(&w, r, digest)
	}
	w.EndArr()
	return reply{data: rawJSON(w.b)}, nil
}

func (c *call) haRead() (reply, *apiError) {
	sid, _, _, err := c.s.c.parseSID(c.p["sid"])
	if err != nil {
		return reply{}, err
	}
	r := c.s.c.haResource(sid)
	if r == nil {
		return reply{}, fail("no such resource '%s'", sid)
	}
	var w jsonWriter
	c.writeHAResource(&w, r, c.s.c.haDigest())
	return reply{data: rawJSON(w.b)}, nil
}

func (c *call) haCreate() (reply, *apiError) {
	cl := c.s.c
	sid, typ, name, err := cl.parseSID(c.p["sid"])
	if err != nil {
		return reply{}, err
	}
	if t, ok := c.p["type"]; ok && t != typ {
		return reply{}, fail("types does not match")
	}
	if err := cl.checkHAGuest(sid, typ, name); err != nil {
		return reply{}, err
	}
	if cl.haResource(sid) != nil {
		return reply{}, fail("create resource failed: resource ID '%s' already defined", sid)
	}
	r := &haResource{sid: sid, typ: typ, opts: map[string]string{}}
	for _, k := range haOptions {
		if v, ok := c.p[k]; ok {
			r.opts[k] = v
		}
	}
	cl.addHAResource(r)
	return reply{}, nil
}

func (c *call) haUpdate() (reply, *apiError) {
	cl := c.s.c
	sid, typ, _, err := cl.parseSID(c.p["sid"])
	if err != nil {
		return reply{}, err
	}
	if t, ok := c.p["type"]; ok && t != typ {
		return reply{}, fail("types does not match")
	}
	r := cl.haResource(sid)
	if r == nil {
		return reply{}, fail("no such resource '%s'", sid)
	}
	if d, ok := c.p["digest"]; ok && d != cl.haDigest() {
		return reply{}, fail("detected modified configuration - file changed by other user? Try again.")
	}
	opts := maps.Clone(r.opts)
	for _, k := range schema.SplitList(c.p["delete"]) {
		delete(opts, k)
	}
	for _, k := range haOptions {
		if v, ok := c.p[k]; ok {
			opts[k] = v
		}
	}
	r.opts = opts
	return reply{}, nil
}

func (c *call) haDelete() (reply, *apiError) {
	cl := c.s.c
	sid, _, _, err := cl.parseSID(c.p["sid"])
	if err != nil {
		return reply{}, err
	}
	if cl.haResource(sid) == nil {
		return reply{}, fail("cannot delete service '%s', not HA managed!", strings.TrimSpace(sid))
	}
	cl.removeHAResource(sid)
	return reply{}, nil
}
