package pvesim

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// vzdumpPlan is a backup job as vzdump prepares it: where to, how, and which guests.
type vzdumpPlan struct {
	storage   string
	mode      string // snapshot, suspend, stop
	compress  string // 0, 1, gzip, lzo, zstd
	notesTmpl string
	protected bool
	cmdline   string
	items     []vzdumpItem
}

// vzdumpItem is one guest of a backup job.
type vzdumpItem struct {
	vmid    int
	kind    string
	name    string
	running bool
	failure string // the reason this guest's backup fails, decided up front
	volid   string
	size    int64
	notes   string
	disks   []disk
}

// backupFormat is the archive format vzdump writes for a guest type and compression.
func backupFormat(kind, compress string) string {
	base := "vma"
	if kind == "lxc" {
		base = "tar"
	}
	switch compress {
	case "1", "lzo":
		return base + ".lzo"
	case "gzip":
		return base + ".gz"
	case "zstd":
		return base + ".zst"
	}
	return base
}

// backupVolid names a backup as vzdump does: vzdump-TYPE-VMID-YYYY_MM_DD-HH_MM_SS.FORMAT.
func backupVolid(storage, kind string, vmid int, at time.Time, format string) string {
	return fmt.Sprintf("%s:backup/vzdump-%s-%d-%s.%s", storage, kind, vmid, at.UTC().Format("2006_01_02-15_04_05"), format)
}

// expandNotes fills a notes-template: {{cluster}}, {{guestname}}, {{node}}, {{vmid}}; "\n" is a newline.
func expandNotes(tmpl, cluster, guestname, nodeName string, vmid int) string {
	r := strings.NewReplacer(
		"{{cluster}}", cluster, "{{guestname}}", guestname, "{{node}}", nodeName,
		"{{vmid}}", strconv.Itoa(vmid), `\n`, "\n", `\\`, `\`,
	)
	return r.Replace(tmpl)
}

// noise is a deterministic pseudo-random number in [0, 1) derived from its inputs.
func noise(parts ...int64) float64 {
	h := fnv.New64a()
	var buf [8]byte
	for _, p := range parts {
		for i := range buf {
			buf[i] = byte(p >> (8 * i))
		}
		h.Write(buf[:])
	}
	x := h.Sum64()
	// splitmix64 finaliser: fnv alone is poorly mixed in its high bits
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// backupSize is a plausible archive size for a guest.
func backupSize(kind string, maxdisk int64, compress string, seed int64) int64 {
	used := float64(maxdisk) * (0.25 + 0.35*noise(seed, 1))
	if kind == "lxc" {
		used = float64(maxdisk) * (0.10 + 0.30*noise(seed, 1))
	}
	ratio := 1.0
	if compress != "" && compress != "0" {
		ratio = 0.35 + 0.2*noise(seed, 2)
	}
	return int64(used*ratio) &^ 511
}

// vzdumpCommandLine renders the job as vzdump logs it: the guests, then the options sorted.
func vzdumpCommandLine(params map[string]string) string {
	var b strings.Builder
	b.WriteString("vzdump")
	if v := params["vmid"]; v != "" {
		b.WriteString(" " + strings.Join(schema.SplitList(v), " "))
	}
	for _, k := range sortedKeys(params) {
		if k == "vmid" {
			continue
		}
		v := params[k]
		if strings.ContainsAny(v, " '{}$\"\\") {
			v = "'" + strings.ReplaceAll(v, "'", `'"'"'`) + "'"
		}
		b.WriteString(" --" + k + " " + v)
	}
	return b.String()
}

