// Package s3server runs an S3-compatible server inside the current process
// for the s3store tests: versitygw's S3 API over its posix backend, which
// keeps each bucket as a directory and each object as a file.
//
// The posix backend resolves object paths against the process's working
// directory, which it changes to its root: a process therefore holds one
// [Backend], and every [Server] of the process serves that one directory.
// Several servers over one backend are how a test stops "the server" while
// the data stays, and starts it again on the same address.
package s3server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/versity/versitygw/auth"
	"github.com/versity/versitygw/backend"
	"github.com/versity/versitygw/backend/meta"
	"github.com/versity/versitygw/backend/posix"
	"github.com/versity/versitygw/s3api"
	"github.com/versity/versitygw/s3api/middlewares"
)

// Region is the region the servers report and check in signatures.
const Region = "us-east-1"

// The limits handed to the concurrency limiter. Without the limiter the
// gateway's request semaphore has room for none, and every request is
// answered 503 SlowDown.
const (
	maxConnections = 1024
	maxRequests    = 1024
)

var (
	backendMu  sync.Mutex
	backendDir string
	theBackend backend.Backend
)

// Backend returns the process's posix backend over dir, creating it on the
// first call. A later call with another directory is an error.
func Backend(dir string) (backend.Backend, error) {
	backendMu.Lock()
	defer backendMu.Unlock()
	if theBackend != nil {
		if dir != backendDir {
			return nil, fmt.Errorf("s3server: the process already serves %s; the posix backend cannot serve a second directory", backendDir)
		}
		return theBackend, nil
	}
	be, err := posix.New(dir, meta.XattrMeta{}, posix.PosixOpts{NewDirPerm: 0o755})
	if err != nil {
		return nil, fmt.Errorf("s3server: posix backend over %s: %w", dir, err)
	}
	theBackend, backendDir = be, dir
	return be, nil
}

// Server is one S3 API endpoint on loopback.
type Server struct {
	// Addr is the host:port the server listens on.
	Addr string
	// Endpoint is Addr as an http:// URL.
	Endpoint string

	api  *s3api.S3ApiServer
	done chan error

	stopOnce sync.Once
	stopErr  error
}

// Start serves be on addr ("127.0.0.1:0" for a free port) with one root
// account, and returns once the server answers TCP connections.
func Start(be backend.Backend, addr, access, secret string) (*Server, error) {
	if addr == "" || addr == "127.0.0.1:0" {
		free, err := freePort()
		if err != nil {
			return nil, err
		}
		addr = free
	}
	listening := make(chan struct{})
	var once sync.Once
	api, err := s3api.New(be,
		middlewares.RootUserConfig{Access: access, Secret: secret},
		Region,
		auth.NewIAMServiceSingle(auth.Account{Access: access, Secret: secret, Role: auth.RoleAdmin}),
		nil, nil, nil, nil,
		s3api.WithConcurrencyLimiter(maxConnections, maxRequests),
		s3api.WithQuiet(),
		s3api.WithKeepAlive(),
		s3api.WithOnListen(func() { once.Do(func() { close(listening) }) }),
	)
	if err != nil {
		return nil, fmt.Errorf("s3server: %w", err)
	}
	s := &Server{Addr: addr, Endpoint: "http://" + addr, api: api, done: make(chan error, 1)}
	go func() { s.done <- api.ServeMultiPort([]string{addr}) }()
	select {
	case <-listening:
	case err := <-s.done:
		return nil, fmt.Errorf("s3server: serving on %s: %v", addr, err)
	case <-time.After(30 * time.Second):
		_ = api.ShutDown()
		return nil, fmt.Errorf("s3server: no listener on %s after 30 s", addr)
	}
	if err := waitTCP(addr); err != nil {
		_ = api.ShutDown()
		return nil, err
	}
	return s, nil
}

// Stop shuts the server down; the backend's data stays. A second Stop
// does nothing.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.stopErr = s.api.ShutDown()
		<-s.done
	})
	return s.stopErr
}

// freePort returns a loopback address whose port was free a moment ago:
// the gateway takes a port specification, not a listener.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("s3server: finding a free port: %w", err)
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// waitTCP waits until addr accepts connections.
func waitTCP(addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("s3server: %s does not accept connections: %w", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ErrNoDir reports a directory that cannot hold the backend's data.
var ErrNoDir = errors.New("s3server: no data directory")

// Probe checks that dir supports the extended attributes the posix backend
// keeps object metadata in, so that a test can say why it cannot start a
// server instead of failing on the first request.
func Probe(ctx context.Context, dir string) error {
	_ = ctx
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("%w: %s", ErrNoDir, dir)
	}
	return meta.XattrMeta{}.Test(dir)
}
