package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// A generic answer is whatever the operation returns: a list, an object, a value. All of it is cluster text.
// It is decoded, every key and string cleaned, and kept within a byte budget: a list keeps at most limit rows
// (a page, with the total and a cursor) and no more than the budget holds; an object keeps its first keys in
// order; a long string its start. What was left out is said in a note, never silently.

// Bounds on a generic answer.
const (
	maxAnswerBytes = 12 << 10 // the JSON of what a result shows, about 3,000 tokens
	maxAnswerText  = 400      // a string value, in runes
	maxAnswerKey   = 64       // an object key, in runes
	minAnswerPart  = 24       // below this much budget, a list or an object stops
)

// shrunk is a cleaned, bounded part of an answer.
type shrunk struct {
	v    any
	size int  // its JSON length
	cut  bool // something of it was left out
}

// shrink cleans v (decoded with UseNumber) and keeps it within about budget bytes of JSON.
func shrink(v any, budget int) shrunk {
	switch x := v.(type) {
	case string:
		c := clean(x, maxAnswerText)
		return shrunk{v: c, size: jsonLen(c), cut: utf8.RuneCountInString(x) > maxAnswerText}
	case []any:
		out, size, cut := []any{}, 2, false
		for _, el := range x {
			left := budget - size - 1
			if left < minAnswerPart {
				cut = true
				break
			}
			s := shrink(el, left)
			if size+s.size+1 > budget && len(out) > 0 {
				cut = true
				break
			}
			out, size, cut = append(out, s.v), size+s.size+1, cut || s.cut
		}
		return shrunk{v: out, size: size, cut: cut}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out, size, cut := map[string]any{}, 2, false
		for _, k := range keys {
			ck := clean(k, maxAnswerKey)
			left := budget - size - jsonLen(ck) - 2
			if left < minAnswerPart {
				cut = true
				break
			}
			s := shrink(x[k], left)
			if size+jsonLen(ck)+s.size+2 > budget && len(out) > 0 {
				cut = true
				break
			}
			out[ck] = s.v
			size, cut = size+jsonLen(ck)+s.size+2, cut || s.cut
		}
		return shrunk{v: out, size: size, cut: cut}
	}
	return shrunk{v: v, size: jsonLen(v)} // a number, a boolean, null
}

// decodeAnswer reads raw JSON with numbers kept as written.
func decodeAnswer(raw json.RawMessage) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("the answer is not JSON: %w", err)
	}
	return v, nil
}

// compactJSON is v on one line, with <, > and & as they are (the text is read, not put in HTML).
func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "null"
	}
	return strings.TrimRight(b.String(), "\n")
}

func jsonLen(v any) int { return len(compactJSON(v)) }

// answerLines are the lines a result's text fences: a list's rows one a line, an object's members one a line
// ("key: value"), or the one value.
func answerLines(v any) []string {
	switch x := v.(type) {
	case []any:
		lines := make([]string, len(x))
		for i, el := range x {
			lines[i] = compactJSON(el)
		}
		return lines
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		lines := make([]string, len(keys))
		for i, k := range keys {
			lines[i] = k + ": " + compactJSON(x[k])
		}
		return lines
	}
	return []string{compactJSON(v)}
}

// kindOf names an answer's shape for a person.
func kindOf(v any) string {
	switch x := v.(type) {
	case []any:
		return count(len(x), "row", "rows")
	case map[string]any:
		return "an object of " + count(len(x), "member", "members")
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "a number"
}