func humanBytes(n int64) string {
	f := float64(n)
	switch {
	case f >= 1<<40:
		return fmt.Sprintf("%.1f TiB", f/(1<<40))
	case f >= 1<<30:
		return fmt.Sprintf("%.1f GiB", f/(1<<30))
	case f >= 1<<20:
		return fmt.Sprintf("%.1f MiB", f/(1<<20))
	case f >= 1<<10:
		return fmt.Sprintf("%.1f KiB", f/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func hms(d time.Duration) string {
	s := int(d.Seconds())
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

// backupDir is where a storage keeps dumps on disk.
func backupDir(st *storage) string {
	if st == nil {
		return "/var/lib/vz/dump"
	}
	return strings.TrimSuffix(st.path, "/") + "/dump"
}

// vzdumpLog is the whole log of a backup job up to (not including) the TASK line. The head is what is
// already written while the first guest's backup is under way.
func (s *Sim) vzdumpLog(t *task) (head, tail []string) {
	p := t.op.vzdump
	st := s.c.storage(p.storage)
	head = append(head, "INFO: starting new backup job: "+p.cmdline)
	n := len(p.items)
	if n == 0 {
		return head, nil
	}
	end := t.end
	if end.IsZero() {
		end = t.start.Add(time.Hour)
	}
	slot := end.Sub(t.start) / time.Duration(n)
	var lines []string
	failed := false
	for i, it := range p.items {
		begin := t.start.Add(time.Duration(i) * slot)
		fin := begin.Add(slot)
		lines = append(lines,
			fmt.Sprintf("INFO: Starting Backup of VM %d (%s)", it.vmid, it.kind),
			"INFO: Backup started at "+logTime(begin))
		if i == 0 {
			head = append(head, lines...)
			lines = nil
		}
		if it.failure != "" {
			failed = true
			lines = append(lines, fmt.Sprintf("ERROR: Backup of VM %d failed - %s", it.vmid, it.failure),
				"INFO: Failed at "+logTime(fin))
			continue
		}
		lines = append(lines, s.vzdumpGuestLines(p, it, st, fin.Sub(begin))...)
		lines = append(lines,
			fmt.Sprintf("INFO: Finished Backup of VM %d (%s)", it.vmid, hms(fin.Sub(begin))),
			"INFO: Backup finished at "+logTime(fin))
	}
	if failed {
		lines = append(lines, "INFO: Backup job finished with errors")
	} else {
		lines = append(lines, "INFO: Backup job finished successfully")
	}
	return head, lines
}

func (s *Sim) vzdumpGuestLines(p *vzdumpPlan, it vzdumpItem, st *storage, took time.Duration) []string {
	status := "stopped"
	if it.running {
		status = "running"
	}
	mode := p.mode
	if !it.running && mode != "stop" {
		mode = "stop" // a stopped guest is always backed up in stop mode
	}
	_, file, _ := strings.Cut(it.volid, ":backup/")
	archive := backupDir(st) + "/" + file
	secs := max(int64(took.Seconds()), 1)
	var out []string
	if it.kind == "lxc" {
		written := it.size * 5 / 2
		out = append(out,
			"INFO: status = "+status,
			"INFO: CT Name: "+it.name,
			"INFO: including mount point rootfs ('/') in backup",
			"INFO: backup mode: "+mode,
			"INFO: ionice priority: 7")
		if mode == "snapshot" {
			out = append(out, "INFO: create storage snapshot 'vzdump'")
		}
		out = append(out,
			fmt.Sprintf("INFO: creating vzdump archive '%s'", archive),
			fmt.Sprintf("INFO: Total bytes written: %d (%s, %.0fMiB/s)", written, humanBytes(written), float64(written)/float64(secs)/(1<<20)),
			fmt.Sprintf("INFO: archive file size: %.2fGB", float64(it.size)/1e9))
		if it.notes != "" {
			out = append(out, "INFO: adding notes to backup")
		}
		if p.protected {
			out = append(out, "INFO: marking backup as protected")
		}
		if mode == "snapshot" {
			out = append(out, "INFO: cleanup temporary 'vzdump' snapshot")
		}
		return out
	}
	var total int64
	out = append(out, "INFO: status = "+status, "INFO: VM Name: "+it.name)
	for _, d := range it.disks {
		if isUnusedKey(d.key) {
			continue
		}
		total += d.size
		out = append(out, fmt.Sprintf("INFO: include disk '%s' '%s' %s", d.key, d.volid, formatSize(d.size)))
	}
	out = append(out, "INFO: backup mode: "+mode, "INFO: ionice priority: 7",
		fmt.Sprintf("INFO: creating vzdump archive '%s'", archive))
	if !it.running {
		out = append(out, "INFO: starting kvm to execute backup task")
	}
	out = append(out, fmt.Sprintf("INFO: started backup task '%s'", fakeUUID(int64(it.vmid), secs)))
	if it.running && mode == "snapshot" {
		out = append(out, "INFO: resuming VM again")
	}
	for _, pct := range []int64{10, 45, 100} {
		done := total * pct / 100
		at := max(secs*pct/100, 1)
		out = append(out, fmt.Sprintf("INFO: %3d%% (%s of %s) in %ds, read: %s/s, write: %s/s",
			pct, humanBytes(done), humanBytes(total), at, humanBytes(done/at), humanBytes(it.size*pct/100/at)))
	}
	zero := total - it.size*2
	if zero > 0 {
		out = append(out, fmt.Sprintf("INFO: backup is sparse: %s (%d%%) total zero data", humanBytes(zero), zero*100/max(total, 1)))
	}
	out = append(out, fmt.Sprintf("INFO: transferred %s in %d seconds (%s/s)", humanBytes(total), secs, humanBytes(total/secs)))
	if !it.running {
		out = append(out, "INFO: stopping kvm after backup task")
	}
	out = append(out, fmt.Sprintf("INFO: archive file size: %.2fGB", float64(it.size)/1e9))
	if it.notes != "" {
		out = append(out, "INFO: adding notes to backup")
	}
	if p.protected {
		out = append(out, "INFO: marking backup as protected")
	}
	return out
}

// fakeUUID is a deterministic UUID-shaped string for log lines.
func fakeUUID(a, b int64) string {
	h := func(i int64) uint64 { return uint64(noise(a, b, i) * (1 << 53)) }
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", h(1)&0xffffffff, h(2)&0xffff, 0x4000|h(3)&0x0fff, 0x8000|h(4)&0x3fff, h(5)&0xffffffffffff)
}

// storeBackups adds the finished job's archives to the target storage.
func (s *Sim) storeBackups(t *task) {
	p := t.op.vzdump
	st := s.c.storage(p.storage)
	if st == nil {
		return
	}
	for _, it := range p.items {
		if it.failure != "" {
			continue
		}
		v := &volume{
			storage: st.id, volid: it.volid, content: "backup", format: backupFormat(it.kind, p.compress),
			size: it.size, vmid: it.vmid, ctime: t.start, notes: it.notes, protected: p.protected, subtype: it.kind,
		}
		if !st.shared {
			v.node = t.node
		}
		s.c.volumes = append(s.c.volumes, v)
	}
}

// planBackup prepares a job for the given guests (all on nodeName), deciding names, sizes and failures up front
// so the log and the archives agree whatever happens in between.
func (s *Sim) planBackup(nodeName string, vmids []int, params map[string]string, at time.Time) *vzdumpPlan {
	p := &vzdumpPlan{
		storage: params["storage"], mode: params["mode"], compress: params["compress"],
		notesTmpl: params["notes-template"], protected: params["protected"] == "1",
		cmdline: vzdumpCommandLine(params),
	}
	if p.mode == "" {
		p.mode = "snapshot"
	}
	slices.Sort(vmids)
	taken := map[string]bool{}
	for _, v := range s.c.volumes {
		taken[v.volid] = true
	}
	for _, vmid := range vmids {
		it := vzdumpItem{vmid: vmid, kind: "qemu"}
		g := s.c.guests[vmid]
		switch {
		case g == nil || g.node != nodeName:
			it.failure = fmt.Sprintf("unable to find configuration file for VM %d on node '%s'", vmid, nodeName)
		case g.lock() != "":
			it.kind = g.kind
			it.failure = fmt.Sprintf("%s is locked (%s)", g.noun(), g.lock())
		case g.busy != "":
			it.kind = g.kind
			it.failure = fmt.Sprintf("can't lock file '%s' - got timeout", g.lockFile())
		}
		if it.failure != "" {
			p.items = append(p.items, it)
			continue
		}
		it.kind, it.name, it.running, it.disks = g.kind, g.name(), g.running, g.disks()
		format := backupFormat(g.kind, p.compress)
		stamp := at
		for {
			it.volid = backupVolid(p.storage, g.kind, vmid, stamp, format)
			if !taken[it.volid] {
				break
			}
			stamp = stamp.Add(time.Second) // two jobs in one second: vzdump names by the second
		}
		taken[it.volid] = true
		it.size = backupSize(g.kind, g.maxDisk(), p.compress, int64(vmid)^stamp.Unix())
		if p.notesTmpl != "" {
			it.notes = expandNotes(p.notesTmpl, s.c.name, it.name, nodeName, vmid)
		}
		p.items = append(p.items, it)
	}
	return p
}

// vzdumpTaskID is the UPID id of a backup job: the vmid when it backs up exactly one guest.
func vzdumpTaskID(vmids []int) string {
	if len(vmids) == 1 {
		return strconv.Itoa(vmids[0])
	}
	return ""
}

// firstLine is what PVE lists as a volume's notes: only their first line.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
