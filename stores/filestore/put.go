//go:build unix

package filestore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/gopersist/persist/stores/driver"
)

// The write protocol (the package documentation gives it in brief).
//
// Every file is written to a temporary file in the same directory and
// renamed over its final name, so a .out that exists is always complete and
// Read never waits. A program killed at any instant leaves the old record or
// the new one (or, when the key or metadata changed, no record), never a
// partial .out; leftover temporary files are ignored by List and Len and
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

// With sync=true every temporary file is fsynced before its rename and
// the directory after each step of the order above, so the removal of an
// old .out is durable before the companions change, and the companions
// before the .out that vouches for them; new directories are made durable
// in their parents.

// Write implements [driver.Store]. Writers of one function are serialised
// (see the package documentation), but only while they commit: the data
// is written first, under no lock that other hashes share. Readers never
// wait. A Put of a record whose lock this store holds renames the lock
// file, now holding the result, into place and so releases the lock.
func (s *Driver) Write(ctx context.Context, funcname, hash string, rec driver.Record) error {
	// When this store holds the lock of the record, the lock file becomes
	// the result (see putThroughLock).
	if h := s.claim(lockKey{funcname, hash}); h != nil {
		err := s.putThroughLock(ctx, funcname, hash, rec, h)
		s.unclaim(h)
		return err
	}
	st := &staging{}
	defer st.discard(s, funcname)
	pending := dirPath{s, funcname}
	err := s.stageCompanions(pending, hash, rec, st)
	if err == nil {
		st.tmpOut, err = st.stage(s, pending, hash+extOut, rec.Result)
	}
	if err == nil {
		err = s.withFuncDir(ctx, funcname, true, func(d *funcDir) error {
			return s.commit(d, hash, rec, st)
		})
	}
	return err
}

// commit puts the staged files of rec in place under the function's
// directory lock: the companions that change, then the .out. A result not
// staged yet is written first, before any live file changes, so that a
// failure to write it (a full disk) leaves the old record.
func (s *Driver) commit(d *funcDir, hash string, rec driver.Record, st *staging) error {
	out := hash + extOut
	if err := st.stageMissing(s, d, &st.tmpOut, out, rec.Result); err != nil {
		return err
	}
	if err := s.commitCompanions(d, hash, rec, st); err != nil {
		return err
	}
	err := d.renameOver(st.tmpOut, out)
	if errors.Is(err, fs.ErrNotExist) {
		// A Clear removed it as a leftover before we got the lock:
		// write it again, now that the lock keeps Clear out.
		if st.tmpOut, err = st.stage(s, d, out, rec.Result); err != nil {
			return err
		}
		err = d.renameOver(st.tmpOut, out)
	}
	if err != nil {
		return err
	}
	st.files = nil // every staged file has been renamed into place
	return s.syncDir(d)
}

// stageMissing stages data for final in d unless *tmp names a staged copy
// already.
func (st *staging) stageMissing(s *Driver, d *funcDir, tmp *string, final string, data []byte) error {
	if *tmp != "" {
		return nil
	}
	var err error
	*tmp, err = st.stage(s, d, final, data)
	return err
}

// restageGone is stageMissing of a staged copy *tmp that may have been
// removed (by a Clear, before the directory lock was taken): it is
// written again then.
func (st *staging) restageGone(s *Driver, d *funcDir, tmp *string, final string, data []byte) error {
	if *tmp != "" {
		var sb unix.Stat_t
		if fstatatName(d.fd, *tmp, "", &sb) != unix.ENOENT {
			return nil
		}
		*tmp = ""
	}
	return st.stageMissing(s, d, tmp, final, data)
}

// staging is what a Put has written beside the live files and not yet
// renamed into place. Names are relative to the function directory.
type staging struct {
	tmpKey, tmpMeta, tmpOut string // replacements, "" for none
	files                   []string
}

// renameOverName is renameOver of oldBase+oldExt to newBase+newExt, in
// d, whose usual case (the new name free) joins no name on the heap.
func (d *funcDir) renameOverName(oldBase, oldExt, newBase, newExt string) error {
	done, err := renameNewName(d.fd, oldBase, oldExt, newBase, newExt)
	if err == nil && done {
		return nil
	}
	old, new := oldBase+oldExt, newBase+newExt
	if err != nil {
		return &os.LinkError{Op: "rename", Old: d.join(old), New: d.join(new), Err: err}
	}
	if err := d.notForeign(new); err != nil {
		return err
	}
	return d.rename(old, new)
}

