// Package reststore keeps records on a persist REST cache server (persist
// serve, package server) or any server that speaks pypersist's Eve protocol,
// under the URL schemes http:// and https://, for example
// http://localhost:5000/persist. An empty path means /persist. [Open] and
// [OpenURL] return the portable *stores.Store over the package's driver;
// stores.Open does the same for an http(s) URL.
//
// # Protocol use
//
//	Read    GET    <base>/<funcname>/<hash>[?projection={"result":1}]
//	Write   POST   <base>/<funcname>
//	Delete  GET    <base>/<funcname>/<hash> for the _etag, then
//	        DELETE <base>/<funcname>/<_id> with If-Match: <_etag>
//	Len     HEAD   <base>/<funcname> (X-Total-Count), or _meta.total of
//	        GET <base>/<funcname>?max_results=1 when the header is missing
//	Clear   DELETE <base>/<funcname> (204, or 404 when there was nothing)
//	List    GET    <base>/<funcname>?cursor=&sort=hash&max_results=N
//	        &projection={"result":0,"key":0,"metadata":0}
//	        &where={"hash":{"$gt":"<the hash the page starts after>"}}
//
// A read of some parts asks for those only, with Eve's projection: a hit
// that needs the result carries, and makes the server's store read, the
// result alone. List asks for metadata only, in cursor mode (a persist
// extension, see package server), which the server answers from where the
// hash is, without counting or reading what comes before: iterating N
// entries costs O(N), however many pages. (Paging by where alone made Eve's
// totals walk the function for every page.) Entries, built on List, reads
// each record after its page is listed. Against a server without cursors
// (Eve), the same requests page by where, and the pages' totals say when
// the listing ends. Delete retries when the record changes between its
// two requests (412), a bounded number of times.
//
// Put is one POST: persist serve replaces a stored hash. A server that
// refuses a stored hash instead (422 "is not unique", as an Eve schema with a
// unique hash does, or persist serve --duplicates refuse) gets the record
// replaced by a conditional DELETE and a new POST. When another writer's
// item takes its place in between (the DELETE answers 412, or the new POST
// 422 again), that writer wrote after this Put began, and the Put is done:
// overtaken, as if it had landed just before. So concurrent writers of one
// hash never fight, and each Put takes at most four requests. Such a
// replacement is not atomic: a reader may briefly find the hash missing.
//
// Owner records (stores.Store.ClaimOwner) use an extension that pypersist
// never sends: GET and POST <base>/.owner/<funcname> with {"owner":
// "<base64>"}; a server without it (Eve) makes ClaimOwner fail with
// stores.ErrUnsupported.
//
// # Reads
//
// A read asks persist serve for a record frame (a persist extension, see
// package server): the record's bytes as they are, read without JSON. A
// server that does not know it (Eve) answers the JSON item, which the
// store reads as before. The store's own client (Options.Client nil)
// sends its GETs over plain HTTP on kept connections of its own, written
// and read by the calling goroutine, which spares each hit the handoffs
// between goroutines of net/http's transport; https, a proxy from the
// environment, HEAD and every write go through net/http.
//
// # Encoding
//
// Results, keys and metadata are bytes in Go and strings on the wire. A
// record whose fields are all valid UTF-8 is sent as text in namespace
// "pypersist", exactly as pypersist sends its own; any other record is sent
// with every field in standard base64 and namespace "base64", and decoded on
// the way back, so bytes round-trip exactly. The namespace is what tells the
// two apart (see package server/wire). This makes the transport faithful,
// not the formats compatible: a result pickled by Python's default pickler
// is opaque to Go, and one pickled by persist's default (compressed binary)
// pickler is opaque to Python. Only when both sides use a readable custom
// pickling (str/int, repr, JSON) are the stored strings the same on both
// sides, so that each can read what the other wrote.
//
// # Errors and retries
//
// Every error is a *stores.OpError naming the store's URL, whose code
// errors.Is tests: stores.ErrNotFound for a missing record (404),
// stores.ErrInvalidName for a funcname outside [A-Za-z0-9_]+ or a hash
// that is not UTF-8 (refused before any request), or one the server's
// store refuses (400 with an issue on the name), stores.ErrTooLarge for a
// record larger than the server accepts (413), stores.ErrUnavailable for a
// server that cannot be reached or answers 5xx, stores.ErrClosed after
// Close, and the context's error when it ends. The cause is wrapped too: a
// net error, or an *HTTPError for every answer the store did not expect,
// such as 401 for a missing token.
//
// Reads (GET, HEAD) are retried on connection errors and on 502, 503 and 504,
// at most [Options.Retries] times, after a backoff that doubles from
// [Options.Backoff] with jitter, up to 2 s, and never past the context's end.
// Writes (POST, DELETE) are never retried after an error in transit: the
// server may have acted on them, and a blind second POST or DELETE could undo
// another client's write.
//
// # Authentication
//
// A token is sent as "Authorization: Bearer <token>" on every request. It
// comes from [Options.Token] or, when that is empty (and always for stores
// opened by URL), from the environment variable PERSIST_TOKEN. It is never
// read from the URL: URLs end up in logs and error messages. (Python clients,
// which cannot set a header, put it in the URL as http://<token>@host; the
// server accepts that too.)
//
// # Locks
//
// pypersist's protocol has no locks; persist serve adds leases (see package
// server), and the store locks with them (CanLock is true): Lock takes the
// entry's lease with POST <base>/.lease/<funcname>/<hash>, asking the
// server to wait up to 5 s at a time for a lease another client holds (so
// a released lease is handed over at once, without polling), renews it
// with PUT every third of its time to live from a goroutine of its own,
// and unlock releases it with DELETE. The time to live is
// [Options.LeaseTTL] (the URL's lease=, default 10 s): a holder that dies
// or loses the network keeps its waiters out for at most that long after
// its last renewal, plus one wait of theirs. A server without the
// extension (Eve, an older persist serve) answers 404 or 405; the store
// remembers it, and every later Lock fails at once, without a request, with
// stores.ErrUnsupported, so that callers compute without the lock as they
// did before. Close releases the leases held.
//
// # What is not provided
//
// The protocol does not list function names (CanListFuncs is false). It
// counts with one HEAD request (the driver is a driver.Counter).
package reststore
