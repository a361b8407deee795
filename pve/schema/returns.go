package schema

import (
	"strconv"
	"strings"
)

// maxShownProperties bounds how many members String lists per object.
const maxShownProperties = 24

// String renders a returns schema compactly, as endpoints.md does: "array of {id: string, node?: string,
// …}", optional members marked with "?", nested objects to two levels, long member lists cut with a count.
func (s *Schema) String() string {
	var b strings.Builder
	s.write(&b, 0)
	return b.String()
}

func (s *Schema) write(b *strings.Builder, depth int) {
	if s == nil {
		b.WriteString("nothing")
		return
	}
	switch {
	case s.Type == "array":
		b.WriteString("array")
		if s.Items != nil && (s.Items.Type != "" || len(s.Items.Properties) > 0) {
			b.WriteString(" of ")
			s.Items.write(b, depth)
		}
	case s.Type == "object" || s.Type == "" && len(s.Properties) > 0:
		if len(s.Properties) == 0 || depth >= 2 {
			b.WriteString("object")
			return
		}
		b.WriteString("{")
		for i, p := range s.Properties {
			if i == maxShownProperties {
				b.WriteString(", … " + strconv.Itoa(len(s.Properties)-i) + " more")
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(p.Name)
			if p.Schema.Optional {
				b.WriteString("?")
			}
			b.WriteString(": ")
			p.Schema.write(b, depth+1)
		}
		if s.AdditionalProperties {
			b.WriteString(", …")
		}
		b.WriteString("}")
	case s.Type == "":
		b.WriteString("unspecified")
	default:
		b.WriteString(s.Type)
		if len(s.Enum) > 0 && len(s.Enum) <= 8 {
			b.WriteString(" (" + strings.Join(s.Enum, "|") + ")")
		}
	}
}
