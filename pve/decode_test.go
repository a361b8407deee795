package pve

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLooseScalars(t *testing.T) {
	type doc struct {
		B Bool
		I Int
		F Float
	}
	tests := []struct {
		in      string
		want    doc
		wantErr bool
	}{
		{`{"B":1,"I":5,"F":0.5}`, doc{true, 5, 0.5}, false},
		{`{"B":0,"I":"5","F":"3400.000"}`, doc{false, 5, 3400}, false},
		{`{"B":true,"I":5.0,"F":1}`, doc{true, 5, 1}, false},
		{`{"B":"1","I":" 7 ","F":"0.00"}`, doc{true, 7, 0}, false},
		{`{"B":"false","I":null,"F":null}`, doc{false, 0, 0}, false},
		{`{"B":null}`, doc{}, false},
		{`{"I":1e3}`, doc{I: 1000}, false},
		{`{"B":"yes"}`, doc{}, true},
		{`{"I":"abc"}`, doc{}, true},
		{`{"I":"1\u0030"}`, doc{}, true},
		{`{"I":1e300}`, doc{}, true},
		{`{"F":"NaN"}`, doc{}, true},
		{`{"I":[1]}`, doc{}, true},
	}
	for _, tc := range tests {
		var got doc
		err := json.Unmarshal([]byte(tc.in), &got)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: error = %v, wantErr %v", tc.in, err, tc.wantErr)
			continue
		}
		if err == nil {
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s: (-want +got)\n%s", tc.in, diff)
			}
		}
	}
}

func TestGuestConfigString(t *testing.T) {
	var c GuestConfig
	if err := json.Unmarshal([]byte(`{"name":"web","memory":2048,"onboot":1,"lxc":[["a","b"]],"cpulimit":1.5}`), &c); err != nil {
		t.Fatal(err)
	}
	got := []string{c.String("name"), c.String("memory"), c.String("onboot"), c.String("lxc"), c.String("cpulimit"), c.String("absent")}
	want := []string{"web", "2048", "1", `[["a","b"]]`, "1.5", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestSplitTags(t *testing.T) {
	if diff := cmp.Diff([]string{"a", "b", "c", "d"}, SplitTags("a;b, c d")); diff != "" {
		t.Error(diff)
	}
	if SplitTags("") != nil {
		t.Error("empty tags should be nil")
	}
}
