//go:build unix

package filestore

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Listing a function a page at a time needs its hashes in order, and a
// directory lists its names in no order: each page would read the whole
// directory, so that iterating N records cost O(N²). Instead the driver
// keeps, per function directory, the sorted names that one reading found,
// with the directory's identity and times at that reading:
// (device, inode, mtime, ctime). Creating, removing or renaming an entry
// changes a directory's mtime and ctime, and a directory replaced (by Clear
// and a later Put) is another inode, so while the four are the same the
// names are too, and a page costs one fstat of the directory plus the
// stats of its own records.
//
// Times are kept at a granularity: the kernel dates a change from a clock
// that ticks every few milliseconds (some file systems keep whole seconds,
// FAT two), so a change just after the reading could leave the times as
// they were. A reading is therefore kept only when the directory's times
// were older than the start of the reading by more than that granularity
// (git's "racily clean" rule): any later change is then dated after them.
// A directory being written to meanwhile is read again for each page, as
// it would be without the cache; the pages are right either way.
//
// The alternatives were worse: an index file of our own would need writers
// to keep it (and pypersist and people do not), and a cursor holding the
// open directory across pages would need the caller to close it, which a
// page token cannot ask. On a network file system, where a client may see
// a directory's times late, this is no worse than reading it: the reading
// comes from the same client cache.

// maxCachedDirs bounds how many function directories' names are kept:
// listing goes through one function at a time.
const maxCachedDirs = 8

// Granularity of directory times, by what the times show: nanoseconds on
// file systems that keep them (ticks of the kernel's coarse clock, at most
// 10ms), else as coarse as FAT's two seconds.
const (
	fineSlack   = 100 * time.Millisecond
	coarseSlack = 2*time.Second + 100*time.Millisecond
)

// listed is one record in a function directory's names: its hash, and
// the names of its .out and of the companions the reading saw ("" for
// none), kept whole so that stat'ing them costs no concatenation.
type listed struct {
	hash           string // out less its suffix, sharing its bytes
	out, key, meta string
}

// dirKey is what changes when a directory's names change.
type dirKey struct {
	dev, ino     uint64
	mtime, ctime unix.Timespec
}

// dirNames is one reading of a function directory.
type dirNames struct {
	key   dirKey
	names []listed // sorted by hash; never changed once made
	used  uint64
}

// nameCache keeps the latest trusted readings of a few function
// directories.
type nameCache struct {
	mu    sync.Mutex
	dirs  map[string]*dirNames
	clock uint64
}

// get returns the records of the open function directory d of funcname,
// sorted by hash: the kept reading if d is unchanged since, else a new
// one. The slice is shared: callers must not change it.
func (c *nameCache) get(ctx context.Context, funcname string, d *funcDir) ([]listed, error) {
	start := time.Now()
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstat(d.fd, &st) }); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: d.path, Err: err}
	}
	key := dirKey{dev: uint64(st.Dev), ino: st.Ino, mtime: st.Mtim, ctime: st.Ctim}
	c.mu.Lock()
	if e := c.dirs[funcname]; e != nil && e.key == key {
		c.clock++
		e.used = c.clock
		c.mu.Unlock()
		return e.names, nil
	}
	c.mu.Unlock()
	names, err := readNames(ctx, d)
	if err != nil || !settled(key, start) {
		return names, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dirs == nil {
		c.dirs = map[string]*dirNames{}
	}
	if _, ok := c.dirs[funcname]; !ok && len(c.dirs) >= maxCachedDirs {
		oldest := ""
		for name, e := range c.dirs {
			if oldest == "" || e.used < c.dirs[oldest].used {
				oldest = name
			}
		}
		delete(c.dirs, oldest)
	}
	c.clock++
	c.dirs[funcname] = &dirNames{key: key, names: names, used: c.clock}
	return names, nil
}

// settled reports whether a directory whose times are key's, read from
// start on, had its latest change long enough before start that a change
// after it would be dated later.
func settled(key dirKey, start time.Time) bool {
	slack := coarseSlack
	if key.mtime.Nsec != 0 || key.ctime.Nsec != 0 {
		slack = fineSlack
	}
	limit := start.Add(-slack).UnixNano()
	return key.mtime.Nano() < limit && key.ctime.Nano() < limit
}

// drop forgets every reading.
func (c *nameCache) drop() {
	c.mu.Lock()
	c.dirs = nil
	c.mu.Unlock()
}

// readNames reads the records of the function directory d: its regular
// files named <hash>.out, with the companions of each that are regular
// files too, sorted by hash. Temporary files, locks, the owner record and
// anything not of the layout are passed by. It reads names and types
// only, from a descriptor of its own, in batches.
func readNames(ctx context.Context, d *funcDir) ([]listed, error) {
	f, err := d.entries()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var outs []listed
	keys, metas := map[string]string{}, map[string]string{}
	err = scanEntries(ctx, f, fs.FileMode.IsRegular, func(name string) (bool, error) {
		switch hash, k := classify(name); k {
		case kindOut:
			outs = append(outs, listed{hash: hash, out: name})
		case kindKey:
			keys[hash] = name
		case kindMeta:
			metas[hash] = name
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(outs, func(a, b listed) int { return strings.Compare(a.hash, b.hash) })
	for i := range outs {
		outs[i].key, outs[i].meta = keys[outs[i].hash], metas[outs[i].hash]
	}
	return outs, nil
}
