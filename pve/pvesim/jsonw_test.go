package pvesim

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAppendJSONString(t *testing.T) {
	tests := []string{
		"", "plain", `quote " and backslash \`, "tab\tnewline\nreturn\r", "nul\x00bell\x07esc\x1b",
		"del\x7f", "unicode ✓ 日本", "line\u2028separator\u2029", "bad utf8 \xff\xfe end", "</script><!--",
	}
	for _, s := range tests {
		got := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%q encodes to invalid JSON %s: %v", s, got, err)
			continue
		}
		std, _ := json.Marshal(s)
		var want string
		_ = json.Unmarshal(std, &want)
		if back != want {
			t.Errorf("%q round-trips to %q, encoding/json gives %q", s, back, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff", "\u2028", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q encodes to invalid JSON %s: %v", s, got, err)
		}
		std, _ := json.Marshal(s)
		var want string
		_ = json.Unmarshal(std, &want)
		if back != want {
			t.Fatalf("%q round-trips to %q, encoding/json gives %q", s, back, want)
		}
	})
}

func TestAppendFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {1, "1"}, {16777216000, "16777216000"}, {0.0249060195469461, "0.0249060195469461"},
		{1e-7, "0.0000001"}, {-2.5, "-2.5"}, {math.NaN(), "0"}, {math.Inf(1), "0"},
	}
	for _, tt := range tests {
		if got := string(appendFloat(nil, tt.in)); got != tt.want {
			t.Errorf("appendFloat(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestJSONWriter(t *testing.T) {
	var w jsonWriter
	w.Open()
	w.Str("s", "x")
	w.Int("i", -3)
	w.Bit("b", true)
	w.Bool("t", false)
	w.Float("f", 0.5)
	w.Null("n")
	w.Arr("a")
	w.StrElem("p")
	w.IntElem(7)
	w.Open()
	w.End()
	w.OpenArr()
	w.EndArr()
	w.EndArr()
	w.Obj("o")
	w.Raw("r", []byte(`[1]`))
	w.End()
	w.End()
	want := `{"s":"x","i":-3,"b":1,"t":false,"f":0.5,"n":null,"a":["p",7,{},[]],"o":{"r":[1]}}`
	if diff := cmp.Diff(want, string(w.b)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
