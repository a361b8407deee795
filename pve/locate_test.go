package pve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeCluster answers what resolution asks: the guest guestListing, and each guest's status and config on the
// node it is on. Tests move guests between nodes to play a migration the client did not see.
type fakeCluster struct {
	mu     sync.Mutex
	guests map[int][2]string // vmid -> node, type
	// hold, when set, keeps every guestListing waiting until it is closed.
	hold chan struct{}
}

func (f *fakeCluster) move(vmid int, node, typ string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if node == "" {
		delete(f.guests, vmid)
		return
	}
	f.guests[vmid] = [2]string{node, typ}
}

func (f *fakeCluster) answer(r *http.Request) answer {
	path := strings.TrimPrefix(r.URL.Path, "/api2/json")
	if path == "/cluster/resources" {
		if f.hold != nil {
			<-f.hold
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		var items []string
		for id, g := range f.guests {
			items = append(items, fmt.Sprintf(`{"id":"%s/%d","type":"%s","vmid":%d,"node":"%s","name":"g%d","status":"running","pool":"prod"}`, g[1], id, g[1], id, g[0], id))
		}
		return ok("[" + strings.Join(items, ",") + "]")
	}
	if r.Method != "GET" {
		return ok(`"` + testUPID + `"`)
	}
	var node, typ, rest string
	var vmid int
	if _, err := fmt.Sscanf(strings.ReplaceAll(path, "/", " "), " nodes %s %s %d %s", &node, &typ, &vmid, &rest); err != nil {
		return answer{status: 501, reason: "Method 'GET " + path + "' not implemented"}
	}
	f.mu.Lock()
	g, there := f.guests[vmid]
	f.mu.Unlock()
	if !there || g[0] != node || g[1] != typ {
		dir := map[string]string{"qemu": "qemu-server", "lxc": "lxc"}[typ]
		return answer{status: 500, reason: fmt.Sprintf("Configuration file 'nodes/%s/%s/%d.conf' does not exist", node, dir, vmid)}
	}
	if rest == "config" {
		return ok(`{"name":"g` + itoa(vmid) + `","memory":"2048","digest":"x"}`)
	}
	return ok(`{"vmid":` + itoa(vmid) + `,"name":"g` + itoa(vmid) + `","status":"running","maxmem":2147483648}`)
}

// resolver is a client on a fakeCluster of VMs 100-104 on pve1 and CTs 200-201 on pve2.
func resolver(t *testing.T, opts ...Option) (*Client, *fakeCluster, *recorder) {
	f := &fakeCluster{guests: map[int][2]string{}}
	for id := 100; id <= 104; id++ {
		f.guests[id] = [2]string{"pve1", "qemu"}
	}
	f.guests[200], f.guests[201] = [2]string{"pve2", "lxc"}, [2]string{"pve2", "lxc"}
	c, rec, _ := newTestServer(t, f.answer, append([]Option{WithRetries(0, 0)}, opts...)...)
	return c, f, rec
}

// paths is what reached the server since mark, as "METHOD path" without /api2/json.
func paths(rec *recorder, mark int) []string {
	var out []string
	for _, s := range rec.all()[mark:] {
		out = append(out, s.Method+" "+strings.TrimPrefix(s.Path, "/api2/json"))
	}
	return out
}

const guestListing = "GET /cluster/resources"

// TestLocateFromTheIndex: lookups by vmid alone share one guestListing of the cluster for the index's TTL; a
// write to a guest makes the next lookup ask its node (one small read), a destroy makes it list again, and
// a vmid created after the guestListing is found by guestListing again.
func TestLocateFromTheIndex(t *testing.T) {
	ctx := context.Background()
	c, f, rec := resolver(t, WithGuestIndexTTL(time.Hour))
	for _, id := range []int{100, 101, 102, 200, 201, 100} {
		g, err := c.Locate(ctx, id, "")
		if err != nil {
			t.Fatal(err)
		}
		if want := (Guest{VMID: id, Type: map[bool]GuestType{true: Qemu, false: LXC}[id < 200], Node: map[bool]string{true: "pve1", false: "pve2"}[id < 200],
			Name: "g" + itoa(id), Status: "running", Pool: "prod"}); g != want {
			t.Errorf("Locate(%d) = %+v, want %+v", id, g, want)
		}
	}
	if diff := cmp.Diff([]string{guestListing}, paths(rec, 0)); diff != "" {
		t.Errorf("six lookups (-want +got)\n%s", diff)
	}

	mark := len(rec.all())
	req, err := PowerRequest(GuestRef{Node: "pve1", Type: Qemu, VMID: 101}, ActionStart, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, req); err != nil {
		t.Fatal(err)
	}
	g, err := c.Locate(ctx, 101, "")
	if err != nil || g.Node != "pve1" || g.Pool != "prod" {
		t.Fatalf("Locate(101) after a write = %+v, %v", g, err)
	}
	if _, err := c.Locate(ctx, 101, ""); err != nil {
		t.Fatal(err)
	}
	want := []string{"POST /nodes/pve1/qemu/101/status/start", "GET /nodes/pve1/qemu/101/status/current"}
	if diff := cmp.Diff(want, paths(rec, mark)); diff != "" {
		t.Errorf("a write, then two lookups (-want +got)\n%s", diff)
	}

	mark = len(rec.all())
	f.move(150, "pve2", "qemu") // created by someone else after the guestListing
	if g, err := c.Locate(ctx, 150, ""); err != nil || g.Node != "pve2" {
		t.Fatalf("Locate(150) = %+v, %v", g, err)
	}
	_, err = c.Locate(ctx, 999, "")
	var nf *GuestNotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) || nf.VMID != 999 {
		t.Fatalf("Locate(999) error %v, want a GuestNotFoundError", err)
	}
	if diff := cmp.Diff([]string{guestListing, guestListing}, paths(rec, mark)); diff != "" {
		t.Errorf("two vmids the index lacks: one guestListing each (-want +got)\n%s", diff)
	}

	mark = len(rec.all())
	del, err := DestroyRequest(GuestRef{Node: "pve1", Type: Qemu, VMID: 102}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, del); err != nil {
		t.Fatal(err)
	}
	f.move(102, "", "")
	if _, err := c.Locate(ctx, 102, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Locate of a destroyed guest: %v", err)
	}
	if diff := cmp.Diff([]string{"DELETE /nodes/pve1/qemu/102", guestListing}, paths(rec, mark)); diff != "" {
		t.Errorf("a destroy, then a lookup (-want +got)\n%s", diff)
	}
}

