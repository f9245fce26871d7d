// Package filestore keeps records as plain files, in pypersist's layout, so
// that anyone can list them with ls. A result in persist's default pickling
// is CBOR in a zstd frame, which "persist show DIR FUNCNAME HASH" prints as
// JSON; one pickled as text (persist.Options.Pickle such as strconv.Itoa)
// reads with cat. It is persist's default store and registers the URL
// scheme file://.
//
// # URLs
//
//	file://persist/            the relative directory persist/
//	file:///var/cache/results  an absolute directory
//	file:results               the relative directory results
//	results                    the same: stores.Open treats a bare path as file://
//
// Query parameters: sync=true makes every write durable before it returns
// (see Sync below); lockstale=45s sets how long a lock may go unrefreshed
// before waiters break it (default [DefaultLockStale]). Any other parameter
// is an error wrapping [ErrInvalidURL]. Go callers may use [Open] with
// [Options] instead. Opening creates nothing: the directory appears with the
// first write.
//
// Both give the portable *stores.Store. Its As accepts a **[Driver], which
// receives the file store's driver, for [Driver.Dir], [Driver.Options] and
// [Driver.Foreign]:
//
//	var d *filestore.Driver
//	if st.As(&d) {
//		fmt.Println(d.Dir())
//	}
//
// # Layout
//
//	<dir>/<funcname>/<hash>.out    the result, exactly Record.Result
//	<dir>/<funcname>/<hash>.key    the key, when Record.Key is not nil
//	<dir>/<funcname>/<hash>.meta   the metadata, when Record.Meta is not nil
//	<dir>/<funcname>/<hash>.lock   present while a caller computes the result;
//	                               it becomes the .out (see Locks)
//
// A record exists when its .out does; Record.Created is the .out's
// modification time. Funcnames and hashes must be single safe path elements
// of at most stores.MaxNameLen bytes ([stores.ValidName]); the portable
// store refuses others before the disk is touched. The owner record of a
// function is <dir>/<funcname>/.owner.
// While a write is in flight its files exist as <name>.tmp-<16 hex digits>,
// and a lock being broken as <hash>.lock.stale-<16 hex digits>.
//
// # Writes and reads
//
// Every file is written to a temporary file beside it and renamed into
// place, so a .out that exists is complete and reads never wait. A write
// puts all its data in temporary files first (a full disk then leaves the
// old record as it was: the error matches syscall.ENOSPC and
// stores.ErrUnavailable), then, under an flock(2) on the function's
// directory that serialises the writers of one function, renames the .key
// and .meta into place (removing the old .out first when they change) and
// the .out last. A reader of the key or metadata checks afterwards that the
// .out it read is still the one at its path, and reads again if not: a
// .out is never returned beside another record's .key. A program killed at
// any instant leaves the old record, the new one, or none. put.go and
// record.go give the details.
//
// # Sync
//
// Without sync, writes are safe against the program crashing but not
// against the machine losing power. With sync=true every temporary file is
// fsynced before its rename and the directory after each step, and new
// directories are made durable in their parents: a few fsyncs per write.
//
// # Locks
//
// The driver implements driver.Locker with pypersist's lock files: Lock
// creates <hash>.lock exclusively, writes its holder's pid, host and time
// into it and refreshes it while held; other callers wait until it is gone.
// A lock is broken when it has gone unrefreshed for lockstale (by the
// waiter's own clock, so clocks that disagree cannot prolong the wait) or
// when it names a process of this host that has exited. A write of the
// record by the holder turns the lock file itself into the .out: two
// changes to the directory instead of four, and the lock disappears at the
// instant the result appears. While holders live, at most one caller
// computes a given record; a holder that stalls for longer than lockstale
// may see its result computed twice, never a wrong or partial one.
// lock.go and heldlock.go give the protocol and why it is safe.
//
// # Listing
//
// List reads the names in a function directory and fstatat(2)s the files
// of the page's records; it never opens a record's file. It keeps the
// sorted names of a directory while the directory's inode and times are
// unchanged, so that reading N records a page at a time costs O(N), not
// O(N²); listcache.go says when a reading can be kept. Temporary files,
// locks and the owner record are never listed.
//
// # Clear
//
// Clear(funcname) removes, in <dir>/<funcname> only, the regular files that
// the store's layout names: *.out, *.key, *.meta, the owner record, stale
// *.lock and the store's temporary files. It leaves everything else: a
// README, an editor's "x.out~", subdirectories, foreign files, the files of
// other functions, and locks that are held. It removes the directory only
// if that leaves it empty. Delete, and so persist rm and gc, likewise
// removes only regular files.
//
// # Containment
//
// Nothing outside <dir>/<funcname> is read, written or removed, and no
// symbolic link below <dir> is followed; <dir> itself may be a link, or
// lie under one, since the user chose that path. Every open uses
// O_NOFOLLOW (on Linux one openat2(2) with RESOLVE_NO_SYMLINKS), files are
// read with O_NONBLOCK and checked with fstat to be regular files, and
// writers work relative to the function directory's descriptor
// (contained.go). A link, FIFO, device or socket where the layout has a
// file, or anything but a directory where it has a function directory, is
// foreign: operations on it fail with an error wrapping [ErrForeign]
// ([*ForeignError] names it), listings skip it, nothing removes or
// replaces it, and [Driver.Foreign] lists it (persist verify reports it).
// A file is read only up to a size told by fstat before anything is
// allocated: an owner record up to [stores.MaxOwnerLen], any other file up
// to 2 GiB, twice the largest result persist writes; a larger one (a
// sparse file, say) is an error matching [stores.ErrTooLarge]. The cache
// directory is opened as a directory, so a FIFO in its place never waits.
// A cache directory that cannot be created is an error wrapping
// [ErrNoRoot]: at Open when that can be told without creating it, else at
// the first write.
//
// # Systems
//
// The store needs Unix (Linux, macOS, the BSDs): flock, inode checks and
// rename-over-open-file semantics. Elsewhere the package builds without it,
// so file:// is an unknown scheme there and the other stores still work.
package filestore
