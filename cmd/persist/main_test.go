package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the persist command built for the tests, by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "persist-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "persist")
	// Without -race, even when the tests have it: the command's packages are
	// race-tested in process, and a race-built binary made this package's
	// tests take 106 s instead of 19 s (it starts slowly, and serves the
	// conformance suite's 16 MiB records slowly).
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building persist:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// tail keeps the last bytes written to it, for failure messages: a server's
// access log may be long.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 16 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.buf) > tailSize {
		return string(t.buf[len(t.buf)-tailSize:])
	}
	return string(t.buf)
}

// serverProc is a running persist serve.
type serverProc struct {
	cmd    *exec.Cmd
	url    string // http://127.0.0.1:PORT/persist
	stderr *tail
	done   chan error // Wait's result
}

// startServer runs persist serve on a free loopback port with the extra
// arguments, and returns once it listens. It is killed when t ends unless
// stopped before.
func startServer(t testing.TB, args ...string) *serverProc {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serverProc{cmd: cmd, stderr: &tail{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting persist serve: %v", err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				urls <- u
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	select {
	case p.url = <-urls:
		return p
	case err := <-p.done:
		p.done <- err
		t.Fatalf("persist serve exited before listening: %v\n%s", err, p.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("persist serve did not say where it listens within 30s\n%s", p.stderr)
	}
	return nil
}

// stop sends SIGTERM and checks that the server exits 0 in good time.
func (p *serverProc) stop(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("persist serve exited with %v after SIGTERM, want 0\n%s", err, p.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("persist serve did not exit within 30s of SIGTERM\n%s", p.stderr)
	}
	if log := p.stderr.String(); !strings.Contains(log, "msg=stopped") {
		t.Errorf("persist serve's log does not end with a clean stop:\n%s", log)
	}
}
