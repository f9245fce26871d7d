// Package redisstore keeps records in Redis, a single server or a Redis
// Cluster, under the URL schemes redis:// and rediss:// (TLS). Programs
// enable it with a blank import, so that only they link the Redis client:
//
//	import _ "github.com/gopersist/persist/stores/redisstore"
//
// Redis keeps everything in memory. Unless the server's persistence (RDB
// snapshots or the append-only file) is configured, a restart of the
// server loses every record; the cache is then empty, never wrong. It
// suits many small, hot results shared by many machines; large results
// that must last belong in an object store.
//
// # URL
//
//	redis://[[user]:password@]host[:port][/DB][?options]
//	rediss://[[user]:password@]host[:port][/DB][?options]
//	redis://[[user]:password@]host:port,host:port,.../[?options]
//
// The port defaults to 6379 and DB, the database number, to 0. Listing
// more than one address, separated by commas or as addr= options
// (addr=host:port, repeated, which also takes bracketed IPv6 addresses),
// names a Redis Cluster by some of its nodes; cluster=true makes a single
// address a cluster's too. A cluster has only database 0. The options:
//
//	prefix=TEXT        begins every key (default "persist"); no '{' or '}'
//	lease=DURATION     how long a computation lock outlives a holder that
//	                   died (default 30s, at least 500ms)
//	chunk=SIZE         the size of the chunks that a part larger than
//	                   InlineMax (256 KiB) is written as (default 4MiB,
//	                   from 1KiB to 256MiB)
//	maxrecord=SIZE     the largest record written (default 1GiB); a
//	                   larger one is refused with stores.ErrTooLarge
//	timeout=DURATION   for dialling and for each read or write on a
//	                   connection (default 5s)
//	ca=FILE            rediss only: PEM certificates to trust instead of
//	                   the system's
//	servername=NAME    rediss only: the name the server's certificate is
//	                   checked against (default: the first host)
//	insecure=true      rediss only: do not check the certificate
//
// SIZE is bytes, or a number with KiB, MiB or GiB. Any other option is an
// error at Open, so that a misspelt option is noticed rather than ignored.
//
// # Layout
//
// Every key of a function begins PREFIX:{TAG}:, TAG being the funcname with
// '%', '{' and '}' percent-encoded: Redis Cluster places a key by its
// {hash tag}, so all of one function's keys live in one slot, on one node,
// and one Lua script can change them together. For funcname F and hash H:
//
//	PREFIX:{F}:r:H        a hash: the result (field r), key (k) and
//	                      metadata (m), each absent when nil, and the
//	                      creation time (ct, the server's clock in µs)
//	PREFIX:{F}:c:GEN:N    chunk N of a part larger than InlineMax or
//	                      chunk=, whose field (rc, kc or mc) says
//	                      "GEN COUNT LENGTH"
//	PREFIX:{F}:i          a sorted set of the hashes, all of score 0, so
//	                      that ZRANGEBYLEX lists them in byte order after
//	                      any cursor: List never scans the keyspace
//	PREFIX:{F}:m          a hash from each hash to "SIZE CREATED", what a
//	                      listing shows without reading any record
//	PREFIX:{F}:o          the owner record
//	PREFIX:{F}:l:H        the computation lock of H
//	PREFIX:funcs          a sorted set of the funcnames with records
//
// A write stores its chunks, if any, under a new random generation with an
// expiry of an hour, then one script checks they are all there, makes them
// permanent and replaces the record, its index entry and its listing entry
// at once, deleting the old record's chunks. A reader that finds a chunk
// gone (the record was replaced as it read) reads the record again, so it
// sees the old record or the new one, never a mix. Chunks of a writer that
// died before its commit expire. The chunks of a replaced record expire a
// minute later, so that a reader already reading them finishes; Delete and
// Clear remove chunks at once.
//
// The set of funcnames lies outside the functions' slots, so it is updated
// just after a function's own keys: the name joins it after the function's
// first record, and leaves it after its last, checking then that no record
// came in meanwhile. Funcs passes by a name left there without records; a
// writer that dies between a function's first record and its name leaves
// the function out of Funcs (not out of List) until it is cleared.
//
// # Computation locks
//
// The store implements stores' Lock, so that processes on different
// machines sharing one server compute each result once. A lock is a lease,
// SET PREFIX:{F}:l:H TOKEN NX PX LEASE with a random token. Its holder
// renews it every third of the lease with a script that extends it only
// if it still holds the token, and unlock deletes it with a script that
// deletes only the holder's own. Waiters poll with jittered exponential
// backoff from 10 ms to 500 ms until they take the lease or their context
// ends.
//
// The bound: while its holder runs and reaches the server, a lease excludes
// every other holder. A holder that dies, or cannot reach the server, loses
// the lease at most one lease (30 s by default) after its last renewal,
// and so at most one lease after it stopped; a waiter takes it within its
// next poll, at most 750 ms later (with a 2 s lease the tests saw
// takeovers 2.25 s to 2.48 s after the holder stopped). Another caller then
// computes the result instead: the same bytes, the time spent twice.
// Expiry is judged by the server's clock alone, so the clients' clocks need
// not agree. Redis replicates asynchronously: a failover to a replica that
// had not yet received a lease loses it, with the same cost. Closing a
// store stops renewing its leases without deleting them.
//
// # Failures
//
// Every error is a *stores.OpError naming the server by its URL without
// the password. Open pings the server, so a server that is down fails
// Open. A server that cannot be reached, a connection that breaks, a
// timeout, and the server's LOADING, CLUSTERDOWN, TRYAGAIN, MASTERDOWN,
// READONLY, OOM and BUSY replies give errors wrapping
// stores.ErrUnavailable; a caller's context that is cancelled or expires
// gives the context's error instead.
//
// A *redis.UniversalClient given to the store's As receives its client
// (github.com/redis/go-redis/v9), for callers who know the backend.
package redisstore
