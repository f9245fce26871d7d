package reststore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
)

// maxAttempts bounds the loop that redoes a Delete after losing a race
// with another writer (a 412).
const maxAttempts = 8

// Get implements [stores.Store].
func (s *Store) Get(ctx context.Context, funcname, hash string) (stores.Record, error) {
	if err := s.check(ctx, "get", funcname, hash); err != nil {
		return stores.Record{}, err
	}
	it, err := s.getItem(ctx, funcname, hash)
	if err != nil {
		return stores.Record{}, s.opError("get", err)
	}
	rec, err := wire.DecodeRecord(it)
	if err != nil {
		return stores.Record{}, s.opError("get", fmt.Errorf("%w: the server's item: %w", stores.ErrUnavailable, err))
	}
	return rec, nil
}

// getItem fetches one item, mapping 404 to stores.ErrNotFound.
func (s *Store) getItem(ctx context.Context, funcname, hash string) (wire.Item, error) {
	resp, err := s.do(ctx, request{method: http.MethodGet, url: s.itemURL(funcname, hash), read: true})
	if err != nil {
		return wire.Item{}, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		discard(resp)
		return wire.Item{}, stores.ErrNotFound
	default:
		return wire.Item{}, unexpected(resp)
	}
	var it wire.Item
	if err := decode(resp, &it); err != nil {
		return wire.Item{}, err
	}
	if it.Hash != hash {
		return wire.Item{}, fmt.Errorf("%w: asked for hash %q, the server answered item %q", stores.ErrUnavailable, hash, it.Hash)
	}
	return it, nil
}

// Put implements [stores.Store].
func (s *Store) Put(ctx context.Context, funcname, hash string, rec stores.Record) error {
	if err := s.check(ctx, "put", funcname, hash); err != nil {
		return err
	}
	body, err := json.Marshal(wire.EncodeRecord(funcname, hash, rec))
	if err != nil {
		return s.opError("put", err)
	}
	err = s.post(ctx, funcname, body)
	if !isDuplicate(err) {
		return s.opErrorOrNil("put", err)
	}
	// The server keeps the first item of a hash: replace it with a
	// conditional DELETE and a new POST. If another writer's item takes
	// its place meanwhile (the DELETE finds the item changed, or the new
	// POST is refused again), that writer's Put wrote after this one
	// began: this one is overtaken, as if it had landed just before, and
	// is done. So concurrent writers never fight: each ends after at most
	// four requests.
	switch err := s.deleteOnce(ctx, funcname, hash); {
	case errors.Is(err, errChanged):
		return nil
	case err != nil && !errors.Is(err, stores.ErrNotFound):
		return s.opError("put", err)
	}
	err = s.post(ctx, funcname, body)
	if isDuplicate(err) {
		return nil
	}
	return s.opErrorOrNil("put", err)
}

// post sends one item.
func (s *Store) post(ctx context.Context, funcname string, body []byte) error {
	resp, err := s.do(ctx, request{method: http.MethodPost, url: s.funcURL(funcname), body: body})
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated {
		return unexpected(resp)
	}
	var rc wire.Receipt
	if err := decode(resp, &rc); err != nil {
		return err
	}
	if rc.Status != wire.StatusOK {
		return fmt.Errorf("%w: the server answered 201 with _status %q", stores.ErrUnavailable, rc.Status)
	}
	return nil
}

// isDuplicate reports a POST refused because the hash is stored: Eve's
// unique rule answers 422 with an issue on hash, some servers 409.
func isDuplicate(err error) bool {
	var he *HTTPError
	if !errors.As(err, &he) {
		return false
	}
	return he.StatusCode == http.StatusConflict ||
		he.StatusCode == http.StatusUnprocessableEntity && strings.Contains(he.issue("hash"), "not unique")
}

// errChanged reports a conditional DELETE refused because the item changed
// after its etag was read.
var errChanged = errors.New("the item changed while it was being deleted")

// Delete implements [stores.Store].
func (s *Store) Delete(ctx context.Context, funcname, hash string) error {
	if err := s.check(ctx, "delete", funcname, hash); err != nil {
		return err
	}
	for attempt := range maxAttempts {
		if attempt > 0 {
			if err := s.wait(ctx, attempt-1); err != nil {
				return s.opError("delete", err)
			}
		}
		err := s.deleteOnce(ctx, funcname, hash)
		if !errors.Is(err, errChanged) {
			return s.opErrorOrNil("delete", err)
		}
	}
	return s.opError("delete", fmt.Errorf("hash %q was rewritten by other writers %d times while it was being deleted: %w", hash, maxAttempts, stores.ErrUnavailable))
}

