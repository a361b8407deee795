package tools

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// A person approves a plan: the one request a write would send, its target as it is now, and what would be lost.
// This file reads the target and words the plan; consent.go asks.
//
// Reading a guest's plan takes three requests, sent at once: its status, its configuration and its newest task
// (the state the approval is bound to). A destroy, a rollback or a snapshot deletion also lists the guest's
// snapshots; a destroy's question also looks for its backups: the storage list and the backup content of up to
// maxBackupStorages storages. The check just before sending repeats the first three (and the snapshots).

// maxBackupStorages bounds the storages a destroy's plan reads for backups.
const maxBackupStorages = 4

// consentPlan is what the person is asked about.
type consentPlan struct {
	plan    gate.Plan
	message string   // what the person reads
	expect  []string // what they may type to approve
	prompt  string   // the expected answers in words: "104 (the vmid) or web (the name)"
	first   string   // the first expected answer, for the form's title
}

// subject is the existing guest a request acts on, and what the request does to it.
type subject struct {
	ref  pve.GuestRef
	kind string // destroy, delete_snapshot, rollback, stop, or "" for anything else
	snap string // the snapshot a delete or rollback names
}

// subjectOf finds the guest a request acts on: the one its path addresses (/nodes/N/qemu/V/...), else the
// located guest the tool resolved (a backup names its guest in a parameter). A create has none yet.
func subjectOf(res *writeResult, req pve.Request) (subject, bool) {
	seg := strings.Split(strings.TrimPrefix(req.Path(), "/"), "/")
	if len(seg) >= 4 && seg[0] == "nodes" && (seg[2] == string(pve.Qemu) || seg[2] == string(pve.LXC)) {
		if id, err := strconv.Atoi(seg[3]); err == nil && pve.ValidVMID(id) == nil {
			s := subject{ref: pve.GuestRef{Node: seg[1], Type: pve.GuestType(seg[2]), VMID: id}}
			rest := seg[4:]
			switch {
			case req.Method() == "DELETE" && len(rest) == 0:
				s.kind = "destroy"
			case req.Method() == "DELETE" && len(rest) == 2 && rest[0] == "snapshot":
				s.kind, s.snap = "delete_snapshot", unescape(rest[1])
			case req.Method() == "POST" && len(rest) == 3 && rest[0] == "snapshot" && rest[2] == "rollback":
				s.kind, s.snap = "rollback", unescape(rest[1])
			case req.Method() == "POST" && len(rest) == 2 && rest[0] == "status" && rest[1] == "stop":
				s.kind = "stop"
			}
			return s, true
		}
	}
	if t := res.Target; t != nil && t.Status != "" && pve.ValidNode(t.Node) == nil {
		return subject{ref: pve.GuestRef{Node: t.Node, Type: pve.GuestType(t.Type), VMID: t.VMID}}, true
	}
	return subject{}, false
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// needsSnapshots reports whether what a request does depends on the guest's snapshots.
func (s subject) needsSnapshots() bool {
	return s.kind == "destroy" || s.kind == "delete_snapshot" || s.kind == "rollback"
}

// targetState is what was read of a guest for its plan.
type targetState struct {
	status    pve.GuestStatus
	config    pve.GuestConfig
	newest    string         // the UPID of its newest task on its node, "" when it has none
	snapshots []pve.Snapshot // nil unless read
}

// readTarget reads what a plan binds to, with concurrent requests. Any of them failing fails the plan: an
// approval must not rest on a state that was only partly seen.
func (e *env) readTarget(ctx context.Context, c *call, s subject) (targetState, error) {
	var (
		st   targetState
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	do := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	do(func() (err error) { st.status, err = c.pve.GuestStatus(ctx, s.ref); return })
	do(func() (err error) { st.config, err = c.pve.GuestConfig(ctx, s.ref); return })
	do(func() error {
		tasks, err := c.pve.Tasks(ctx, s.ref.Node, pve.TaskFilter{VMID: s.ref.VMID, Limit: 1, Source: "all"})
		if err == nil && len(tasks) > 0 {
			st.newest = tasks[0].UPID
		}
		return err
	})
	if s.needsSnapshots() {
		do(func() (err error) {
			st.snapshots, err = c.pve.Snapshots(ctx, s.ref)
			if st.snapshots == nil {
				st.snapshots = []pve.Snapshot{}
			}
			return
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return targetState{}, fmt.Errorf("read %s for the approval question: %w", s.ref, errs[0])
	}
	return st, nil
}

// facts are the state an approval binds to, in a fixed order. Usage (cpu, memory, uptime) is left out: it
// changes by the second. The newest task is in: the request an approval sends starts one.
func (st targetState) facts(s subject) []string {
	tmpl := "0"
	if st.status.Template {
		tmpl = "1"
	}
	out := []string{
		fmt.Sprintf("guest=%s/%d@%s", s.ref.Type, s.ref.VMID, s.ref.Node),
		"name=" + st.status.Name,
		"status=" + st.status.Status,
		"lock=" + st.status.Lock,
		"template=" + tmpl,
		"config=" + configDigest(st.config),
		"task=" + st.newest,
	}
	if st.snapshots != nil {
		names := make([]string, 0, len(st.snapshots))
		for _, sn := range st.snapshots {
			names = append(names, sn.Name+"@"+strconv.FormatInt(int64(sn.SnapTime), 10))
		}
		out = append(out, "snapshots="+strings.Join(names, ","))
	}
	return out
}

// configDigest is Proxmox's own digest of a guest's configuration, or a hash of the configuration when the
// answer has none.
func configDigest(cfg pve.GuestConfig) string {
	if d := cfg.String("digest"); d != "" {
		return d
	}
	b, _ := json.Marshal(cfg)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// backupFacts is what a destroy's plan found of the guest's backups.
type backupFacts struct {
	read, of int // storages read, of the backup storages there are
	count    int
	newest   pve.Volume
	storage  string   // where the newest is
	failed   []string // storages that could not be read
}

// readBackups looks for a guest's backups on up to maxBackupStorages backup storages (shared ones first).
func (e *env) readBackups(ctx context.Context, c *call, vmid int) backupFacts {
	var f backupFacts
	targets, err := e.storagesWith(ctx, c, "backup", "", "")
	if err != nil {
		f.failed = append(f.failed, "the storage list: "+explain(err))
		return f
	}
	f.of = len(targets)
	if len(targets) > maxBackupStorages {
		targets = targets[:maxBackupStorages]
	}
	f.read = len(targets)
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	for _, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vols, err := c.pve.StorageContent(ctx, t.node, t.storage, "backup", vmid)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				f.failed = append(f.failed, t.storage+" on "+t.node)
				return
			}
			for _, v := range vols {
				if int(v.VMID) != vmid {
					continue
				}
				f.count++
				if v.CTime > f.newest.CTime {
					f.newest, f.storage = v, t.storage
				}
			}
		}()
	}
	wg.Wait()
	sort.Strings(f.failed)
	return f
}

// readPlan reads the target and words the plan of one request. Backups are read only for the question
// (asking): they are not part of the state an approval binds to, so the check before sending skips them.
func (e *env) readPlan(ctx context.Context, c *call, res *writeResult, req pve.Request, asking bool) (*consentPlan, error) {
	p := &consentPlan{plan: gate.Plan{Tool: c.tool, Method: req.Method(), Path: req.Path(), Params: req.Params()}}
	var lines []string
	shown := showRequest(req)
	subj, found := subjectOf(res, req)
	switch {
	case found:
		var (
			bf backupFacts
			wg sync.WaitGroup
		)
		if subj.kind == "destroy" && asking {
			wg.Add(1)
			go func() { defer wg.Done(); bf = e.readBackups(ctx, c, subj.ref.VMID) }()
		}
		st, err := e.readTarget(ctx, c, subj)
		wg.Wait()
		if err != nil {
			return nil, err
		}
		p.plan.State = st.facts(subj)
		lines = append(lines, "Target: "+targetLine(subj, st))
		p.answers(strconv.Itoa(subj.ref.VMID), "the vmid", st.status.Name, "the name")
		// What is lost comes before the request, so that a long request never pushes it out of sight.
		if lost := lossLines(subj, st); len(lost) > 0 {
			lines = append(lines, "Lost for good: "+strings.Join(lost, "; ")+".")
		}
		if subj.kind == "destroy" {
			lines = append(lines, "Backups: "+bf.words()+".")
		}
	case res.Target != nil && res.Target.VMID != 0:
		// A new guest: nothing to read yet; the vmid it will have approves it.
		t := res.Target
		lines = append(lines, fmt.Sprintf("Target: a new %s %d on node %s", noun(t.Type), t.VMID, nodeText(t.Node)))
		p.answers(strconv.Itoa(t.VMID), "the new vmid", "", "")
	default:
		lines = append(lines, "Target: "+req.Path())
		p.answers(pathAnswer(req.Path()), "the last part of the path", "", "")
	}
	lines = append(lines, shown.lines...)
	if len(c.targets) == 1 && e.clusters.declared {
		// The digest names the cluster: an approval given for one cluster is redeemed on no other.
		p.plan.State = append(p.plan.State, "cluster="+c.targets[0].Name)
		lines = append([]string{"Cluster: " + c.targets[0].Name}, lines...)
	}
	what := res.what
	if what == "" {
		what = res.action
	}
	head := fmt.Sprintf("The AI assistant asks to %s (%s, %s). Nothing has been sent to Proxmox VE yet.", what, c.tool, c.permit.Tier.ToolPhrase())
	tail := fmt.Sprintf("To approve exactly this, type %s. To refuse, decline.", p.prompt)
	p.message = head + "\n\n" + strings.Join(lines, "\n") + "\n\n" + tail
	return p, nil
}

// answers records what approves: the first answer always, the second (a name) when it is plain text a
// person can type as they see it.
func (p *consentPlan) answers(first, firstIs, second, secondIs string) {
	p.expect, p.first = []string{first}, first
	p.prompt = first + " (" + firstIs + ")"
	if second != "" && plainAnswer(second) {
		p.expect = append(p.expect, second)
		p.prompt += " or " + second + " (" + secondIs + ")"
	}
}

// pathAnswer is what approves a request with no guest to name: the last segment of its path, unescaped
// when that is plain text, else as it stands in the path (built from escaped segments, so printable ASCII),
// so that the question never shows a caller's line break or bidi character as the answer to type.
func pathAnswer(path string) string {
	last := path[strings.LastIndex(path, "/")+1:]
	if u := unescape(last); plainAnswer(u) {
		return u
	}
	return last
}

// plainAnswer reports whether an expected answer can be shown as it is and typed as it is shown.
func plainAnswer(s string) bool {
	return s != "" && clean(s, maxName) == s && !strings.ContainsAny(s, "«»")
}

func noun(typ string) string {
	if typ == string(pve.LXC) {
		return "container"
	}
	return "VM"
}

// targetLine: "VM 104 «build-runner» (qemu) on node pve2, stopped, locked (backup)".
func targetLine(s subject, st targetState) string {
	n := "VM"
	if s.ref.Type == pve.LXC {
		n = "CT"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d %s (%s) on node %s, %s", n, s.ref.VMID, quotedName(clean(st.status.Name, maxName)), s.ref.Type,
		nodeText(s.ref.Node), known(st.status.Status, guestStates))
	if st.status.Status == "running" && st.status.Uptime > 0 {
		fmt.Fprintf(&b, " for %s", fmtUptime(int64(st.status.Uptime)))
	}
	if st.status.Template {
		b.WriteString(", a template")
	}
	if st.status.Lock != "" {
		fmt.Fprintf(&b, ", locked (%s)", known(st.status.Lock, lockNames))
	}
	return b.String()
}

// lossLines say what a request destroys, where it is known.
func lossLines(s subject, st targetState) []string {
	var out []string
	switch s.kind {
	case "destroy":
		if d := disks(st.config); len(d) > 0 {
			out = append(out, count(len(d), "disk", "disks")+": "+strings.Join(d, ", "))
		} else {
			out = append(out, "no disks found in its configuration")
		}
		out = append(out, snapshotCount(st.snapshots))
	case "delete_snapshot":
		if sn, ok := findSnapshot(st.snapshots, s.snap); ok {
			w := "snapshot " + inline(sn.Name, 40) + " of " + snapTime(sn)
			if sn.VMState {
				w += ", with its saved RAM"
			}
			out = append(out, w)
		} else {
			out = append(out, "snapshot "+inline(s.snap, 40)+" (not in the guest's snapshot list now)")
		}
	case "rollback":
		if sn, ok := findSnapshot(st.snapshots, s.snap); ok {
			out = append(out, "every change since snapshot "+inline(sn.Name, 40)+" of "+snapTime(sn))
		} else {
			out = append(out, "every change since snapshot "+inline(s.snap, 40)+" (not in the guest's snapshot list now)")
		}
		if st.status.Status == "running" {
			out = append(out, "the running guest's current memory")
		}
	case "stop":
		if st.status.Status == "running" {
			out = append(out, "whatever the running guest has not written to disk (like pulling the plug)")
		}
	}
	return out
}

func findSnapshot(list []pve.Snapshot, name string) (pve.Snapshot, bool) {
	for _, sn := range list {
		if sn.Name == name && name != "current" {
			return sn, true
		}
	}
	return pve.Snapshot{}, false
}

// snapTime is when a snapshot was taken, and how long ago.
func snapTime(sn pve.Snapshot) string {
	t := int64(sn.SnapTime)
	if t <= 0 {
		return "unknown time"
	}
	return fmtTime(t) + " (" + fmtUptime(int64(time.Since(time.Unix(t, 0)).Seconds())) + " ago)"
}

func snapshotCount(list []pve.Snapshot) string {
	n := 0
	for _, sn := range list {
		if sn.Name != "current" {
			n++
		}
	}
	if n == 0 {
		return "no snapshots"
	}
	return count(n, "snapshot", "snapshots")
}

// disks lists the volumes of a guest's configuration with their sizes: "scsi0 local-lvm:vm-104-disk-0 (32G)".
// CD-ROM drives are not the guest's to lose.
func disks(cfg pve.GuestConfig) []string {
	var keys []string
	for k := range cfg {
		if isDiskKey(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		v := cfg.String(k)
		opts := strings.Split(v, ",")
		vol := opts[0]
		if vol == "" || vol == "none" || strings.Contains(v, "media=cdrom") {
			continue
		}
		if len(out) == 8 {
			out = append(out, "…")
			break
		}
		w := k + " " + volumeText(vol)
		for _, o := range opts[1:] {
			if size, ok := strings.CutPrefix(o, "size="); ok {
				w += " (" + clean(size, 16) + ")"
			}
		}
		out = append(out, w)
	}
	return out
}

// isDiskKey reports whether a configuration key holds a volume: scsi0, virtio1, sata2, ide3, efidisk0,
// tpmstate0, unused0 (qemu), rootfs and mp0 (lxc).
func isDiskKey(k string) bool {
	if k == "rootfs" {
		return true
	}
	for _, p := range []string{"scsi", "virtio", "sata", "ide", "efidisk", "tpmstate", "unused", "mp"} {
		if n, ok := strings.CutPrefix(k, p); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			return true
		}
	}
	return false
}

// words say what a destroy's plan found of backups, which a destroy keeps.
func (f backupFacts) words() string {
	var w string
	switch {
	case f.count > 0:
		age := time.Since(time.Unix(int64(f.newest.CTime), 0))
		w = fmt.Sprintf("%s, kept; the newest is %s old (%s on %s)", count(f.count, "backup", "backups"),
			fmtUptime(int64(age.Seconds())), fmtBytes(int64(f.newest.Size)), f.storage)
	case f.of == 0 && len(f.failed) == 0:
		w = "none: no backup storage is configured"
	default:
		w = "none found"
	}
	if f.of > f.read {
		w += fmt.Sprintf(" (%d of %d backup storages read)", f.read, f.of)
	}
	if len(f.failed) > 0 {
		w += " (could not read " + strings.Join(f.failed, ", ") + ")"
	}
	return w
}

// form is the elicitation the person answers: the plan and one text field, a flat schema every client can
// render.
func (p *consentPlan) form(scrub func(string) string) mcp.ElicitationParams {
	return mcp.ElicitationParams{
		Message: scrub(p.message),
		RequestedSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				consentField: map[string]any{
					"type":        "string",
					"title":       scrub("Type " + p.first + " to approve"),
					"description": scrub("Approves with " + p.prompt + "; anything else refuses."),
				},
			},
			"required": []string{consentField},
		},
	}
}

// consentField is the form's one field.
const consentField = "confirm"

// typed is what the person typed into the form, whatever JSON type the client sent it as.
func typed(content any) string {
	m, ok := content.(map[string]any)
	if !ok {
		return ""
	}
	switch v := m[consentField].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	}
	return ""
}
