package wire

// LeasePath is where the server serves computation leases, a persist
// extension that pypersist clients never use:
//
//	POST   LeasePath/<funcname>/<hash>?ttl_ms=&wait_ms=   take it     201, 409
//	PUT    LeasePath/<funcname>/<hash>?ttl_ms=            renew it    200, 404, 409
//	DELETE LeasePath/<funcname>/<hash>                    release it  204, 404, 409
//
// Renewals and releases carry the lease's token in [LeaseTokenHeader]. A
// POST may carry one too, the client's own choice (16 to 128 characters
// of [A-Za-z0-9_-], random and secret): the server grants the lease under
// it, a POST repeated with the token of the lease it holds is granted
// again, and a client that gives up a POST before its answer releases the
// token, which withdraws the request, so that a lease granted to it later
// is not kept from the others for its time to live.
// ".lease" is no funcname the protocol carries, so the paths cannot clash
// with an item's.
const LeasePath = BasePath + "/.lease"

// LeaseTokenHeader carries a lease's token on a renewal or a release, and
// the token a client chose on a POST.
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
