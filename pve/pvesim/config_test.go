package pvesim

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func (e *env) put(path string, p map[string]string) response {
	e.t.Helper()
	v := params()
	for k, x := range p {
		v.Set(k, x)
	}
	return e.request("PUT", path, adminAuth, v)
}

// TestUpdateConfig: a stopped guest takes every change at once; a running VM takes its fast-plug options and
// cloud-init settings at once and its CPU and memory at the next boot, which GET …/pending shows and a start
// applies; GET …/config shows pending values unless current=1.
func TestUpdateConfig(t *testing.T) {
	e := newEnv(t, nil)
	if r := e.put("/nodes/pve2/qemu/103/config", map[string]string{"cores": "4", "memory": "8192", "ciuser": "ops", "delete": "tags"}); r.status != 200 || string(r.body) != `{"data":null}` {
		t.Fatalf("stopped VM: %d %s", r.status, r.body)
	}
	g, _ := e.srv.Guest(103)
	if g.Config["cores"] != "4" || g.Config["memory"] != "8192" || g.Config["ciuser"] != "ops" || g.Tags != "" || g.Pending != nil {
		t.Errorf("stopped VM after the change: %+v", g)
	}
	// a running VM
	r := e.put("/nodes/pve3/qemu/104/config", map[string]string{"cores": "4", "memory": "8192", "name": "k3s-main", "description": "main",
		"sshkeys": "ssh-ed25519%20AAAAC3Nza%20ops%40laptop"})
	if r.status != 200 {
		t.Fatalf("running VM: %d %s", r.status, r.reason)
	}
	g, _ = e.srv.Guest(104)
	if g.Config["cores"] != "2" || g.Config["memory"] != "4096" || g.Name != "k3s-main" || g.Config["sshkeys"] != "ssh-ed25519%20AAAAC3Nza%20ops%40laptop" {
		t.Errorf("running VM config: %v", g.Config)
	}
	if diff := cmp.Diff(map[string]string{"cores": "4", "memory": "8192"}, g.Pending); diff != "" {
		t.Errorf("pending (-want +got):\n%s", diff)
	}
	var pending []map[string]any
	e.get("/nodes/pve3/qemu/104/pending", nil).data(t, &pending)
	seen := map[string]string{}
	for _, p := range pending {
		if p["pending"] != nil {
			seen[p["key"].(string)] = p["value"].(string) + "->" + p["pending"].(string)
		}
	}
	if diff := cmp.Diff(map[string]string{"cores": "2->4", "memory": "4096->8192"}, seen); diff != "" {
		t.Errorf("GET pending (-want +got):\n%s", diff)
	}
	var cfg map[string]any
	e.get("/nodes/pve3/qemu/104/config", nil).data(t, &cfg)
	if cfg["cores"].(interface{ String() string }).String() != "4" {
		t.Errorf("GET config shows cores %v, want the pending 4", cfg["cores"])
	}
	e.get("/nodes/pve3/qemu/104/config", params("current", "1")).data(t, &cfg)
	if cfg["cores"].(interface{ String() string }).String() != "2" {
		t.Errorf("GET config current=1 shows cores %v, want 2", cfg["cores"])
	}
	// a reboot (a fresh QEMU) applies them
	e.finish(e.upid("POST", "/nodes/pve3/qemu/104/status/reboot", nil))
	if g, _ = e.srv.Guest(104); g.Config["cores"] != "4" || g.Pending != nil {
		t.Errorf("after the reboot: cores %q pending %v", g.Config["cores"], g.Pending)
	}
	// a stale digest, a locked guest, a bad value
	if r := e.put("/nodes/pve3/qemu/104/config", map[string]string{"cores": "1", "digest": strings.Repeat("0", 40)}); r.status != 500 || !strings.Contains(r.reason, "detected modified configuration") {
		t.Errorf("stale digest: %d %q", r.status, r.reason)
	}
	if r := e.put("/nodes/pve3/qemu/106/config", map[string]string{"cores": "1"}); r.status != 500 || r.reason != "VM is locked (backup)" {
		t.Errorf("locked guest: %d %q", r.status, r.reason)
	}
	if r := e.put("/nodes/pve3/qemu/104/config", map[string]string{"cores": "0"}); r.status != 400 {
		t.Errorf("cores 0: %d %q", r.status, r.reason)
	}
	// a running container takes its resources at once
	if r := e.put("/nodes/pve2/lxc/201/config", map[string]string{"cores": "3", "memory": "2048", "hostname": "proxy"}); r.status != 200 {
		t.Fatalf("container: %d %q", r.status, r.reason)
	}
	if g, _ := e.srv.Guest(201); g.Config["cores"] != "3" || g.Name != "proxy" || g.Pending != nil {
		t.Errorf("container after the change: %+v", g)
	}
}

// TestResize: a task grows the disk in the config and on its volume; shrinking fails inside the task.
func TestResize(t *testing.T) {
	e := newEnv(t, nil)
	upid := e.upid("PUT", "/nodes/pve2/qemu/102/resize", params("disk", "scsi0", "size", "+16G"))
	if !strings.Contains(upid, ":resize:102:") {
		t.Errorf("resize UPID %s", upid)
	}
	if exit := e.finish(upid); exit != "OK" {
		t.Fatalf("resize: %s", exit)
	}
	g, _ := e.srv.Guest(102)
	if g.Config["scsi0"] != "local-lvm:vm-102-disk-0,discard=on,iothread=1,size=80G" {
		t.Errorf("scsi0 after +16G: %q", g.Config["scsi0"])
	}
	if log := e.taskLog(upid); !strings.Contains(log[0], "changed from 64.00 GiB (16384 extents) to 80.00 GiB (20480 extents)") {
		t.Errorf("resize log: %v", log)
	}
	var content []map[string]any
	e.get("/nodes/pve2/storage/local-lvm/content", params("vmid", "102")).data(t, &content)
	for _, v := range content {
		if v["volid"] == "local-lvm:vm-102-disk-0" && v["size"].(interface{ String() string }).String() != "85899345920" {
			t.Errorf("the volume's size is %v", v["size"])
		}
	}
	if exit := e.finish(e.upid("PUT", "/nodes/pve2/qemu/102/resize", params("disk", "scsi0", "size", "100G"))); exit != "OK" {
		t.Errorf("absolute size: %s", exit)
	}
	if exit := e.finish(e.upid("PUT", "/nodes/pve2/qemu/102/resize", params("disk", "scsi0", "size", "10G"))); exit != "shrinking disks is not supported" {
		t.Errorf("shrink: %s", exit)
	}
	if g, _ := e.srv.Guest(102); !strings.HasSuffix(g.Config["scsi0"], "size=100G") {
		t.Errorf("a failed shrink changed the disk: %s", g.Config["scsi0"])
	}
	if r := e.put("/nodes/pve2/qemu/102/resize", map[string]string{"disk": "scsi5", "size": "+1G"}); r.status != 500 || r.reason != "disk 'scsi5' does not exist" {
		t.Errorf("no such disk: %d %q", r.status, r.reason)
	}
	if exit := e.finish(e.upid("PUT", "/nodes/pve3/lxc/203/resize", params("disk", "rootfs", "size", "+8G"))); exit != "OK" {
		t.Errorf("container resize: %s", exit)
	}
	if g, _ := e.srv.Guest(203); g.Config["rootfs"] != "local-lvm:subvol-203-disk-0,size=40G" {
		t.Errorf("rootfs after +8G: %q", g.Config["rootfs"])
	}
}
