package memstore

import (
	"context"

	"github.com/gopersist/persist/stores"
)

// List implements [stores.Lister] from the map, copying no record's bytes.
func (s *Store) List(ctx context.Context, funcname, pageToken string, n int) ([]stores.Meta, string, error) {
	if err := s.check(ctx, "list", funcname); err != nil {
		return nil, "", err
	}
	p := stores.NewPager(pageToken, n)
	s.sp.mu.RLock()
	for h, rec := range s.sp.funcs[funcname] {
		p.Offer(stores.Meta{Hash: h, Size: int64(len(rec.Result) + len(rec.Key) + len(rec.Meta)), Created: rec.Created})
	}
	s.sp.mu.RUnlock()
	page, next := p.Page()
	return page, next, nil
}
