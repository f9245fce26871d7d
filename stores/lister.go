package stores

import (
	"container/heap"
	"context"
	"slices"
	"strings"
	"time"
)

// Meta describes one record without its bytes: what a listing shows.
type Meta struct {
	Hash string
	// Size is the bytes of the record's result, key and metadata together.
	Size int64
	// Created is when the store wrote the record, as Get reports it.
	Created time.Time
}

// Lister is implemented by stores that can list a function's records by
// their metadata alone, without reading results: a file store from its
// directory, a memory store from its map.
type Lister interface {
	// List returns up to n records of funcname in ascending hash order,
	// starting after pageToken ("" for the first page), and the token of
	// the next page, "" after the last. Tokens are opaque to callers. A
	// record removed while the pages are read is skipped; n < 1 is taken
	// as 1.
	List(ctx context.Context, funcname, pageToken string, n int) (page []Meta, next string, err error)
}

// List returns a page of funcname's records as [Lister] describes, through
// s's own List when it has one. For a store without it, List reads every
// record of funcname through Entries, results included, to answer one page:
// correct for any store, but as costly as reading the whole function.
func List(ctx context.Context, s Store, funcname, pageToken string, n int) ([]Meta, string, error) {
	if l, ok := s.(Lister); ok {
		return l.List(ctx, funcname, pageToken, n)
	}
	p := NewPager(pageToken, n)
	for e, err := range s.Entries(ctx, funcname) {
		if err != nil {
			return nil, "", err
		}
		p.Offer(Meta{Hash: e.Hash, Size: int64(len(e.Result) + len(e.Key) + len(e.Meta)), Created: e.Created})
	}
	page, next := p.Page()
	return page, next, nil
}

// Pager collects one page of records, in ascending hash order, from
// records offered in any order, so that every store pages the way [Lister]
// says. It keeps n+1 records at most, whatever the number offered.
type Pager struct {
	after    string
	n        int
	smallest maxHeap // the n+1 smallest hashes after the token seen so far
}

// NewPager returns a Pager for the page of n hashes after pageToken.
func NewPager(pageToken string, n int) *Pager {
	return &Pager{after: pageToken, n: max(n, 1)}
}

// Offer considers m for the page. Each hash is to be offered once.
func (p *Pager) Offer(m Meta) {
	switch {
	case m.Hash <= p.after:
	case p.smallest.Len() <= p.n:
		heap.Push(&p.smallest, m)
	case m.Hash < p.smallest[0].Hash:
		p.smallest[0] = m
		heap.Fix(&p.smallest, 0)
	}
}

// Page returns the page, sorted by hash, and the token of the next page,
// "" when no record offered comes after it.
func (p *Pager) Page() (page []Meta, next string) {
	page = slices.Clone(p.smallest)
	slices.SortFunc(page, func(a, b Meta) int { return strings.Compare(a.Hash, b.Hash) })
	if len(page) > p.n {
		page = page[:p.n]
		next = page[p.n-1].Hash
	}
	return page, next
}

// maxHeap is a max-heap of records by hash: its root is the largest kept,
// the first to go when a smaller one arrives.
type maxHeap []Meta

func (h maxHeap) Len() int           { return len(h) }
func (h maxHeap) Less(i, j int) bool { return h[i].Hash > h[j].Hash }
func (h maxHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *maxHeap) Push(x any)        { *h = append(*h, x.(Meta)) }
func (h *maxHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
