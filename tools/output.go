package tools

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
)

// outputSchema is the JSON Schema of a result type: the top-level fields a caller relies on, with their JSON
// types. Fields tagged out:"-" are left out of the schema (not of the result), and nested shapes stay open, to
// keep tools/list small; the text summary and the field names say the rest.
func outputSchema(t reflect.Type) []byte {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var b bytes.Buffer
	b.WriteString(`{"type":"object","properties":{`)
	first := true
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			if sf.Anonymous && sf.Tag.Get("out") != "-" {
				ft := sf.Type
				for ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				walk(ft)
				continue
			}
			if sf.Anonymous {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" || name == "" || sf.Tag.Get("out") == "-" {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			fmt.Fprintf(&b, `%q:{"type":%q}`, name, jsonType(sf.Type))
		}
	}
	walk(t)
	if first {
		return []byte(`{"type":"object"}`)
	}
	b.WriteString(`}}`)
	return b.Bytes()
}

func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "array"
	default:
		return "object"
	}
}
