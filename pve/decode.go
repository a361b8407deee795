package pve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Proxmox's JSON is loosely typed: booleans arrive as 0/1, some numbers as strings ("cpus": "1",
// "loadavg": ["0.00"], "mhz": "3400.000", vmid in old container lists), optional fields are absent, and a few are
// null. These types accept every form a real server sends and decode to the value a caller expects.

// Bool is a Proxmox boolean: 0/1, true/false, "0"/"1", "true"/"false", null (false).
type Bool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *Bool) UnmarshalJSON(data []byte) error {
	data = unquote(data)
	switch string(data) {
	case "1", "true":
		*b = true
	case "0", "false", "null", "":
		*b = false
	default:
		f, err := strconv.ParseFloat(string(data), 64)
		if err != nil {
			return fmt.Errorf("boolean: cannot decode %.32q", data)
		}
		*b = f != 0
	}
	return nil
}

// Int is a Proxmox integer: a JSON number (integral, or float that is truncated toward zero), a numeric
// string, or null (0).
type Int int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(data []byte) error {
	data = unquote(data)
	if len(data) == 0 || string(data) == "null" {
		*n = 0
		return nil
	}
	if v, err := strconv.ParseInt(string(data), 10, 64); err == nil {
		*n = Int(v)
		return nil
	}
	f, err := strconv.ParseFloat(string(data), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f > math.MaxInt64 || f < math.MinInt64 {
		return fmt.Errorf("integer: cannot decode %.32q", data)
	}
	*n = Int(f)
	return nil
}

// Float is a Proxmox number: a JSON number, a numeric string, or null (0).
type Float float64

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(data []byte) error {
	data = unquote(data)
	if len(data) == 0 || string(data) == "null" {
		*f = 0
		return nil
	}
	v, err := strconv.ParseFloat(string(data), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("number: cannot decode %.32q", data)
	}
	*f = Float(v)
	return nil
}

// unquote strips the quotes of a JSON string that holds a number; escapes never occur in numbers, so a string
// with a backslash is left quoted and fails to parse, as it should.
func unquote(data []byte) []byte {
	data = bytes.TrimSpace(data)
	if len(data) >= 2 && data[0] == '"' && data[len(data)-1] == '"' && bytes.IndexByte(data, '\\') < 0 {
		return bytes.TrimSpace(data[1 : len(data)-1])
	}
	return data
}

// envelope is Proxmox's answer: {"data": ..., "message": ..., "errors": {...}, "total": N}.
type envelope struct {
	Data    any               `json:"data"`
	Message string            `json:"message"`
	Errors  map[string]string `json:"errors"`
	Total   *Int              `json:"total"`
}

// errorEnvelope reads the parts of an error body we use, tolerating any shape of data.
type errorEnvelope struct {
	Message string          `json:"message"`
	Errors  json.RawMessage `json:"errors"`
}

// decodeErrors reads a 400 "errors" member: normally {param: text}; anything else is kept as one entry.
func decodeErrors(raw json.RawMessage) map[string]string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return map[string]string{"(body)": string(raw)}
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = trimMessage(v)
		default:
			b, _ := json.Marshal(v)
			out[k] = string(b)
		}
	}
	return out
}
