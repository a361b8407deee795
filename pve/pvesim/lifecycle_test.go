package pvesim

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestTaskLifecycle follows one start from UPID to effect under the fake clock.
func TestTaskLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	upid := e.upid("POST", "/nodes/pve2/qemu/103/status/start", nil)
	wantUPID := fmt.Sprintf("UPID:pve2:%08X:", 0)[:10] // node part; the rest is checked field by field
	if !strings.HasPrefix(upid, wantUPID) {
		t.Errorf("UPID %s does not name node pve2", upid)
	}
	m := upidRE.FindStringSubmatch(upid)
	if got := []string{m[6], m[7], m[8], m[5]}; !cmp.Equal(got, []string{"qmstart", "103", DefaultTokenID, fmt.Sprintf("%08X", testStart.Unix())}) {
		t.Errorf("UPID fields type, id, user, starttime = %v", got)
	}

	st := e.taskStatus(upid)
	if st["status"] != "running" {
		t.Errorf("fresh task status %v, want running", st["status"])
	}
	if _, ok := st["exitstatus"]; ok {
		t.Error("a running task has an exitstatus")
	}
	if st["user"] != "root@pam" || st["tokenid"] != "mcp" || st["node"] != "pve2" || st["type"] != "qmstart" || st["id"] != "103" {
		t.Errorf("task status %v", st)
	}
	if g, _ := e.srv.Guest(103); g.Status != "stopped" {
		t.Errorf("guest %s before the task ended, want stopped", g.Status)
	}
	var archive, active []map[string]any
	e.get("/nodes/pve2/tasks", nil).data(t, &archive)
	e.get("/nodes/pve2/tasks", params("source", "active")).data(t, &active)
	if slices.ContainsFunc(archive, func(x map[string]any) bool { return x["upid"] == upid }) {
		t.Error("the default (archive) task list shows a running task")
	}
	if len(active) != 1 || active[0]["upid"] != upid || active[0]["status"] != "RUNNING" {
		t.Errorf("source=active lists %v, want the running task with status RUNNING", active)
	}
	if got := e.taskLog(upid); !cmp.Equal(got, []string{"no content"}) {
		t.Errorf("log of a running start %q, want [no content]", got)
	}

	e.clock.Advance(99 * time.Millisecond)
	if st := e.taskStatus(upid); st["status"] != "running" {
		t.Errorf("task stopped before its 100ms were up")
	}
	e.clock.Advance(time.Millisecond)
	st = e.taskStatus(upid)
	if st["status"] != "stopped" || st["exitstatus"] != "OK" {
		t.Errorf("task after 100ms: %v", st)
	}
	if diff := cmp.Diff([]string{"TASK OK"}, e.taskLog(upid)); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	e.clock.Advance(time.Hour)
	var cur map[string]any
	e.get("/nodes/pve2/qemu/103/status/current", nil).data(t, &cur)
	if cur["status"] != "running" || cur["uptime"].(fmt.Stringer).String() != "3600" || cur["pid"] == nil {
		t.Errorf("VM an hour after its start: status %v uptime %v pid %v", cur["status"], cur["uptime"], cur["pid"])
	}
	var tasks []map[string]any
	e.get("/nodes/pve2/tasks", params("typefilter", "qmstart", "limit", "1")).data(t, &tasks)
	if len(tasks) != 1 || tasks[0]["upid"] != upid || tasks[0]["status"] != "OK" || tasks[0]["endtime"] == nil {
		t.Errorf("finished task in the list: %v", tasks)
	}
}

