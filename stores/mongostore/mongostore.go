package mongostore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
)

// Defaults for what the URL leaves out.
const (
	// DefaultDatabase is the database used when the URL has no path.
	DefaultDatabase = "persist"
	// DefaultCollection is the collection used without ?collection=.
	DefaultCollection = "persist"
	// DefaultLease is how long a computation lock outlives a holder that
	// stopped renewing it, without ?lease=.
	DefaultLease = 30 * time.Second
	// MinLease is the shortest lease accepted: a lease must outlast a few
	// round trips to the server, or holders would lose it while renewing.
	MinLease = time.Second
	// DefaultServerSelectionTimeout bounds how long an operation waits for
	// an unreachable server, without ?serverSelectionTimeoutMS=. The
	// driver's own default, 30 s, is long for a cache that could simply
	// recompute.
	DefaultServerSelectionTimeout = 5 * time.Second
)

// closeTimeout bounds Close and the release of a lock, which have no context.
const closeTimeout = 10 * time.Second

func init() {
	open := func(ctx context.Context, u *url.URL) (driver.Store, error) {
		d, err := openDriver(ctx, u)
		if err != nil {
			return nil, err // not a nil *mongoDriver in a non-nil interface
		}
		return d, nil
	}
	stores.Register("mongodb", open)
	stores.Register("mongodb+srv", open)
}

// mongoDriver is the [driver.Store] of one handle: a client and the
// collections it uses. It is safe for concurrent use.
type mongoDriver struct {
	client  *mongo.Client
	url     string // for logs: the URL without its secrets
	results *mongo.Collection
	chunks  *mongo.Collection
	leases  *mongo.Collection
	owners  *mongo.Collection
	lease   time.Duration

	indexMu sync.Mutex
	indexed bool // the indexes on funcname exist

	renewMu sync.Mutex // orders Close after the start of a lease's renewals
	closed  atomic.Bool
	done    chan struct{}  // closed by Close, stops lease renewals and waits
	wg      sync.WaitGroup // the lease renewals running
}

// config is what Open takes from the URL.
type config struct {
	driverURI  string // the URL without the options of this package
	database   string
	collection string
	lease      time.Duration
	// selectionSet reports that the URL chose its server-selection timeout.
	selectionSet bool
}

// ownOptions are the query parameters this package reads; every other
// parameter must be a MongoDB connection-string option.
var ownOptions = map[string]bool{"collection": true, "lease": true}

// parseURL splits a mongodb:// or mongodb+srv:// URL into the driver's
// connection string and this package's options. It does no I/O: for
// mongodb+srv URLs the options are checked as if the scheme were mongodb,
// which spares a DNS lookup the driver makes anyway when it connects.
func parseURL(u *url.URL) (config, error) {
	c := config{database: DefaultDatabase, collection: DefaultCollection, lease: DefaultLease}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, fmt.Errorf("bad query: %w", err)
	}
	if vs, ok := q["collection"]; ok {
		c.collection = vs[len(vs)-1]
		if err := validCollection(c.collection); err != nil {
			return c, err
		}
	}
	if vs, ok := q["lease"]; ok {
		d, err := time.ParseDuration(vs[len(vs)-1])
		if err != nil || d < MinLease {
			return c, fmt.Errorf("lease=%q is not a duration of at least %v, such as 30s", vs[len(vs)-1], MinLease)
		}
		c.lease = d
	}
	driverQuery := url.Values{}
	for k, vs := range q {
		if !ownOptions[k] {
			driverQuery[k] = vs
		}
	}
	du := *u
	du.RawQuery = driverQuery.Encode()
	if du.Path == "" {
		du.Path = "/" // the driver wants a '/' between the hosts and the options
	}
	c.driverURI = du.String()

	check := c.driverURI
	if strings.EqualFold(u.Scheme, "mongodb+srv") {
		check = "mongodb://" + strings.TrimPrefix(check[len(u.Scheme):], "://")
		check = stripSRVOptions(check)
	}
	cs, err := connstring.Parse(check)
	if err != nil {
		return c, err
	}
	if len(cs.UnknownOptions) > 0 {
		names := make([]string, 0, len(cs.UnknownOptions))
		for k := range cs.UnknownOptions {
			names = append(names, k)
		}
		return c, fmt.Errorf("unknown option(s) %s: not a MongoDB connection-string option, nor one of collection, lease",
			strings.Join(names, ", "))
	}
	if cs.Database != "" {
		c.database = cs.Database
	}
	c.selectionSet = cs.ServerSelectionTimeoutSet
	return c, nil
}

// stripSRVOptions removes the options that the driver accepts only on
// mongodb+srv URLs, so that their check under mongodb:// passes.
func stripSRVOptions(uri string) string {
	before, query, ok := strings.Cut(uri, "?")
	if !ok {
		return uri
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return uri
	}
	for k := range q {
		if strings.EqualFold(k, "srvMaxHosts") || strings.EqualFold(k, "srvServiceName") {
			delete(q, k)
		}
	}
	return before + "?" + q.Encode()
}

