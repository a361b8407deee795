package pvesim

import (
	"slices"
	"sort"
	"strconv"
)

func (c *call) version() (reply, *apiError) {
	var w jsonWriter
	w.Open()
	w.Str("release", c.s.c.release)
	w.Str("repoid", c.s.c.repoID)
	w.Str("version", c.s.c.version)
	w.End()
	return reply{data: rawJSON(w.b)}, nil
}

// quorate reports whether more than half of the nodes are online.
func (cl *Cluster) quorate() bool {
	online := 0
	for _, n := range cl.nodes {
		if n.online {
			online++
		}
	}
	return online*2 > len(cl.nodes)
}

func (c *call) clusterStatus() (reply, *apiError) {
	cl := c.s.c
	var w jsonWriter
	w.OpenArr()
	w.Open()
	w.Str("id", "cluster")
	w.Str("name", cl.name)
	w.Int("nodes", int64(len(cl.nodes)))
	w.Bit("quorate", cl.quorate())
	w.Str("type", "cluster")
	w.Int("version", int64(len(cl.nodes)+2))
	w.End()
	for i, n := range cl.nodes {
		w.Open()
		w.Str("id", "node/"+n.name)
		w.Str("ip", n.ip)
		w.Str("level", "")
		w.Bit("local", i == 0) // the simulator answers as the first node
		w.Str("name", n.name)
		w.Int("nodeid", int64(n.id))
		w.Bit("online", n.online)
		w.Str("type", "node")
		w.End()
	}
	w.EndArr()
	return reply{data: rawJSON(w.b)}, nil
}

// writeGuestResource writes a guest as /cluster/resources lists it. A guest on an offline node has no fresh
// statistics: status "unknown" and no name or usage (pve-manager API2Tools extract_vm_stats).
func (c *call) writeGuestResource(w *jsonWriter, g *guest) {
	n := c.s.c.node(g.node)
	w.Open()
	w.Str("id", g.kind+"/"+strconv.Itoa(g.vmid))
	w.Str("type", g.kind)
	w.Int("vmid", int64(g.vmid))
	w.Str("node", g.node)
	w.Bit("template", g.template())
	if n == nil || !n.online {
		w.Str("status", "unknown")
	} else {
		u := g.usage(c.now)
		w.Str("name", g.name())
		w.Str("status", g.status())
		w.Int("uptime", u.uptime)
		w.Float("cpu", u.cpu)
		w.Int("maxcpu", int64(g.maxCPU(n.cpus)))
		w.Int("mem", u.mem)
		w.Int("maxmem", g.maxMem())
		w.Int("disk", u.disk)
		w.Int("maxdisk", g.maxDisk())
		w.Int("netin", u.netin)
		w.Int("netout", u.netout)
		w.Int("diskread", u.diskread)
		w.Int("diskwrite", u.diskwrite)
	}
	if t := g.tags(); t != "" {
		w.Str("tags", t)
	}
	if l := g.lock(); l != "" {
		w.Str("lock", l)
	}
	if g.pool != "" {
		w.Str("pool", g.pool)
	}
	if hs := c.s.c.haState(g.kind, g.vmid); hs != "" {
		w.Str("hastate", hs)
	}
	w.End()
}

func (c *call) writeNodeResource(w *jsonWriter, n *node) {
	w.Open()
	w.Str("id", "node/"+n.name)
	w.Str("type", "node")
	w.Str("node", n.name)
	w.Str("level", "")
	if !n.online {
		w.Str("status", "offline")
		w.End()
		return
	}
	u := c.s.c.nodeUsage(n, c.now)
	w.Str("status", "online")
	w.Int("cgroup-mode", 2)
	w.Float("cpu", u.cpu)
	w.Int("maxcpu", int64(n.cpus))
	w.Int("mem", u.mem)
	w.Int("maxmem", n.memTotal)
	w.Int("disk", n.rootUsed)
	w.Int("maxdisk", n.rootTotal)
	w.Int("uptime", u.uptime)
	w.End()
}

