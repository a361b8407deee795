package pve

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Proxmox addresses a guest by node, type and vmid, while people and assistants name it by vmid alone. The
// client resolves a vmid from an index of the cluster's guests: one GET /cluster/resources?type=vm, decoded
// into the few fields resolution needs, shared by every caller for a few seconds (DefaultGuestIndexTTL) and
// by concurrent callers while it is being read (one listing in flight at a time). When the caller names the
// node, the client asks that node directly instead. Proxmox corrects the index: an answer saying a guest's
// configuration file does not exist where the index put it marks the index stale, and the next lookup lists
// the cluster again.

// DefaultGuestIndexTTL is how long one listing of the cluster's guests answers lookups.
const DefaultGuestIndexTTL = 5 * time.Second

// WithGuestIndexTTL sets how long one listing of the cluster's guests answers Locate and ReadGuest (default
// DefaultGuestIndexTTL). With 0 every lookup lists the cluster, concurrent lookups sharing one request.
func WithGuestIndexTTL(d time.Duration) Option { return func(c *Client) { c.index.ttl = max(d, 0) } }

// Guest is where a guest lives and what the cluster says of it: enough to address it and to name it to a
// person. It comes from the guest index (up to its TTL old) or, when a node was named, from the guest's live
// status on that node; read GuestStatus for the live state of a guest found in the index.
type Guest struct {
	VMID     int
	Type     GuestType
	Node     string
	Name     string
	Status   string // running, stopped, unknown (node offline), ...
	Template bool
	Lock     string
	Tags     string // as Proxmox sends them; see SplitTags
	Pool     string // known from the index only
	HAState  string
}

// Ref addresses the guest.
func (g Guest) Ref() GuestRef { return GuestRef{Node: g.Node, Type: g.Type, VMID: g.VMID} }

// indexEntry is what the index decodes of each /cluster/resources entry: about half the decoding work of a
// full Resource on a 5,000-guest cluster, and less than half the memory.
type indexEntry struct {
	VMID     Int    `json:"vmid"`
	Type     string `json:"type"`
	Node     string `json:"node"`
	Name     string `json:"name"`
	Status   string `json:"status"`
	Template Bool   `json:"template"`
	Lock     string `json:"lock"`
	Tags     string `json:"tags"`
	Pool     string `json:"pool"`
	HAState  string `json:"hastate"`
	// wrote is when this client last wrote to the guest (zero: not since the listing): its location
	// stands, its state may not, so the next Locate asks the guest's node instead of answering from the index.
	wrote time.Time
}

func (e indexEntry) guest() Guest {
	return Guest{VMID: int(e.VMID), Type: GuestType(e.Type), Node: e.Node, Name: e.Name, Status: e.Status,
		Template: bool(e.Template), Lock: e.Lock, Tags: e.Tags, Pool: e.Pool, HAState: e.HAState}
}

// guestIndex is the shared listing of the cluster's guests.
type guestIndex struct {
	ttl time.Duration

	mu      sync.Mutex
	guests  *guestTable // nil until the first listing
	taken   time.Time   // when the listing in guests was asked for
	staleAt time.Time   // when Proxmox last contradicted the index; stale while after taken
	flight  *listing    // the listing being read, if any
	waiting int         // callers waiting for flight (tests watch it)
}

// listing is one GET /cluster/resources?type=vm in flight; done closes when it has ended.
type listing struct {
	asked time.Time
	done  chan struct{}
	err   error
}

// guestTable holds the index's entries by vmid. The entries sit in one slice, the map points into it: a map
// of the entries themselves would allocate each one apart (Go keeps map values over 128 bytes out of line),
// 5,000 allocations a listing on a 5,000-guest cluster.
type guestTable struct {
	at   map[int]int
	rows []indexEntry
}

func (t *guestTable) get(vmid int) (indexEntry, bool) {
	if t == nil {
		return indexEntry{}, false
	}
	i, ok := t.at[vmid]
	if !ok {
		return indexEntry{}, false
	}
	return t.rows[i], true
}

func (t *guestTable) set(e indexEntry) {
	if i, ok := t.at[int(e.VMID)]; ok {
		t.rows[i] = e
		return
	}
	t.at[int(e.VMID)] = len(t.rows)
	t.rows = append(t.rows, e)
}

func (t *guestTable) remove(vmid int) { delete(t.at, vmid) }

