package tools

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

// vmCount is how many QEMU guests a simulated cluster has.
func vmCount(t *testing.T, s *pvesim.Server) int {
	t.Helper()
	n := 0
	for vmid := 100; vmid < 100000; vmid++ {
		if g, ok := s.Guest(vmid); ok && g.Type == "qemu" {
			n++
		}
	}
	return n
}

// TestClusters runs the same checks with two and with three clusters: a read on each goes to that cluster
// alone; cluster "*" asks each once and merges; a write reaches one cluster and leaves the others untouched;
// and every cluster only ever sees its own token.
func TestClusters(t *testing.T) {
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d clusters", n), func(t *testing.T) {
			f := newFleet(t, n, fleetOpts{defaultTarget: "home"})
			counts := make([]int, n)
			for i, s := range f.sims {
				counts[i] = vmCount(t, s)
			}
			for i, name := range f.names {
				f.resetLogs()
				res := f.call(t, "proxmox_list_vms", `{"cluster":"`+name+`","limit":500}`)
				if res.IsError {
					t.Fatal(text(res))
				}
				var l listResult
				structured(t, res, &l)
				want := make([]int, n)
				want[i] = 1
				if l.Total != counts[i] || !slices.Equal(f.requests(), want) {
					t.Errorf("list on %s: total %d (want %d), requests per cluster %v (want %v)", name, l.Total, counts[i], f.requests(), want)
				}
				if l.Items[0].Cluster != "" {
					t.Errorf("a list of one cluster names the cluster in its rows: %+v", l.Items[0])
				}
			}

			f.resetLogs()
			res := f.call(t, "proxmox_list_vms", `{"cluster":"*","limit":500}`)
			var l listResult
			structured(t, res, &l)
			total := 0
			for _, c := range counts {
				total += c
			}
			ones := slices.Repeat([]int{1}, n)
			if res.IsError || l.Total != total || len(l.Items) != total || !slices.Equal(f.requests(), ones) {
				t.Fatalf("cluster *: error %v, total %d of %d, %d items, requests %v (want one each)\n%s", res.IsError, l.Total, total, len(l.Items), f.requests(), text(res))
			}
			for i, name := range f.names {
				rows := slices.DeleteFunc(slices.Clone(l.Items), func(g guestView) bool { return g.Cluster != name })
				if len(rows) != counts[i] {
					t.Errorf("cluster *: %d rows of %s, want %d", len(rows), name, counts[i])
				}
			}
			if !strings.Contains(text(res), "\n"+f.names[n-1]+" ") {
				t.Errorf("the text rows do not name the cluster:\n%s", text(res))
			}

			f.resetLogs()
			target := f.names[n-1]
			res = f.call(t, "proxmox_start_resource", `{"cluster":"`+target+`","vmid":`+fmt.Sprint(stoppedVM(t, f.sims[n-1]))+`,"confirm":true}`)
			if res.IsError {
				t.Fatal(text(res))
			}
			w := f.writes()
			for i := range w {
				if want := i == n-1; (len(w[i]) == 1) != want || len(w[i]) > 1 {
					t.Errorf("writes on %s: %v", f.names[i], w[i])
				}
			}
			recs := f.auditRecords(t)
			if last := recs[len(recs)-1]; last.Cluster != target || last.Decision != gate.Sent {
				t.Errorf("audit record %+v: want cluster %s, sent", last, target)
			}

			res = f.call(t, "proxmox_status", `{"cluster":"*"}`)
			var st statusResult
			structured(t, res, &st)
			if res.IsError || len(st.Clusters) != n || st.Clusters[0].Cluster != "home" || st.Clusters[0].PVECluster == "" {
				t.Errorf("status *: %+v\n%s", st, text(res))
			}
			res = f.call(t, "proxmox_recent_tasks", `{"cluster":"*","limit":200}`)
			var tr tasksResult
			structured(t, res, &tr)
			seen := map[string]bool{}
			for _, task := range tr.Tasks {
				seen[task.Cluster] = true
			}
			if res.IsError || len(seen) != n {
				t.Errorf("recent tasks *: clusters %v\n%s", seen, text(res))
			}
			f.credentialsStayHome(t)
		})
	}
}

// stoppedVM finds a stopped QEMU guest that is not a template.
func stoppedVM(t *testing.T, s *pvesim.Server) int {
	t.Helper()
	for vmid := 100; vmid < 100000; vmid++ {
		if g, ok := s.Guest(vmid); ok && g.Type == "qemu" && g.Status == "stopped" && !g.Template {
			return vmid
		}
	}
	t.Fatal("no stopped VM")
	return 0
}

