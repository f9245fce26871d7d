//go:build unix

package filestore

import (
	"context"
	"errors"
	"io/fs"
	"iter"
	"slices"

	"github.com/gopersist/persist/stores"
)

// Funcs implements [driver.FuncLister]: the subdirectories of the store's
// directory that hold at least one <hash>.out, in ascending order.
func (s *Driver) Funcs(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		names, err := s.funcNames(ctx)
		if err != nil {
			yield("", err)
			return
		}
		for _, name := range names {
			has, err := s.hasEntry(ctx, name)
			if errors.Is(err, ErrForeign) {
				continue // swapped for a link since the listing
			}
			if err != nil {
				yield("", err)
				return
			}
			if has && !yield(name, nil) {
				return
			}
		}
	}
}

// funcNames returns the names of the subdirectories of the store's
// directory that could be function directories, sorted: the directory is
// read in batches, but the names are kept, since Funcs streams them in
// order. Links in the store's directory are not followed (Foreign lists
// them).
func (s *Driver) funcNames(ctx context.Context) ([]string, error) {
	f, err := s.openRoot()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	err = scanEntries(ctx, f, fs.FileMode.IsDir, func(name string) (bool, error) {
		if stores.ValidName("funcname", name) == nil {
			names = append(names, name)
		}
		return true, nil
	})
	slices.Sort(names)
	return names, err
}

// hasEntry reports whether the directory of funcname holds at least one
// <hash>.out.
func (s *Driver) hasEntry(ctx context.Context, funcname string) (bool, error) {
	found := false
	err := s.scan(ctx, funcname, func(name string) (bool, error) {
		_, k := classify(name)
		found = k == kindOut
		return !found, nil
	})
	return found, err
}
