package main

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// The shapes of apidata.json (pve-docs api-viewer): a tree of paths, each with per-method info. Fields the
// schema spells in several ways (0/1 or true/false, numbers or numeric strings, a format that is a name or an
// object) are kept raw and read by the helpers below.

type treeNode struct {
	Path     string                     `json:"path"`
	Info     map[string]json.RawMessage `json:"info"`
	Children []treeNode                 `json:"children"`
}

type methodInfo struct {
	Description string          `json:"description"`
	Parameters  rawObjectSchema `json:"parameters"`
	Permissions *rawPermissions `json:"permissions"`
	Returns     *rawProperty    `json:"returns"`
	Protected   any             `json:"protected"`
	ProxyTo     any             `json:"proxyto"`
	AllowToken  any             `json:"allowtoken"`
	// ExposeCredentials and DownloadAllowed are rare flags kept for describe.
	ExposeCredentials any `json:"expose_credentials"`
	DownloadAllowed   any `json:"download_allowed"`
}

type rawObjectSchema struct {
	AdditionalProperties any                    `json:"additionalProperties"`
	Properties           map[string]rawProperty `json:"properties"`
}

type rawPermissions struct {
	Check       json.RawMessage `json:"check"`
	User        string          `json:"user"`
	Description string          `json:"description"`
}

type rawProperty struct {
	Type                 any                    `json:"type"`
	Description          string                 `json:"description"`
	Optional             any                    `json:"optional"`
	Enum                 []any                  `json:"enum"`
	Default              any                    `json:"default"`
	Minimum              any                    `json:"minimum"`
	Maximum              any                    `json:"maximum"`
	MinLength            any                    `json:"minLength"`
	MaxLength            any                    `json:"maxLength"`
	Format               json.RawMessage        `json:"format"`
	FormatDescription    string                 `json:"format_description"`
	Pattern              string                 `json:"pattern"`
	TypeText             string                 `json:"typetext"`
	DefaultKey           any                    `json:"default_key"`
	Alias                string                 `json:"alias"`
	KeyAlias             string                 `json:"keyAlias"`
	Requires             any                    `json:"requires"`
	TypeProperty         string                 `json:"type-property"`
	InstanceTypes        []string               `json:"instance-types"`
	Items                *rawProperty           `json:"items"`
	OneOf                []rawProperty          `json:"oneOf"`
	Properties           map[string]rawProperty `json:"properties"`
	AdditionalProperties any                    `json:"additionalProperties"`
	Links                []struct {
		Href string `json:"href"`
		Rel  string `json:"rel"`
	} `json:"links"`
}

// truthy reads the schema's 0/1 (or true/false, "1") flags.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x != 0
	case json.Number:
		return x.String() != "0"
	case string:
		return x == "1"
	}
	return false
}

// scalarText renders an enum value or default as the text a client sends: booleans as 0/1, numbers in their
// literal form.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case bool:
		if x {
			return "1", true
		}
		return "0", true
	case json.Number:
		return x.String(), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	b, _ := json.Marshal(v)
	return string(b), true
}

// numberText reads a bound the schema writes as a number or, sometimes, a numeric string.
func numberText(v any) (string, bool, error) {
	switch x := v.(type) {
	case nil:
		return "", false, nil
	case json.Number:
		return x.String(), true, nil
	case string:
		if _, err := strconv.ParseFloat(x, 64); err != nil {
			return "", false, fmt.Errorf("bound %q is not a number", x)
		}
		return x, true, nil
	}
	return "", false, fmt.Errorf("bound %v has type %T", v, v)
}

// typeName is a property's type; the schema writes a list of types nowhere in PVE 9, but an absent type is
// common (aliases, returns left unspecified).
func typeName(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	}
	return "", fmt.Errorf("type %v is not a name", v)
}
