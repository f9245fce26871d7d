package crosshost

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopersist/persist/stores/storetest"
)

// serverAddr is the server host's address on the bridge; worker host i
// (from 1) is 10.77.0.(10+i). The subnet is the same in every run: each
// run's namespaces are a network of their own.
const serverAddr = "10.77.0.1"

// network is a server host and worker hosts, each a network namespace
// with its loopback up; each worker host has a veth pair whose other end
// is in the server host, on a bridge there.
type network struct {
	server  string
	workers []string
}

// skipOrFail skips t with the reason, or fails it under CI=true.
var skipOrFail = storetest.Missing

// ip runs iproute2's ip with args.
func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// newNetwork makes the hosts, named uniquely for this run, and removes
// them when t ends, whatever happened.
func newNetwork(t *testing.T, workers int) *network {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "making network namespaces needs root (euid %d)", os.Geteuid())
	}
	if _, err := exec.LookPath("ip"); err != nil {
		skipOrFail(t, "making network namespaces needs iproute2's ip: %v", err)
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	n := &network{server: "persist-srv-" + id}
	if err := ip("netns", "add", n.server); err != nil {
		skipOrFail(t, "cannot make a network namespace: %v", err)
	}
	t.Cleanup(func() { _ = ip("netns", "del", n.server) })
	setup := [][]string{
		{"-n", n.server, "link", "set", "lo", "up"},
		{"-n", n.server, "link", "add", "br0", "type", "bridge"},
		{"-n", n.server, "addr", "add", serverAddr + "/24", "dev", "br0"},
		{"-n", n.server, "link", "set", "br0", "up"},
	}
	for i := 1; i <= workers; i++ {
		w := fmt.Sprintf("persist-w%d-%s", i, id)
		if err := ip("netns", "add", w); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ip("netns", "del", w) })
		n.workers = append(n.workers, w)
		veth := fmt.Sprintf("veth%d", i)
		setup = append(setup,
			[]string{"-n", n.server, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", w},
			[]string{"-n", n.server, "link", "set", veth, "master", "br0", "up"},
			[]string{"-n", w, "link", "set", "lo", "up"},
			[]string{"-n", w, "addr", "add", fmt.Sprintf("10.77.0.%d/24", 10+i), "dev", "eth0"},
			[]string{"-n", w, "link", "set", "eth0", "up"},
		)
	}
	for _, args := range setup {
		if err := ip(args...); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// process is a program running in a host.
type process struct {
	cmd    *exec.Cmd
	stdin  io.Closer
	lines  chan string // standard output, a line at a time
	stderr *syncBuffer
	done   chan struct{}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs argv in the namespace ns with env added to the environment,
// and kills it when t ends if it still runs. ip netns exec execs the
// program in its own process, so the process is the program.
func start(t *testing.T, ns string, env []string, argv ...string) *process {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	cmd.Env = append(os.Environ(), env...)
	// Standard input stays open while the process runs: FerretDB's
	// server exits when it closes.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{stdin: stdin, cmd: cmd, lines: make(chan string, 64), stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // nobody reads what a server logs
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(p.lines)
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

// kill ends the process at once and waits for it.
func (p *process) kill() {
	_ = p.cmd.Process.Kill()
	_ = p.stdin.Close()
	<-p.done
}

// waitLine waits up to d for a line of standard output that contains s.
func (p *process) waitLine(s string, d time.Duration) (string, error) {
	timeout := time.After(d)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				return "", fmt.Errorf("%s exited without printing %q: %s", p.cmd.Args[3], s, p.stderr.String())
			}
			if strings.Contains(line, s) {
				return line, nil
			}
		case <-timeout:
			return "", fmt.Errorf("%s did not print %q within %v: %s", p.cmd.Args[3], s, d, p.stderr.String())
		}
	}
}
