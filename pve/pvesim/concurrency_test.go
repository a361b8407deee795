package pvesim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentUse hammers one Sim with readers, writers and a moving clock (run it with -race). Every
// answer must be a well-formed success or one of the errors concurrency legitimately causes, and afterwards
// the cluster must be consistent: every task ended, every lock released, every request logged.
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t, nil)
	var sent atomic.Int64
	allowed := []string{"can't lock file", "is locked", "already running", "not running", "already used", "does not exist", "is running"}
	check := func(what string, r response) {
		sent.Add(1)
		if r.status == 200 {
			if !json.Valid(r.body) {
				t.Errorf("%s: 200 with invalid JSON", what)
			}
			return
		}
		if r.status == 500 {
			for _, a := range allowed {
				if strings.Contains(r.reason, a) {
					return
				}
			}
		}
		t.Errorf("%s: %d %s", what, r.status, r.reason)
	}

	type target struct {
		node, kind string
		vmid       int
	}
	targets := []target{{"pve1", "qemu", 100}, {"pve1", "qemu", 101}, {"pve2", "qemu", 102}, {"pve2", "qemu", 103},
		{"pve3", "qemu", 104}, {"pve1", "lxc", 200}, {"pve2", "lxc", 201}, {"pve3", "lxc", 203}}
	var wg sync.WaitGroup
	for i, tg := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := fmt.Sprintf("/nodes/%s/%s/%d", tg.node, tg.kind, tg.vmid)
			for j := 0; j < 12; j++ {
				switch j % 4 {
				case 0:
					check("shutdown", e.request("POST", base+"/status/shutdown", adminAuth, nil))
				case 1:
					check("start", e.request("POST", base+"/status/start", adminAuth, nil))
				case 2:
					check("snapshot", e.request("POST", base+"/snapshot", adminAuth, params("snapname", fmt.Sprintf("c%d-%d", i, j))))
				case 3:
					check("backup", e.request("POST", "/nodes/"+tg.node+"/vzdump", adminAuth, params("vmid", fmt.Sprint(tg.vmid), "storage", "nas-backup")))
				}
				check("status", e.request("GET", base+"/status/current", adminAuth, nil))
			}
		}()
	}
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 15; j++ {
				check("resources", e.request("GET", "/cluster/resources", readOnlyAuth, nil))
				check("tasks", e.request("GET", "/nodes/pve1/tasks", adminAuth, params("source", "all")))
				var tasks struct{ Data []map[string]any }
				r := e.request("GET", "/cluster/tasks", adminAuth, nil)
				check("cluster tasks", r)
				_ = json.Unmarshal(r.body, &tasks)
				if len(tasks.Data) > 0 {
					upid, _ := tasks.Data[0]["upid"].(string)
					node, _ := tasks.Data[0]["node"].(string)
					check("log", e.request("GET", "/nodes/"+node+"/tasks/"+url.PathEscape(upid)+"/log", adminAuth, nil))
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			e.clock.Advance(25 * time.Millisecond)
			e.srv.Guest(100)
			_ = e.srv.SetGuestConfig(202, "description", fmt.Sprint("note ", i))
			if i%50 == 0 {
				remove := e.srv.Inject(Fault{Kind: FaultLatency, Latency: time.Microsecond, Path: "/version"})
				remove()
				e.srv.Requests()
			}
			time.Sleep(time.Millisecond)
		}
	}()
	wg.Wait()
	<-done

	e.clock.Advance(time.Hour)
	for _, ts := range e.srv.Tasks() {
		if ts.Status == "running" && ts.UPID != runningBackupUPID(t, e.srv.Sim) {
			t.Errorf("task %s still running an hour later", ts.UPID)
		}
	}
	for _, vmid := range Default().VMIDs() {
		g, _ := e.srv.Guest(vmid)
		if g.Lock != "" && vmid != 106 {
			t.Errorf("guest %d still locked (%s)", vmid, g.Lock)
		}
	}
	if got, want := int64(len(e.srv.Requests())), sent.Load(); got != want {
		t.Errorf("%d requests logged, %d sent", got, want)
	}
}