// stage writes data to a temporary file beside final, in dir, and records
// it.
func (st *staging) stage(s *Driver, dir dirFiles, final string, data []byte) (string, error) {
	tmp, err := s.writeTemp(dir, final, data)
	if err == nil {
		st.files = append(st.files, tmp)
	}
	return tmp, err
}

// discard removes the staged files that were not renamed into place.
func (st *staging) discard(s *Driver, funcname string) {
	if len(st.files) == 0 {
		return
	}
	d, err := s.openFuncDir(funcname)
	if err != nil {
		return // nothing of ours is reachable there
	}
	defer d.Close()
	for _, name := range st.files {
		_ = d.unlink(name)
	}
}

// stageCompanions stages the key and metadata of rec that differ from
// those on disk. It runs before the directory lock is taken, so it may
// guess wrong; commitCompanions looks again.
func (s *Driver) stageCompanions(dir dirFiles, hash string, rec driver.Record, st *staging) error {
	for _, c := range []struct {
		ext  string
		want []byte
		tmp  *string
	}{{extKey, rec.Key, &st.tmpKey}, {extMeta, rec.Meta, &st.tmpMeta}} {
		if c.want == nil {
			continue
		}
		same, err := holds(dir, hash+c.ext, c.want)
		if err != nil {
			return err
		}
		if !same {
			if *c.tmp, err = st.stage(s, dir, hash+c.ext, c.want); err != nil {
				return err
			}
		}
	}
	return nil
}

// commitCompanions puts the .key and .meta of rec in place, when they
// change, in the order that keeps readers from pairing them with another
// .out; the caller then renames the new .out into place.
func (s *Driver) commitCompanions(d *funcDir, hash string, rec driver.Record, st *staging) error {
	keySame, err := d.holds(hash, extKey, rec.Key)
	if err != nil {
		return err
	}
	metaSame, err := d.holds(hash, extMeta, rec.Meta)
	if err != nil {
		return err
	}
	// A companion staged on a guess that it changes, found in place by
	// now (another writer stored it meanwhile), is not used: the caller
	// renames no more staged files, so it goes now.
	for _, c := range []struct {
		same bool
		tmp  *string
	}{{keySame, &st.tmpKey}, {metaSame, &st.tmpMeta}} {
		if c.same && *c.tmp != "" {
			_ = d.unlink(*c.tmp)
			*c.tmp = ""
		}
	}
	if keySame && metaSame {
		return nil
	}
	// Everything that goes in is staged before anything live changes: a
	// companion that stageCompanions, before the lock, guessed unchanged
	// is written now.
	// A staged file that a Clear removed as a leftover before we got the
	// lock is written again now, before the first removal.
	if !keySame && rec.Key != nil {
		if err := st.restageGone(s, d, &st.tmpKey, hash+extKey, rec.Key); err != nil {
			return err
		}
	}
	if !metaSame && rec.Meta != nil {
		if err := st.restageGone(s, d, &st.tmpMeta, hash+extMeta, rec.Meta); err != nil {
			return err
		}
	}
	if st.tmpOut != "" {
		if err := st.restageGone(s, d, &st.tmpOut, hash+extOut, rec.Result); err != nil {
			return err
		}
	}
	// Take the old .out away before its companions change: a reader that
	// opened it then sees it gone when it checks again, and a crash from
	// here on leaves a miss, never a mismatched pair.
	if err := d.removeRegular(hash + extOut); err != nil {
		return err
	}
	if err := s.syncDir(d); err != nil {
		return err
	}
	for _, c := range []struct {
		ext  string
		same bool
		want []byte
		tmp  string
	}{{extKey, keySame, rec.Key, st.tmpKey}, {extMeta, metaSame, rec.Meta, st.tmpMeta}} {
		if c.same {
			continue
		}
		if c.want == nil {
			if err := d.removeRegular(hash + c.ext); err != nil {
				return err
			}
			continue
		}
		err := d.rename(c.tmp, hash+c.ext)
		if errors.Is(err, fs.ErrNotExist) {
			// Removed by a Clear before we got the lock.
			if c.tmp, err = st.stage(s, d, hash+c.ext, c.want); err != nil {
				return err
			}
			err = d.rename(c.tmp, hash+c.ext)
		}
		if err != nil {
			return err
		}
	}
	// The companions must be durable before the .out that vouches for them.
	return s.syncDir(d)
}

// holds reports whether the file name in dir holds exactly want, where
// nil means the file must not exist.
func holds(dir dirFiles, name string, want []byte) (bool, error) {
	fd, err := dir.open(name, readFlags, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return want == nil, nil
	}
	if err != nil {
		return false, wrapErrno("open", dir.join(name), err)
	}
	defer unix.Close(fd)
	st, err := fstatRegular(fd, dir.join(name))
	if err != nil || want == nil || st.Size != int64(len(want)) {
		// A file of another size differs, however large: it is replaced,
		// never read.
		return false, err
	}
	have, err := readAll(fd, st.Size)
	if err != nil {
		return false, wrapErrno("read", dir.join(name), err)
	}
	return bytes.Equal(have, want), nil
}

