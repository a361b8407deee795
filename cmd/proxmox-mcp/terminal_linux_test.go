package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// TestNoteTerminal: the stdio server's note for a person is printed when stdin is a terminal (a pty here), and
// not for /dev/null, which is a character device too (systemd's StandardInput=null), nor for a pipe.
func TestNoteTerminal(t *testing.T) {
	const note = "this is an MCP stdio server: it is waiting for an MCP client"
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, f := range map[string]*os.File{"/dev/null": devNull, "a pipe": r} {
		var b bytes.Buffer
		noteTerminal(f, &b, true)
		if b.Len() != 0 {
			t.Errorf("%s: a note for a terminal: %s", name, b.String())
		}
	}
	_, pty := openPTY(t)
	var b bytes.Buffer
	noteTerminal(pty, &b, true)
	if !strings.Contains(b.String(), note) || !strings.Contains(b.String(), "proxmox-mcp --demo call proxmox_list_vms") {
		t.Errorf("a terminal: %q", b.String())
	}
}

func TestStdioServerAtATerminalSaysWhatItIs(t *testing.T) {
	// A pseudo-terminal as stdin, with an end of file typed on it (Ctrl-D): the server says what it is, reads the
	// end of its input and stops.
	master, terminal := openPTY(t)
	if _, err := master.Write([]byte{4}); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runWith(nil, terminal, "--demo")
	if code != 0 || !strings.Contains(errs, "this is an MCP stdio server: it is waiting for an MCP client") ||
		!strings.Contains(errs, "proxmox-mcp --demo call proxmox_list_vms") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if out != "" {
		t.Errorf("stdout is the protocol's: %q", out)
	}
	// Stopping at once is not a failure to reach Proxmox.
	if strings.Contains(errs, "Proxmox not reached") {
		t.Errorf("a server stopped by end of input warns that Proxmox was not reached: %q", errs)
	}
	// /dev/null is a character device, but no terminal (systemd's StandardInput=null): nothing of the kind.
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if _, _, errs := runWith(nil, null, "--demo"); strings.Contains(errs, "MCP stdio server") {
		t.Errorf("stdin /dev/null got the note: %q", errs)
	}
	// From a pipe, as an MCP client starts it, nothing of the kind.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pw.Close()
	defer pr.Close()
	if _, _, errs := runWith(nil, pr, "--demo"); strings.Contains(errs, "MCP stdio server") {
		t.Errorf("a piped stdin got the note: %q", errs)
	}
}

// openPTY opens a new pseudo-terminal, its controlling side and its terminal side, or skips the test where
// there is none.
func openPTY(t *testing.T) (master, terminal *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Skipf("TIOCGPTN: %v", e)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Skipf("TIOCSPTLCK: %v", e)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open the pty: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}
