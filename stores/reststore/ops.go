package reststore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores/driver"
)

// maxAttempts bounds the loop that redoes a Delete after losing a race
// with another writer (a 412).
const maxAttempts = 8

// Read implements [driver.Store]. A read of some parts asks for those
// only, with Eve's projection, so that a hit that needs the result carries
// (and makes the server's store read) the result alone; a server that
// ignores the projection sends more, which is dropped. It asks for a
// record frame (wire.FrameType), the record's bytes as they are, and reads
// the JSON item of a server that answers that instead.
func (s *restDriver) Read(ctx context.Context, funcname, hash string, parts driver.Parts) (driver.Record, error) {
	target := s.base + "/" + funcname + "/" + url.PathEscape(hash) + projection(parts) // one allocation
	resp, err := s.do(ctx, request{method: http.MethodGet, url: target, accept: acceptFrame, read: true})
	if err != nil {
		return driver.Record{}, err
	}
	var rec driver.Record
	switch {
	case resp.StatusCode == http.StatusNotFound:
		discard(resp)
		return driver.Record{}, errNotFound
	case resp.StatusCode != http.StatusOK:
		return driver.Record{}, unexpected(resp)
	case isFrame(resp.Header.Get("Content-Type")):
		body, err := readBody(resp)
		if err != nil {
			return driver.Record{}, err
		}
		got, r, err := wire.DecodeFrame(body)
		if err != nil {
			return driver.Record{}, fmt.Errorf("%w: the server's item: %w", errUnavailable, err)
		}
		if string(got) != hash {
			return driver.Record{}, fmt.Errorf("%w: asked for hash %q, the server answered item %q", errUnavailable, hash, got)
		}
		rec = r
	default:
		it, err := decodeItem(resp, hash)
		if err != nil {
			return driver.Record{}, err
		}
		if rec, err = wire.DecodeRecord(it); err != nil {
			return driver.Record{}, fmt.Errorf("%w: the server's item: %w", errUnavailable, err)
		}
	}
	if !parts.Has(driver.PartResult) {
		rec.Result = nil
	}
	if !parts.Has(driver.PartKey) {
		rec.Key = nil
	}
	if !parts.Has(driver.PartMeta) {
		rec.Meta = nil
	}
	return rec, nil
}

// acceptFrame asks for a record frame and takes JSON too: Eve's content
// negotiation picks JSON, the only one of the two it knows.
const acceptFrame = wire.FrameType + ", application/json;q=0.9"

// isFrame reports whether a Content-Type names a record frame.
func isFrame(contentType string) bool {
	if contentType == wire.FrameType {
		return true // persist serve's answer, without a parse
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == wire.FrameType
}

// projection is the query that asks for parts of an item, "" for all.
func projection(parts driver.Parts) string {
	if parts&driver.AllParts == 0 {
		parts = driver.PartMeta // the smallest part; Read drops it
	}
	return projections[parts&driver.AllParts]
}

// projections are the queries of projection, "?" included, built once.
var projections = func() (q [driver.AllParts + 1]string) {
	for parts := range driver.AllParts {
		if wq := wire.ProjectionQuery(parts); wq != "" {
			q[parts] = "?" + wq
		}
	}
	return q
}()

// getItem fetches one item with the parts named, mapping 404 to
// errNotFound.
func (s *restDriver) getItem(ctx context.Context, funcname, hash string, parts driver.Parts) (wire.Item, error) {
	resp, err := s.do(ctx, request{method: http.MethodGet, url: s.itemURL(funcname, hash) + projection(parts), read: true})
	if err != nil {
		return wire.Item{}, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		discard(resp)
		return wire.Item{}, errNotFound
	default:
		return wire.Item{}, unexpected(resp)
	}
	return decodeItem(resp, hash)
}

// decodeItem reads the JSON item of an answer that must be hash's.
func decodeItem(resp *http.Response, hash string) (wire.Item, error) {
	var it wire.Item
	if err := decode(resp, &it); err != nil {
		return wire.Item{}, err
	}
	if it.Hash != hash {
		return wire.Item{}, fmt.Errorf("%w: asked for hash %q, the server answered item %q", errUnavailable, hash, it.Hash)
	}
	return it, nil
}

// Write implements [driver.Store].
func (s *restDriver) Write(ctx context.Context, funcname, hash string, rec driver.Record) error {
	body, err := json.Marshal(wire.EncodeRecord(funcname, hash, rec))
	if err != nil {
		return err
	}
	err = s.post(ctx, funcname, body)
	if !isDuplicate(err) {
		return err
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
	case err != nil && !errors.Is(err, errNotFound):
		return err
	}
	err = s.post(ctx, funcname, body)
	if isDuplicate(err) {
		return nil
	}
	return err
}

// post sends one item.
func (s *restDriver) post(ctx context.Context, funcname string, body []byte) error {
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
		return fmt.Errorf("%w: the server answered 201 with _status %q", errUnavailable, rc.Status)
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

// Delete implements [driver.Store].
func (s *restDriver) Delete(ctx context.Context, funcname, hash string) error {
	for attempt := range maxAttempts {
		if attempt > 0 {
			if err := s.wait(ctx, attempt-1); err != nil {
				return err
			}
		}
		err := s.deleteOnce(ctx, funcname, hash)
		if !errors.Is(err, errChanged) {
			return err
		}
	}
	return fmt.Errorf("hash %q was rewritten by other writers %d times while it was being deleted: %w", hash, maxAttempts, errUnavailable)
}

// deleteOnce reads an item's etag and deletes the item if it still has it.
func (s *restDriver) deleteOnce(ctx context.Context, funcname, hash string) error {
	it, err := s.getItem(ctx, funcname, hash, driver.AllParts)
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
		return errNotFound
	case http.StatusPreconditionFailed:
		discard(resp)
		return errChanged
	}
	return unexpected(resp)
}

// Len implements [driver.Counter]: one HEAD, which the server answers from
// its store's count.
func (s *restDriver) Len(ctx context.Context, funcname string) (int, error) {
	resp, err := s.do(ctx, request{method: http.MethodHead, url: s.funcURL(funcname), read: true})
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, unexpected(resp)
	}
	discard(resp)
	if v := resp.Header.Get(wire.TotalCountHeader); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return n, nil
		}
	}
	// No count header: ask for the smallest page and read _meta.total.
	page, err := s.metaPage(ctx, funcname, url.Values{"max_results": {"1"}})
	if err != nil {
		return 0, err
	}
	if page.Meta.Total == nil {
		return 0, fmt.Errorf("%w: the server answered a page without _meta.total", errUnavailable)
	}
	return *page.Meta.Total, nil
}

// Clear implements [driver.Store].
func (s *restDriver) Clear(ctx context.Context, funcname string) error {
	resp, err := s.do(ctx, request{method: http.MethodDelete, url: s.funcURL(funcname)})
	if err != nil {
		return err
	}
	switch resp.StatusCode {
	case http.StatusNoContent, http.StatusOK, http.StatusNotFound:
		// 404: there was nothing to remove (Eve's answer).
		discard(resp)
		return nil
	}
	return unexpected(resp)
}
