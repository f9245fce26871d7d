package wire

// LeasePath is where the server serves computation leases, a persist
// extension that pypersist clients never use:
//
//	POST   LeasePath/<funcname>/<hash>?ttl_ms=&wait_ms=   take it     201, 409
//	PUT    LeasePath/<funcname>/<hash>?ttl_ms=            renew it    200, 404, 409
//	DELETE LeasePath/<funcname>/<hash>                    release it  204, 404, 409
//
// Renewals and releases carry the lease's token in [LeaseTokenHeader].
// ".lease" is no funcname the protocol carries, so the paths cannot clash
// with an item's.
const LeasePath = BasePath + "/.lease"

// LeaseTokenHeader carries a lease's token on a renewal or a release.
const LeaseTokenHeader = "Persist-Lease-Token"

// The query parameters of a lease request: the lease's time to live, and
// how long a POST may wait for a held lease before it answers 409, both in
// milliseconds.
const (
	LeaseTTLParam  = "ttl_ms"
	LeaseWaitParam = "wait_ms"
)

// Lease answers a POST or PUT that holds a lease: its token and the time
// to live the server granted, after which the lease ends unless renewed.
// StoreLock says whether the server's store lock backs the lease, which
// makes it exclusive among every server on the same store, not only among
// this server's clients.
type Lease struct {
	Token     string `json:"token"`
	TTLMillis int64  `json:"ttl_ms"`
	StoreLock bool   `json:"store_lock"`
}