// secretOptions are connection-string options whose values are secrets.
var secretOptions = []string{"authMechanismProperties", "tlsCertificateKeyFilePassword", "sslClientCertificateKeyPassword"}

// redact returns u for error messages: without its password, as
// [stores.Redact] does, and without the secrets some options carry.
func redact(u *url.URL) string {
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return stores.Redact(u.String())
	}
	hidden := false
	for k := range q {
		for _, secret := range secretOptions {
			if strings.EqualFold(k, secret) {
				q[k] = []string{"xxxxx"}
				hidden = true
			}
		}
	}
	r := *u
	if hidden {
		r.RawQuery = q.Encode()
	}
	return stores.Redact(r.String())
}

// validCollection refuses the collection names MongoDB refuses, before a
// server is asked.
func validCollection(name string) error {
	switch {
	case name == "":
		return errors.New("collection= is empty")
	case strings.ContainsAny(name, "$\x00"):
		return fmt.Errorf("collection=%q contains '$' or NUL", name)
	case strings.HasPrefix(name, "system."):
		return fmt.Errorf("collection=%q is a system collection", name)
	}
	return nil
}

// Open opens the store that rawURL names (see the package documentation for
// the URL), as [stores.Open] does once the package is imported. It checks
// that the server answers, within the server-selection timeout or ctx,
// whichever ends first.
func Open(ctx context.Context, rawURL string) (*stores.Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &stores.OpError{Op: "open", Store: stores.Redact(rawURL), Err: err}
	}
	d, err := openDriver(ctx, u)
	if err != nil {
		return nil, err
	}
	return stores.NewStore(d, d.url), nil
}

// openDriver connects to the server u names and pings it. Its errors are
// *stores.OpError already: the registry hands them to the caller as they
// are. The tests add client options of their own (a command monitor).
func openDriver(ctx context.Context, u *url.URL, extra ...*options.ClientOptions) (*mongoDriver, error) {
	redacted := redact(u)
	c, err := parseURL(u)
	if err != nil {
		return nil, &stores.OpError{Op: "open", Store: redacted, Err: err}
	}
	opts := options.Client().ApplyURI(c.driverURI)
	if !c.selectionSet {
		opts.SetServerSelectionTimeout(DefaultServerSelectionTimeout)
	}
	client, err := mongo.Connect(append([]*options.ClientOptions{opts}, extra...)...)
	if err != nil {
		// The URL passed the check above, so what is left is a failed SRV
		// lookup or the like: the server cannot be found.
		return nil, &stores.OpError{Op: "open", Store: redacted, Code: driver.Unavailable, Err: err}
	}
	db := client.Database(c.database)
	d := &mongoDriver{
		client:  client,
		url:     redacted,
		results: db.Collection(c.collection),
		chunks:  db.Collection(c.collection + "_chunks"),
		leases:  db.Collection(c.collection + "_leases"),
		owners:  db.Collection(c.collection + "_owners"),
		lease:   c.lease,
		done:    make(chan struct{}),
	}
	if err := client.Ping(ctx, nil); err != nil {
		err = d.wrap(ctx, err)
		code := d.ErrorCode(err)
		if ctx.Err() != nil {
			code = driver.Canceled
		}
		_ = d.Close()
		return nil, &stores.OpError{Op: "open", Store: redacted, Code: code, Err: err}
	}
	return d, nil
}

// ensureIndexes creates, once per handle, the indexes on funcname that
// Len, Clear and Funcs use. Creating an index that exists is a no-op on
// the server, so handles need not agree.
func (d *mongoDriver) ensureIndexes(ctx context.Context) error {
	d.indexMu.Lock()
	defer d.indexMu.Unlock()
	if d.indexed {
		return nil
	}
	byFuncname := mongo.IndexModel{
		Keys:    bson.D{{Key: "funcname", Value: 1}},
		Options: options.Index().SetName("funcname"),
	}
	for _, c := range []*mongo.Collection{d.results, d.chunks} {
		if _, err := c.Indexes().CreateOne(ctx, byFuncname); err != nil {
			return err
		}
	}
	d.indexed = true
	return nil
}

// Close implements [driver.Store]. It stops renewing the leases this handle
// holds, which then expire, and disconnects from the server.
func (d *mongoDriver) Close() error {
	d.renewMu.Lock()
	if !d.closed.CompareAndSwap(false, true) {
		d.renewMu.Unlock()
		return nil
	}
	close(d.done)
	d.renewMu.Unlock()
	d.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if err := d.client.Disconnect(ctx); err != nil && !errors.Is(err, mongo.ErrClientDisconnected) {
		return err
	}
	return nil
}
