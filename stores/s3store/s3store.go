package s3store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
)

func init() {
	stores.Register("s3", func(ctx context.Context, u *url.URL) (driver.Store, error) {
		opts, err := parseURL(u)
		if err != nil {
			return nil, err
		}
		return openDriver(ctx, opts, redact(u))
	})
}

// Defaults of the URL's options.
const (
	// DefaultLease is how long a computation lock outlives a holder that
	// stopped renewing it.
	DefaultLease = 30 * time.Second
	// MinLease is the shortest lease accepted: renewals every third of it
	// must fit in the time a request takes.
	MinLease = time.Second
	// DefaultRetries is how many times the client retries a request that
	// failed for a reason worth retrying (a refused connection, a 503)
	// before the store reports ErrUnavailable.
	DefaultRetries = 3
)

// Options say which bucket, prefix and server a store uses. The zero
// values of the optional fields mean the defaults.
type Options struct {
	// Bucket is the bucket's name. Required.
	Bucket string
	// Prefix is prepended to every object key, with a '/' after it when it
	// is not empty.
	Prefix string
	// Endpoint is the server's URL, http:// or https://; empty means
	// Amazon S3 in Region.
	Endpoint string
	// Region is the bucket's region; empty means us-east-1 for another
	// endpoint and the bucket's own region on Amazon S3.
	Region string
	// PathStyle addresses the bucket as a path (https://host/bucket/key)
	// instead of a host name (https://bucket.host/key). It is the default
	// for an Endpoint; Amazon S3 takes either.
	PathStyle bool
	// Lease is how long a computation lock outlives a holder that died;
	// zero means DefaultLease.
	Lease time.Duration
	// Retries is how often a failing request is retried; zero means
	// DefaultRetries, a negative value none.
	Retries int
	// Credentials sign the requests; nil means the usual AWS sources, in
	// order: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with
	// AWS_SESSION_TOKEN), then the shared credentials file
	// (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, profile
	// AWS_PROFILE), then, on Amazon S3 only, the instance or container role.
	Credentials *credentials.Credentials
}

// Open opens the store that an s3:// URL names (see the package
// documentation): the same as stores.Open of rawURL.
func Open(ctx context.Context, rawURL string) (*stores.Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &stores.OpError{Op: "open", Store: stores.Redact(rawURL), Err: err}
	}
	if u.Scheme != "s3" {
		return nil, &stores.OpError{Op: "open", Store: stores.Redact(rawURL), Err: fmt.Errorf("%w: the scheme is %q, not s3", ErrInvalidURL, u.Scheme)}
	}
	opts, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	d, err := openDriver(ctx, opts, redact(u))
	if err != nil {
		return nil, err
	}
	return stores.NewStore(d, rawURL), nil
}

// New opens a store with opts. Its URL, in errors and logs, is the s3://
// URL that names the same store.
func New(ctx context.Context, opts Options) (*stores.Store, error) {
	name := opts.URL()
	d, err := openDriver(ctx, opts, name)
	if err != nil {
		return nil, err
	}
	return stores.NewStore(d, name), nil
}

// URL returns the s3:// URL of the store that opts describe, without
// credentials.
func (o Options) URL() string {
	u := url.URL{Scheme: "s3", Host: o.Bucket, Path: "/" + strings.Trim(o.Prefix, "/")}
	q := url.Values{}
	if o.Endpoint != "" {
		q.Set("endpoint", o.Endpoint)
	}
	if o.Region != "" {
		q.Set("region", o.Region)
	}
	if o.Lease != 0 && o.Lease != DefaultLease {
		q.Set("lease", o.Lease.String())
	}
	// The endpoint stays readable in errors and logs: ':' and '/' need no
	// escape in a query.
	u.RawQuery = strings.NewReplacer("%3A", ":", "%2F", "/").Replace(q.Encode())
	return u.String()
}

// ErrInvalidURL reports an s3:// URL that names no store: no bucket, an
// unknown option, a malformed value, or credentials in the URL.
var ErrInvalidURL = errors.New("invalid s3 store URL")

