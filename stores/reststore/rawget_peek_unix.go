//go:build unix

package reststore

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// nothingWaiting reports whether nothing is waiting to be read on c and it
// is still open: a peek that does not wait finds no byte and no end.
func nothingWaiting(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	clean := false
	var b [1]byte
	err = raw.Read(func(fd uintptr) bool {
		_, _, err := unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		clean = err == unix.EAGAIN || err == unix.EWOULDBLOCK
		return true // never wait
	})
	return err == nil && clean
}
