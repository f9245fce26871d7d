//go:build unix

package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/gopersist/persist/stores"
)

// ownerFile is the name of a function's owner record in its directory. No
// hash gives it (it ends in none of the layout's suffixes), so listings and
// pypersist, which look at <hash>.out files only, pass it by.
const ownerFile = ".owner"

// Owner implements [driver.Store]: it reads <dir>/<funcname>/.owner, as
// every other read, without following a link or blocking on a FIFO.
func (s *Driver) Owner(_ context.Context, funcname string) ([]byte, error) {
	b, err := s.readOwner(funcname)
	if err == nil && b == nil {
		err = errNotFound
	}
	return b, err
}

// readOwner reads the owner record of funcname, or returns nil when there
// is none (nor a function directory).
func (s *Driver) readOwner(funcname string) ([]byte, error) {
	b, err := readFileInMax(dirPath{s, funcname}, ownerFile, stores.MaxOwnerLen)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err == nil && len(b) > stores.MaxOwnerLen {
		err = fmt.Errorf("%s: owner record of more than %d bytes", funcname, stores.MaxOwnerLen)
	}
	return b, err
}

// ClaimOwner implements [driver.Store]. The record is written to a
// temporary file and hard-linked into place, which fails if a record is
// there already: of concurrent claims, in this process or others, exactly
// one wins, and a reader never sees a partial record.
func (s *Driver) ClaimOwner(_ context.Context, funcname string, owner []byte) ([]byte, error) {
	dir := dirPath{s, funcname}
	// A Clear may remove the directory between any two steps: start again
	// then, a few times.
	for range 4 {
		if b, err := s.readOwner(funcname); err != nil || b != nil {
			return b, err
		}
		tmp, err := s.writeTemp(dir, ownerFile, owner)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		err = s.linkOwner(funcname, tmp)
		switch {
		case err == nil:
			return append([]byte(nil), owner...), nil
		case errors.Is(err, fs.ErrExist):
			return s.readOwner(funcname)
		case errors.Is(err, fs.ErrNotExist):
			continue
		default:
			return nil, err
		}
	}
	return nil, errClaimRace
}

// linkOwner links the temporary file tmp into place as the owner record,
// relative to the function directory's descriptor, and removes tmp.
func (s *Driver) linkOwner(funcname, tmp string) error {
	d, err := s.openFuncDir(funcname)
	if err != nil {
		return err
	}
	defer d.Close()
	err = d.link(tmp, ownerFile)
	_ = d.unlink(tmp)
	if err == nil {
		err = s.syncDir(d)
	}
	return err
}

// removeOwner removes the owner record of d, for Clear. Only a regular
// file is removed: anything else in its place is not the store's, and
// stays (as does the directory then).
func removeOwner(d *funcDir) error {
	if err := d.removeRegular(ownerFile); err != nil && !errors.Is(err, ErrForeign) {
		return err
	}
	return nil
}
