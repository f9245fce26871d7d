// Package crosshost holds one test, of single flight across machines: it
// makes a server host and three worker hosts on this machine as network
// namespaces joined by a bridge, starts each store's server on the server
// host (persist serve over a file store, FerretDB for MongoDB, Redis, and
// versitygw for S3 as the S3 store's tests run it), and runs a worker
// process on each worker host that memoises the same keys through
// persist.Wrap1 on the server's URL. Each key must be computed
// exactly once across the hosts; a worker killed with SIGKILL in the middle
// of a computation must be taken over by another host once its lease
// expires, within the store's documented bound; and every entry must read
// back afterwards.
//
// Making namespaces needs root and iproute2's ip. Without them the test
// says why and skips, except under CI=true, where it fails.
package crosshost
