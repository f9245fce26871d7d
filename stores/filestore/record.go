//go:build unix

package filestore

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gopersist/persist/stores/driver"
)

// Why readers need no lock.
//
// A reader (Read with the key or the metadata) opens the .out, reads it, reads .key and .meta,
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

// readAttempts bounds how often Read rereads a record that a writer keeps
// replacing under it before it reports a miss.
const readAttempts = 4

// Read implements [driver.Store]. It does not wait for locks: a .out that
// exists is complete, because it was renamed into place whole. A hit that
// asks for the result alone opens and reads the .out alone, as os.ReadFile
// does; the .key and .meta are opened only when parts names them.
func (s *Driver) Read(_ context.Context, funcname, hash string, parts driver.Parts) (driver.Record, error) {
	for range readAttempts {
		rec, stable, err := s.readRecord(funcname, hash, parts)
		if err != nil || stable {
			return rec, err
		}
	}
	// A writer replaced the record under every attempt; the caller will
	// treat it as a miss and wait on the lock.
	return driver.Record{}, errNotFound
}

// readRecord reads <hash>.out, then <hash>.key and <hash>.meta (those asked
// for), then checks that <hash>.out is still the file it read (it keeps
// that file open, so the inode cannot be reused). stable is false when it
// was replaced or removed meanwhile: a writer that changes .key or .meta
// first removes .out, so a stable read pairs each file with the .out it was
// written with. A read of the .out alone is stable by itself.
func (s *Driver) readRecord(funcname, hash string, parts driver.Parts) (rec driver.Record, stable bool, err error) {
	fd, st, err := s.openRegular(funcname, hash, extOut)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return rec, false, errNotFound
		}
		return rec, false, s.pathErr("open", funcname, hash+extOut, err)
	}
	defer unix.Close(fd)
	if parts.Has(driver.PartResult) {
		if rec.Result, err = readAll(fd, st.Size); err != nil {
			return rec, false, s.pathErr("read", funcname, hash+extOut, err)
		}
		markUsed(fd, &st)
	}
	rec.Created = created(&st)
	withKey, withMeta := parts.Has(driver.PartKey), parts.Has(driver.PartMeta)
	if !withKey && !withMeta {
		return rec, true, nil
	}
	if withKey {
		if rec.Key, err = s.readCompanion(funcname, hash, extKey); err != nil {
			return rec, false, err
		}
	}
	if withMeta {
		if rec.Meta, err = s.readCompanion(funcname, hash, extMeta); err != nil {
			return rec, false, err
		}
	}
	out := filepath.Join(s.dir, funcname, hash+extOut)
	var now unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Lstat(out, &now) }); err != nil {
		if err == unix.ENOENT {
			return rec, false, nil
		}
		return rec, false, &fs.PathError{Op: "stat", Path: out, Err: err}
	}
	return rec, sameFile(&st, &now), nil
}

// readCompanion reads a .key or .meta file whole, or returns nil if it does
// not exist. It is on the hot path of every Read with a key, where the file is most
// often absent: a missing file costs one failed open and no allocation for
// an error.
func (s *Driver) readCompanion(funcname, hash, ext string) ([]byte, error) {
	fd, st, err := s.openRegular(funcname, hash, ext)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, s.pathErr("open", funcname, hash+ext, err)
	}
	defer unix.Close(fd)
	b, err := readAll(fd, st.Size)
	if err != nil {
		return nil, s.pathErr("read", funcname, hash+ext, err)
	}
	return b, nil
}

// readAll reads the file fd whole into a buffer of its fstat size. Files
// of the layout never change once renamed into place, so the size is
// exact.
func readAll(fd int, size int64) ([]byte, error) {
	if size > maxFileSize {
		// A planted or sparse file: never an allocation of its size.
		return nil, errTooLong
	}
	buf := make([]byte, size)
	for n := 0; n < len(buf); {
		var m int
		err := ignoringEINTR(func() (err error) {
			m, err = unix.Read(fd, buf[n:])
			return err
		})
		if err != nil {
			return nil, err
		}
		if m == 0 {
			return buf[:n], nil // shortened by someone else since
		}
		n += m
	}
	return buf, nil
}

// pathErr gives a bare system error of an operation on name, in the
// directory of funcname, the path it concerns; other errors say it
// already.
func (s *Driver) pathErr(op, funcname, name string, err error) error {
	return wrapErrno(op, s.join(funcname, name), err)
}

// ignoringEINTR retries fn while a signal interrupts it.
func ignoringEINTR(fn func() error) error {
	for {
		if err := fn(); err != syscall.EINTR {
			return err
		}
	}
}

// created is a record's creation time: its .out's modification time, as
// Read and List report it.
func created(out *unix.Stat_t) time.Time { return time.Unix(out.Mtim.Unix()) }

// Delete implements [driver.Store]. It removes .out first, so a reader never
// pairs a .out with the absence of its .key; stray companions of a missing
// .out are removed too. Only regular files are removed: a record with a
// foreign file in the place of one of its files is reported and left
// whole, so that no record loses its .out and keeps a planted companion.
func (s *Driver) Delete(ctx context.Context, funcname, hash string) error {
	err := s.withFuncDir(ctx, funcname, false, func(d *funcDir) error {
		_, err := d.lstat(hash + extOut)
		missing := errors.Is(err, fs.ErrNotExist)
		if err != nil && !missing {
			return err
		}
		for _, ext := range []string{extOut, extKey, extMeta} {
			if err := d.notForeign(hash + ext); err != nil {
				return err
			}
		}
		for _, ext := range []string{extOut, extKey, extMeta} {
			if err := d.removeRegular(hash + ext); err != nil {
				return err
			}
		}
		if err := s.syncDir(d); err != nil {
			return err
		}
		if missing {
			return errNotFound
		}
		return nil
	})
	if errors.Is(err, errNoFuncDir) {
		err = errNotFound
	}
	return err
}
