// Package mongostore keeps records in a MongoDB collection, under the URL
// schemes mongodb:// and mongodb+srv://. Programs enable it with a blank
// import, so that only they link the MongoDB driver, and then open it with
// stores.Open; [Open] does the same without the registry:
//
//	import _ "github.com/gopersist/persist/stores/mongostore"
//
// Both return the portable *stores.Store over this package's driver. The
// driver implements the optional locking, counting and funcname listing;
// it has no types of its own to hand out through Store.As.
//
// # URL
//
//	mongodb://[user:password@]host[:port][,host:port...]/[DATABASE][?options]
//	mongodb+srv://[user:password@]host/[DATABASE][?options]
//
// DATABASE defaults to "persist" ([DefaultDatabase]). The options are
// MongoDB's connection-string options (authSource, replicaSet, tls,
// serverSelectionTimeoutMS, ...), which go to the driver unchanged, and
// these of the store:
//
//	collection=NAME  the collection of results (default "persist");
//	                 NAME_chunks, NAME_leases and NAME_owners (one
//	                 document {_id: funcname, owner} per function, its
//	                 owner record) are used beside it
//	lease=DURATION   how long a computation lock outlives a holder that
//	                 died, as a Go duration such as 30s (the default),
//	                 at least 1s
//
// Any other option is an error at Open, so a misspelt option is noticed
// rather than ignored. Unless the URL sets serverSelectionTimeoutMS, an
// operation waits at most [DefaultServerSelectionTimeout] (5 s) for an
// unreachable server.
//
// # Layout
//
// Each result is one document of the collection:
//
//	{_id: "funcname/hash", funcname, hash, result: binary, key: binary,
//	 metadata: string or binary, created: date, size: long}
//
// key is absent when keys are not stored, metadata absent when there is
// none; metadata that is UTF-8 text is kept as a string so that any MongoDB
// tool shows it. size is the bytes of result, key and metadata together.
// The _id joins funcname and hash, which cannot contain '/', so the
// primary index keeps one document per record, a write is one upsert (a
// replace), and a function's records sort by hash. An index on funcname,
// created by the first write of each handle, serves Len, Clear and listing
// funcnames. A record larger than 8 MiB (MongoDB documents hold at most
// 16 MiB) is written as chunks to NAME_chunks first, and its document then
// points to them; a reader therefore sees the old record or the new one,
// never a mix.
//
// Reads ask the server for no more than they return: a read of the result
// projects out the key and metadata, and of a chunked record fetches only
// the chunks that hold the parts asked for. A list page is one find on a
// range of _id, sorted by _id and limited to the page, whose projection
// keeps _id, size and created: no record's bytes cross the network. A
// document written before size was stored is read once more, for its
// lengths, when it is listed. MongoDB serves the range from the _id index,
// so a page costs its own size; FerretDB 1.x with SQLite serves only an
// _id equality from its index, and scans the collection for every page.
//
// Funcnames and hashes must be UTF-8, as BSON strings are (the driver's
// NameRules say so, and the store refuses other names as invalid): a
// server may store other bytes replaced, so that two names would share one
// document.
//
// # Computation locks
//
// The store locks (Store.CanLock), so that processes on different machines
// sharing one server compute each result once. A lock is a lease
// document {_id: funcname/hash, owner, expires} in NAME_leases, taken
// atomically: an upsert that matches only an expired lease, whose insert
// the server refuses as a duplicate key while a live lease exists. The
// holder renews the lease every third of its duration and deletes it on
// unlock. Waiters poll with exponential backoff from 10 ms to at most
// 500 ms, until the lease is free or expired, or their context ends.
//
// The guarantee: while its holder runs and reaches the server, a lease
// excludes every other holder. A holder that crashed, or that cannot reach
// the server for longer than the lease, loses it at most one lease
// duration (30 s by default) after its last renewal, and another caller
// then computes the result instead; the result is the same, only the time
// is spent twice. Expiry is judged by the clocks of the clients, which must
// agree to well within the lease duration.
//
// # Failures
//
// Every error is a *stores.OpError. A store from [Open] names the server by
// its URL without the password, nor the values of authMechanismProperties
// and tlsCertificateKeyFilePassword; one from stores.Open names it as
// stores.Redact does, without the password. Open pings the server, so a server that is down fails Open,
// after the server-selection timeout at the latest. A server that cannot
// be reached, that times out or that fails an operation gives an error
// wrapping stores.ErrUnavailable; a document over the server's size limit
// gives stores.ErrTooLarge; a caller's context that is cancelled or
// expires gives an error wrapping the context's error instead, and the
// driver's own timeouts never pass for it.
package mongostore