func (c *call) writeStorageResource(w *jsonWriter, st *storage, n *node) {
	w.Open()
	w.Str("id", "storage/"+n.name+"/"+st.id)
	w.Str("type", "storage")
	w.Str("storage", st.id)
	w.Str("node", n.name)
	w.Str("plugintype", st.typ)
	w.Str("content", st.content)
	w.Bit("shared", st.shared)
	if !n.online {
		w.Str("status", "unknown")
	} else {
		w.Str("status", "available")
		w.Int("disk", c.s.c.used(st, n.name))
		w.Int("maxdisk", st.total)
	}
	w.End()
}

// canSeeStorage is the list filter for storages: Datastore.Audit or Datastore.AllocateSpace.
func (c *call) canSeeStorage() bool {
	return c.tok.has("Datastore.Audit") || c.tok.has("Datastore.AllocateSpace")
}

func (c *call) clusterResources() (reply, *apiError) {
	typ := c.p["type"]
	cl := c.s.c
	w := jsonWriter{b: make([]byte, 0, 64+len(cl.guests)*420)}
	w.OpenArr()
	if (typ == "" || typ == "vm") && c.tok.has("VM.Audit") {
		for _, g := range cl.sortedGuests() {
			c.writeGuestResource(&w, g)
		}
	}
	if (typ == "" || typ == "node") && c.tok.has("Sys.Audit") {
		for _, n := range cl.nodes {
			c.writeNodeResource(&w, n)
		}
	}
	if typ == "" || typ == "storage" {
		for _, n := range cl.nodes {
			for _, st := range cl.storages {
				if c.canSeeStorage() {
					c.writeStorageResource(&w, st, n)
				}
			}
		}
	}
	if typ == "" && c.tok.has("Pool.Audit") {
		for _, p := range cl.pools {
			w.Open()
			w.Str("id", "pool/"+p.id)
			w.Str("type", "pool")
			w.Str("pool", p.id)
			w.End()
		}
	}
	if (typ == "" || typ == "sdn") && c.tok.has("SDN.Audit") {
		for _, n := range cl.nodes {
			w.Open()
			w.Str("id", "sdn/"+n.name+"/localnetwork")
			w.Str("type", "sdn")
			w.Str("sdn", "localnetwork")
			w.Str("node", n.name)
			w.Str("status", map[bool]string{true: "ok", false: "unknown"}[n.online])
			w.End()
		}
	}
	w.EndArr()
	return reply{data: rawJSON(w.b)}, nil
}

// nextID answers the lowest free vmid from 100, as a string like real servers do; with vmid, that vmid if it
// is free and a 400 if not.
func (c *call) nextID() (reply, *apiError) {
	if v, ok := c.p["vmid"]; ok {
		id, _ := strconv.Atoi(v)
		if _, taken := c.s.c.guests[id]; taken {
			return reply{}, badParam("vmid", "VM "+v+" already exists")
		}
		return reply{data: v}, nil
	}
	for id := 100; ; id++ {
		if _, taken := c.s.c.guests[id]; !taken {
			return reply{data: strconv.Itoa(id)}, nil
		}
	}
}

// writeTaskID writes the fields every task answer starts with: what the UPID holds, the user split from a
// token's name.
func writeTaskID(w *jsonWriter, t *task) {
	user, tokenName := tokenUser(t.user)
	w.Str("upid", t.upid)
	w.Str("node", t.node)
	w.Int("pid", int64(t.pid))
	w.Int("pstart", t.pstart)
	w.Int("starttime", t.start.Unix())
	w.Str("type", t.typ)
	w.Str("id", t.id)
	w.Str("user", user)
	if tokenName != "" {
		w.Str("tokenid", tokenName)
	}
}

// writeTask writes a task list entry. running is how the list shows a task still going: node lists say
// "RUNNING", the cluster list omits the status.
func writeTask(w *jsonWriter, t *task, running string) {
	w.Open()
	writeTaskID(w, t)
	if t.done {
		w.Str("status", t.exit)
		w.Int("endtime", t.end.Unix())
	} else if running != "" {
		w.Str("status", running)
	}
	w.End()
}