// holds reports whether base+ext in d holds exactly want, where nil means
// the file must not exist, as holds does. The question a miss asks of
// each companion is whether it is absent, which one fstatat(2) answers
// without opening the file, and without an allocation: a file in its
// place that is not a regular one is foreign, as readFileIn has it.
func (d *funcDir) holds(base, ext string, want []byte) (bool, error) {
	if want != nil {
		return holds(d, base+ext, want)
	}
	var st unix.Stat_t
	switch err := fstatatName(d.fd, base, ext, &st); {
	case err == unix.ENOENT:
		return true, nil
	case err != nil:
		return false, &fs.PathError{Op: "stat", Path: d.join(base + ext), Err: err}
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return false, &ForeignError{Path: d.join(base + ext), Type: fileType(uint32(st.Mode))}
	}
	return false, nil
}

// readFileInMax reads the regular file name in dir whole, or returns nil
// if it does not exist, if it is of at most max bytes (no bound when
// max < 0): a longer one is an error wrapping errTooLong, told by
// its size before anything is read.
func readFileInMax(dir dirFiles, name string, max int64) ([]byte, error) {
	fd, err := dir.open(name, readFlags, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapErrno("open", dir.join(name), err)
	}
	defer unix.Close(fd)
	st, err := fstatRegular(fd, dir.join(name))
	if err != nil {
		return nil, err
	}
	if max >= 0 && st.Size > max {
		return nil, wrapErrno("read", dir.join(name), errTooLong)
	}
	b, err := readAll(fd, st.Size)
	if err != nil {
		return nil, wrapErrno("read", dir.join(name), err)
	}
	return b, nil
}

// writeTemp writes data to a new temporary file beside final, in dir,
// fsynced when the store syncs, and returns its name. On failure nothing
// is left behind.
func (s *Driver) writeTemp(dir dirFiles, final string, data []byte) (string, error) {
	fd, name, err := createTemp(dir, final+tmpTag)
	if err != nil {
		return "", err
	}
	f := os.NewFile(uintptr(fd), dir.join(name))
	_, err = f.Write(data)
	if err == nil && s.opts.Sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = dir.unlink(name)
		return "", err
	}
	return name, nil
}

// createTemp creates prefix<16 hex digits> in dir, a name no other writer
// holds. Unlike os.CreateTemp it leaves the permissions to the umask (0666
// before it), so that results stay readable by whoever may read the
// directory.
func createTemp(dir dirFiles, prefix string) (int, string, error) {
	for {
		name := prefix + randomTag()
		fd, err := dir.open(name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return fd, name, wrapErrno("open", dir.join(name), err)
	}
}

// randomTag returns 16 random hex digits.
func randomTag() string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// dirFiles opens files in one function directory without following links:
// a *funcDir under the directory lock, a dirPath before it.
type dirFiles interface {
	open(name string, flag int, perm uint32) (int, error)
	unlink(name string) error
	join(name string) string
}

// dirPath is a function directory reached by its path, each open checked
// on the way (see openIn); a missing directory is created for a file to
// be created in it.
type dirPath struct {
	s        *Driver
	funcname string
}

func (p dirPath) open(name string, flag int, perm uint32) (int, error) {
	for range 3 {
		fd, err := p.s.openIn(p.funcname, name, "", flag, perm)
		if flag&unix.O_CREAT == 0 || !errors.Is(err, fs.ErrNotExist) {
			return fd, err
		}
		if err := p.s.makeFuncDir(p.funcname); err != nil {
			return -1, err
		}
	}
	// Created and removed again by a Clear, each time: the commit under
	// the lock writes the file instead.
	return -1, unix.ENOENT
}

func (p dirPath) unlink(name string) error {
	d, err := p.s.openFuncDir(p.funcname)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.unlink(name)
}

func (p dirPath) join(name string) string { return p.s.join(p.funcname, name) }

// join names name in the directory of funcname.
func (s *Driver) join(funcname, name string) string { return filepath.Join(s.dir, funcname, name) }

// wrapErrno gives a bare system error the path it concerns.
func wrapErrno(op, path string, err error) error {
	if _, ok := err.(unix.Errno); ok || err == errTooLong {
		return &fs.PathError{Op: op, Path: path, Err: err}
	}
	return err
}
