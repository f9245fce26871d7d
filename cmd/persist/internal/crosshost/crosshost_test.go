package crosshost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(worker(role))
	}
	os.Exit(m.Run())
}

// lease is the computation lock's lease in every store's URL: a killed
// holder keeps the others out for at most about this long.
const lease = 2 * time.Second

// slack is added to a store's documented bound on a takeover: the machine
// runs other work, and the test measures a bound, not a speed.
const slack = 5 * time.Second

// backend is a store's server, started on the server host.
type backend struct {
	name string
	// start starts the server in the namespace ns and returns the URL the
	// workers open, or skips t with the reason it cannot.
	start func(t *testing.T, ns string) string
	// bound is the store's documented bound on a takeover: from the
	// holder's death to a waiter's computation.
	bound time.Duration
}

func TestCrossHost(t *testing.T) {
	net := newNetwork(t, 3)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	backends := []backend{
		// The server's lease ends one time to live after the last renewal,
		// and the waiter's long poll on the server takes it at once.
		{"rest", startPersistServe, lease},
		// A lease after the last renewal, then a poll of at most 500 ms
		// (mongostore's documentation).
		{"mongodb", startFerretDB, lease + 500*time.Millisecond},
		// A lease, then a poll of at most 750 ms (redisstore's).
		{"redis", startRedis, lease + 750*time.Millisecond},
		// A lease, then a poll of at most 500 ms (s3store's).
		{"s3", startS3, lease + 500*time.Millisecond},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			url := b.start(t, net.server)
			runBackend(t, net, self, b, url)
		})
	}
}

// runBackend runs the scenario against one store.
func runBackend(t *testing.T, net *network, self string, b backend, url string) {
	logPath := filepath.Join(t.TempDir(), "computations")
	env := func(role, host string, extra ...string) []string {
		return append([]string{roleEnv + "=" + role, urlEnv + "=" + url, hostEnv + "=" + host, logEnv + "=" + logPath,
			// The S3 store's credentials, for the test's gateway.
			"AWS_ACCESS_KEY_ID=" + s3Access, "AWS_SECRET_ACCESS_KEY=" + s3Secret, "AWS_SESSION_TOKEN="}, extra...)
	}

	// Every worker memoises the same keys, all beginning at once.
	begin := time.Now().Add(500 * time.Millisecond)
	var workers []*process
	for _, ns := range net.workers {
		workers = append(workers, start(t, ns, env("memo", ns, startEnv+"="+strconv.FormatInt(begin.UnixNano(), 10)), self, "-test.run=^$"))
	}
	var first, total time.Duration
	for _, w := range workers {
		r := result(t, w)
		first, total = max(first, r.First), max(total, r.Total)
	}
	counts := computations(t, logPath)
	for k := range keys {
		if n := len(counts[k]); n != 1 {
			t.Errorf("key %d was computed %d times, by %v; want once", k, n, counts[k])
		}
	}
	t.Logf("%s: %d keys on %d hosts: the first key (all hosts missing it together, %v to compute) took %v; all keys %v",
		b.name, keys, len(workers), computeTime, first, total)

	// A worker dies in the middle of a computation; another host, waiting
	// for the key, takes it over once the lease expires.
	slow := start(t, net.workers[0], env("slow", net.workers[0]), self, "-test.run=^$")
	if _, err := slow.waitLine("computing", 60*time.Second); err != nil {
		t.Fatal(err)
	}
	taker := start(t, net.workers[1], env("take", net.workers[1]), self, "-test.run=^$")
	time.Sleep(200 * time.Millisecond) // the taker is waiting for the lease
	killed := time.Now()
	if err := slow.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-slow.done
	result(t, taker)
	by := computations(t, logPath)[slowKey]
	if len(by) != 2 || by[0].host != net.workers[0] || by[1].host != net.workers[1] {
		t.Fatalf("key %d was computed by %v; want by %s (killed) and then %s", slowKey, by, net.workers[0], net.workers[1])
	}
	takeover := by[1].at.Sub(killed)
	t.Logf("%s: after SIGKILL of the holder, another host took the key over in %v (lease %v, documented bound %v)", b.name, takeover, lease, b.bound)
	if takeover < 0 {
		t.Errorf("the taker computed the key %v before the holder was killed: the lease did not exclude it", -takeover)
	}
	if takeover > b.bound+slack {
		t.Errorf("the takeover took %v, more than the bound %v plus %v", takeover, b.bound, slack)
	}

	// Every entry reads back, from a third host, without a computation.
	before := computations(t, logPath)
	v := start(t, net.workers[2], env("verify", net.workers[2]), self, "-test.run=^$")
	result(t, v)
	if after := computations(t, logPath); !equalCounts(before, after) {
		t.Errorf("reading every entry back computed some again")
	}
}