// TestTasksFinishInOrder: several due tasks finish by their end times, and a create with start=1 queues the
// start task, which runs after the create.
func TestTasksFinishInOrder(t *testing.T) {
	e := newEnv(t, nil)
	create := e.upid("POST", "/nodes/pve1/qemu", params("vmid", "150", "name", "new-vm", "memory", "2048",
		"scsi0", "local-lvm:16,discard=on", "net0", "virtio,bridge=vmbr0", "start", "1", "pool", "lab", "tags", "new"))
	stop := e.upid("POST", "/nodes/pve1/qemu/101/status/stop", nil)
	g, _ := e.srv.Guest(150)
	if g.Lock != "create" || g.Status != "stopped" {
		t.Errorf("new VM while created: lock %q status %q, want create and stopped", g.Lock, g.Status)
	}
	var conf map[string]any
	e.get("/nodes/pve1/qemu/150/config", nil).data(t, &conf)
	if len(conf) != 2 || conf["lock"] != "create" {
		t.Errorf("config while created: %v, want only lock and digest", conf)
	}
	e.clock.Advance(150 * time.Millisecond) // stop (100ms) is done, create (300ms) is not
	if ts := e.srv.Tasks(); ts[len(ts)-1].Status != "stopped" || ts[len(ts)-2].Status != "running" {
		t.Errorf("after 150ms: create %s, stop %s", ts[len(ts)-2].Status, ts[len(ts)-1].Status)
	}
	e.clock.Advance(time.Second) // create ends at 300ms, its start task at 400ms
	all := e.srv.Tasks()
	last := all[len(all)-1]
	if last.Type != "qmstart" || last.ID != "150" || last.Status != "stopped" || last.ExitStatus != "OK" {
		t.Errorf("the task after create: %+v", last)
	}
	if want := testStart.Add(300 * time.Millisecond); !last.Start.Equal(want) {
		t.Errorf("start task began %v, want when the create ended (%v)", last.Start, want)
	}
	g, _ = e.srv.Guest(150)
	if g.Status != "running" || g.Lock != "" || g.Name != "new-vm" || g.Pool != "lab" {
		t.Errorf("created VM: %+v", g)
	}
	e.get("/nodes/pve1/qemu/150/config", nil).data(t, &conf)
	if conf["scsi0"] != "local-lvm:vm-150-disk-0,discard=on,size=16G" || conf["memory"] != "2048" || conf["tags"] != "new" {
		t.Errorf("created config: %v", conf)
	}
	if !strings.HasPrefix(conf["net0"].(string), "virtio=BC:24:11:") || !strings.HasSuffix(conf["net0"].(string), ",bridge=vmbr0") {
		t.Errorf("net0 %v did not get a MAC", conf["net0"])
	}
	var vols []map[string]any
	e.get("/nodes/pve1/storage/local-lvm/content", params("vmid", "150")).data(t, &vols)
	if len(vols) != 1 || vols[0]["volid"] != "local-lvm:vm-150-disk-0" || vols[0]["size"].(fmt.Stringer).String() != fmt.Sprint(16<<30) {
		t.Errorf("volumes of VM 150: %v", vols)
	}
	wantLog := []string{
		"  Logical volume \"vm-150-disk-0\" created.",
		"scsi0: successfully created disk 'local-lvm:vm-150-disk-0,size=16G'",
		"TASK OK",
	}
	if diff := cmp.Diff(wantLog, e.taskLog(create)); diff != "" {
		t.Errorf("create log (-want +got):\n%s", diff)
	}
	_ = stop
}

func TestCreateContainer(t *testing.T) {
	e := newEnv(t, nil)
	upid := e.upid("POST", "/nodes/pve3/lxc", params("vmid", "250", "hostname", "new-ct",
		"ostemplate", "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", "rootfs", "local-lvm:8",
		"net0", "name=eth0,bridge=vmbr0,ip=dhcp", "password", "hunter22", "cores", "2"))
	if exit := e.finish(upid); exit != "OK" {
		t.Fatalf("create: %s", exit)
	}
	var conf map[string]any
	e.get("/nodes/pve3/lxc/250/config", nil).data(t, &conf)
	checks := map[string]string{
		"hostname": "new-ct", "rootfs": "local-lvm:subvol-250-disk-0,size=8G", "ostype": "debian",
		"unprivileged": "1", "cores": "2", "memory": "512",
	}
	for k, want := range checks {
		if got := fmt.Sprint(conf[k]); got != want {
			t.Errorf("config %s = %s, want %s", k, got, want)
		}
	}
	if _, ok := conf["password"]; ok {
		t.Error("the root password ended up in the configuration")
	}
	if !strings.Contains(conf["net0"].(string), "hwaddr=BC:24:11:") {
		t.Errorf("net0 %v has no hwaddr", conf["net0"])
	}
	log := strings.Join(e.taskLog(upid), "\n")
	if !strings.Contains(log, "extracting archive '/var/lib/vz/template/cache/debian-12-standard_12.7-1_amd64.tar.zst'") {
		t.Errorf("create log does not extract the template:\n%s", log)
	}
}

func TestSnapshotLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	upid := e.upid("POST", "/nodes/pve1/qemu/101/snapshot", params("snapname", "before-update", "description", "HA 2026.12"))
	if g, _ := e.srv.Guest(101); g.Lock != "snapshot" {
		t.Errorf("lock while snapshotting %q, want snapshot", g.Lock)
	}
	if exit := e.finish(upid); exit != "OK" {
		t.Fatalf("snapshot: %s", exit)
	}
	type snap struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		Parent      string `json:"parent"`
		Snaptime    int64  `json:"snaptime"`
		Running     int    `json:"running"`
	}
	var snaps []snap
	e.get("/nodes/pve1/qemu/101/snapshot", nil).data(t, &snaps)
	want := []snap{
		{Name: "before-update", Description: "HA 2026.12", Snaptime: testStart.Unix()},
		{Name: "current", Description: "You are here!", Parent: "before-update", Running: 1},
	}
	if diff := cmp.Diff(want, snaps); diff != "" {
		t.Errorf("snapshots (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{
		"snapshotting 'drive-efidisk0' (local-lvm:vm-101-disk-1)",
		"  Logical volume \"snap_vm-101-disk-1_before-update\" created.",
		"snapshotting 'drive-scsi0' (local-lvm:vm-101-disk-0)",
		"  Logical volume \"snap_vm-101-disk-0_before-update\" created.",
		"TASK OK",
	}, e.taskLog(upid)); diff != "" {
		t.Errorf("snapshot log (-want +got):\n%s", diff)
	}

	// delete the newest of docker-host's two: the list and the parent chain follow
	upid = e.upid("DELETE", "/nodes/pve2/qemu/102/snapshot/weekly", nil)
	if g, _ := e.srv.Guest(102); g.Lock != "snapshot-delete" {
		t.Errorf("lock while deleting %q, want snapshot-delete", g.Lock)
	}
	e.finish(upid)
	if g, _ := e.srv.Guest(102); !cmp.Equal(g.Snapshots, []string{"pre-upgrade"}) {
		t.Errorf("snapshots after delete %v", g.Snapshots)
	}
	var list []snap
	e.get("/nodes/pve2/qemu/102/snapshot", nil).data(t, &list)
	if cur := list[len(list)-1]; cur.Name != "current" || cur.Parent != "pre-upgrade" {
		t.Errorf("current after delete: %+v", cur)
	}
}

// TestRollback: the snapshot's configuration comes back, the guest is stopped (no RAM state), and start=1
// starts it again.
func TestRollback(t *testing.T) {
	e := newEnv(t, nil)
	if err := e.srv.SetGuestConfig(102, "memory", "16384"); err != nil {
		t.Fatal(err)
	}
	upid := e.upid("POST", "/nodes/pve2/qemu/102/snapshot/pre-upgrade/rollback", nil)
	if g, _ := e.srv.Guest(102); g.Lock != "rollback" {
		t.Errorf("lock while rolling back %q", g.Lock)
	}
	e.finish(upid)
	g, _ := e.srv.Guest(102)
	if g.Config["memory"] != "8192" || g.Status != "stopped" {
		t.Errorf("after rollback: memory %s status %s, want 8192 and stopped", g.Config["memory"], g.Status)
	}
	var conf map[string]any
	e.get("/nodes/pve2/qemu/102/config", nil).data(t, &conf)
	if conf["parent"] != "pre-upgrade" {
		t.Errorf("config parent %v, want pre-upgrade", conf["parent"])
	}
	upid = e.upid("POST", "/nodes/pve3/lxc/203/snapshot/before-migration/rollback", params("start", "1"))
	e.finish(upid)
	if g, _ := e.srv.Guest(203); g.Status != "running" {
		t.Errorf("container after rollback with start=1: %s", g.Status)
	}
}