// TestClustersPageTheMergedList: paging cluster "*" walks the merged list, clusters in the file's order and
// each by vmid, every guest exactly once.
func TestClustersPageTheMergedList(t *testing.T) {
	f := newFleet(t, 3, fleetOpts{defaultTarget: "home"})
	var want []string
	for i, s := range f.sims {
		for vmid := 100; vmid < 100000; vmid++ {
			if g, ok := s.Guest(vmid); ok && g.Type == "lxc" {
				want = append(want, fmt.Sprintf("%s/%d", f.names[i], vmid))
			}
		}
	}
	var got []string
	cursor := 0
	for pages := 0; pages < 100; pages++ {
		res := f.call(t, "proxmox_list_containers", fmt.Sprintf(`{"cluster":"*","limit":4,"cursor":%d}`, cursor))
		var l listResult
		structured(t, res, &l)
		if res.IsError || l.Total != len(want) {
			t.Fatalf("page at %d: total %d of %d\n%s", cursor, l.Total, len(want), text(res))
		}
		for _, g := range l.Items {
			got = append(got, fmt.Sprintf("%s/%d", g.Cluster, g.VMID))
		}
		if l.NextCursor == 0 {
			break
		}
		cursor = l.NextCursor
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pages of the merged list (-want +got)\n%s", diff)
	}
}

// TestClusterDown: one cluster down and one refusing the token are reported in the result of a cluster "*"
// call while the others answer; when none answers the call is an error naming each.
func TestClusterDown(t *testing.T) {
	f := newFleet(t, 3, fleetOpts{defaultTarget: "home", secret: func(i int, s string) string {
		if i == 1 {
			return "wrong-" + s // lab refuses it
		}
		return s
	}})
	f.sims[2].Close() // prod is down
	for _, tool := range []string{"proxmox_list_vms", "proxmox_status", "proxmox_recent_tasks"} {
		res := f.call(t, tool, `{"cluster":"*"}`)
		txt := text(res)
		var got struct {
			Unanswered []unanswered `json:"unanswered"`
		}
		structured(t, res, &got)
		names := []string{}
		for _, u := range got.Unanswered {
			names = append(names, u.Cluster)
		}
		if res.IsError || !slices.Equal(names, []string{"lab", "prod"}) || !strings.Contains(txt, "Not answered (lab, prod)") ||
			!strings.Contains(strings.ToLower(txt), "authentication") || !strings.Contains(txt, "prod: ") {
			t.Errorf("%s: error %v, unanswered %v\n%s", tool, res.IsError, got.Unanswered, txt)
		}
	}
	res := f.call(t, "proxmox_list_vms", `{"cluster":"prod"}`)
	if !res.IsError {
		t.Errorf("a read of the cluster that is down succeeded: %s", text(res))
	}
	f.sims[0].Close()
	res = f.call(t, "proxmox_list_vms", `{"cluster":"*"}`)
	if txt := text(res); !res.IsError || !strings.Contains(txt, "no cluster answered") || !strings.Contains(txt, "home: ") || !strings.Contains(txt, "lab: ") {
		t.Errorf("no cluster up: %v %s", res.IsError, txt)
	}
}

// TestClusterArgument: a cluster that is not configured, "*" on a tool that acts on one cluster, a missing
// cluster where no default is set, a cluster of the wrong type: each refused before any request, write
// attempts audited as invalid.
func TestClusterArgument(t *testing.T) {
	f := newFleet(t, 2, fleetOpts{})
	tests := []struct {
		tool, args string
		want       string
	}{
		{"proxmox_list_vms", `{"cluster":"nope"}`, `cluster: got "nope"; expected one of home, lab, or * for all`},
		{"proxmox_list_vms", `{}`, "cluster is required (one of home, lab, or * for all)"},
		{"proxmox_get_resource", `{"cluster":"*","vmid":100}`, "cluster: * is for lists, status and recent tasks; this tool acts on one cluster: one of home, lab"},
		{"proxmox_get_resource", `{"cluster":1,"vmid":100}`, "cluster: got the number 1; expected one of home, lab"},
		{"proxmox_start_resource", `{"cluster":"Home","vmid":100,"confirm":true}`, `cluster: got "Home"`},
		{"proxmox_start_resource", `{"vmid":100,"confirm":true}`, "cluster is required (one of home, lab)"},
	}
	for _, tc := range tests {
		res := f.call(t, tc.tool, tc.args)
		if txt := text(res); !res.IsError || !strings.Contains(txt, tc.want) || !strings.Contains(txt, "nothing was sent") {
			t.Errorf("%s %s: %v %s\nwant %q", tc.tool, tc.args, res.IsError, txt, tc.want)
		}
	}
	if got := f.requests(); !slices.Equal(got, []int{0, 0}) {
		t.Errorf("requests per cluster: %v, want none", got)
	}
	var decisions []string
	for _, r := range f.auditRecords(t) {
		decisions = append(decisions, r.Tool+":"+r.Decision)
	}
	if want := []string{"proxmox_start_resource:invalid", "proxmox_start_resource:invalid"}; !slices.Equal(decisions, want) {
		t.Errorf("audit %v, want %v", decisions, want)
	}
}

