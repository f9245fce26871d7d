package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
)

func init() {
	stores.Register("redis", openDriver)
	stores.Register("rediss", openDriver)
}

// Open opens the store that rawURL names (see the package documentation),
// after checking that the server answers: the same as stores.Open of
// rawURL once this package is imported.
func Open(ctx context.Context, rawURL string) (*stores.Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error quotes the whole URL, password and all.
		return nil, &stores.OpError{Op: "open", Store: redactRaw(rawURL),
			Err: errors.New("not a URL of the form redis://[user:password@]host:port[,host:port...]/[db][?options]")}
	}
	d, err := openDriver(ctx, u)
	if err != nil {
		return nil, err
	}
	return stores.NewStore(d, rawURL), nil
}

// redactRaw hides the user information of a URL that does not parse.
func redactRaw(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return "(a URL that does not parse)"
	}
	authority, path, _ := strings.Cut(rest, "/")
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		authority = "xxxxx" + authority[i:]
	}
	if path != "" {
		path = "/" + path
	}
	return scheme + "://" + authority + path
}

// redisDriver is the driver.Store on one Redis server or cluster.
type redisDriver struct {
	c   redis.UniversalClient
	cfg config
	url string // for logs: the URL without its password

	// named are the funcnames this handle has put in the set of funcnames
	// before a write (see Write): once each, not on every Put.
	named sync.Map

	mu     sync.Mutex // orders lease renewers' wg.Add before Close's wg.Wait
	closed atomic.Bool
	done   chan struct{} // closed by Close: stops lease renewals
	wg     sync.WaitGroup
}

// openDriver is the stores.OpenFunc of both schemes.
func openDriver(ctx context.Context, u *url.URL) (driver.Store, error) {
	name := stores.Redact(u.String())
	fail := func(code driver.Code, err error) error {
		return &stores.OpError{Op: "open", Store: name, Code: code, Err: err}
	}
	cfg, err := parseURL(u)
	if err != nil {
		return nil, fail(driver.Unknown, err)
	}
	d := &redisDriver{cfg: cfg, url: name, done: make(chan struct{})}
	if cfg.cluster {
		d.c = redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:                    cfg.addrs,
			Username:                 cfg.username,
			Password:                 cfg.password,
			TLSConfig:                cfg.tls,
			DialTimeout:              cfg.timeout,
			ReadTimeout:              cfg.timeout,
			WriteTimeout:             cfg.timeout,
			ContextTimeoutEnabled:    true,
			DisableIdentity:          true,
			MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		})
	} else {
		d.c = redis.NewClient(&redis.Options{
			Addr:                     cfg.addrs[0],
			Username:                 cfg.username,
			Password:                 cfg.password,
			DB:                       cfg.db,
			TLSConfig:                cfg.tls,
			DialTimeout:              cfg.timeout,
			ReadTimeout:              cfg.timeout,
			WriteTimeout:             cfg.timeout,
			ContextTimeoutEnabled:    true,
			DisableIdentity:          true,
			MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		})
	}
	if err := d.c.Ping(ctx).Err(); err != nil {
		_ = d.c.Close()
		return nil, fail(d.ErrorCode(err), err)
	}
	return d, nil
}

// NameRules implements [driver.Store]: Redis keys hold any bytes, and the
// funcname is escaped inside its hash tag, so every name that
// stores.ValidName accepts is kept.
func (d *redisDriver) NameRules() driver.NameRules { return driver.NameRules{} }

// Errors of the driver's own.
var (
	errNotFound = errors.New("no such record")
	errClosed   = errors.New("the store was closed")
)

// TooLargeError reports a record larger than the store's maxrecord=.
type TooLargeError struct {
	Size, Max int64
}

// Error implements the error interface.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the record is %d bytes, more than the store's limit of %d (maxrecord=)", e.Size, e.Max)
}

// ErrorCode implements [driver.Store].
func (d *redisDriver) ErrorCode(err error) driver.Code {
	var tl *TooLargeError
	switch {
	case errors.Is(err, redis.Nil), errors.Is(err, errNotFound):
		return driver.NotFound
	case errors.As(err, &tl):
		return driver.TooLarge
	case errors.Is(err, errClosed):
		return driver.Closed
	case unavailable(err):
		return driver.Unavailable
	}
	return driver.Unknown
}

// unavailable reports errors that trying again later may cure: the server
// cannot be reached, the connection broke, or the server refused for now
// (loading its data, a cluster without a quorum or between failovers,
// out of memory, busy with a script).
func unavailable(err error) bool {
	var ne net.Error
	switch {
	case errors.As(err, &ne),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrClosed),
		redis.IsLoadingError(err), redis.IsClusterDownError(err), redis.IsTryAgainError(err),
		redis.IsMasterDownError(err), redis.IsMaxClientsError(err), redis.IsOOMError(err),
		redis.IsReadOnlyError(err), redis.IsNoReplicasError(err),
		redis.HasErrorPrefix(err, "BUSY"):
		return true
	}
	// The cluster client reports a cluster it cannot map yet this way.
	return err != nil && strings.Contains(err.Error(), "cluster has no nodes")
}

// As implements [driver.As]: a *redis.UniversalClient receives the
// store's client, for callers who know the backend.
func (d *redisDriver) As(target any) bool {
	if c, ok := target.(*redis.UniversalClient); ok {
		*c = d.c
		return true
	}
	return false
}

// Close implements [driver.Store]. It stops renewing the leases the handle
// holds, which then expire on their own, and closes the connections.
func (d *redisDriver) Close() error {
	d.mu.Lock()
	d.closed.Store(true)
	close(d.done)
	d.mu.Unlock()
	d.wg.Wait()
	return d.c.Close()
}
