//go:build unix

package filestore

import (
	"time"

	"golang.org/x/sys/unix"
)

// Last use. A record's .out keeps its creation in its modification time,
// which MaxAge and persist gc --older-than read, so its last use goes in
// its access time, set by the store itself: a mount's noatime or relatime
// stops the kernel from updating access times on reads, not a process from
// setting them. A hit that finds the access time more than usedEvery old
// sets it to now, as the Go build cache does with modification times; so
// a hit costs one more system call at most once an hour per entry, and
// budgets (stores.Budget) see last use to the hour.
const usedEvery = time.Hour

// used is a record's last use: its .out's access time.
func used(out *unix.Stat_t) time.Time { return time.Unix(out.Atim.Unix()) }

// markUsed sets the access time of the file open as fd to now if it is
// more than usedEvery old, leaving its modification time. A failure (a
// read-only medium, a file of another user) is no error: the last use is
// a hint for trimming.
func markUsed(fd int, st *unix.Stat_t) {
	now := time.Now()
	if now.Sub(used(st)) < usedEvery {
		return
	}
	_ = ignoringEINTR(func() error { return setAtime(fd, now) })
}
