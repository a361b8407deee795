package redact

import "strings"

// Mask is what replaces a secret.
const Mask = "[REDACTED]"

// FallbackMask replaces secrets instead of Mask when a registered secret could be rebuilt from Mask and
// the text around it (a secret such as "REDACTED", "ACT", "]x" or "[REDACTED]y").
const FallbackMask = "***"

// maskCandidates are tried in order; the later ones only matter for secrets that clash with both of the
// first two (say "]*"). None contains '%' or '\', so a mask never completes an escape sequence.
var maskCandidates = []string{Mask, FallbackMask, "###", "~~~", "^^^"}

// chooseMask returns the first candidate that no text form (folded) or base64 core can overlap.
// If every candidate clashes, which takes secrets built from all of their characters, it returns the last.
func chooseMask(forms, cores []string) string {
	for _, m := range maskCandidates {
		if maskIsSafe(m, forms, cores) {
			return m
		}
	}
	return maskCandidates[len(maskCandidates)-1]
}

// maskIsSafe reports whether replacing matches with m can never leave a match behind: the form must not
// lie inside m, contain m, or start with an end of m or end with a start of m (either would let the text
// next to a mask complete it). A base64 core only matters inside m, because matches take whole base64
// runs and the candidates' base64 characters are fenced off by non-base64 ones.
func maskIsSafe(m string, forms, cores []string) bool {
	fm := foldString(m)
	for _, p := range forms {
		if strings.Contains(fm, p) || strings.Contains(p, fm) {
			return false
		}
		for k := 1; k < len(fm) && k < len(p); k++ {
			if fm[len(fm)-k:] == p[:k] || p[len(p)-k:] == fm[:k] {
				return false
			}
		}
	}
	for _, c := range cores {
		if strings.Contains(m, c) {
			return false
		}
	}
	return true
}