// indexOf keeps the guests of a listing, by vmid.
func indexOf[T any](list []T, entry func(*T) indexEntry) *guestTable {
	t := &guestTable{at: make(map[int]int, len(list)), rows: make([]indexEntry, 0, len(list))}
	for i := range list {
		if e := entry(&list[i]); (e.Type == string(Qemu) || e.Type == string(LXC)) && ValidVMID(int(e.VMID)) == nil {
			t.set(e)
		}
	}
	return t
}

// fill replaces the index with a listing asked for at asked, unless a newer one is already in.
func (x *guestIndex) fill(t *guestTable, asked time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.guests != nil && asked.Before(x.taken) {
		return
	}
	if x.guests != nil {
		for id, i := range x.guests.at {
			// A write after the listing was asked for may not show in it.
			if old := x.guests.rows[i]; old.wrote.After(asked) {
				if e, ok := t.get(id); ok {
					e.wrote = old.wrote
					t.set(e)
				}
			}
		}
	}
	x.guests, x.taken = t, asked
}

// known returns what the index holds on vmid, however old, without asking Proxmox.
func (x *guestIndex) known(vmid int) (indexEntry, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.guests.get(vmid)
}

// update records what a guest's own node said of it, keeping its pool (only the index knows it).
func (x *guestIndex) update(g Guest) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.guests == nil {
		return
	}
	e, _ := x.guests.get(g.VMID)
	pool := e.Pool
	if e.Node != g.Node {
		pool = ""
	}
	x.guests.set(indexEntry{VMID: Int(g.VMID), Type: string(g.Type), Node: g.Node, Name: g.Name, Status: g.Status,
		Template: Bool(g.Template), Lock: g.Lock, Tags: g.Tags, Pool: pool, HAState: g.HAState})
}

// wrote notes that this client changed a guest: its entry becomes unsure (see indexEntry.wrote), or goes
// when the guest was destroyed.
func (x *guestIndex) wrote(vmid int, destroyed bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	e, ok := x.guests.get(vmid)
	switch {
	case !ok:
	case destroyed:
		x.guests.remove(vmid)
	default:
		e.wrote = time.Now()
		x.guests.set(e)
	}
}

// nodes are the nodes the index puts a guest on, sorted.
func (x *guestIndex) nodes() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.guests == nil {
		return nil
	}
	seen := map[string]bool{}
	for _, i := range x.guests.at {
		seen[x.guests.rows[i].Node] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// contradicted marks the index stale: Proxmox said a guest is not where the index put it.
func (x *guestIndex) contradicted() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.staleAt = time.Now()
}

// lookup finds vmid in the index, listing the cluster first when the index is older than its TTL, stale, or
// lacks vmid and was listed before this lookup began (a guest created since). Concurrent lookups share one
// listing. found is false when a listing made for this lookup does not hold vmid.
func (c *Client) lookup(ctx context.Context, vmid int) (e indexEntry, found bool, err error) {
	x := &c.index
	began := time.Now()
	waited := false // for a listing, which then answers this lookup whatever the TTL
	for range 3 {
		x.mu.Lock()
		valid := x.guests != nil && !x.staleAt.After(x.taken)
		since := valid && !x.taken.Before(began) // listed since this lookup began
		if valid && (since || waited || time.Since(x.taken) < x.ttl) {
			if e, ok := x.guests.get(vmid); ok {
				x.mu.Unlock()
				return e, true, nil
			}
			if since {
				x.mu.Unlock()
				return indexEntry{}, false, nil
			}
		}
		f := x.flight
		if f == nil {
			f = &listing{asked: time.Now(), done: make(chan struct{})}
			x.flight = f
			// The listing serves every waiter: it must not end because the caller that started it went away.
			go c.list(context.WithoutCancel(ctx), f)
		}
		x.waiting++
		x.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
		}
		x.mu.Lock()
		x.waiting--
		x.mu.Unlock()
		if err := ctx.Err(); err != nil {
			return indexEntry{}, false, err
		}
		if f.err != nil {
			return indexEntry{}, false, f.err
		}
		waited = true
	}
	// Each listing this lookup waited for was older than it or contradicted at once: answer from the last.
	e, ok := x.known(vmid)
	return e, ok, nil
}

// list reads the cluster's guests into the index for f.
func (c *Client) list(ctx context.Context, f *listing) {
	var entries []indexEntry
	_, err := c.do(ctx, Request{method: "GET", path: "/cluster/resources", params: url.Values{"type": {ResourceVM}}, limit: wholeCluster}, &entries)
	if err != nil {
		f.err = fmt.Errorf("list cluster resources: %w", err)
	} else {
		c.index.fill(indexOf(entries, func(e *indexEntry) indexEntry { return *e }), f.asked)
	}
	c.index.mu.Lock()
	c.index.flight = nil
	c.index.mu.Unlock()
	close(f.done)
}