func TestClone(t *testing.T) {
	e := newEnv(t, nil)
	upid := e.upid("POST", "/nodes/pve1/qemu/9000/clone", params("newid", "120", "name", "web-01", "pool", "lab"))
	m := upidRE.FindStringSubmatch(upid)
	if m[6] != "qmclone" || m[7] != "9000" {
		t.Errorf("clone UPID type %s id %s, want qmclone and the source 9000", m[6], m[7])
	}
	g, ok := e.srv.Guest(120)
	if !ok || g.Lock != "clone" || g.Status != "stopped" {
		t.Errorf("new guest during the clone: %+v", g)
	}
	if src, _ := e.srv.Guest(9000); src.Lock != "" {
		t.Errorf("the source is locked %q; only the clone carries the clone lock", src.Lock)
	}
	var res []map[string]any
	e.get("/cluster/resources", params("type", "vm")).data(t, &res)
	if !slices.ContainsFunc(res, func(r map[string]any) bool { return r["id"] == "qemu/120" && r["lock"] == "clone" }) {
		t.Error("/cluster/resources does not list the clone in progress with its lock")
	}
	e.clock.Advance(299 * time.Millisecond)
	if g, _ := e.srv.Guest(120); g.Lock != "clone" {
		t.Error("clone finished before three times the base duration")
	}
	e.clock.Advance(time.Millisecond)
	g, _ = e.srv.Guest(120)
	if g.Lock != "" || g.Name != "web-01" || g.Template || g.Pool != "lab" {
		t.Errorf("clone after the task: %+v", g)
	}
	if g.Config["scsi0"] != "local-lvm:vm-120-disk-0,discard=on,size=3G" || g.Config["ide2"] != "local-lvm:vm-120-cloudinit,media=cdrom" {
		t.Errorf("clone disks: scsi0 %q ide2 %q", g.Config["scsi0"], g.Config["ide2"])
	}
	if src, _ := e.srv.Guest(9000); g.Config["net0"] == src.Config["net0"] {
		t.Error("the clone kept the template's MAC address")
	}
	if diff := cmp.Diff([]string{
		"create linked clone of drive scsi0 (local-lvm:base-9000-disk-0)",
		"  Logical volume \"vm-120-disk-0\" created.",
		"create full clone of drive ide2 (local-lvm:vm-9000-cloudinit)",
		"  Logical volume \"vm-120-cloudinit\" created.",
		"TASK OK",
	}, e.taskLog(upid)); diff != "" {
		t.Errorf("clone log (-want +got):\n%s", diff)
	}
	// a full clone of a normal VM names itself after the source
	upid = e.upid("POST", "/nodes/pve1/qemu/100/clone", params("newid", "121"))
	e.finish(upid)
	if g, _ := e.srv.Guest(121); g.Name != "Copy-of-VM-opnsense" {
		t.Errorf("default clone name %q", g.Name)
	}
	if log := e.taskLog(upid); log[0] != "create full clone of drive scsi0 (local-lvm:vm-100-disk-0)" {
		t.Errorf("full clone log starts %q", log[0])
	}
}

// TestDestroy removes the guest and its disks, never its backups.
func TestDestroy(t *testing.T) {
	e := newEnv(t, nil)
	e.finish(e.upid("POST", "/nodes/pve1/lxc/200/status/shutdown", nil))
	upid := e.upid("DELETE", "/nodes/pve1/lxc/200", params("purge", "1"))
	if g, _ := e.srv.Guest(200); g.Lock != "destroyed" {
		t.Errorf("lock while destroying %q", g.Lock)
	}
	e.finish(upid)
	if _, ok := e.srv.Guest(200); ok {
		t.Fatal("CT 200 still exists after destroy")
	}
	var disks, backups []map[string]any
	e.get("/nodes/pve1/storage/local-lvm/content", params("vmid", "200")).data(t, &disks)
	e.get("/nodes/pve1/storage/nas-backup/content", params("vmid", "200")).data(t, &backups)
	if len(disks) != 0 || len(backups) != 2 {
		t.Errorf("after destroy: %d disks, %d backups; want 0 and the 2 nightly backups", len(disks), len(backups))
	}
	if r := e.get("/nodes/pve1/lxc/200/config", nil); r.status != 500 {
		t.Errorf("config of a destroyed CT: %d", r.status)
	}
	log := e.taskLog(upid)
	if diff := cmp.Diff([]string{
		"  Logical volume \"subvol-200-disk-0\" successfully removed.",
		"purging CT 200 from related configurations..",
		"TASK OK",
	}, log); diff != "" {
		t.Errorf("destroy log (-want +got):\n%s", diff)
	}
}

