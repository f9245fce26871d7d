package redisstore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/storetest"
)

// Environment variables that point the tests at servers of one's own
// instead of those the tests start: a single server, and a cluster.
const (
	urlEnv        = "PERSIST_TEST_REDIS_URL"
	clusterURLEnv = "PERSIST_TEST_REDIS_CLUSTER_URL"
)

var (
	// serverURL is the single server every test shares, or "" when none
	// started; serverErr says why.
	serverURL string
	serverErr error
	// tmpDir holds the servers' files.
	tmpDir string
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "redisstore-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	tmpDir = dir
	// The tests kill servers on purpose; the client would log every failed
	// dial of theirs.
	redis.SetLogger(quiet{})
	defer stopServers()
	if u := os.Getenv(urlEnv); u != "" {
		serverURL = u
		return m.Run()
	}
	srv, err := startServer(filepath.Join(dir, "single"), 0)
	if err != nil {
		serverErr = err
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "redisstore tests: no Redis server: %v\n", err)
			return 1
		}
	} else {
		serverURL = "redis://" + srv.addr + "/0"
	}
	return m.Run()
}

// noServer skips t, or fails it under CI=true, because no server could be
// started.
func noServer(t testing.TB, why error) {
	t.Helper()
	storetest.Missing(t, "no Redis server (install redis-server, or set %s): %v", urlEnv, why)
}

// needServer returns the shared server's URL, skipping t without one.
func needServer(t testing.TB) string {
	t.Helper()
	if serverURL == "" {
		noServer(t, serverErr)
	}
	return serverURL
}

// redisServer is a redis-server process on loopback that this test
// process started.
type redisServer struct {
	addr string
	port int
	dir  string
	args []string
	tls  *tls.Config // for a server that speaks only TLS
	cmd  *exec.Cmd
	done chan struct{}
}

var (
	serversMu sync.Mutex
	servers   []*redisServer
)

// startServer starts redis-server on port (0 for a free one) with its
// files in dir and no persistence, and waits until it answers.
func startServer(dir string, port int, extra ...string) (*redisServer, error) {
	return startServerTLS(dir, port, nil, extra...)
}

// startServerTLS is startServer for a server that speaks TLS with tlsConf;
// extra then holds its --tls options.
func startServerTLS(dir string, port int, tlsConf *tls.Config, extra ...string) (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server is not installed (apt-get install redis-server): %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var lastErr error
	for range 5 { // a free port may be taken before the server binds it
		p := port
		if p == 0 {
			if p, err = freePort(); err != nil {
				return nil, err
			}
		}
		s := &redisServer{port: p, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), dir: dir, tls: tlsConf}
		portFlags := []string{"--port", strconv.Itoa(p)}
		if tlsConf != nil {
			portFlags = []string{"--port", "0", "--tls-port", strconv.Itoa(p)}
		}
		s.args = append([]string{"--save", "", "--appendonly", "no", portFlags[0], portFlags[1],
			"--bind", "127.0.0.1", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log")}, portFlags[2:]...)
		s.args = append(s.args, extra...)
		if lastErr = s.start(bin); lastErr == nil {
			return s, nil
		}
		if port != 0 {
			break
		}
	}
	return nil, lastErr
}

func (s *redisServer) start(bin string) error {
	s.cmd = exec.Command(bin, s.args...)
	// The server dies with the test process, however that ends.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.done = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	serversMu.Lock()
	servers = append(servers, s)
	serversMu.Unlock()
	c := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1, DisableIdentity: true, TLSConfig: s.tls})
	defer c.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := c.Ping(context.Background()).Err()
		var reply redis.Error
		if err == nil || errors.As(err, &reply) && !redis.IsLoadingError(err) {
			return nil // any reply but LOADING (NOAUTH, say) is a server ready to serve
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			return fmt.Errorf("redis-server %s exited: %s", strings.Join(s.args, " "), lastLines(string(log), 5))
		default:
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("redis-server on %s does not answer: %w", s.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill stops the server at once, as a crash would.
func (s *redisServer) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// restart starts the server again on the same port, with no data.
func (s *redisServer) restart() error {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return err
	}
	return s.start(bin)
}

func stopServers() {
	serversMu.Lock()
	defer serversMu.Unlock()
	for _, s := range servers {
		s.kill()
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ownServer starts a server for one test alone, which the test may kill.
func ownServer(t testing.TB, extra ...string) *redisServer {
	t.Helper()
	s, err := startServer(t.TempDir(), 0, extra...)
	if err != nil {
		noServer(t, err)
	}
	t.Cleanup(s.kill)
	return s
}

// clusterURL starts, once, a three-node Redis Cluster that the tests share
// and returns a URL listing its nodes.
var clusterURL = sync.OnceValues(func() (string, error) {
	if u := os.Getenv(clusterURLEnv); u != "" {
		return u, nil
	}
	nodes, err := startCluster(filepath.Join(tmpDir, "cluster"))
	if err != nil {
		return "", err
	}
	return nodesURL(nodes), nil
})

// nodesURL is the store URL of a cluster's nodes.
func nodesURL(nodes []*redisServer) string {
	addrs := make([]string, len(nodes))
	for i, n := range nodes {
		addrs[i] = n.addr
	}
	return "redis://" + strings.Join(addrs, ",") + "/"
}

// startCluster starts three redis-servers in cluster mode under dir, joins
// them with redis-cli --cluster create, and waits until every node sees
// every slot served.
func startCluster(dir string) ([]*redisServer, error) {
	var nodes []*redisServer
	var addrs []string
	for i := range 3 {
		d := filepath.Join(dir, fmt.Sprintf("node%d", i))
		s, err := startServer(d, 0, "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(d, "nodes.conf"), "--cluster-node-timeout", "5000")
		if err != nil {
			for _, n := range nodes {
				n.kill()
			}
			return nil, err
		}
		nodes = append(nodes, s)
		addrs = append(addrs, s.addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a, DisableIdentity: true})
		for {
			info, err := c.ClusterInfo(context.Background()).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				c.Close()
				return nil, fmt.Errorf("the cluster on %v is not ready: %q %v", addrs, info, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		c.Close()
	}
	return nodes, nil
}

// needCluster returns the cluster's URL, skipping t without one.
func needCluster(t testing.TB) string {
	t.Helper()
	u, err := clusterURL()
	if err != nil {
		noServer(t, err)
	}
	return u
}

// withOptions adds query options, given as name, value pairs, to a store
// URL.
func withOptions(t testing.TB, base string, opts ...string) string {
	t.Helper()
	q := url.Values{}
	for i := 0; i+1 < len(opts); i += 2 {
		q.Set(opts[i], opts[i+1])
	}
	return storetest.WithQuery(t, base, q)
}

// openStore opens rawURL, failing t on error, and closes it when t ends.
func openStore(t testing.TB, rawURL string) *stores.Store {
	t.Helper()
	return storetest.OpenURL(t, Open, rawURL)
}

// rawClient is a plain client on the store's server, for looking at keys.
func rawClient(t testing.TB, st *stores.Store) redis.UniversalClient {
	t.Helper()
	var c redis.UniversalClient
	if !st.As(&c) {
		t.Fatal("As(*redis.UniversalClient) = false")
	}
	return c
}

// testDriver returns the store's driver.
func testDriver(t testing.TB, st *stores.Store) *redisDriver {
	t.Helper()
	var x driverStore
	if !st.As(&x) {
		t.Fatal("As(*driver.Store) = false")
	}
	d, ok := x.(*redisDriver)
	if !ok {
		t.Fatalf("the driver is a %T", x)
	}
	return d
}

// quiet is a go-redis logger that drops everything.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