// NodesWithGuests are the nodes the guest index, as it stands, puts a guest on: nodes known to exist without
// a request (however old the index). A node that holds no guest is not among them; nil before any listing.
func (c *Client) NodesWithGuests() []string { return c.index.nodes() }

// Locate finds guest vmid. With node "" it answers from the guest index (listing the cluster when the index
// is too old or lacks vmid); with a node it asks that node, one small request, unless a fresh index already
// puts the guest there. A guest this client wrote to since the last listing is asked of its node too, so
// what Locate says of its state is not older than the write. A vmid that is not there is an error matching
// ErrNotFound (a *GuestNotFoundError).
func (c *Client) Locate(ctx context.Context, vmid int, node string) (Guest, error) {
	if err := ValidVMID(vmid); err != nil {
		return Guest{}, invalid(err)
	}
	if node != "" {
		if err := ValidNode(node); err != nil {
			return Guest{}, invalid(err)
		}
		if e, ok := c.index.known(vmid); ok && e.Node == node && e.wrote.IsZero() && c.indexFresh() {
			return e.guest(), nil
		}
		return c.probe(ctx, vmid, node)
	}
	e, found, err := c.lookup(ctx, vmid)
	if err != nil {
		return Guest{}, err
	}
	if !found {
		return Guest{}, &GuestNotFoundError{VMID: vmid}
	}
	if e.wrote.IsZero() {
		return e.guest(), nil
	}
	g, err := c.probe(ctx, vmid, e.Node)
	if !errors.Is(err, ErrNotFound) {
		return g, err
	}
	// Not where this client left it: it moved, or went. The probe marked the index stale.
	if e, found, err = c.lookup(ctx, vmid); err != nil {
		return Guest{}, err
	}
	if !found {
		return Guest{}, &GuestNotFoundError{VMID: vmid}
	}
	return e.guest(), nil
}

// indexFresh reports whether the index is within its TTL and uncontradicted.
func (c *Client) indexFresh() bool {
	x := &c.index
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.guests != nil && !x.staleAt.After(x.taken) && time.Since(x.taken) < x.ttl
}

// probe reads vmid's live status on node, trying the type the index knows for it first (qemu when it knows
// none), then the other.
func (c *Client) probe(ctx context.Context, vmid int, node string) (Guest, error) {
	for _, typ := range c.typeOrder(vmid) {
		ref := GuestRef{Node: node, Type: typ, VMID: vmid}
		st, err := c.GuestStatus(ctx, ref)
		if err == nil {
			g := guestFromStatus(ref, st)
			c.index.update(g)
			return c.withPool(g), nil
		}
		if !guestMissing(err) {
			return Guest{}, err
		}
	}
	return Guest{}, c.missingOn(ctx, vmid, node)
}

// typeOrder is the order to try guest types for vmid in.
func (c *Client) typeOrder(vmid int) []GuestType {
	if e, ok := c.index.known(vmid); ok && GuestType(e.Type) == LXC {
		return []GuestType{LXC, Qemu}
	}
	return []GuestType{Qemu, LXC}
}

// withPool adds the pool the index knows for a guest on the same node.
func (c *Client) withPool(g Guest) Guest {
	if e, ok := c.index.known(g.VMID); ok && e.Node == g.Node {
		g.Pool = e.Pool
	}
	return g
}

// missingOn is the error for a guest that is on neither type's path of node: it says where the index puts
// it, when that is elsewhere.
func (c *Client) missingOn(ctx context.Context, vmid int, node string) error {
	e := &GuestNotFoundError{VMID: vmid, Node: node}
	if x, found, err := c.lookup(ctx, vmid); err == nil && found && x.Node != node {
		e.Elsewhere = x.Node
	}
	return e
}

func guestFromStatus(ref GuestRef, st GuestStatus) Guest {
	return Guest{VMID: ref.VMID, Type: ref.Type, Node: ref.Node, Name: st.Name, Status: st.Status,
		Template: bool(st.Template), Lock: st.Lock, Tags: st.Tags, HAState: st.HA.State}
}

// guestMissing reports whether Proxmox said a guest's configuration file does not exist on the node asked:
// the guest is elsewhere, of the other type, or gone.
func guestMissing(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) || !ae.isNotFound() {
		return false
	}
	t := strings.ToLower(ae.Text())
	return ae.Status == 404 || strings.Contains(t, "configuration file") || strings.Contains(t, ".conf'")
}

