package server

import (
	"bytes"
	"errors"
	"net/url"
	"testing"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
)

// FuzzDecodeItem checks that any body decodes to exactly one of: a record
// under a valid hash, issues, or a *BadRequestError — and never panics.
func FuzzDecodeItem(f *testing.F) {
	for _, seed := range []string{
		`{"funcname": "f", "hash": "h", "namespace": "pypersist", "result": "r"}`,
		`{"funcname": "f", "hash": "h", "namespace": "base64", "result": "AAEC", "key": "", "metadata": "bWV0YQ=="}`,
		`{"funcname": "f", "hash": "h", "namespace": "pypersist", "result": "r", "comments": "c"}`,
		`{"funcname": "f", "hash": "..", "namespace": "pypersist", "result": 1}`,
		`{"funcname": null}`, `[]`, `{}`, `nul`, "{\"result\": \"\xff\"}", `{"a":1}{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		hash, rec, issues, err := decodeItem(body, "f")
		var bad *BadRequestError
		switch {
		case err != nil:
			if !errors.As(err, &bad) || issues != nil {
				t.Fatalf("err = %v (%T) with issues %v", err, err, issues)
			}
		case issues != nil:
			if len(issues) == 0 {
				t.Fatal("empty issues")
			}
		default:
			if verr := stores.ValidName("hash", hash); verr != nil {
				t.Fatalf("accepted an invalid hash %q: %v", hash, verr)
			}
			// What was accepted answers as an item that decodes back to it.
			back, derr := wire.DecodeRecord(wire.EncodeRecord("f", hash, rec))
			if derr != nil || !bytes.Equal(back.Result, rec.Result) || !bytes.Equal(back.Key, rec.Key) || !bytes.Equal(back.Meta, rec.Meta) ||
				(back.Key == nil) != (rec.Key == nil) || (back.Meta == nil) != (rec.Meta == nil) {
				t.Fatalf("record %+v does not survive the wire: %+v, %v", rec, back, derr)
			}
		}
	})
}

// FuzzListQuery checks that any query string parses or is refused, and a
// parsed one asks for a sane page.
func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{
		"", "page=2&max_results=10", "max_results=1e308", "max_results=NaN", "page=-9223372036854775808",
		`sort=hash&where={"hash":{"$gt":"h"}}`, `where={"hash":"h"}`, `where={"hash":{"$gt":1}}`, `where=[]`, "sort=-hash",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		lq, err := parseListQuery(q, 25, 50)
		if err != nil {
			return
		}
		if lq.page < 1 || lq.maxResults < 1 || lq.maxResults > 50 {
			t.Fatalf("query %q parsed to page %d, max_results %d", raw, lq.page, lq.maxResults)
		}
	})
}