func TestBackup(t *testing.T) {
	e := newEnv(t, nil)
	upid := e.upid("POST", "/nodes/pve1/vzdump", params("vmid", "100", "storage", "nas-backup", "compress", "zstd",
		"mode", "snapshot", "notes-template", `{{guestname}} on {{node}}\nsecond line`))
	if m := upidRE.FindStringSubmatch(upid); m[6] != "vzdump" || m[7] != "100" {
		t.Errorf("backup UPID type %s id %s", m[6], m[7])
	}
	if g, _ := e.srv.Guest(100); g.Lock != "backup" {
		t.Errorf("lock during backup %q", g.Lock)
	}
	if exit := e.finish(upid); exit != "OK" {
		t.Fatalf("backup: %s", exit)
	}
	if g, _ := e.srv.Guest(100); g.Lock != "" || g.Status != "running" {
		t.Errorf("after backup: lock %q status %s", g.Lock, g.Status)
	}
	var vols []map[string]any
	e.get("/nodes/pve1/storage/nas-backup/content", params("vmid", "100")).data(t, &vols)
	var got map[string]any
	for _, v := range vols {
		if v["volid"] == "nas-backup:backup/vzdump-qemu-100-2026_11_23-12_00_00.vma.zst" {
			got = v
		}
	}
	if got == nil {
		t.Fatalf("the new backup is not on nas-backup: %v", vols)
	}
	want := map[string]string{"content": "backup", "format": "vma.zst", "notes": "opnsense on pve1", "subtype": "qemu",
		"vmid": "100", "ctime": fmt.Sprint(testStart.Unix())}
	for k, w := range want {
		if fmt.Sprint(got[k]) != w {
			t.Errorf("backup %s = %v, want %s", k, got[k], w)
		}
	}
	log := e.taskLog(upid)
	for _, line := range []string{
		"INFO: starting new backup job: vzdump 100 --compress zstd --mode snapshot --node pve1 --notes-template '{{guestname}} on {{node}}\\nsecond line' --storage nas-backup",
		"INFO: Starting Backup of VM 100 (qemu)",
		"INFO: creating vzdump archive '/mnt/pve/nas-backup/dump/vzdump-qemu-100-2026_11_23-12_00_00.vma.zst'",
		"INFO: adding notes to backup",
		"INFO: Backup job finished successfully",
		"TASK OK",
	} {
		if !slices.Contains(log, line) {
			t.Errorf("backup log lacks %q:\n%s", line, strings.Join(log, "\n"))
		}
	}
}

