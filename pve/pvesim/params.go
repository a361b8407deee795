package pvesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// maxBody is the largest request body read; pveproxy's own limit for POST data is 64 KiB.
const maxBody = 64 << 10

// hasBody reports whether a request carries content (a GET or DELETE with one is refused).
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && len(r.TransferEncoding) > 0)
}

// readForm decodes a POST or PUT body: application/x-www-form-urlencoded (what pvesh and the GUI send) or
// application/json. JSON booleans become 1/0 and numbers their literal text.
func readForm(r *http.Request) (url.Values, *apiError) {
	if r.Body == nil {
		return url.Values{}, nil
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, bare(400, "unable to read request body")
	}
	if len(data) > maxBody {
		return nil, bare(413, "Request Entity Too Large")
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		return decodeJSONForm(data)
	}
	vals, err := url.ParseQuery(string(data))
	if err != nil {
		return nil, bare(400, "unable to parse form data")
	}
	return vals, nil
}

func decodeJSONForm(data []byte) (url.Values, *apiError) {
	out := url.Values{}
	if len(bytes.TrimSpace(data)) == 0 {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, bare(400, "invalid JSON - "+strings.ReplaceAll(err.Error(), "\n", " "))
	}
	for k, v := range obj {
		switch x := v.(type) {
		case nil:
		case []any:
			for _, e := range x {
				out.Add(k, jsonScalar(e))
			}
		default:
			out.Set(k, jsonScalar(x))
		}
	}
	return out, nil
}

func jsonScalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "1"
		}
		return "0"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// mergeParams combines body and query (the query wins, as in pve-http-server) and the path variables; a
// parameter given again with another value than the path's is refused like PVE does.
func mergeParams(form, query url.Values, vars map[string]string) (map[string]string, *apiError) {
	params := map[string]string{}
	set := func(vals url.Values) {
		for k, vs := range vals {
			// repeated parameters arrive NUL-joined, like CGI.pm; only array parameters accept that
			params[k] = strings.Join(vs, "\x00")
		}
	}
	set(form)
	set(query)
	delete(params, "_dc") // the GUI's cache buster, dropped by pve-http-server before validation
	for k, v := range vars {
		if old, ok := params[k]; ok && old != v {
			return nil, badParam(k, "duplicate parameter (already defined in URI)")
		}
		params[k] = v
	}
	return params, nil
}