// guestOfPath is the guest a request path /nodes/NODE/{qemu|lxc}/VMID[/...] addresses, and whether the path
// is the guest itself (a DELETE of it destroys it).
func guestOfPath(path string) (ref GuestRef, whole bool) {
	seg := strings.Split(path, "/")
	if len(seg) < 5 || seg[1] != "nodes" || (seg[3] != string(Qemu) && seg[3] != string(LXC)) {
		return GuestRef{}, false
	}
	id, err := strconv.Atoi(seg[4])
	if err != nil || ValidVMID(id) != nil {
		return GuestRef{}, false
	}
	return GuestRef{Node: seg[2], Type: GuestType(seg[3]), VMID: id}, len(seg) == 5
}

// observeGuest keeps the index in step with what a request to a guest's path learned: a missing
// configuration file where the index puts the guest contradicts the index (asking the other type's path, or
// another node, does not), a write makes the guest's entry unsure, a destroy drops it.
func (c *Client) observeGuest(req Request, err error) {
	ref, whole := guestOfPath(req.path)
	switch {
	case ref.VMID == 0:
	case guestMissing(err):
		if e, ok := c.index.known(ref.VMID); ok && e.Node == ref.Node && GuestType(e.Type) == ref.Type {
			c.index.contradicted()
		}
	case err == nil && req.IsWrite():
		c.index.wrote(ref.VMID, whole && req.method == "DELETE")
	}
}

// GuestDetail is one guest read at once.
type GuestDetail struct {
	Guest  Guest
	Status GuestStatus // live
	Config GuestConfig // pending changes applied
}

// ReadGuest reads guest vmid's live status and configuration with two concurrent requests, after locating it
// as Locate does but without its probe: with the guest in the index (or node given and the type known), a
// read is those two requests and nothing else. When the index put the guest where Proxmox says it is not, the
// index is listed again and the read repeated once.
func (c *Client) ReadGuest(ctx context.Context, vmid int, node string) (GuestDetail, error) {
	if err := ValidVMID(vmid); err != nil {
		return GuestDetail{}, invalid(err)
	}
	if node != "" {
		if err := ValidNode(node); err != nil {
			return GuestDetail{}, invalid(err)
		}
		var err error
		for _, typ := range c.typeOrder(vmid) {
			var d GuestDetail
			if d, err = c.readAt(ctx, GuestRef{Node: node, Type: typ, VMID: vmid}); !guestMissing(err) {
				return d, err
			}
		}
		return GuestDetail{}, c.missingOn(ctx, vmid, node)
	}
	for attempt := 0; ; attempt++ {
		e, found, err := c.lookup(ctx, vmid)
		if err != nil {
			return GuestDetail{}, err
		}
		if !found {
			return GuestDetail{}, &GuestNotFoundError{VMID: vmid}
		}
		d, err := c.readAt(ctx, e.guest().Ref())
		if !guestMissing(err) || attempt > 0 {
			return d, err
		}
	}
}

// readAt reads a guest's status and config at ref concurrently.
func (c *Client) readAt(ctx context.Context, ref GuestRef) (GuestDetail, error) {
	var (
		d      GuestDetail
		cfgErr error
		wg     sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.Config, cfgErr = c.GuestConfig(ctx, ref)
	}()
	var err error
	d.Status, err = c.GuestStatus(ctx, ref)
	wg.Wait()
	if err == nil {
		err = cfgErr
	}
	if err != nil {
		return GuestDetail{}, err
	}
	d.Guest = guestFromStatus(ref, d.Status)
	c.index.update(d.Guest)
	d.Guest = c.withPool(d.Guest)
	return d, nil
}

// GuestNotFoundError says a vmid is not in the cluster, or not on the node asked (or the token may not see
// it: Proxmox hides guests without VM.Audit from lists).
type GuestNotFoundError struct {
	VMID int
	// Node is the node that was asked, "" when the whole cluster was.
	Node string
	// Elsewhere is the node the cluster lists the guest on, when it is not Node.
	Elsewhere string
}

func (e *GuestNotFoundError) Error() string {
	switch {
	case e.Node == "":
		return fmt.Sprintf("no VM or container with vmid %d in the cluster (or the token lacks VM.Audit on it)", e.VMID)
	case e.Elsewhere != "":
		return fmt.Sprintf("no VM or container with vmid %d on node %s: the cluster lists it on node %s", e.VMID, e.Node, e.Elsewhere)
	}
	return fmt.Sprintf("no VM or container with vmid %d on node %s (or the token lacks VM.Audit on it)", e.VMID, e.Node)
}

// Is matches ErrNotFound.
func (e *GuestNotFoundError) Is(target error) bool { return target == ErrNotFound }
