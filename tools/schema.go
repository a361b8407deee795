package tools

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
)

// The schemas a client sees are built here with jsonschema-go, flat (no $ref or $defs: some clients reject them)
// and in declaration order. Every argument is declared, with its type, range or enum and a short description.
// Output schemas name a result's key fields and their JSON types; a field tagged out:"-" is in the result but
// not in the schema (which stays open), because tools/list is paid for in every conversation.

// inputSchema is the JSON Schema of a tool's arguments.
func (s *argSpec) inputSchema() *jsonschema.Schema {
	out := &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{}}
	for _, f := range s.fields {
		p := &jsonschema.Schema{Type: kindNames[f.kind], Description: f.desc}
		if f.kind == kindStrings {
			p.Items = &jsonschema.Schema{Type: "string"}
		}
		for _, e := range f.enum {
			p.Enum = append(p.Enum, e)
		}
		// The ranges a caller plans with are shown. An id's range (vmid 100-999999999) is stated once in the
		// instructions, and sanity caps (a maximum above maxShownBound, string lengths) only in the error a
		// value beyond them gets.
		if f.max != nil && f.check != "vmid" && *f.max <= maxShownBound {
			p.Maximum = ptrTo(float64(*f.max))
		}
		if f.min != nil && f.check != "vmid" && (*f.min != 0 || p.Maximum != nil) {
			p.Minimum = ptrTo(float64(*f.min))
		}
		out.Properties[f.name] = p
		out.PropertyOrder = append(out.PropertyOrder, f.name)
		if f.required {
			out.Required = append(out.Required, f.name)
		}
	}
	return out
}

// outputSchema is the JSON Schema of a result type: every exported field with a json name, by its JSON type,
// nested objects and arrays of objects spelt out. A field may carry desc (a few words) and enum tags where its
// name does not say enough.
func outputSchema(t reflect.Type) *jsonschema.Schema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("result type %s is not a struct", t))
	}
	return typeSchema(t, 0)
}

// Below the top level, objects and arrays are named by type only: their fields are the ones the text
// summary shows, and spelling out every nested field would triple the tokens tools/list costs.
const schemaDepth = 1

// maxShownBound is the largest maximum worth a caller's attention; bigger ones are caps against nonsense.
const maxShownBound = 10000

func typeSchema(t reflect.Type, depth int) *jsonschema.Schema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if depth > 4 {
		panic(fmt.Sprintf("result type %s nests too deep", t))
	}
	switch t.Kind() {
	case reflect.Bool:
		return &jsonschema.Schema{Type: "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &jsonschema.Schema{Type: "integer"}
	case reflect.Float32, reflect.Float64:
		return &jsonschema.Schema{Type: "number"}
	case reflect.String:
		return &jsonschema.Schema{Type: "string"}
	case reflect.Interface:
		return &jsonschema.Schema{} // any JSON: a generic answer's data
	case reflect.Slice, reflect.Array:
		if depth >= schemaDepth {
			return &jsonschema.Schema{Type: "array"}
		}
		return &jsonschema.Schema{Type: "array", Items: typeSchema(t.Elem(), depth+1)}
	case reflect.Map:
		if depth >= schemaDepth {
			return &jsonschema.Schema{Type: "object"}
		}
		return &jsonschema.Schema{Type: "object", AdditionalProperties: typeSchema(t.Elem(), depth+1)}
	case reflect.Struct:
		if depth >= schemaDepth {
			return &jsonschema.Schema{Type: "object"}
		}
		s := &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{}}
		addFields(s, t, depth)
		return s
	}
	panic(fmt.Sprintf("result field type %s has no JSON schema", t))
}

func addFields(s *jsonschema.Schema, t reflect.Type, depth int) {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if sf.Anonymous && name == "" {
			// Flattened, as encoding/json does; an embedded struct with a json name is an ordinary field.
			ft := sf.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			addFields(s, ft, depth)
			continue
		}
		if !sf.IsExported() && !sf.Anonymous {
			continue
		}
		if name == "-" || name == "" || sf.Tag.Get("out") == "-" {
			continue
		}
		p := typeSchema(sf.Type, depth+1)
		p.Description = sf.Tag.Get("desc")
		if e := sf.Tag.Get("enum"); e != "" {
			for _, v := range strings.Split(e, "|") {
				p.Enum = append(p.Enum, v)
			}
		}
		s.Properties[name] = p
		s.PropertyOrder = append(s.PropertyOrder, name)
	}
}

// mustJSON encodes a schema; a schema that does not encode is a programming error every test run catches.
func mustJSON(s *jsonschema.Schema) json.RawMessage {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return b
}

func ptrTo[T any](v T) *T { return &v }
