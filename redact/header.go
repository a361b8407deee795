package redact

// The Proxmox token header value is "PVEAPIToken=USER@REALM!TOKENID=SECRET" (Proxmox also accepts a space
// after the keyword and URI-unescapes the value). The token id is not secret and stays readable; the
// secret is masked even when it was never registered.

// maxTokenID bounds the token id the parser collects (a userid is at most 64 characters, a realm and a
// token name are short); a longer run is not a token id.
const maxTokenID = 256

// headerChar reads one character of a header value at s[i], decoding %XX and JSON/Go escapes so that URL-
// and JSON-encoded headers parse like plain ones. Non-ASCII decodes to 0x80: it can only be part of a user
// name.
func headerChar[T text](s T, i int) (c byte, size int) {
	if b, n, ok := percentAt(s, i); ok {
		return b, n
	}
	var buf [4]byte
	if out, n, ok := backslashAt(s, i, &buf); ok {
		if len(out) != 1 || out[0] >= 0x80 {
			return 0x80, n
		}
		return out[0], n
	}
	return s[i], 1
}

// endsValue reports whether c ends a header value: whitespace and control characters, quotes, and the
// separators of query strings, cookies and lists and of markup. The character is decoded, so an escaped
// quote or newline (\" or \n inside a JSON string) ends the value too.
func endsValue(c byte) bool {
	switch c {
	case '"', '\'', '`', '&', ',', ';', '<', '>', 0x7f:
		return true
	}
	return c <= ' '
}

// parseHeader parses the value after a "PVEAPIToken" keyword that ends at s[i:]. It returns the span to
// mask (empty if none) and where the value ends, so the caller can skip keywords inside it.
//
// With '=' after the keyword, a recognised "user@realm!tokenid=" prefix stays readable and the rest of the
// value is masked; when no token id can be recognised the whole value is masked. With a space the value
// must start with a token id: prose such as "the PVEAPIToken header" is left alone.
func parseHeader[T text](s T, i int) (span, int) {
	if i >= len(s) {
		return span{}, i
	}
	sep, n := headerChar(s, i)
	if sep != '=' && sep != ' ' && sep != '+' && sep != '\t' {
		return span{}, i
	}
	i += n
	valueStart := i
	var id [maxTokenID]byte
	idLen := 0
	for i < len(s) {
		c, n := headerChar(s, i)
		if endsValue(c) {
			break
		}
		if c == '=' {
			if idLen <= len(id) && isTokenID(id[:idLen]) {
				e := valueEnd(s, i+n)
				return span{i + n, e}, e
			}
			break
		}
		if idLen < len(id) {
			id[idLen] = c
		}
		idLen++
		i += n
	}
	if sep != '=' {
		return span{}, i
	}
	e := valueEnd(s, i)
	return span{valueStart, e}, e
}

// valueEnd returns where the header value that continues at s[i] ends.
func valueEnd[T text](s T, i int) int {
	for i < len(s) {
		c, n := headerChar(s, i)
		if endsValue(c) {
			return i
		}
		i += n
	}
	return i
}

// isTokenID reports whether b is a Proxmox API token id, USER@REALM!TOKENID, using the schema's patterns:
// user [^\s:/]+, realm and token name [A-Za-z][A-Za-z0-9.\-_]+.
func isTokenID(b []byte) bool {
	bang := lastIndex(b, '!')
	if bang < 0 || !isPVEName(b[bang+1:]) {
		return false
	}
	at := lastIndex(b[:bang], '@')
	if at < 1 || !isPVEName(b[at+1:bang]) {
		return false
	}
	for _, c := range b[:at] {
		if c <= ' ' || c == ':' || c == '/' {
			return false
		}
	}
	return true
}

func isPVEName(b []byte) bool {
	if len(b) < 2 || !isLetter(b[0]) {
		return false
	}
	for _, c := range b[1:] {
		if !isLetter(c) && !('0' <= c && c <= '9') && c != '.' && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func lastIndex(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}