// parseURL reads an s3:// URL into Options; its error is an OpError.
func parseURL(u *url.URL) (Options, error) {
	name := redact(u)
	bad := func(format string, args ...any) (Options, error) {
		return Options{}, &stores.OpError{Op: "open", Store: name, Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalidURL}, args...)...)}
	}
	if u.User != nil {
		return bad("credentials do not belong in the URL; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or use a credentials file")
	}
	o := Options{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}
	if o.Bucket == "" {
		return bad("no bucket: the form is s3://BUCKET/PREFIX")
	}
	for key, vals := range u.Query() {
		v := vals[len(vals)-1]
		switch key {
		case "endpoint":
			o.Endpoint = v
		case "region":
			o.Region = v
		case "lease":
			d, err := time.ParseDuration(v)
			if err != nil {
				return bad("lease=%q is not a duration such as 30s", v)
			}
			o.Lease = d
		case "retries":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return bad("retries=%q is not a count", v)
			}
			o.Retries = n
			if n == 0 {
				o.Retries = -1
			}
		case "pathstyle":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return bad("pathstyle=%q is not true or false", v)
			}
			o.PathStyle = b
		default:
			return bad("unknown option %q (known: endpoint, region, lease, retries, pathstyle)", key)
		}
	}
	if o.Endpoint != "" && !u.Query().Has("pathstyle") {
		o.PathStyle = true
	}
	return o, nil
}

// redact returns u as errors name it: without a password, in the URL or
// in its endpoint option (which Open refuses, with this name).
func redact(u *url.URL) string {
	q := u.Query()
	e := q.Get("endpoint")
	if eu, err := url.Parse(e); err == nil && eu.User != nil {
		q.Set("endpoint", eu.Redacted())
		v := *u
		v.RawQuery = q.Encode()
		u = &v
	}
	if u.User != nil {
		return u.Redacted()
	}
	return u.String()
}