// clusterTasks is the short cluster-wide list: everything with Sys.Audit on "/", else the caller's own
// (compared by user, as pve-manager does, so a token without Sys.Audit sees none).
func (c *call) clusterTasks() (reply, *apiError) {
	all := c.tok.has("Sys.Audit")
	tasks := slices.Clone(c.s.c.tasks)
	sort.SliceStable(tasks, func(i, j int) bool { return tasks[i].start.After(tasks[j].start) })
	perNode := map[string]int{}
	var w jsonWriter
	w.OpenArr()
	for _, t := range tasks {
		user, _ := tokenUser(t.user)
		if !all && user != c.tok.id {
			continue
		}
		if perNode[t.node] >= 50 {
			continue
		}
		perNode[t.node]++
		writeTask(&w, t, "")
	}
	w.EndArr()
	return reply{data: rawJSON(w.b)}, nil
}

func (c *call) nodes() (reply, *apiError) {
	var w jsonWriter
	w.OpenArr()
	for _, n := range c.s.c.nodes {
		w.Open()
		w.Str("node", n.name)
		w.Str("id", "node/"+n.name)
		w.Str("type", "node")
		w.Str("level", "")
		w.Str("ssl_fingerprint", n.fingerprint)
		if !n.online {
			w.Str("status", "offline")
			w.End()
			continue
		}
		w.Str("status", "online")
		if c.tok.has("Sys.Audit") {
			u := c.s.c.nodeUsage(n, c.now)
			w.Float("cpu", u.cpu)
			w.Int("maxcpu", int64(n.cpus))
			w.Int("mem", u.mem)
			w.Int("maxmem", n.memTotal)
			w.Int("disk", n.rootUsed)
			w.Int("maxdisk", n.rootTotal)
			w.Int("uptime", u.uptime)
		}
		w.End()
	}
	w.EndArr()
	return reply{data: rawJSON(w.b)}, nil
}

func (c *call) pools() (reply, *apiError) {
	cl := c.s.c
	var w jsonWriter
	w.OpenArr()
	id, one := c.p["poolid"]
	if one {
		p := cl.pool(id)
		if p == nil {
			return reply{}, fail("pool '%s' does not exist", id)
		}
		if err := c.tok.need("/pool/"+id, "Pool.Audit"); err != nil {
			return reply{}, err
		}
		w.Open()
		w.Str("poolid", p.id)
		if p.comment != "" {
			w.Str("comment", p.comment)
		}
		w.Arr("members")
		typ := c.p["type"]
		for _, g := range cl.sortedGuests() {
			if g.pool == p.id && (typ == "" || typ == g.kind) && c.tok.has("VM.Audit") {
				c.writeGuestResource(&w, g)
			}
		}
		w.EndArr()
		w.End()
	} else if c.tok.has("Pool.Audit") {
		for _, p := range cl.pools {
			w.Open()
			w.Str("poolid", p.id)
			if p.comment != "" {
				w.Str("comment", p.comment)
			}
			w.End()
		}
	}
	w.EndArr()
	return reply{data: rawJSON(w.b)}, nil
}

// permissions dumps a token's privileges: without a path, for "/" and each path it holds a grant on (each with
// what propagates to it); with one, for that path alone.
func (c *call) permissions() (reply, *apiError) {
	tok := c.tok
	if uid, ok := c.p["userid"]; ok && uid != c.tok.id {
		if err := c.tok.need("/access", "Sys.Audit"); err != nil {
			return reply{}, err
		}
		other := c.s.tokens[uid]
		if other == nil {
			return reply{}, fail("no such user ('%s')", uid)
		}
		tok = other
	}
	paths := []string{"/"}
	if p, ok := c.p["path"]; ok {
		paths = []string{p}
	} else {
		for p := range tok.grants {
			if p != "/" {
				paths = append(paths, p)
			}
		}
		sort.Strings(paths[1:])
	}
	var w jsonWriter
	w.Open()
	for _, path := range paths {
		held := tok.effective(path)
		if len(held) == 0 && len(paths) > 1 {
			continue
		}
		privs := make([]string, 0, len(held))
		for p := range held {
			privs = append(privs, p)
		}
		sort.Strings(privs)
		w.Obj(path)
		for _, p := range privs {
			w.Int(p, 1)
		}
		w.End()
	}
	w.End()
	return reply{data: rawJSON(w.b)}, nil
}

// poolOf is used by create and clone: a pool must exist before a guest can join it.
func (c *call) poolOf(name string) *apiError {
	if name == "" {
		return nil
	}
	if c.s.c.pool(name) == nil {
		return fail("pool '%s' does not exist", name)
	}
	return nil
}
