package redact

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
)

func TestWriterSplitWrites(t *testing.T) {
	r := New(uuidSecret)
	text := "first line\nauth " + uuidSecret + " ok\nheader PVEAPIToken=root@pam!mcp=abc-unregistered\n" +
		`{"json":"` + jsonInner(oddSecret, true) + `"}` + "\n"
	want := "first line\nauth " + Mask + " ok\nheader PVEAPIToken=root@pam!mcp=" + Mask + "\n" +
		`{"json":"` + jsonInner(oddSecret, true) + `"}` + "\n"
	tests := []struct {
		name   string
		chunks []int // sizes of successive writes; the rest goes in the last one
	}{
		{"one write", nil},
		{"byte by byte", repeatInt(1, len(text))},
		{"split inside the secret", []int{len("first line\nauth ") + 5, 10}},
		{"split inside the header", []int{len("first line\nauth " + uuidSecret + " ok\nheader PVEAPITo"), 3, 20}},
		{"odd sizes", []int{3, 7, 11, 13, 17, 19, 23}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			w := r.Writer(&out)
			rest := text
			for _, n := range tt.chunks {
				n = min(n, len(rest))
				writeAll(t, w, rest[:n])
				rest = rest[n:]
			}
			writeAll(t, w, rest)
			if diff := cmp.Diff(want, out.String()); diff != "" {
				t.Errorf("output mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func repeatInt(v, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func writeAll(t *testing.T, w *Writer, s string) {
	t.Helper()
	n, err := w.Write([]byte(s))
	if err != nil || n != len(s) {
		t.Fatalf("Write(%d bytes) = %d, %v", len(s), n, err)
	}
}

func TestWriterFlushAndClose(t *testing.T) {
	r := New(uuidSecret)
	var out bytes.Buffer
	w := r.Writer(&out)
	writeAll(t, w, "partial "+uuidSecret[:10])
	if out.Len() != 0 {
		t.Errorf("a partial line was written before Flush: %q", out.String())
	}
	writeAll(t, w, uuidSecret[10:]+" more")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("partial "+Mask+" more", out.String()); diff != "" {
		t.Errorf("after Flush (-want +got):\n%s", diff)
	}
	writeAll(t, w, " tail "+uuidSecret)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("partial "+Mask+" more tail "+Mask, out.String()); diff != "" {
		t.Errorf("after Close (-want +got):\n%s", diff)
	}
	if err := w.Flush(); err != nil {
		t.Errorf("Flush of an empty Writer: %v", err)
	}
}

func TestWriterLongLines(t *testing.T) {
	r := New(uuidSecret)
	filler := strings.Repeat("word ", 3000) // 15 KB between secrets
	b64 := strings.Repeat("QUJD", 30000) + base64.StdEncoding.EncodeToString([]byte(uuidSecret)) + strings.Repeat("QUJD", 100)
	tests := []struct {
		name string
		line string
	}{
		{"secrets every 15 KB", strings.Repeat(filler+uuidSecret+" ", 20)},
		{"secret in a long word", strings.Repeat("x", 70000) + uuidSecret + strings.Repeat("y", 70000)},
		{"secret in a long base64 run", "data " + b64 + " end"},
		{"header value longer than the buffer", "PVEAPIToken=root@pam!mcp=" + strings.Repeat("z", 200000) + " after"},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1000, 4096, 100000} {
			t.Run(fmt.Sprintf("%s/%d", tt.name, chunk), func(t *testing.T) {
				var out bytes.Buffer
				w := r.Writer(&out)
				for s := tt.line; len(s) > 0; {
					n := min(chunk, len(s))
					writeAll(t, w, s[:n])
					s = s[n:]
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if l := leaks(out.String(), uuidSecret); len(l) > 0 {
					t.Errorf("output leaks %v", l)
				}
				if strings.Contains(out.String(), "zzzzzzzzzz") {
					t.Error("output leaks the header value")
				}
				if !strings.HasSuffix(out.String(), " after") && strings.HasSuffix(tt.line, " after") {
					t.Errorf("output lost the text after the value: ...%q", out.String()[max(0, out.Len()-40):])
				}
			})
		}
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func TestWriterReportsWriteErrors(t *testing.T) {
	boom := errors.New("disk full")
	w := New().Writer(failingWriter{boom})
	if n, err := w.Write([]byte("line\n")); !errors.Is(err, boom) || n != 0 {
		t.Errorf("Write = %d, %v; want 0 and an error wrapping %v", n, err, boom)
	}
	if _, err := w.Write([]byte("partial")); err != nil {
		t.Errorf("buffering a partial line failed: %v", err)
	}
	if err := w.Close(); !errors.Is(err, boom) {
		t.Errorf("Close = %v, want an error wrapping %v", err, boom)
	}
}

func TestWriterConcurrentLoggers(t *testing.T) {
	r := New(uuidSecret)
	var out bytes.Buffer
	w := r.Writer(&out)
	zl := zerolog.New(w)
	std := log.New(w, "", 0)
	const n = 200
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range n {
				if g%2 == 0 {
					zl.Info().Int("g", g).Int("i", i).Str("token", uuidSecret).Send()
				} else {
					std.Printf("g=%d i=%d token=%s", g, i, uuidSecret)
				}
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 4*n {
		t.Fatalf("got %d lines, want %d", len(lines), 4*n)
	}
	for _, l := range lines {
		want := fmt.Sprintf(`{"level":"info","g":%s,"token":"`+Mask+`"}`, between(l, `"g":`, `,"token"`))
		if strings.HasPrefix(l, "g=") {
			want = "g=" + between(l, "g=", " token=") + " token=" + Mask
		}
		if l != want {
			t.Errorf("line %q, want %q", l, want)
		}
	}
}

// between returns the text of s between the first before and the following after.
func between(s, before, after string) string {
	_, rest, _ := strings.Cut(s, before)
	mid, _, _ := strings.Cut(rest, after)
	return mid
}