// TestClusterSettingsNarrow: a read_only cluster refuses every write before any request, naming the
// setting, while the other cluster takes it; a destructive call needs the server's switch and the cluster's.
func TestClusterSettingsNarrow(t *testing.T) {
	f := newFleet(t, 3, fleetOpts{defaultTarget: "home", destructive: true, target: func(i int, tg *Target) {
		tg.ReadOnly = i == 1    // lab
		tg.Destructive = i == 2 // prod
	}})
	start := func(cluster string, extra string) *mcp.CallToolResult {
		return f.call(t, "proxmox_start_resource", fmt.Sprintf(`{"cluster":%q,"vmid":%d,"confirm":true%s}`, cluster, stoppedVM(t, f.sims[slices.Index(f.names, cluster)]), extra))
	}
	res := start("lab", "")
	if txt := text(res); !res.IsError || !strings.Contains(txt, "lab is read_only in the targets file") || !strings.Contains(txt, "read_only = false for cluster lab") {
		t.Errorf("write to a read-only cluster: %v %s", res.IsError, txt)
	}
	if n := f.requests()[1]; n != 0 {
		t.Errorf("the read-only cluster got %d requests", n)
	}
	res = start("lab", `,"dry_run":true`)
	if txt := text(res); res.IsError || !strings.Contains(txt, "would be refused") || !strings.Contains(txt, "read_only") {
		t.Errorf("dry run on a read-only cluster: %v %s", res.IsError, txt)
	}
	if w := f.writes()[1]; len(w) != 0 {
		t.Errorf("writes reached the read-only cluster: %v", w)
	}
	if res := start("home", ""); res.IsError {
		t.Errorf("write to home: %s", text(res))
	}
	destroy := func(cluster string) *mcp.CallToolResult {
		return f.call(t, "proxmox_destroy_resource", fmt.Sprintf(`{"cluster":%q,"vmid":%d,"confirm":true,"destructive":true}`, cluster, stoppedVM(t, f.sims[slices.Index(f.names, cluster)])))
	}
	if res := destroy("home"); !res.IsError || !strings.Contains(text(res), "enable_destructive = true for cluster home in the targets file (off)") {
		t.Errorf("destroy on home (enable_destructive unset): %v %s", res.IsError, text(res))
	}
	if res := destroy("prod"); res.IsError {
		t.Errorf("destroy on prod (both switches on): %s", text(res))
	}
	var got []string
	for _, r := range f.auditRecords(t) {
		got = append(got, r.Cluster+":"+r.Tool+":"+r.Decision)
	}
	want := []string{"lab:proxmox_start_resource:refused", "lab:proxmox_start_resource:dry_run", "home:proxmox_start_resource:sent",
		"home:proxmox_destroy_resource:refused", "prod:proxmox_destroy_resource:sent"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (-want +got)\n%s", diff)
	}
}

// TestClusterSchema: with a targets file every tool declares cluster, an enum of the names, "*" only on the
// tools that merge; required when no default is set. Without one (TestToolSchemaSnapshots) nothing changes.
func TestClusterSchema(t *testing.T) {
	spreads := []string{"proxmox_status", "proxmox_list_vms", "proxmox_list_containers", "proxmox_recent_tasks"}
	for _, def := range []string{"", "lab"} {
		f := newFleet(t, 2, fleetOpts{defaultTarget: def})
		res, err := f.mc.ListTools(t.Context(), mcp.ListToolsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tool := range res.Tools {
			var wire struct {
				InputSchema struct {
					Properties map[string]struct {
						Enum []string `json:"enum"`
					} `json:"properties"`
					Required []string `json:"required"`
				} `json:"inputSchema"`
			}
			b, _ := json.Marshal(tool)
			if err := json.Unmarshal(b, &wire); err != nil {
				t.Fatal(err)
			}
			s := wire.InputSchema
			want := []string{"home", "lab"}
			if slices.Contains(spreads, tool.Name) {
				want = append(want, "*")
			}
			if diff := cmp.Diff(want, s.Properties["cluster"].Enum); diff != "" {
				t.Errorf("%s: cluster enum (-want +got)\n%s", tool.Name, diff)
			}
			if slices.Contains(s.Required, "cluster") != (def == "") {
				t.Errorf("%s (default %q): required %v", tool.Name, def, s.Required)
			}
		}
	}
	for _, raw := range listTools(t, false, nil) {
		var tool struct {
			Name        string
			InputSchema struct{ Properties map[string]any } `json:"inputSchema"`
		}
		if err := json.Unmarshal(raw, &tool); err != nil {
			t.Fatal(err)
		}
		if _, ok := tool.InputSchema.Properties["cluster"]; ok {
			t.Errorf("without a targets file %s declares cluster", tool.Name)
		}
	}
}
