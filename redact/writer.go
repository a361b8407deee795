package redact

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// maxLine bounds what a Writer buffers while waiting for a newline.
const maxLine = 64 << 10

// Writer is an io.Writer that redacts whole lines before passing them on, for zerolog
// (zerolog.New(r.Writer(os.Stderr))) and *log.Logger. It buffers until a newline, so a secret split over
// several Write calls is still caught. It is safe for concurrent use.
//
// A line longer than 64 KiB is passed on in pieces; the cut is made at whitespace where possible and never
// inside a match, and enough of the end is kept back that any registered form starting before the cut
// lies wholly before it. A secret split by an explicit Flush, or one containing a newline split across
// Write calls, is not protected.
type Writer struct {
	r *Redactor
	w io.Writer

	mu     sync.Mutex
	buf    []byte
	absorb bool // drop input up to the end of a value: a long masked value ran past the last cut
}

// Writer returns a Writer that redacts with r (nil r scrubs the header pattern only) and writes to w.
func (r *Redactor) Writer(w io.Writer) *Writer { return &Writer{r: r, w: w} }

// Write buffers p and passes on every complete line, redacted. It returns len(p) unless w fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	if w.absorb {
		p = w.skipValue(p)
	}
	// The usual case, one whole line per call (zerolog): no copy.
	if len(w.buf) == 0 && len(p) > 0 && p[len(p)-1] == '\n' {
		if err := w.emit(p); err != nil {
			return 0, err
		}
		return n, nil
	}
	w.buf = append(w.buf, p...)
	if i := bytes.LastIndexByte(w.buf, '\n'); i >= 0 {
		err := w.emit(w.buf[:i+1])
		w.buf = append(w.buf[:0], w.buf[i+1:]...)
		if err != nil {
			return 0, err
		}
	}
	for len(w.buf) > maxLine {
		if err := w.cutLong(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Flush passes on the buffered partial line, redacted.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	err := w.emit(w.buf)
	w.buf = w.buf[:0]
	return err
}

// Close flushes. The Writer does not own w and does not close it; it stays usable.
func (w *Writer) Close() error { return w.Flush() }

func (w *Writer) emit(p []byte) error {
	if _, err := w.w.Write(w.r.Bytes(p)); err != nil {
		return fmt.Errorf("redact: writing log output: %w", err)
	}
	return nil
}

// cutLong passes on the head of an over-long buffer. The cut goes at the last whitespace in the second half
// before the kept tail (base64 runs and header values never cross whitespace), else at the tail; then it
// moves off any match it would split: back to the match's start when that keeps the output flowing, else
// past its end. A match that reaches the end of the buffer may continue in the next write, so the rest of
// its value is dropped (absorb).
func (w *Writer) cutLong() error {
	m := w.r.matcher()
	keep := min(m.keep, len(w.buf)/2)
	cut := len(w.buf) - keep
	for i := cut - 1; i >= len(w.buf)/2; i-- {
		if c := w.buf[i]; c == ' ' || c == '\t' || c == '\r' {
			cut = i + 1
			break
		}
	}
	var spansBuf [16]span
	for _, sp := range find(m, w.buf, spansBuf[:0]) {
		if sp.start < cut && cut < sp.end {
			if sp.start >= len(w.buf)/4 {
				cut = sp.start
			} else {
				cut = sp.end
				w.absorb = cut == len(w.buf)
			}
			break
		}
	}
	err := w.emit(w.buf[:cut])
	w.buf = append(w.buf[:0], w.buf[cut:]...)
	return err
}

// skipValue drops the start of p up to the end of the value a previous cut left open.
func (w *Writer) skipValue(p []byte) []byte {
	for i, c := range p {
		if endsValue(c) {
			w.absorb = false
			return p[i:]
		}
	}
	return nil
}
