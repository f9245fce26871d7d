//go:build !unix

package reststore

import "net"

// nothingWaiting cannot look without reading here; a connection's own
// buffer is all that is checked.
func nothingWaiting(net.Conn) bool { return true }
