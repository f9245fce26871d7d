//go:build unix

package filestore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"

	"github.com/gopersist/persist/stores"
)

// readAttempts bounds how often Get rereads a record that a writer keeps
// replacing under it before it reports a miss.
const readAttempts = 4

// errMissing is readRecord's report of an absent .out.
var errMissing = errors.New("missing")

// Get implements [stores.Store]. It does not wait for locks: a .out that
// exists is complete, because it was renamed into place whole.
func (s *Store) Get(ctx context.Context, funcname, hash string) (stores.Record, error) {
	if err := s.check(ctx, "get", funcname, hash); err != nil {
		return stores.Record{}, err
	}
	rec, err := s.get(funcname, hash, true, true)
	return rec, s.opErr("get", err)
}

// ReadResult implements [stores.ResultReader]: a hit of a memoised call
// reads the .out alone, one open and read as os.ReadFile does, and the
// .key only when keys are stored.
func (s *Store) ReadResult(ctx context.Context, funcname, hash string, withKey bool) (stores.Record, error) {
	if err := s.check(ctx, "get", funcname, hash); err != nil {
		return stores.Record{}, err
	}
	rec, err := s.get(funcname, hash, withKey, false)
	return rec, s.opErr("get", err)
}

func (s *Store) get(funcname, hash string, withKey, withMeta bool) (stores.Record, error) {
	base := filepath.Join(s.dir, funcname, hash)
	for range readAttempts {
		rec, stable, err := readRecord(base, withKey, withMeta)
		if errors.Is(err, errMissing) {
			return stores.Record{}, notFound(funcname, hash)
		}
		if err != nil || stable {
			return rec, err
		}
	}
	// A writer replaced the record under every attempt; the caller will
	// treat it as a miss and wait on the lock.
	return stores.Record{}, notFound(funcname, hash)
}

// readRecord reads <base>.out, then <base>.key and <base>.meta (those asked
// for), then checks that <base>.out is still the file it read (it keeps
// that file open, so the inode cannot be reused). stable is false when it
// was replaced or removed meanwhile: a writer that changes .key or .meta
// first removes .out, so a stable read pairs each file with the .out it was
// written with. A read of the .out alone is stable by itself.
func readRecord(base string, withKey, withMeta bool) (rec stores.Record, stable bool, err error) {
	out := base + extOut
	f, err := openFile(out, syscall.O_RDONLY, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return rec, false, errMissing
		}
		return rec, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return rec, false, err
	}
	if rec.Result, err = readSized(f, fi.Size()); err != nil {
		return rec, false, err
	}
	rec.Created = fi.ModTime()
	if !withKey && !withMeta {
		return rec, true, nil
	}
	if withKey {
		if rec.Key, err = readCompanion(base + extKey); err != nil {
			return rec, false, err
		}
	}
	if withMeta {
		if rec.Meta, err = readCompanion(base + extMeta); err != nil {
			return rec, false, err
		}
	}
	var now syscall.Stat_t
	if err := ignoringEINTR(func() error { return syscall.Stat(out, &now) }); err != nil {
		if err == syscall.ENOENT {
			return rec, false, nil
		}
		return rec, false, &fs.PathError{Op: "stat", Path: out, Err: err}
	}
	held, ok := fi.Sys().(*syscall.Stat_t)
	return rec, ok && held.Dev == now.Dev && held.Ino == now.Ino, nil
}

// readSized reads f whole into a buffer of its fstat size. Files of the
// layout never change once renamed into place, so the size is exact.
func readSized(f *os.File, size int64) ([]byte, error) {
	buf := make([]byte, size)
	n, err := io.ReadFull(f, buf)
	if err == io.ErrUnexpectedEOF {
		err = nil // shortened by someone else since; return what is there
	}
	return buf[:n], err
}

// readCompanion reads a .key or .meta file whole, or returns nil if it does
// not exist. It is on the hot path of every Get, where the file is most
// often absent, so it uses the system calls directly: a missing file costs
// one failed open(2) and no allocation for an error.
func readCompanion(path string) ([]byte, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		return err
	})
	if err == syscall.ENOENT {
		return nil, nil
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := ignoringEINTR(func() error { return syscall.Fstat(fd, &st) }); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	buf := make([]byte, st.Size)
	for n := 0; n < len(buf); {
		var m int
		err := ignoringEINTR(func() (err error) {
			m, err = syscall.Read(fd, buf[n:])
			return err
		})
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			return buf[:n], nil // shortened by someone else since
		}
		n += m
	}
	return buf, nil
}

// ignoringEINTR retries fn while a signal interrupts it.
func ignoringEINTR(fn func() error) error {
	for {
		if err := fn(); err != syscall.EINTR {
			return err
		}
	}
}

// Put implements [stores.Store]. Writers of one function are serialised
// (see the package documentation); readers never wait. A Put of a record
// whose lock this store holds renames the lock file, now holding the
// result, into place and so releases the lock.
func (s *Store) Put(ctx context.Context, funcname, hash string, rec stores.Record) error {
	if err := s.check(ctx, "put", funcname, hash); err != nil {
		return err
	}
	dir := filepath.Join(s.dir, funcname)
	base := filepath.Join(dir, hash)
	// When this store holds the lock of the record, the lock file becomes
	// the result (see putThroughLock).
	h := s.claim(base + extLock)
	err := s.withFuncDir(dir, true, func(d *os.File) error {
		if h != nil {
			return s.putThroughLock(d, base, rec, h)
		}
		return s.put(d, base, rec)
	})
	if h != nil {
		s.unclaim(h)
	}
	return s.opErr("put", err)
}

