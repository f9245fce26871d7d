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
// ([stores.ValidName]); others are refused before the disk is touched.
// While a write is in flight its files exist as <name>.tmp-<16 hex digits>,
// and a lock being broken as <hash>.lock.stale-<16 hex digits>.
//
// # Atomic writes
//
// Every file is written to a temporary file in the same directory and
// renamed over its final name, so a .out that exists is always complete and
// Get never waits. A program killed at any instant leaves the old record or
// the new one (or, when the key or metadata changed, no record), never a
// partial .out; leftover temporary files are ignored by Len and Entries and
// removed by Clear.
//
// A Put first writes all the temporary files it needs, before it takes
// the function's directory lock (below), so that a failure such as a full
// disk (reported as an error that errors.Is matches with syscall.ENOSPC)
// leaves the old record untouched, and so that a large result holds up no
// writer of another hash. Under the lock it then commits in this order:
//
//  1. if the .key or .meta it stores differs from the one on disk: remove
//     the old .out, then rename the new .key and .meta into place (or
//     remove them when the record has none);
//  2. rename the new .out into place.
//
// A Put under the record's lock (see Locks) writes the result into the lock
// file instead of a temporary file, and step 2 renames the lock file to the
// .out.
//
// A reader (Get, Entries) opens the .out, reads it, reads .key and .meta,
// then checks that the .out path still names the file it holds open. That
// check is what makes the three files one record. Suppose a reader's .key
// came from a different Put than its .out. That Put changed the key, so it
// removed the .out before renaming its .key, and the reader read the .key
// after that: by the time of the check the .out it holds is no longer at
// its path, and the reader tries again (after a few tries it reports a miss).
// The same holds for .meta. So a torn pair is never returned as a record:
// the worst a reader sees is a miss. A Put that keeps the key and metadata
// only renames the .out, and a reader then sees the old result or the new
// one beside the key both were stored under.
//
// Writers of one function (the commits of Put, Delete, Clear, and the
// breaking of stale locks) are serialised by an flock(2) on the function's
// directory, so two writers never interleave their renames. Readers take no
// lock. The wait for it ends with the caller's context; the release of a
// held lock (which has none) does not wait: if another holds the directory
// lock, it finishes in the background. A Put whose temporary file a Clear
// removed as a leftover before the Put got the lock writes it again. An flock on
// a directory is local to one machine: on a directory shared over NFS,
// writers on different machines are not serialised against each other
// (their lock files still keep them from computing one result at once).
//
// # Sync
//
// Without sync, writes are safe against the program crashing but not
// against the machine losing power: the kernel may not yet have written the
// newest files. With sync=true every temporary file is fsynced before its
// rename and the directory after each step of the order above (so the
// removal of an old .out is durable before the companions change, and the
// companions before the .out that vouches for them), and new directories
// are made durable in their parents. It costs a few fsyncs per Put.
//
// # Locks
//
// The store implements [stores.Locker] with pypersist's protocol: while
// <hash>.lock exists, other callers wait. Lock creates the file with
// O_CREATE|O_EXCL and writes "<pid> <host> <time>" into it for people and
// for the dead-holder check below, which reads the file's last line. While it is held, a heartbeat refreshes
// its modification time every third of the staleness limit; unlock stops
// the heartbeat and removes the file (only if it is still the holder's own,
// which it checks under the function's directory lock). Waiters poll,
// backing off from 1ms to 50ms, until the file disappears (then they try
// to create it), their context ends, or the lock is stale: seen unchanged
// (inode, size, modification and change times) for longer than lockstale
// by the waiter's own monotonic clock, or dated more than lockstale before
// or after the waiter's clock, or naming this host and a process that no
// longer exists. The first rule is what bounds the wait whatever the
// clocks say: a lock dated in the future (a clock stepped back, a file
// server ahead) is broken after lockstale, not at its date plus lockstale.
// Clear, which looks once, applies the others. A holder whose clock is
// ahead of a waiter's by more than lockstale looks stale to it: the result
// may then be computed twice.
//
// A stale lock is broken under the function's directory lock, and in a way
// that is safe against its holder and new lockers, who do not take that
// lock: it is renamed to a unique name, and removed only if the renamed
// file is the one judged stale (same inode, same modification time);
// otherwise it is put back with link(2), which fails rather than replace a
// lock taken meanwhile.
//
// A memoised call that misses takes the lock, computes and stores the
// result with Put. A Put of the record on the store that holds its lock
// makes the lock file the result: it writes the result into the lock file
// followed by the holder's identity (before taking the function's
// directory lock, as the data of every Put), then under that lock stops
// the heartbeat, commits the .key and .meta as above, truncates
// the file to the result alone (and fsyncs it with sync=true; the file is
// kept open throughout), checks that <hash>.lock still names that file
// (same device and inode), and renames it to <hash>.out. Two changes to
// the directory in all (create the lock, rename it) where separate files
// take four. The
// lock disappears at the instant the result appears: a waiter then takes
// the lock, looks again and finds the result. unlock after such a Put does
// nothing: by then <hash>.lock may be another caller's new lock. If the
// check fails (the lock was broken as stale, and perhaps taken by another
// caller) the Put writes the record the usual way and leaves <hash>.lock
// alone; if writing fails (a full disk) the lock file gets its holder's
// identity back and stays held until unlock. A program killed while it
// writes its result leaves a lock file that holds part of a result: it is
// a lock all the same, never read as a record. Waiters read a lock's last
// line, which still names the holder, so the dead-holder check applies; a
// lock whose content names no one (its holder was killed as it created the
// file, or between the truncation and the rename) is broken once it is
// unrefreshed for lockstale.
//
// Nothing that follows this protocol on the same machine can change
// <hash>.lock between the check and the rename: every removal or renaming
// of a lock file (unlock, breaking, Clear) runs under the function's
// directory lock, which the Put holds, and a new lock can only be created
// where none is. What remains are programs that remove lock files without
// that lock, and callers on other machines sharing the directory over a
// network file system, where the directory lock does not reach. They break
// a lock only when it has not been refreshed for lockstale, and writing the
// result into it (and truncating it) refreshes it shortly before the
// check; so they could get in only if the holder stalled for longer than
// lockstale after that, and while it stalled between the check and the
// rename (two consecutive system calls) its lock were broken and another
// caller took a new one.
// The rename would then move that caller's lock file to
// <hash>.out: a record that holds a lock's text instead of a result
// (persist reports it as damaged, since it cannot decode it) until that
// caller's own Put replaces it.
//
// Guarantee: while holders live, at most one caller at a time computes a
// given (funcname, hash). After a holder crashes, waiting is bounded by
// lockstale (plus one poll), or ends at once when the holder ran on this
// host. The worst case, when a live holder stalls for longer than lockstale
// or runs on another machine with the same host name in another process
// namespace, is a result computed twice; never a wrong or partial result
// (short of the case above, beyond the directory lock's reach).
// Get does not wait for locks: persist calls Lock after a miss, then Get
// again.
//
// # Clear
//
// Clear(funcname) removes, in <dir>/<funcname> only, the regular files that
// the store's layout names: *.out, *.key, *.meta, stale *.lock and the
// store's temporary files. It leaves everything else: a README, an editor's
// "x.out~", subdirectories, foreign files, the files of other functions,
// and locks that are held. It removes the directory only if that leaves it
// empty. Delete, and so persist rm and gc, likewise removes only regular
// files.
//
// Len and Entries count only records (regular <hash>.out files) and read
// the directory in batches, so a function with a million records is listed
// in constant memory.
//
// # Containment
//
// Nothing outside <dir>/<funcname> is read, written or removed, and no
// symbolic link below <dir> is followed; <dir> itself may be a link, or
// lie under one, since the user chose that path (its missing parents are
// created as named). Every open uses O_NOFOLLOW; files are opened to be
// read with O_NONBLOCK and checked with fstat to be regular files, so a
// FIFO planted as a .out or .lock opens at once and is refused. On Linux
// each open is one openat2(2) with RESOLVE_NO_SYMLINKS, which refuses a
// link anywhere in the path; elsewhere, and when <dir>'s own path holds a
// link, the function directory is opened first with
// O_DIRECTORY|O_NOFOLLOW and the file relative to it. Writers rename,
// link and remove relative to the descriptor of the function directory
// they hold locked, so a directory swapped for a link while they work
// cannot redirect them. A link, FIFO, device or socket where the layout
// has a file, or anything but a directory where it has a function
// directory, is foreign: operations on it fail with an error wrapping
// [ErrForeign] ([*ForeignError] names it), listings skip it, nothing
// removes or replaces it, and [Store.Foreign] lists it (persist verify
// reports it). A cache directory that cannot be created is an error
// wrapping [ErrNoRoot]: at Open when that can be told without creating it
// (a parent removed, a file as a parent), else at the first write.
//
// # Systems
//
// The store needs Unix (Linux, macOS, the BSDs): flock, inode checks and
// rename-over-open-file semantics. Elsewhere the package builds without it,
// so file:// is an unknown scheme there and the other stores still work.
package filestore