// validateParams checks parameters against an operation's schema as PVE::JSONSchema does, collecting one
// error per bad parameter.
func validateParams(specs []paramSpec, params map[string]string) map[string]string {
	errs := map[string]string{}
	for i := range specs {
		p := &specs[i]
		if p.Count > 0 {
			continue // numbered parameters are all optional; checked below by name
		}
		v, ok := params[p.Name]
		if !ok {
			if !p.Optional {
				errs[p.Name] = "property is missing and it is not optional"
			}
			continue
		}
		if msg := checkValue(p, p.Name, v); msg != "" {
			errs[p.Name] = msg
		}
	}
	for name, v := range params {
		p, ok := lookupParam(specs, name)
		if !ok {
			errs[name] = "property is not defined in schema and the schema does not allow additional properties"
			continue
		}
		if p.Count > 0 {
			if msg := checkValue(p, name, v); msg != "" {
				errs[name] = msg
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

var (
	integerRE = regexp.MustCompile(`^[+-]?\d+$`)
	numberRE  = regexp.MustCompile(`^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$`)
)

// checkValue is check_prop for one value: type, format, pattern, length, range, enumeration, in PVE's order
// and with PVE's texts. path names the value in nested (property-string) errors.
func checkValue(p *paramSpec, path, v string) string {
	switch p.Type {
	case "boolean":
		if v != "0" && v != "1" {
			return fmt.Sprintf("type check ('boolean') failed - got '%s'", v)
		}
	case "integer":
		if !integerRE.MatchString(v) {
			return fmt.Sprintf("type check ('integer') failed - got '%s'", v)
		}
	case "number":
		if !numberRE.MatchString(v) {
			return fmt.Sprintf("type check ('number') failed - got '%s'", v)
		}
	case "array":
		return "" // items are plain strings in every array parameter pvesim serves
	}
	if len(p.Sub) > 0 {
		if msg := checkPropertyString(p.Sub, path, v); msg != "" {
			return "invalid format - " + msg
		}
	} else if p.Format != "" {
		if msg := checkFormat(p.Format, v); msg != "" {
			return "invalid format - " + msg
		}
	}
	if p.Pattern != "" {
		if re := compilePattern(p.Pattern); re != nil && !re.MatchString(v) {
			return "value does not match the regex pattern"
		}
	}
	if p.MaxLength > 0 && len(v) > p.MaxLength {
		return fmt.Sprintf("value may only be %d characters long", p.MaxLength)
	}
	if p.MinLength > 0 && len(v) < p.MinLength {
		return fmt.Sprintf("value must be at least %d characters long", p.MinLength)
	}
	if numberRE.MatchString(v) {
		f, _ := strconv.ParseFloat(v, 64)
		if p.HasMax && f > p.Max {
			return "value must have a maximum value of " + strconv.FormatFloat(p.Max, 'f', -1, 64)
		}
		if p.HasMin && f < p.Min {
			return "value must have a minimum value of " + strconv.FormatFloat(p.Min, 'f', -1, 64)
		}
	}
	if len(p.Enum) > 0 {
		for _, e := range p.Enum {
			if e == v {
				return ""
			}
		}
		return fmt.Sprintf("value '%s' does not have a value in the enumeration '%s'", v, strings.Join(p.Enum, ", "))
	}
	return ""
}

// checkPropertyString is parse_property_string followed by check_object: the message is what PVE puts after
// "invalid format - ", including the nested "format error" listing.
func checkPropertyString(keys []paramSpec, path, v string) string {
	find := func(name string) *paramSpec {
		for i := range keys {
			if keys[i].Name == name {
				return &keys[i]
			}
		}
		return nil
	}
	res := map[string]string{}
	defaultKey := ""
	for _, part := range strings.Split(v, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, val, hasEq := strings.Cut(part, "=")
		switch {
		case hasEq && k != "" && val != "":
			if _, dup := res[k]; dup {
				return "duplicate key in comma-separated list property: " + k + "\n"
			}
			spec := find(k)
			if spec != nil && spec.Alias != "" {
				if spec.KeyAlias != "" {
					if _, dup := res[spec.KeyAlias]; dup {
						return "key alias '" + spec.KeyAlias + "' is already defined\n"
					}
					res[spec.KeyAlias] = k
				}
				k = spec.Alias
				spec = find(k)
			}
			if spec == nil {
				return "invalid key in comma-separated list property: " + k + "\n"
			}
			if spec.Type == "boolean" {
				val = parseBoolean(val)
			}
			res[k] = val
		case !hasEq:
			if defaultKey != "" {
				return "duplicate key in comma-separated list property: " + defaultKey + "\n"
			}
			for i := range keys {
				if keys[i].DefaultKey {
					defaultKey = keys[i].Name
				}
			}
			if defaultKey == "" {
				return "value without key, but schema does not define a default key\n"
			}
			if _, dup := res[defaultKey]; dup {
				return "duplicate key in comma-separated list property: " + defaultKey + "\n"
			}
			res[defaultKey] = part
		default:
			return "missing key in comma-separated list property\n"
		}
	}
	errs := map[string]string{}
	for i := range keys {
		k := &keys[i]
		if k.Alias != "" {
			continue
		}
		sub := path + "." + k.Name
		val, ok := res[k.Name]
		if !ok {
			if !k.Optional {
				errs[sub] = "property is missing and it is not optional"
			}
			continue
		}
		if msg := checkValue(k, sub, val); msg != "" {
			errs[sub] = msg
		}
	}
	if len(errs) == 0 {
		return ""
	}
	names := make([]string, 0, len(errs))
	for k := range errs {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("format error\n")
	for _, k := range names {
		b.WriteString(k + ": " + errs[k] + "\n")
	}
	return b.String()
}

// parseBoolean is PVE's: on/yes/true and off/no/false become 1 and 0 inside property strings.
func parseBoolean(v string) string {
	switch strings.ToLower(v) {
	case "1", "on", "yes", "true":
		return "1"
	case "0", "off", "no", "false":
		return "0"
	}
	return v
}

var (
	patternMu    sync.Mutex
	patternCache = map[string]*regexp.Regexp{}
)

// compilePattern turns a schema's Perl pattern into an anchored Go regexp; "(?^:" groups become "(?:".
// A pattern RE2 cannot express is not checked (nil).
func compilePattern(p string) *regexp.Regexp {
	patternMu.Lock()
	defer patternMu.Unlock()
	if re, ok := patternCache[p]; ok {
		return re
	}
	goPat := strings.ReplaceAll(p, "(?^i:", "(?i:")
	goPat = strings.ReplaceAll(goPat, "(?^:", "(?:")
	re, err := regexp.Compile(`^(?:` + goPat + `)$`)
	if err != nil {
		re = nil
	}
	patternCache[p] = re
	return re
}