func TestBackupSelection(t *testing.T) {
	tests := []struct {
		name     string
		node     string
		params   url.Values
		wantID   string
		wantVMID []string // guests with a new archive
	}{
		{"several guests: no task id", "pve1", params("vmid", "100,101,200", "storage", "nas-backup"), "", []string{"100", "101", "200"}},
		{"only the local ones", "pve1", params("vmid", "100 102", "storage", "nas-backup"), "100", []string{"100"}},
		{"all of the node", "pve2", params("all", "1", "storage", "nas-backup"), "", []string{"102", "103", "201", "202"}},
		{"all but excluded", "pve2", params("all", "1", "exclude", "103,202", "storage", "nas-backup"), "", []string{"102", "201"}},
		{"a pool", "pve3", params("pool", "lab", "storage", "nas-backup"), "", []string{"104", "105"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			upid := e.upid("POST", "/nodes/"+tt.node+"/vzdump", tt.params)
			if id := upidRE.FindStringSubmatch(upid)[7]; id != tt.wantID {
				t.Errorf("task id %q, want %q", id, tt.wantID)
			}
			e.clock.Advance(time.Second)
			if exit := e.finish(upid); exit != "OK" {
				t.Fatalf("backup: %s", exit)
			}
			var vols []map[string]any
			e.get("/nodes/"+tt.node+"/storage/nas-backup/content", nil).data(t, &vols)
			var got []string
			for _, v := range vols {
				if strings.Contains(v["volid"].(string), "-2026_11_23-") {
					got = append(got, fmt.Sprint(v["vmid"]))
				}
			}
			slices.Sort(got)
			if diff := cmp.Diff(tt.wantVMID, got); diff != "" {
				t.Errorf("new archives (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStopTask: stopping the running backup ends it with PVE's text and releases the lock; stopping a
// finished task is a no-op; a task type set to never end runs until stopped.
func TestStopTask(t *testing.T) {
	e := newEnv(t, nil)
	upid := runningBackupUPID(t, e.srv.Sim)
	path := "/nodes/pve3/tasks/" + url.PathEscape(upid)
	if r := e.del(path, nil); r.status != 200 || string(r.body) != `{"data":null}` {
		t.Fatalf("stop: %d %s", r.status, r.body)
	}
	st := e.taskStatus(upid)
	if st["status"] != "stopped" || st["exitstatus"] != "interrupted by signal" {
		t.Errorf("stopped backup: %v", st)
	}
	if g, _ := e.srv.Guest(106); g.Lock != "" {
		t.Errorf("media-server still locked %q", g.Lock)
	}
	log := e.taskLog(upid)
	if log[len(log)-1] != "TASK ERROR: interrupted by signal" {
		t.Errorf("log ends %q", log[len(log)-1])
	}
	if r := e.del(path, nil); r.status != 200 {
		t.Errorf("stopping a finished task: %d %s", r.status, r.reason)
	}

	e.srv.SetTaskDuration("qmstart", -1)
	upid = e.upid("POST", "/nodes/pve2/qemu/103/status/start", nil)
	e.clock.Advance(24 * time.Hour)
	if st := e.taskStatus(upid); st["status"] != "running" {
		t.Fatalf("a never-ending task stopped: %v", st)
	}
	e.del("/nodes/pve2/tasks/"+url.PathEscape(upid), nil)
	if st := e.taskStatus(upid); st["exitstatus"] != "received interrupt" {
		t.Errorf("interrupted start: %v", st)
	}
	if g, _ := e.srv.Guest(103); g.Status != "stopped" {
		t.Errorf("an interrupted start started the VM")
	}
	// an interrupted create leaves nothing behind
	e.srv.SetTaskDuration("qmcreate", -1)
	upid = e.upid("POST", "/nodes/pve1/qemu", params("vmid", "151", "scsi0", "local-lvm:4"))
	e.del("/nodes/pve1/tasks/"+url.PathEscape(upid), nil)
	if _, ok := e.srv.Guest(151); ok {
		t.Error("an interrupted create left its guest")
	}
}

func TestTaskLookupErrors(t *testing.T) {
	e := newEnv(t, nil)
	own := runningBackupUPID(t, e.srv.Sim) // a pve3 task
	tests := []struct {
		name, path string
		wantStatus int
		wantBody   string
	}{
		{"unparsable", "/nodes/pve1/tasks/garbage/status", 400,
			`{"data":null,"errors":{"upid":"unable to parse worker upid"},"message":"Parameter verification failed.\n"}`},
		{"unknown", "/nodes/pve1/tasks/" + url.PathEscape("UPID:pve1:0000AAAA:0000BBBB:6B0424E4:qmstart:100:root@pam:") + "/status", 400,
			`{"data":null,"errors":{"upid":"no such task"},"message":"Parameter verification failed.\n"}`},
		{"another node's task", "/nodes/pve1/tasks/" + url.PathEscape(own) + "/status", 400,
			`{"data":null,"errors":{"upid":"no such task"},"message":"Parameter verification failed.\n"}`},
		{"log of an unknown task", "/nodes/pve1/tasks/" + url.PathEscape("UPID:pve1:0000AAAA:0000BBBB:6B0424E4:qmstart:100:root@pam:") + "/log", 200,
			`{"data":[{"n":1,"t":"unable to open file - No such file or directory"}],"total":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get(tt.path, nil)
			if r.status != tt.wantStatus {
				t.Errorf("status %d, want %d", r.status, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.wantBody, string(r.body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTaskLogPaging(t *testing.T) {
	e := newEnv(t, nil)
	upid := e.upid("POST", "/nodes/pve1/vzdump", params("vmid", "100,101,200", "storage", "nas-backup"))
	e.finish(upid)
	all := e.taskLog(upid)
	path := "/nodes/pve1/tasks/" + url.PathEscape(upid) + "/log"
	type line struct {
		N int    `json:"n"`
		T string `json:"t"`
	}
	tests := []struct {
		start, limit string
		want         []line
	}{
		{"0", "2", []line{{1, all[0]}, {2, all[1]}}},
		{"3", "1", []line{{4, all[3]}}},
		{fmt.Sprint(len(all) - 1), "50", []line{{len(all), "TASK OK"}}},
		{fmt.Sprint(len(all)), "50", []line{}},
	}
	for _, tt := range tests {
		r := e.get(path, params("start", tt.start, "limit", tt.limit))
		var got []line
		r.data(t, &got)
		if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b []line) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })); diff != "" {
			t.Errorf("start %s limit %s (-want +got):\n%s", tt.start, tt.limit, diff)
		}
		if total := r.json(t)["total"]; fmt.Sprint(total) != fmt.Sprint(len(all)) {
			t.Errorf("total %v, want %d", total, len(all))
		}
	}
	if err := e.srv.AppendTaskLog(upid, "hostile \x1b[31m line", `{"data":"forged"}`); err != nil {
		t.Fatal(err)
	}
	after := e.taskLog(upid)
	if after[len(after)-1] != "TASK OK" || after[len(after)-3] != "hostile \x1b[31m line" {
		t.Errorf("appended lines not before the final line: %q", after[len(after)-3:])
	}
	if err := e.srv.AppendTaskLog("UPID:nope", "x"); err == nil {
		t.Error("appending to an unknown task did not fail")
	}
}

func TestTaskListFilters(t *testing.T) {
	e := newEnv(t, nil)
	e.finish(e.upid("POST", "/nodes/pve2/qemu/103/status/start", nil))
	running := e.upid("POST", "/nodes/pve2/lxc/201/status/reboot", nil)
	type entry struct {
		Type   string `json:"type"`
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	list := func(p url.Values) ([]entry, string) {
		r := e.get("/nodes/pve2/tasks", p)
		var out []entry
		r.data(t, &out)
		return out, fmt.Sprint(r.json(t)["total"])
	}
	tests := []struct {
		name      string
		params    url.Values
		want      []entry
		wantTotal string
	}{
		{"errors only", params("errors", "1"), []entry{{"qmstart", "103", "start failed: QEMU exited with code 1"}}, "1"},
		{"type filter", params("typefilter", "qmstart"), []entry{
			{"qmstart", "103", "OK"}, {"qmstart", "103", "start failed: QEMU exited with code 1"}}, "2"},
		{"vmid", params("vmid", "202"), []entry{{"vzstart", "202", "OK"}}, "1"},
		{"status filter", params("statusfilter", "error"), []entry{{"qmstart", "103", "start failed: QEMU exited with code 1"}}, "1"},
		{"user filter", params("userfilter", "ROOT@PAM", "typefilter", "vzstart"), []entry{{"vzstart", "202", "OK"}}, "1"},
		{"paging", params("start", "1", "limit", "1", "typefilter", "qmstart"), []entry{
			{"qmstart", "103", "start failed: QEMU exited with code 1"}}, "2"},
		{"since", params("since", fmt.Sprint(testStart.Add(-time.Minute).Unix())), []entry{{"qmstart", "103", "OK"}}, "1"},
		{"until", params("until", fmt.Sprint(testStart.Add(-13*24*time.Hour).Unix())), []entry{{"startall", "", "OK"}}, "1"},
		{"all: running first", params("source", "all", "limit", "2"), []entry{{"vzreboot", "201", "RUNNING"}, {"qmstart", "103", "OK"}}, "8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total := list(tt.params)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("tasks (-want +got):\n%s", diff)
			}
			if tt.wantTotal != "" && total != tt.wantTotal {
				t.Errorf("total %s, want %s", total, tt.wantTotal)
			}
		})
	}
	_ = running
}

// TestFailedCloneCleansUp: a clone whose task fails leaves no half-made guest behind.
func TestFailedCloneCleansUp(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.SetTaskFailure("qmclone", "clone failed: out of space")
	upid := e.upid("POST", "/nodes/pve1/qemu/9000/clone", params("newid", "150"))
	if _, ok := e.srv.Guest(150); !ok {
		t.Fatal("no guest while the clone runs")
	}
	if exit := e.finish(upid); exit != "clone failed: out of space" {
		t.Errorf("exit %q", exit)
	}
	if g, ok := e.srv.Guest(150); ok {
		t.Errorf("the failed clone left %+v", g)
	}
}