// deleteOnce reads an item's etag and deletes the item if it still has it.
func (s *Store) deleteOnce(ctx context.Context, funcname, hash string) error {
	it, err := s.getItem(ctx, funcname, hash)
	if err != nil {
		return err
	}
	id := it.ID
	if id == "" {
		id = hash
	}
	resp, err := s.do(ctx, request{method: http.MethodDelete, url: s.itemURL(funcname, id), ifMatch: it.ETag})
	if err != nil {
		return err
	}
	switch resp.StatusCode {
	case http.StatusNoContent, http.StatusOK:
		discard(resp)
		return nil
	case http.StatusNotFound:
		discard(resp)
		return stores.ErrNotFound
	case http.StatusPreconditionFailed:
		discard(resp)
		return errChanged
	}
	return unexpected(resp)
}

// Len implements [stores.Store].
func (s *Store) Len(ctx context.Context, funcname string) (int, error) {
	if err := s.check(ctx, "len", funcname); err != nil {
		return 0, err
	}
	resp, err := s.do(ctx, request{method: http.MethodHead, url: s.funcURL(funcname), read: true})
	if err != nil {
		return 0, s.opError("len", err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, s.opError("len", unexpected(resp))
	}
	discard(resp)
	if v := resp.Header.Get(wire.TotalCountHeader); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return n, nil
		}
	}
	// No count header: ask for the smallest page and read _meta.total.
	page, err := s.page(ctx, funcname, url.Values{"max_results": {"1"}})
	if err != nil {
		return 0, s.opError("len", err)
	}
	return page.Meta.Total, nil
}

// Clear implements [stores.Store].
func (s *Store) Clear(ctx context.Context, funcname string) error {
	if err := s.check(ctx, "clear", funcname); err != nil {
		return err
	}
	resp, err := s.do(ctx, request{method: http.MethodDelete, url: s.funcURL(funcname)})
	if err != nil {
		return s.opError("clear", err)
	}
	switch resp.StatusCode {
	case http.StatusNoContent, http.StatusOK, http.StatusNotFound:
		// 404: there was nothing to remove (Eve's answer).
		discard(resp)
		return nil
	}
	return s.opError("clear", unexpected(resp))
}

// Entries implements [stores.Store]. It reads one page at a time, asking
// for the hashes after the last one it yielded.
func (s *Store) Entries(ctx context.Context, funcname string) iter.Seq2[stores.Entry, error] {
	return func(yield func(stores.Entry, error) bool) {
		if err := s.check(ctx, "entries", funcname); err != nil {
			yield(stores.Entry{}, err)
			return
		}
		last, first := "", true
		for {
			q := url.Values{"sort": {"hash"}, "max_results": {strconv.Itoa(s.pageSize)}}
			if !first {
				where, _ := json.Marshal(map[string]map[string]string{"hash": {"$gt": last}})
				q.Set("where", string(where))
			}
			page, err := s.page(ctx, funcname, q)
			if err == nil && s.closed.Load() {
				err = stores.ErrClosed
			}
			if err != nil {
				yield(stores.Entry{}, s.opError("entries", err))
				return
			}
			for _, it := range page.Items {
				if !first && it.Hash <= last {
					// A server that ignores where would page forever.
					yield(stores.Entry{}, s.opError("entries", fmt.Errorf("%w: the server answered hash %q after %q: it does not page by hash", stores.ErrUnavailable, it.Hash, last)))
					return
				}
				rec, err := wire.DecodeRecord(it)
				if err != nil {
					yield(stores.Entry{}, s.opError("entries", fmt.Errorf("%w: the server's item %q: %w", stores.ErrUnavailable, it.Hash, err)))
					return
				}
				if !yield(stores.Entry{Hash: it.Hash, Record: rec}, nil) {
					return
				}
				last, first = it.Hash, false
			}
			// _meta.total counts the hashes after last, this page's
			// included; a page can be short of max_results when records
			// were deleted while the server read it, so it is no sign.
			if len(page.Items) == 0 || page.Meta.Total <= len(page.Items) {
				return
			}
		}
	}
}

// page fetches one page of a function's items.
func (s *Store) page(ctx context.Context, funcname string, q url.Values) (wire.Page, error) {
	resp, err := s.do(ctx, request{method: http.MethodGet, url: s.funcURL(funcname) + "?" + q.Encode(), read: true})
	if err != nil {
		return wire.Page{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return wire.Page{}, unexpected(resp)
	}
	var page wire.Page
	err = decode(resp, &page)
	return page, err
}

func (s *Store) opErrorOrNil(op string, err error) error {
	if err == nil {
		return nil
	}
	return s.opError(op, err)
}