// TestLocateSharesOneListing: lookups that arrive while a guestListing is on its way wait for it instead of
// sending their own, even with a TTL of 0.
func TestLocateSharesOneListing(t *testing.T) {
	c, f, rec := resolver(t, WithGuestIndexTTL(0))
	f.hold = make(chan struct{})
	const callers = 20
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Locate(context.Background(), 100+i%5, "")
			errs <- err
		}()
	}
	for {
		c.index.mu.Lock()
		n := c.index.waiting
		c.index.mu.Unlock()
		if n == callers {
			break
		}
		runtime.Gosched()
	}
	close(f.hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if diff := cmp.Diff([]string{guestListing}, paths(rec, 0)); diff != "" {
		t.Errorf("%d concurrent lookups (-want +got)\n%s", callers, diff)
	}
}

// TestLocateOnANamedNode: with the node given the client asks that node and never lists the cluster; the
// type it does not know it tries, qemu first; a wrong node is refused saying where the guest is.
func TestLocateOnANamedNode(t *testing.T) {
	ctx := context.Background()
	c, _, rec := resolver(t, WithGuestIndexTTL(time.Hour))
	g, err := c.Locate(ctx, 103, "pve1")
	if err != nil || g.Ref() != (GuestRef{Node: "pve1", Type: Qemu, VMID: 103}) || g.Name != "g103" {
		t.Fatalf("Locate(103, pve1) = %+v, %v", g, err)
	}
	if g, err = c.Locate(ctx, 200, "pve2"); err != nil || g.Type != LXC {
		t.Fatalf("Locate(200, pve2) = %+v, %v", g, err)
	}
	want := []string{"GET /nodes/pve1/qemu/103/status/current", "GET /nodes/pve2/qemu/200/status/current", "GET /nodes/pve2/lxc/200/status/current"}
	if diff := cmp.Diff(want, paths(rec, 0)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}

	mark := len(rec.all())
	_, err = c.Locate(ctx, 104, "pve2")
	var nf *GuestNotFoundError
	if !errors.As(err, &nf) || nf.Node != "pve2" || nf.Elsewhere != "pve1" || !strings.Contains(err.Error(), "lists it on node pve1") {
		t.Fatalf("Locate(104, pve2) error %v, want not found on pve2, listed on pve1", err)
	}
	want = []string{"GET /nodes/pve2/qemu/104/status/current", "GET /nodes/pve2/lxc/104/status/current", guestListing}
	if diff := cmp.Diff(want, paths(rec, mark)); diff != "" {
		t.Errorf("a wrong node (-want +got)\n%s", diff)
	}

	// Now the index is fresh and knows 201 is a CT on pve2: no request at all.
	mark = len(rec.all())
	if g, err = c.Locate(ctx, 201, "pve2"); err != nil || g.Type != LXC || g.Pool != "prod" {
		t.Fatalf("Locate(201, pve2) = %+v, %v", g, err)
	}
	if got := paths(rec, mark); len(got) != 0 {
		t.Errorf("a guest the fresh index puts on the node asked: requests %v, want none", got)
	}
}

