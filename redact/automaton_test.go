package redact

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// endings runs a over s and records, for each position, the longest pattern ending there and whether the
// keyword does.
func endings(a *automaton, s string) (longest []int, keyword []bool) {
	var st uint32
	longest, keyword = make([]int, len(s)), make([]bool, len(s))
	for i := 0; i < len(s); i++ {
		x := a.next[st+uint32(a.class[s[i]])]
		st = x & idxMask
		if x&hitBit != 0 {
			longest[i], keyword[i] = a.hit(st)
		}
	}
	return longest, keyword
}

// naiveEndings is the same by brute force.
func naiveEndings(pats []pattern, s string, fold func(byte) byte) (longest []int, keyword []bool) {
	folded := []byte(s)
	for i := range folded {
		folded[i] = fold(folded[i])
	}
	longest, keyword = make([]int, len(s)), make([]bool, len(s))
	for i := range s {
		for _, p := range pats {
			if !strings.HasSuffix(string(folded[:i+1]), p.text) {
				continue
			}
			if p.keyword {
				keyword[i] = true
			} else {
				longest[i] = max(longest[i], len(p.text))
			}
		}
	}
	return longest, keyword
}

func TestAutomatonMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(alphabet string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	tests := []struct {
		name     string
		alphabet string
		fold     func(byte) byte
	}{
		{"exact", "abAB", identityByte},
		{"folded", "abAB +", foldByte},
	}
	for _, tt := range tests {
		for round := range 200 {
			var pats []pattern
			for range 1 + rng.IntN(5) {
				p := word(tt.alphabet, 1+rng.IntN(5))
				pats = append(pats, pattern{text: string(mapBytes(p, tt.fold)), keyword: rng.IntN(4) == 0})
			}
			a := newAutomaton(pats, tt.fold)
			in := word(tt.alphabet+"xy", 60)
			gotL, gotK := endings(a, in)
			wantL, wantK := naiveEndings(pats, in, tt.fold)
			if diff := cmp.Diff(wantL, gotL); diff != "" {
				t.Fatalf("%s round %d, patterns %v, input %q: longest (-want +got):\n%s", tt.name, round, pats, in, diff)
			}
			if diff := cmp.Diff(wantK, gotK); diff != "" {
				t.Fatalf("%s round %d, patterns %v, input %q: keyword (-want +got):\n%s", tt.name, round, pats, in, diff)
			}
		}
	}
}

func mapBytes(s string, f func(byte) byte) []byte {
	b := []byte(s)
	for i := range b {
		b[i] = f(b[i])
	}
	return b
}

func TestBase64CoresMatchTheEncoder(t *testing.T) {
	for _, s := range []string{"abc", "abcd", "hello!", uuidSecret, oddSecret, "\xff\xfe\xfd\xfc", "PVEAPIToken"} {
		if diff := cmp.Diff(encodingCores(s), base64Cores(s)); diff != "" {
			t.Errorf("base64Cores(%q) (-encoder +package):\n%s", s, diff)
		}
	}
}