// s3Driver is one store: a client on one bucket, under one prefix.
type s3Driver struct {
	client *minio.Client
	core   minio.Core
	bucket string
	prefix string // "" or ending in '/'
	lease  time.Duration
	name   string  // the store's URL, without credentials, for logs
	opts   Options // as opened, less the credentials, for As

	transport *http.Transport

	// The conditional-write probe's outcome (see conditional).
	probeMu  sync.Mutex
	probed   bool
	probeErr error

	// done is closed by Close, which then waits for wg: the lease
	// heartbeats.
	done      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// maxKeyLen is S3's limit on an object key, in bytes.
const maxKeyLen = 1024

// longestSuffix is the longest thing the layout appends to a hash.
const longestSuffix = len(".lease")

// openDriver checks opts, makes the client and checks that the bucket
// exists, so that a wrong name or an unreachable server fails Open.
func openDriver(ctx context.Context, o Options, name string) (*s3Driver, error) {
	fail := func(code driver.Code, err error) (*s3Driver, error) {
		return nil, &stores.OpError{Op: "open", Store: name, Code: code, Err: err}
	}
	if o.Bucket == "" {
		return fail(driver.Unknown, fmt.Errorf("%w: no bucket", ErrInvalidURL))
	}
	switch {
	case o.Lease == 0:
		o.Lease = DefaultLease
	case o.Lease < MinLease:
		return fail(driver.Unknown, fmt.Errorf("%w: lease %v is shorter than %v", ErrInvalidURL, o.Lease, MinLease))
	}
	prefix := strings.Trim(o.Prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	// Every key must fit S3's limit whatever the names: prefix, funcname,
	// '/', hash and suffix.
	if len(prefix)+2*stores.MaxNameLen+1+longestSuffix > maxKeyLen {
		return fail(driver.Unknown, fmt.Errorf("%w: the prefix is %d bytes long; keys under it could pass S3's %d-byte limit", ErrInvalidURL, len(prefix), maxKeyLen))
	}
	host, secure, err := endpointHost(o)
	if err != nil {
		return fail(driver.Unknown, err)
	}
	creds := o.Credentials
	if creds == nil {
		providers := []credentials.Provider{&credentials.EnvAWS{}, &credentials.FileAWSCredentials{}}
		if o.Endpoint == "" {
			// Only Amazon's own endpoints have instance and container
			// roles; elsewhere the metadata address is no one's.
			providers = append(providers, &credentials.IAM{})
		}
		creds = credentials.NewChainCredentials(providers)
	}
	retries := o.Retries
	switch {
	case retries == 0:
		retries = DefaultRetries
	case retries < 0:
		retries = 0
	}
	transport, err := minio.DefaultTransport(secure)
	if err != nil {
		return fail(driver.Unknown, err)
	}
	lookup := minio.BucketLookupAuto
	if o.PathStyle {
		lookup = minio.BucketLookupPath
	}
	region := o.Region
	if region == "" && o.Endpoint != "" {
		region = "us-east-1"
	}
	client, err := minio.New(host, &minio.Options{
		Creds:        creds,
		Secure:       secure,
		Transport:    transport,
		Region:       region,
		BucketLookup: lookup,
		MaxRetries:   retries + 1, // minio counts the first try
	})
	if err != nil {
		return fail(driver.Unknown, err)
	}
	d := &s3Driver{
		client: client,
		core:   minio.Core{Client: client},
		bucket: o.Bucket,
		prefix: prefix,
		lease:  o.Lease,
		name:   name,
		done:   make(chan struct{}),

		transport: transport,
	}
	d.opts = o
	d.opts.Credentials = nil
	d.opts.Retries = retries
	ok, err := client.BucketExists(ctx, o.Bucket)
	switch {
	case err != nil:
		transport.CloseIdleConnections()
		return fail(d.ErrorCode(err), fmt.Errorf("checking bucket %s at %s: %w", o.Bucket, hostName(o), err))
	case !ok:
		transport.CloseIdleConnections()
		return fail(driver.NotFound, fmt.Errorf("bucket %s does not exist at %s", o.Bucket, hostName(o)))
	}
	return d, nil
}

// endpointHost returns the host[:port] the client talks to and whether it
// uses TLS.
func endpointHost(o Options) (host string, secure bool, err error) {
	if o.Endpoint == "" {
		return "s3.amazonaws.com", true, nil
	}
	e := o.Endpoint
	if !strings.Contains(e, "://") {
		e = "https://" + e
	}
	u, err := url.Parse(e)
	if err != nil || u.Host == "" {
		return "", false, fmt.Errorf("%w: endpoint %q is not a URL such as https://s3.example.com:9000", ErrInvalidURL, o.Endpoint)
	}
	if u.User != nil {
		return "", false, fmt.Errorf("%w: credentials do not belong in the endpoint", ErrInvalidURL)
	}
	if u.Path != "" && u.Path != "/" {
		return "", false, fmt.Errorf("%w: endpoint %q has a path; the bucket goes in the s3:// URL's host", ErrInvalidURL, o.Endpoint)
	}
	switch u.Scheme {
	case "http":
		return u.Host, false, nil
	case "https":
		return u.Host, true, nil
	}
	return "", false, fmt.Errorf("%w: endpoint %q is neither http:// nor https://", ErrInvalidURL, o.Endpoint)
}

// hostName names the server in errors.
func hostName(o Options) string {
	if o.Endpoint == "" {
		return "Amazon S3"
	}
	return o.Endpoint
}

// dir is the key prefix of funcname's objects.
func (d *s3Driver) dir(funcname string) string { return d.prefix + funcname + "/" }

// As implements [driver.As]: a *Options receives the store's bucket,
// prefix, endpoint, region, lease and retries (never its credentials), and a
// **minio.Client the client, for tools that want to look at the bucket.
func (d *s3Driver) As(target any) bool {
	switch t := target.(type) {
	case *Options:
		*t = d.opts
		return true
	case **minio.Client:
		*t = d.client
		return true
	}
	return false
}

// Close implements [driver.Store]: it stops the lease heartbeats (the
// leases then expire on their own) and closes idle connections.
func (d *s3Driver) Close() error {
	d.closeOnce.Do(func() {
		close(d.done)
		d.wg.Wait()
		d.transport.CloseIdleConnections()
	})
	return nil
}
