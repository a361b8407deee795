package pve

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
)

// standard decodes an answer the way every other answer is decoded: encoding/json into the envelope.
func standard(body []byte) ([]Resource, Int, error) {
	var list []Resource
	var total Int
	err := json.Unmarshal(body, &envelope{Data: &list, Total: &total})
	return list, total, err
}

// simulatedResources is a generated cluster's guest list as the simulator answers it.
func simulatedResources(t testing.TB, guests int) []byte {
	t.Helper()
	sim := pvesim.New(pvesim.Generate(pvesim.GenSpec{Nodes: 4, Guests: guests, Seed: 3}))
	req := httptest.NewRequest("GET", "/api2/json/cluster/resources", nil)
	req.Header.Set("Authorization", "PVEAPIToken="+pvesim.DefaultTokenID+"="+pvesim.DefaultTokenSecret)
	w := httptest.NewRecorder()
	sim.ServeHTTP(w, req)
	body, err := io.ReadAll(w.Result().Body)
	if err != nil || w.Code != 200 {
		t.Fatalf("%d %v", w.Code, err)
	}
	return body
}

// TestResourceListDecoder: on every answer it takes, the one-pass decoder gives what encoding/json gives;
// whatever it is not sure of, it leaves to encoding/json.
func TestResourceListDecoder(t *testing.T) {
	tests := []struct {
		name string
		body string
		fast bool // the one-pass decoder takes it
	}{
		{"empty list", `{"data":[]}`, true},
		{"null data", `{"data":null}`, true},
		{"no data", `{}`, true},
		{"usual", `{"data":[{"id":"qemu/100","type":"qemu","vmid":100,"node":"pve1","status":"running","cpu":0.0123,"maxcpu":4,"mem":1073741824,"template":0,"tags":"a;b"}]}`, true},
		{"numbers as strings and nulls", `{"data":[{"vmid":"101","cpu":"0.5","template":"1","mem":null,"name":null,"uptime":1.9e3}]}`, true},
		{"whitespace everywhere", " {\n \"data\" : [ { \"vmid\" : 102 , \"name\" : \"x\" } ] , \"total\" : 3 } \n", true},
		{"unknown members, nested", `{"data":[{"vmid":1,"extra":{"a":[1,{"b":null}]},"more":[true,false]}],"success":1}`, true},
		{"utf-8 names", `{"data":[{"name":"café-ü-日本"}]}`, true},
		{"an escape", `{"data":[{"name":"a\"b"}]}`, false},
		{"a unicode escape", `{"data":[{"name":"\u00e9"}]}`, false},
		{"a key in capitals", `{"data":[{"VMID":7}]}`, false},
		{"an envelope key in capitals", `{"Data":[{"vmid":7}]}`, false},
		{"a message member", `{"data":[],"message":"x"}`, false},
		{"a nested value in a field", `{"data":[{"name":{"x":1}}]}`, false},
		{"a number for a string", `{"data":[{"name":5}]}`, false},
		{"a string the integer cannot be", `{"data":[{"vmid":"abc"}]}`, false},
		{"duplicate data", `{"data":[{"vmid":1}],"data":[]}`, false},
		{"duplicate field", `{"data":[{"vmid":1,"vmid":2}]}`, true},
		{"null after a value", `{"data":[{"vmid":1,"vmid":null,"name":"a","name":null,"template":1,"template":null}]}`, true},
		{"invalid utf-8", "{\"data\":[{\"name\":\"\xff\"}]}", false},
		{"a control character", "{\"data\":[{\"name\":\"a\tb\"}]}", false},
		{"trailing garbage", `{"data":[]} x`, false},
		{"truncated", `{"data":[{"vmid":1}`, false},
		{"a bad number", `{"data":[{"vmid":01}]}`, false},
		{"a null element", `{"data":[null]}`, false},
		{"data not a list", `{"data":{"vmid":1}}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var l resourceList
			total, ok := l.decodeEnvelope([]byte(tc.body))
			if ok != tc.fast {
				t.Fatalf("taken %v, want %v", ok, tc.fast)
			}
			if !ok {
				return
			}
			want, wantTotal, err := standard([]byte(tc.body))
			if err != nil {
				t.Fatalf("the one-pass decoder took what encoding/json refuses: %v", err)
			}
			if diff := cmp.Diff(want, []Resource(l)); diff != "" || total != wantTotal {
				t.Errorf("total %d (want %d), resources (-encoding/json +one-pass)\n%s", total, wantTotal, diff)
			}
		})
	}
	bodies := [][]byte{simulatedResources(t, 300)}
	for _, f := range []string{"cluster.resources.all.gp7.json", "cluster.resources.vm.cpvminfo.json"} {
		// Real answers, where ../shared is beside the clone (the simulated one is checked regardless).
		b, err := os.ReadFile(filepath.Join("..", "..", "shared", "pve-api", "fixtures", f))
		if err != nil {
			continue
		}
		var fx struct {
			Response struct {
				Body json.RawMessage `json:"body"`
			} `json:"response"`
		}
		if err := json.Unmarshal(b, &fx); err != nil || len(fx.Response.Body) == 0 {
			t.Fatalf("%s: %v", f, err)
		}
		bodies = append(bodies, fx.Response.Body)
	}
	for i, body := range bodies {
		var l resourceList
		if _, ok := l.decodeEnvelope(body); !ok {
			t.Errorf("body %d: a real answer is not taken", i)
			continue
		}
		want, _, err := standard(body)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			t.Errorf("body %d lists nothing", i)
		}
		if diff := cmp.Diff(want, []Resource(l)); diff != "" {
			t.Errorf("body %d (-encoding/json +one-pass)\n%s", i, diff)
		}
	}
}

// FuzzResourceListDecoder: the oracle is encoding/json. Whenever the one-pass decoder takes a body,
// encoding/json takes it too and gives the same resources and total.
func FuzzResourceListDecoder(f *testing.F) {
	f.Add(simulatedResources(f, 5))
	for _, s := range []string{`{"data":[{"vmid":"1","cpu":1e2,"name":"é","x":[{}]}],"total":"2"}`, `{"data":null}`, `{}`, `{"data":[{"vmid":null}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var l resourceList
		total, ok := l.decodeEnvelope(body)
		if !ok {
			return
		}
		want, wantTotal, err := standard(body)
		if err != nil {
			t.Fatalf("taken, but encoding/json refuses it: %v\n%q", err, body)
		}
		if diff := cmp.Diff(want, []Resource(l)); diff != "" || total != wantTotal {
			t.Fatalf("total %d (want %d), (-encoding/json +one-pass)\n%s\n%q", total, wantTotal, diff, body)
		}
	})
}