// put writes rec at base while the function's directory lock is held.
func (s *Store) put(d *os.File, base string, rec stores.Record) error {
	// Stage every new file before touching the live ones, so that a failure
	// here (a full disk) leaves the old record exactly as it was.
	st, err := s.stageCompanions(base, rec)
	defer st.discard()
	if err != nil {
		return err
	}
	tmpOut, err := st.stage(s, base+extOut, rec.Result)
	if err != nil {
		return err
	}
	if err := s.commitCompanions(d, base, st); err != nil {
		return err
	}
	if err := os.Rename(tmpOut, base+extOut); err != nil {
		return err
	}
	st.files = nil // every staged file has been renamed into place
	return s.syncDir(d)
}

// staging is what a Put has written beside the live files and not yet
// renamed into place.
type staging struct {
	keySame, metaSame bool   // the .key, .meta on disk are already right
	tmpKey, tmpMeta   string // their replacements, "" for none
	files             []string
}

// stage writes data to a temporary file beside final and records it.
func (st *staging) stage(s *Store, final string, data []byte) (string, error) {
	tmp, err := s.writeTemp(final, data)
	if err == nil {
		st.files = append(st.files, tmp)
	}
	return tmp, err
}

// discard removes the staged files that were not renamed into place.
func (st *staging) discard() {
	for _, p := range st.files {
		_ = os.Remove(p)
	}
}

// stageCompanions compares rec's key and metadata with those on disk and
// stages the ones that change. The staging it returns is never nil.
func (s *Store) stageCompanions(base string, rec stores.Record) (*staging, error) {
	st := &staging{}
	var err error
	if st.keySame, err = holds(base+extKey, rec.Key); err != nil {
		return st, err
	}
	if st.metaSame, err = holds(base+extMeta, rec.Meta); err != nil {
		return st, err
	}
	if !st.keySame && rec.Key != nil {
		if st.tmpKey, err = st.stage(s, base+extKey, rec.Key); err != nil {
			return st, err
		}
	}
	if !st.metaSame && rec.Meta != nil {
		if st.tmpMeta, err = st.stage(s, base+extMeta, rec.Meta); err != nil {
			return st, err
		}
	}
	return st, nil
}

// commitCompanions puts the staged .key and .meta in place, when they
// change, in the order that keeps readers from pairing them with another
// .out; the caller then renames the new .out into place.
func (s *Store) commitCompanions(d *os.File, base string, st *staging) error {
	if st.keySame && st.metaSame {
		return nil
	}
	// Take the old .out away before its companions change: a reader that
	// opened it then sees it gone when it checks again, and a crash from
	// here on leaves a miss, never a mismatched pair.
	if err := removeIfExists(base + extOut); err != nil {
		return err
	}
	if err := s.syncDir(d); err != nil {
		return err
	}
	if !st.keySame {
		if err := replace(st.tmpKey, base+extKey); err != nil {
			return err
		}
	}
	if !st.metaSame {
		if err := replace(st.tmpMeta, base+extMeta); err != nil {
			return err
		}
	}
	// The companions must be durable before the .out that vouches for them.
	return s.syncDir(d)
}

// replace renames tmp to final, or removes final when tmp is "".
func replace(tmp, final string) error {
	if tmp == "" {
		return removeIfExists(final)
	}
	return os.Rename(tmp, final)
}

// holds reports whether the file at path holds exactly want, where nil
// means the file must not exist.
func holds(path string, want []byte) (bool, error) {
	have, err := readCompanion(path)
	if err != nil {
		return false, err
	}
	return (have == nil) == (want == nil) && bytes.Equal(have, want), nil
}

// writeTemp writes data to a new temporary file beside final, fsynced when
// the store syncs, and returns its name. On failure nothing is left behind.
func (s *Store) writeTemp(final string, data []byte) (string, error) {
	f, name, err := createTemp(final + tmpTag)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil && s.opts.Sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(name)
		return "", err
	}
	return name, nil
}

// createTemp creates prefix<16 hex digits>, a name no other writer holds.
// Unlike os.CreateTemp it leaves the permissions to the umask (0666 before
// it), so that results stay readable by whoever may read the directory.
func createTemp(prefix string) (*os.File, string, error) {
	for {
		name := prefix + randomTag()
		f, err := openFile(name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, name, err
	}
}

// randomTag returns 16 random hex digits.
func randomTag() string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// removeIfExists removes path; a path already gone is not an error.
func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Delete implements [stores.Store]. It removes .out first, so a reader never
// pairs a .out with the absence of its .key; stray companions of a missing
// .out are removed too.
func (s *Store) Delete(ctx context.Context, funcname, hash string) error {
	if err := s.check(ctx, "delete", funcname, hash); err != nil {
		return err
	}
	dir := filepath.Join(s.dir, funcname)
	err := s.withFuncDir(dir, false, func(d *os.File) error {
		base := filepath.Join(dir, hash)
		err := os.Remove(base + extOut)
		missing := errors.Is(err, fs.ErrNotExist)
		if err != nil && !missing {
			return err
		}
		for _, ext := range []string{extKey, extMeta} {
			if err := removeIfExists(base + ext); err != nil {
				return err
			}
		}
		if err := s.syncDir(d); err != nil {
			return err
		}
		if missing {
			return errMissing
		}
		return nil
	})
	if errors.Is(err, errMissing) || errors.Is(err, errNoFuncDir) {
		err = notFound(funcname, hash)
	}
	return s.opErr("delete", err)
}
