package pvesim

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestRequestLog(t *testing.T) {
	e := newEnv(t, nil)
	upid := runningBackupUPID(t, e.srv.Sim)
	e.get("/cluster/resources", params("type", "vm"))
	e.post("/nodes/pve1/qemu/100/status/shutdown", params("timeout", "30", "forceStop", "1"))
	e.request("GET", "/version", "", nil)
	e.del("/nodes/pve3/tasks/"+url.PathEscape(upid), nil)

	want := []Request{
		{Method: "GET", Path: "/cluster/resources", RawPath: "/api2/json/cluster/resources",
			Query: url.Values{"type": {"vm"}}, Form: url.Values{}, TokenID: DefaultTokenID, Status: 200},
		{Method: "POST", Path: "/nodes/pve1/qemu/100/status/shutdown", RawPath: "/api2/json/nodes/pve1/qemu/100/status/shutdown",
			Query: url.Values{}, Form: url.Values{"timeout": {"30"}, "forceStop": {"1"}}, TokenID: DefaultTokenID, Status: 200},
		{Method: "GET", Path: "/version", RawPath: "/api2/json/version", Query: url.Values{}, Form: url.Values{}, Status: 401},
		{Method: "DELETE", Path: "/nodes/pve3/tasks/" + upid, RawPath: "/api2/json/nodes/pve3/tasks/" + url.PathEscape(upid),
			Query: url.Values{}, Form: url.Values{}, TokenID: DefaultTokenID, Status: 200},
	}
	got := e.srv.Requests()
	for _, r := range got {
		if !r.Time.Equal(testStart) {
			t.Errorf("%s logged at %v, want the clock's %v", r.Path, r.Time, testStart)
		}
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Request{}, "Time")); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Request{want[1], want[3]}, e.srv.Writes(), cmpopts.IgnoreFields(Request{}, "Time")); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	got[0].Query.Set("type", "changed")
	if e.srv.Requests()[0].Query.Get("type") != "vm" {
		t.Error("changing a returned request changed the log")
	}
	e.srv.ResetLog()
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("%d requests after ResetLog", n)
	}
}

func TestRequestLogLimit(t *testing.T) {
	tests := []struct {
		limit int
		want  []string
	}{
		{3, []string{"/nodes/pve1/status", "/nodes/pve2/status", "/nodes/pve3/status"}},
		{10, []string{"/version", "/nodes", "/nodes/pve1/status", "/nodes/pve2/status", "/nodes/pve3/status"}},
		{0, nil},
	}
	for _, tt := range tests {
		e := newEnv(t, nil, WithRequestLogLimit(tt.limit))
		for _, p := range []string{"/version", "/nodes", "/nodes/pve1/status", "/nodes/pve2/status", "/nodes/pve3/status"} {
			e.get(p, nil)
		}
		var got []string
		for _, r := range e.srv.Requests() {
			got = append(got, r.Path)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("limit %d (-want +got):\n%s", tt.limit, diff)
		}
	}
}