// result waits for a worker to finish and returns its report, failing t
// if it failed, got a wrong result or logged a problem.
func result(t *testing.T, p *process) report {
	t.Helper()
	var last string
	timeout := time.After(2 * time.Minute)
	for done := false; !done; {
		select {
		case line, ok := <-p.lines:
			if !ok {
				done = true
				break
			}
			last = line
		case <-timeout:
			t.Fatalf("a worker did not finish in 2 minutes: %s", p.stderr.String())
		}
	}
	<-p.done
	var r report
	if err := json.Unmarshal([]byte(last), &r); err != nil || p.cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("worker %v: exit %d, last line %q (%v): %s", p.cmd.Args[3:], p.cmd.ProcessState.ExitCode(), last, err, p.stderr.String())
	}
	if len(r.Bad) > 0 {
		t.Errorf("worker on %s got wrong results for keys %v", r.Host, r.Bad)
	}
	if s := p.stderr.String(); strings.Contains(s, "from=persist") {
		t.Errorf("worker on %s logged problems: %s", r.Host, s)
	} else if s != "" {
		t.Logf("worker on %s logged: %s", r.Host, s)
	}
	return r
}

// computation is one line of the log: a host computed a key at a time.
type computation struct {
	host string
	at   time.Time
}

func (c computation) String() string { return c.host }

// computations reads the log of computations, by key, in the order they
// began.
func computations(t *testing.T, path string) map[int][]computation {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[int][]computation)
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("log line %q", line)
		}
		k, err1 := strconv.Atoi(f[0])
		ns, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("log line %q", line)
		}
		m[k] = append(m[k], computation{f[1], time.Unix(0, ns)})
	}
	for _, cs := range m {
		slices.SortFunc(cs, func(a, b computation) int { return a.at.Compare(b.at) })
	}
	return m
}

func equalCounts(a, b map[int][]computation) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if len(b[k]) != len(v) {
			return false
		}
	}
	return true
}

// build builds a package of the workspace into dir without the race
// detector, and returns the program's path.
func build(t *testing.T, dir, name, pkg string, args ...string) string {
	t.Helper()
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", append(append([]string{"build"}, args...), "-o", bin, pkg)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, out.Bytes())
	}
	return bin
}

// startPersistServe builds persist and serves a file store on the server
// host.
func startPersistServe(t *testing.T, ns string) string {
	dir := t.TempDir()
	bin := build(t, dir, "persist", "github.com/gopersist/persist/cmd/persist")
	addr := serverAddr + ":5000"
	p := start(t, ns, nil, bin, "serve", "--addr", addr, "--store", "file://"+filepath.Join(dir, "store")+"/",
		"--access-log=false", "--metrics=false", "--ui=false")
	if _, err := p.waitLine("listening on", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("http://%s/persist?lease=%v", addr, lease)
}

// ferretPackage is FerretDB's server program, from the MongoDB store's
// tests.
const ferretPackage = "github.com/gopersist/persist/stores/mongostore/internal/ferretserver"

// startFerretDB builds FerretDB's server and starts it on the server host.
func startFerretDB(t *testing.T, ns string) string {
	dir := t.TempDir()
	// The MongoDB store's tests and the persist command's build it too:
	// the lock lets one build find another's work in the build cache
	// instead of compiling SQLite at the same time.
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "persist-ferretserver-build.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	bin := build(t, dir, "ferretserver", ferretPackage, "-tags", "ferretdb_no_postgresql")
	_ = lock.Close()
	addr := serverAddr + ":27017"
	p := start(t, ns, nil, bin, "-dir", dir, "-addr", addr)
	if _, err := p.waitLine("listening on", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("mongodb://%s/crosshost?lease=%v", addr, lease)
}

// startRedis starts Debian's redis-server on the server host, keeping
// nothing on disk.
func startRedis(t *testing.T, ns string) string {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		skipOrFail(t, "no redis-server (apt-get install redis-server): %v", err)
	}
	dir := t.TempDir()
	p := start(t, ns, nil, bin, "--bind", serverAddr, "--port", "6379", "--save", "", "--appendonly", "no", "--dir", dir,
		// Clients come from the worker hosts, not loopback, and the server
		// has no password: protected mode would refuse them.
		"--protected-mode", "no")
	if _, err := p.waitLine("Ready to accept connections", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("redis://%s:6379/0?lease=%v", serverAddr, lease)
}

// The S3 gateway's root account, which the workers' S3 store signs with.
const (
	s3Access = "crosshost-access"
	s3Secret = "crosshost-secret-key"
)

// s3Package is the S3 store's test server as a program of its own
// (versitygw over a directory).
const s3Package = "github.com/gopersist/persist/stores/s3store/internal/s3server/s3serverd"

// startS3 builds the S3 store's test server and starts it on the server
// host, with the bucket the workers use.
func startS3(t *testing.T, ns string) string {
	dir := t.TempDir()
	bin := build(t, dir, "s3serverd", s3Package)
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := serverAddr + ":9000"
	keys := []string{"AWS_ACCESS_KEY_ID=" + s3Access, "AWS_SECRET_ACCESS_KEY=" + s3Secret}
	p := start(t, ns, keys, bin, "-dir", data, "-addr", addr, "-bucket", "crosshost")
	if _, err := p.waitLine("listening on", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("s3://crosshost/persist?endpoint=http://%s&region=us-east-1&lease=%v", addr, lease)
}
