package redisstore

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Defaults for what the URL leaves out.
const (
	// DefaultPrefix begins every key the store writes, without ?prefix=.
	DefaultPrefix = "persist"
	// DefaultLease is how long a computation lock outlives a holder that
	// stopped renewing it, without ?lease=.
	DefaultLease = 30 * time.Second
	// MinLease is the shortest lease accepted: a lease must outlast a few
	// round trips to the server, or holders would lose it while renewing.
	MinLease = 500 * time.Millisecond
	// DefaultChunkSize is the size of the chunks that a large part of a
	// record is written as, without ?chunk=. Redis holds at most 512 MB in
	// one value, and a smaller command keeps other clients of the server
	// from waiting behind one large one.
	DefaultChunkSize = 4 << 20
	// InlineMax is the largest part of a record kept inline, in the
	// record's hash, written by the commit script itself; a larger one is
	// written as chunks with plain SETs first. A script copies its
	// arguments: a 16 MiB result put inline took 124 ms, as 4 MiB chunks
	// 10 ms.
	InlineMax = 256 << 10
	// MinChunkSize and MaxChunkSize bound ?chunk=.
	MinChunkSize = 1 << 10
	MaxChunkSize = 256 << 20
	// DefaultMaxRecord is the largest record (result, key and metadata
	// together) the store writes, without ?maxrecord=; a larger one is
	// refused with an error wrapping stores.ErrTooLarge. Redis keeps every
	// byte in memory.
	DefaultMaxRecord = 1 << 30
	// DefaultTimeout bounds dialling the server and each read or write on
	// the connection, without ?timeout=.
	DefaultTimeout = 5 * time.Second
	// defaultPort is Redis's port.
	defaultPort = "6379"
)

// config is what Open takes from the URL.
type config struct {
	addrs     []string
	cluster   bool
	username  string
	password  string
	db        int
	tls       *tls.Config
	prefix    string
	lease     time.Duration
	chunk     int
	maxRecord int64
	timeout   time.Duration
}

// ownOptions are the query parameters the URL may carry.
var ownOptions = []string{"addr", "cluster", "prefix", "lease", "chunk", "maxrecord", "timeout", "ca", "servername", "insecure"}

// parseURL reads a redis:// or rediss:// URL; see the package documentation.
// Its errors never hold the password.
func parseURL(u *url.URL) (config, error) {
	c := config{prefix: DefaultPrefix, lease: DefaultLease, chunk: DefaultChunkSize,
		maxRecord: DefaultMaxRecord, timeout: DefaultTimeout}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "redis" && scheme != "rediss" {
		return c, fmt.Errorf("scheme %q is not redis or rediss", u.Scheme)
	}
	if u.Opaque != "" {
		return c, errors.New("the URL has no //host part")
	}
	if u.User != nil {
		c.username = u.User.Username()
		c.password, _ = u.User.Password()
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, fmt.Errorf("bad query: %w", err)
	}
	for k := range q {
		known := false
		for _, o := range ownOptions {
			known = known || k == o
		}
		if !known {
			return c, fmt.Errorf("unknown option %q (known: %s)", k, strings.Join(ownOptions, ", "))
		}
	}
	last := func(k string) (string, bool) {
		vs, ok := q[k]
		if !ok {
			return "", false
		}
		return vs[len(vs)-1], true
	}

	var hosts []string
	if u.Host != "" {
		hosts = strings.Split(u.Host, ",")
	}
	hosts = append(hosts, q["addr"]...)
	if len(hosts) == 0 {
		return c, errors.New("the URL names no server")
	}
	for _, h := range hosts {
		addr, err := hostPort(h)
		if err != nil {
			return c, err
		}
		c.addrs = append(c.addrs, addr)
	}
	c.cluster = len(c.addrs) > 1
	if v, ok := last("cluster"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("cluster=%q is not true or false", v)
		}
		if !b && len(c.addrs) > 1 {
			return c, errors.New("cluster=false with more than one address")
		}
		c.cluster = b
	}

	switch p := strings.Trim(u.Path, "/"); {
	case p == "":
	default:
		db, err := strconv.Atoi(p)
		if err != nil || db < 0 {
			return c, fmt.Errorf("path %q is not a database number", u.Path)
		}
		if db != 0 && c.cluster {
			return c, fmt.Errorf("database %d: a Redis Cluster has only database 0", db)
		}
		c.db = db
	}

	if v, ok := last("prefix"); ok {
		if v == "" || strings.ContainsAny(v, "{}") {
			return c, fmt.Errorf("prefix=%q is empty or holds '{' or '}', which would move keys between cluster slots", v)
		}
		c.prefix = v
	}
	if v, ok := last("lease"); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < MinLease {
			return c, fmt.Errorf("lease=%q is not a duration of at least %v, such as 30s", v, MinLease)
		}
		c.lease = d
	}
	if v, ok := last("timeout"); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("timeout=%q is not a positive duration, such as 5s", v)
		}
		c.timeout = d
	}
	if v, ok := last("chunk"); ok {
		n, err := parseSize(v)
		if err != nil || n < MinChunkSize || n > MaxChunkSize {
			return c, fmt.Errorf("chunk=%q is not a size from %d to %d bytes, such as 16MiB", v, MinChunkSize, MaxChunkSize)
		}
		c.chunk = int(n)
	}
	if v, ok := last("maxrecord"); ok {
		n, err := parseSize(v)
		if err != nil || n < 1 {
			return c, fmt.Errorf("maxrecord=%q is not a positive size, such as 1GiB", v)
		}
		c.maxRecord = n
	}

	_, hasCA := last("ca")
	_, hasName := last("servername")
	_, hasInsecure := last("insecure")
	if scheme == "redis" {
		if hasCA || hasName || hasInsecure {
			return c, errors.New("ca=, servername= and insecure= need the rediss:// scheme")
		}
		return c, nil
	}
	host, _, _ := net.SplitHostPort(c.addrs[0])
	c.tls = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	if v, ok := last("servername"); ok {
		c.tls.ServerName = v
	}
	if v, ok := last("insecure"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("insecure=%q is not true or false", v)
		}
		c.tls.InsecureSkipVerify = b
	}
	if v, ok := last("ca"); ok {
		pem, err := os.ReadFile(v)
		if err != nil {
			return c, fmt.Errorf("ca=: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return c, fmt.Errorf("ca=%q holds no PEM certificate", v)
		}
		c.tls.RootCAs = pool
	}
	return c, nil
}

// hostPort checks one address and adds Redis's port when it has none.
func hostPort(h string) (string, error) {
	if h == "" {
		return "", errors.New("an empty address in the list of servers")
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		// No port: the whole is a host name or a bracketed IPv6 address.
		host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), defaultPort
	}
	if host == "" || strings.ContainsAny(host, "/@ ") {
		return "", fmt.Errorf("address %q is not host[:port]", h)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("address %q has no valid port", h)
	}
	return net.JoinHostPort(host, port), nil
}

// parseSize reads a byte count: a number with an optional suffix KiB, MiB
// or GiB (or K, M, G, meaning the same powers of two).
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, suf := range []struct {
		s string
		m int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if rest, ok := strings.CutSuffix(s, suf.s); ok {
			s, mult = rest, suf.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return n * mult, nil
}