// TestReadGuest: one guest's status and config are two requests and nothing else once the index knows the
// guest, or when the node is given; when the index is out of date (the guest migrated), Proxmox's "does not
// exist" makes the client list the cluster again and read the guest where it is now.
func TestReadGuest(t *testing.T) {
	ctx := context.Background()
	c, f, rec := resolver(t, WithGuestIndexTTL(time.Hour))
	if _, err := c.Locate(ctx, 100, ""); err != nil {
		t.Fatal(err)
	}
	mark := len(rec.all())
	d, err := c.ReadGuest(ctx, 101, "")
	if err != nil {
		t.Fatal(err)
	}
	if d.Guest.Ref() != (GuestRef{Node: "pve1", Type: Qemu, VMID: 101}) || d.Status.Status != "running" || d.Config.String("memory") != "2048" || d.Guest.Pool != "prod" {
		t.Errorf("ReadGuest(101) = %+v", d)
	}
	got := paths(rec, mark)
	if diff := cmp.Diff([]string{"GET /nodes/pve1/qemu/101/config", "GET /nodes/pve1/qemu/101/status/current"}, sorted(got)); diff != "" {
		t.Errorf("a read with the index warm (-want +got)\n%s", diff)
	}

	f.move(101, "pve2", "qemu")
	mark = len(rec.all())
	if d, err = c.ReadGuest(ctx, 101, ""); err != nil || d.Guest.Node != "pve2" {
		t.Fatalf("ReadGuest(101) after a migration = %+v, %v", d.Guest, err)
	}
	got = paths(rec, mark)
	if n := strings.Count(strings.Join(got, "\n"), guestListing); n != 1 || len(got) != 5 {
		t.Errorf("after a migration: %v, want the two reads on pve1, one guestListing and the two reads on pve2", got)
	}
	// The index learnt it: the next read goes straight to pve2.
	mark = len(rec.all())
	if _, err = c.ReadGuest(ctx, 101, ""); err != nil {
		t.Fatal(err)
	}
	if got := paths(rec, mark); len(got) != 2 || !strings.Contains(got[0], "/nodes/pve2/") {
		t.Errorf("the read after: %v", got)
	}

	mark = len(rec.all())
	if d, err = c.ReadGuest(ctx, 200, "pve2"); err != nil || d.Guest.Type != LXC {
		t.Fatalf("ReadGuest(200, pve2) = %+v, %v", d.Guest, err)
	}
	if got := paths(rec, mark); len(got) != 2 {
		t.Errorf("a read on a named node whose guest's type the index knows: %v, want 2 requests", got)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
