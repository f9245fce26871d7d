// Package server is the persist REST cache server: it serves any
// [*stores.Store] (files, memory, MongoDB, ...) over the protocol that
// pypersist's MongoDB cache speaks to its Eve server, so an unmodified
// pypersist client (cache="mongodb://host:5000/persist") and the Go client
// in stores/reststore (http://host:5000/persist) share one cache.
//
// # Protocol
//
// Every path lives under /persist; funcname matches [A-Za-z0-9_]+ and a
// hash is any [stores.ValidName] (escaped as one path segment).
//
//	POST   /persist/<funcname>          store an item (JSON)           201
//	GET    /persist/<funcname>/<hash>   one item                       200, 404
//	GET    /persist/<funcname>          a page of items                200
//	GET    /persist/<funcname>?cursor=  a page by cursor (extension)   200
//	HEAD   /persist/<funcname>          the count only (X-Total-Count) 200
//	DELETE /persist/<funcname>          every item of the function     204, 404 if none
//	DELETE /persist/<funcname>/<_id>    one item; needs If-Match: <_etag>
//	                                    204; 404, 412 (etag differs), 428 (no If-Match)
//	GET    /persist/.owner/<funcname>   the owner record               200, 404
//	POST   /persist/.owner/<funcname>   claim it, if none is stored    200
//	POST   /persist/.lease/<funcname>/<hash>   take the lease          201, 409
//	PUT    /persist/.lease/<funcname>/<hash>   renew it                200, 404, 409
//	DELETE /persist/.lease/<funcname>/<hash>   release it              204, 404, 409
//
// The two .owner paths are persist's extension, which pypersist clients
// never use: the owner record (see [stores.Store.ClaimOwner]) says which
// function a funcname's results belong to. Both carry {"owner":
// "<base64>"}; a POST answers the record stored afterwards, the one it
// sent or the one that was there. DELETE /persist/<funcname> removes it
// with the items.
//
// An item is {"funcname", "hash", "namespace", "result"} with optional "key"
// and "metadata", all strings (an optional "comments" string, allowed by
// pypersist's schema, is accepted and not kept). The body's funcname must be
// the URL's. Answers are Eve's: items carry _id, _etag, _created, _updated
// and _links; a POST answers {"_status": "OK", "_id", "_etag", ...}; a list
// answers {"_items", "_meta": {"page", "max_results", "total"}, "_links"};
// every error answers {"_status": "ERR", "_error": {"code", "message"}},
// with "_issues" (field → problem) on a 422 validation failure and on a 400
// for a funcname or hash that the protocol or the store cannot use (an
// issue on "funcname" or "hash"), so that a client can tell those apart.
//
// Lists take Eve's page (from 1) and max_results (default 25, at most 50,
// both set by [Options]); items come sorted by hash. They also take the
// subset of Eve's query language that keyset paging needs, which works
// against a real Eve server too: sort=hash and where={"hash": {"$gt": "h"}}
// (or {"hash": "h"}), and Eve's projection of result, key and metadata
// (projection={"key": 0, "metadata": 0}, or {"result": 1}), for an item
// as for a list. Anything else in where, sort or projection is refused with
// 400 rather than silently ignored. An item of some parts has no _etag:
// it would not be the record's.
//
// A list answers from the store's metadata listing ([stores.Store.List])
// and reads only the records it answers: a page of n items costs at most n
// record reads, whatever the function holds. Page k of max_results n walks
// k·n hashes of metadata; a where on one hash is one read; _meta.total is
// the store's count ([stores.Store.Len]), or, under a where on $gt, a walk
// over the hashes after it.
//
// Two persist extensions, which Eve's clients (pypersist's among them)
// neither send nor read, make walking a large function linear. The cursor
// parameter pages by cursor: cursor= (empty) asks for the first page,
// and every answer carries the next page's cursor in _meta.next_cursor (and
// in _links.next), absent on the last page; an empty cursor with a where on
// $gt starts after that hash. A cursor page costs its own size: it has no
// page number and no _meta.total, whose count would cost a walk. Page
// queries carry _meta.next_cursor too, so that a client can switch. A list
// whose projection leaves out result, key and metadata answers
// [wire.MetaPage]: each item's hash, _id, _created and _size (the record's
// bytes), reading no record, in pages of up to 1000 whatever PageMax says.
// stores/reststore lists this way.
//
// A POST of a hash that is already stored replaces it, as [stores.Store.Put]
// does, and answers 201. (pypersist's Eve schema has no unique rule, so Eve
// would keep both and go on returning the first; replacing is what the
// client means, and it keeps a pypersist client that loses a race from
// failing.) With [Options.RefuseDuplicates] the server instead answers 422
// with _issues {"hash": "value '...' is not unique"}, as an Eve schema that
// marks hash unique would; stores/reststore then replaces the item with a
// conditional DELETE and a new POST.
//
// # Leases
//
// The three .lease paths are persist's extension for single flight across
// machines, which pypersist's protocol lacks: a client that misses takes
// the entry's lease, computes, posts the item and releases the lease, while
// other clients that miss the same entry wait for it (stores/reststore's
// Lock does this). A POST asks for a time to live in ttl_ms (default 10 s,
// kept within 100 ms and 5 min) and may wait up to wait_ms (at most 10 s;
// default 0) for a lease another client holds; it answers 201
// {"token", "ttl_ms", "store_lock"}, or 409 when the wait ended first. A
// PUT with the token in the Persist-Lease-Token header renews the lease for
// ttl_ms more (200); a DELETE with it releases the lease (204). Both answer
// 404 when the lease has ended and 409 when the token is not its owner's,
// so only the owner renews or releases a lease. A POST may carry a token
// of the client's choosing in the same header (16 to 128 characters of
// [A-Za-z0-9_-]): the lease is granted under it, a repeated POST with the
// token of the lease it holds is granted again, and a DELETE with the
// token of a POST its client gave up on withdraws that request, so that
// the lease is not granted to a client that is gone. The lease paths are
// writes for [Options.Token].
//
// When the store can lock ([stores.Store.CanLock]: files, MongoDB, Redis,
// S3), the server takes the store's computation lock when a lease begins
// and releases it when the lease ends ("store_lock": true), so a lease
// excludes the clients of every server on that store and the store's own
// callers too; the store keeps its lock alive itself while the server
// lives, by its own rules. Otherwise (a memory store) the server keeps the
// leases in a table of its own, which excludes only its own clients. Either
// way the server renews nothing for a client: a lease whose client stops
// renewing (it died, or lost the network) ends when its time to live runs
// out, measured by a timer in the server, and the next client gets it. A
// lease does not survive the server's restart. With RefuseDuplicates, a
// POST of an item whose lease this server holds does not wait for the
// store's lock, which the lease holds already.
//
// # Mapping to a store
//
// An item is the [stores.Record] stored under (funcname, hash): result, key
// and metadata are Record.Result, Key and Meta; an absent key or metadata is
// nil. In the "pypersist" namespace the strings are stored as they are, so a
// file store served by this server holds the same text pypersist's own file
// cache writes; in the "base64" namespace they are decoded first, so a Go
// program reading the same store directly sees the bytes it would have
// written itself (see package server/wire). The namespace is not stored: an
// item is answered in "pypersist" when its bytes are valid UTF-8 and in
// "base64" otherwise, whatever namespace it was posted with. pypersist
// always sends "pypersist" and never reads it back.
//
// Nothing beyond the record is kept. _id is the hash itself: it is unique
// within the function, needs no index, and clients treat it as opaque.
// _etag is the hex SHA-1 of the record's content, so it changes exactly when
// the record does; _created and _updated are both the store's Created time.
//
// # Access control and limits
//
// [Options.Token] guards writes (POST, DELETE, and any other method that is
// not GET, HEAD or OPTIONS) or, with TokenForAll, every request. A client
// sends it as "Authorization: Bearer <token>", or as the user name of HTTP
// Basic authentication, which is what Python's requests sends for a URL such
// as http://<token>@host:5000/persist — so an unmodified pypersist client can
// authenticate with cache="mongodb://<token>@host:5000/persist". A request
// body larger than [Options.MaxBody] is refused with 413. Conditional deletes
// and, with RefuseDuplicates, the existence check of a POST are atomic with
// respect to other requests to the same server; the existence check holds
// the store's computation lock too, where the store has one
// ([stores.Store.CanLock]: files, MongoDB), so it is atomic with respect to
// other servers on the same store as well. Writers that use the store directly
// replace, as Put does.
//
// pypersist's client reads only the first page of a list when it iterates a
// cache's keys, so a pypersist function with more than 25 stored results
// shows only 25 keys unless the server's page size is raised
// ([Options.PageSize], persist serve --page-size).
//
// # Record frames
//
// A GET of one item whose Accept names [wire.FrameType]
// (application/vnd.persist.record), as stores/reststore's reads do, is
// answered with the record's bytes in a frame (see [wire.DecodeFrame])
// instead of the JSON item: no base64, no JSON escapes, no parse of the
// whole item on either side. It has the item's ETag when the record is
// whole, Vary: Accept, and no Last-Modified (the creation time, to Eve's
// second as in _created, is inside). Every other Accept, pypersist's
// */* among them, gets the JSON item exactly as before.
//
// # Operations
//
// Beside the protocol the server answers GET /healthz for load balancers
// (200 "ok", or 503 and the reason when the store does not answer one
// lookup within 2 s; no token asked for), and, when [Options] asks for
// them, GET /metrics ([Options.Metrics], fed by [Options.Observer]) and a
// read-only dashboard for people at /ui/ ([Options.UI]), both under the
// token rules of reads.
package server
