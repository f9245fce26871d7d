//go:build unix

package filestore

import (
	"context"
	"errors"
	"io/fs"
	"iter"

	"github.com/gopersist/persist/stores"
)

// Foreign lists the foreign files (see [ErrForeign]) where the layout has
// files of the cache: for funcname, its function directory if that is not
// a directory, or else the entries in it named as the layout's files are
// (<hash>.out, .key, .meta, .lock and temporary files) that are not
// regular files; for funcname "", those of every function, and the names
// in the store's directory that are links or special files. The store
// never reads or removes them; persist verify reports them. Listing reads
// only the directories, never the files. An error ends the sequence: a
// *stores.NameError for an unsafe funcname, the context's, or the system's.
func (s *Driver) Foreign(ctx context.Context, funcname string) iter.Seq2[*ForeignError, error] {
	return func(yield func(*ForeignError, error) bool) {
		// Called on the driver, not through the portable store, so it
		// checks the name itself.
		err := ctx.Err()
		if err == nil && funcname != "" {
			err = stores.ValidName("funcname", funcname)
		}
		if err == nil {
			if funcname == "" {
				err = s.foreignAll(ctx, yield)
			} else {
				_, err = s.foreignIn(ctx, funcname, yield)
			}
		}
		if err != nil && err != errStopped {
			yield(nil, err)
		}
	}
}

// errStopped is the report that a caller stopped an iteration.
var errStopped = errors.New("stopped")

// foreignAll lists the foreign files of the whole store.
func (s *Driver) foreignAll(ctx context.Context, yield func(*ForeignError, error) bool) error {
	f, err := s.openRoot()
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	all := func(fs.FileMode) bool { return true }
	return scanEntries(ctx, f, all, func(name string) (bool, error) {
		if stores.ValidName("funcname", name) != nil {
			return true, nil
		}
		return s.foreignIn(ctx, name, yield)
	})
}

// foreignIn lists the foreign files of the function directory funcname. A
// regular file in its place is not listed: the store cannot be led
// anywhere by it, and it may be anyone's.
func (s *Driver) foreignIn(ctx context.Context, funcname string, yield func(*ForeignError, error) bool) (more bool, err error) {
	d, err := s.openFuncDir(funcname)
	var fe *ForeignError
	switch {
	case errors.As(err, &fe):
		if fe.Type == 0 {
			return true, nil
		}
		if !yield(fe, nil) {
			return false, errStopped
		}
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return true, nil
	case err != nil:
		return false, err
	}
	defer d.Close()
	notRegular := func(t fs.FileMode) bool { return !t.IsRegular() }
	err = scanEntries(ctx, d.file(), notRegular, func(name string) (bool, error) {
		if _, k := classify(name); k == kindOther {
			return true, nil
		}
		st, err := d.lstat(name)
		if errors.Is(err, fs.ErrNotExist) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if fileType(uint32(st.Mode)) == 0 {
			return true, nil // a regular file by now
		}
		if !yield(&ForeignError{Path: d.join(name), Type: fileType(uint32(st.Mode))}, nil) {
			return false, errStopped
		}
		return true, nil
	})
	return err == nil, err
}
