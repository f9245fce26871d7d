// Package s3store keeps records in an S3-compatible object store (Amazon
// S3, MinIO, versitygw, Ceph, Garage, ...), under the URL scheme s3://, so
// that machines that share a bucket share one cache. Programs enable it
// with a blank import, so that only they link an S3 client:
//
//	import _ "github.com/gopersist/persist/stores/s3store"
//
// # URL
//
//	s3://BUCKET[/PREFIX][?options]
//
// The options are:
//
//	endpoint=URL     the server, http://host:port or https://host:port;
//	                 without it, Amazon S3
//	region=NAME      the bucket's region (us-east-1 for another endpoint
//	                 unless given; on Amazon S3, the bucket's own)
//	pathstyle=BOOL   address the bucket as a path, host/BUCKET/key, rather
//	                 than as a host name, BUCKET.host/key; the default
//	                 with an endpoint
//	lease=DURATION   how long a computation lock outlives a holder that
//	                 died, as a Go duration (default 30s, at least 1s)
//	retries=N        how often a failed request is retried before the
//	                 store reports it (default 3)
//
// Any other option is an error at Open, which wraps [ErrInvalidURL], so a
// misspelt one is noticed. Go callers may use [New] with [Options]
// instead. Open checks that the bucket exists: a wrong name, a server that
// is down or credentials it refuses fail Open.
//
// # Credentials
//
// Credentials never go in the URL (Open refuses them there). They come
// from where every AWS tool finds them: AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; then the shared credentials
// file (AWS_SHARED_CREDENTIALS_FILE, or ~/.aws/credentials, profile
// AWS_PROFILE); then, on Amazon S3 only, the instance's or container's
// role. No error or log line of the store shows a secret: errors name the
// store by its URL, which holds the bucket, prefix and endpoint.
//
// # Layout
//
//	<prefix>/<funcname>/<hash>.out    a record: the result, then the key,
//	                                  then the metadata
//	<prefix>/<funcname>/.owner        the function's owner record
//	<prefix>/<funcname>/<hash>.lease  present while a caller computes it
//
// A record is one object, so that a Put is atomic: S3 makes an object
// visible whole or not at all but has no transaction over several, and a
// key kept as an object of its own could be left, by two concurrent Puts
// of different records, beside the other one's result. The object's user
// metadata Persist-Parts gives the lengths of the three parts as
// "RESULT,KEY,META", -1 for a nil key or metadata; the object begins with
// the result, so any S3 tool shows it (aws s3 cp s3://b/p/f/h.out - | head
// -c RESULT), and an object copied in without Persist-Parts is a result
// with neither. Record.Created is the object's modification time, to the
// second. A record larger than 16 MiB is uploaded in 16 MiB parts read in
// place from the record's slices, never copied into one buffer; Get reads
// it into one buffer of its exact size.
//
// Funcnames and hashes are ASCII (any byte from 0x01 to 0x7f that
// stores.ValidName allows), which hex and base64 hashes and Go funcnames
// are; the store refuses others with stores.ErrInvalidName. They appear in
// the keys exactly as they are. S3 keys are UTF-8, and no encoding of
// arbitrary bytes into them keeps the byte order that List relies on and
// keeps keys within the 255-byte path elements of servers that store
// objects as files.
//
// # Reading and listing
//
// Get and a Read of the result are one GET, which stops after the parts
// asked for. A Read of only the key or metadata is a HEAD and a ranged GET
// on the condition that the object is still the one the HEAD saw. List is
// ListObjectsV2 from the page's first hash, with continuation tokens, and
// reports the size of each .out as the record's Size; Len and Entries page
// through it. Hashes that are prefixes of one another ("x" and "x-")
// list in a different order as keys ("x-.out" before "x.out"), which List
// puts right by holding a record back until every key of its prefixes has
// gone by. Funcs is a delimited listing of the prefix, sorted. Clear
// removes every object under the funcname's prefix but leases.
//
// # Computation locks
//
// The store implements [driver.Locker] with conditional writes, so that
// processes on different machines sharing a bucket compute each result
// once. The lease of (funcname, hash) is the object <hash>.lease, a small
// JSON document {holder, expires}:
//
//   - taking it creates the object with If-None-Match: *, which the server
//     grants to exactly one of the callers that race; the PUT always
//     states its length, because a create-if-absent of unknown length
//     would go as a multipart upload, which the condition does not make
//     exclusive;
//   - the holder renews it every third of the lease with If-Match on the
//     ETag of its last write, pushing expires back;
//   - a waiter polls (from 10 ms, doubling, to 500 ms) and takes over a
//     lease whose expires has passed with If-Match on that expired lease's
//     ETag, so that of several waiters, and a holder renewing late, one
//     wins;
//   - unlock deletes the object if its ETag is still the holder's.
//
// The guarantee: while its holder runs and reaches the server, a lease
// excludes every other holder. A holder that died, or that cannot reach
// the server for longer than the lease, loses it one lease (30 s by
// default) after its last renewal, and another caller computes the result
// instead; the result is the same, only the time is spent twice. Expiry is
// judged by the clocks of the clients, which must agree to well within the
// lease. The server must support conditional writes (Amazon S3 since
// 2024, MinIO, versitygw): a store's first Lock checks, with the object
// <prefix>/.persist-conditional-write-probe, that the server refuses a
// create-if-absent of an object that exists, and on a server that does not,
// Lock fails with an error wrapping stores.ErrUnsupported rather than let
// every caller in. Closing a store stops its renewals; its leases then
// expire on their own.
//
// # Failures
//
// Every error is a *stores.OpError. A server that cannot be reached, that
// answers 5xx or SlowDown, or that refuses the credentials gives an error
// wrapping stores.ErrUnavailable; a missing record one wrapping
// stores.ErrNotFound; an object over the server's limit one wrapping
// stores.ErrTooLarge. A record object whose Persist-Parts do not add up
// reads as missing, so that it is computed and written again, and never
// as a wrong record.
//
// # Options for tools
//
// [stores.Store.As] takes a *[Options], which receives the store's bucket,
// prefix, endpoint, region, lease and retries (never its credentials), and
// a **minio.Client, which receives the client, for tools that want to look
// at the bucket themselves.
package s3store
