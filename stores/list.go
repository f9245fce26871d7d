package stores

import (
	"context"
	"encoding/base64"
	"errors"
	"iter"
	"strings"
)

// MaxPage is the most records one [Store.List] page holds.
const MaxPage = 10000

// List returns the metadata of up to n records of funcname in ascending hash
// order, starting after pageToken ("" for the first page), and the token of
// the next page, "" after the last. It reads no record's result. Tokens are
// opaque, stable across processes and store handles, and valid as long as
// the hashes are; a malformed one is an error wrapping [ErrInvalidName]. A
// record written or removed while pages are read may be listed or not;
// every other record is listed exactly once. n is taken into [1, MaxPage].
func (s *Store) List(ctx context.Context, funcname, pageToken string, n int) (page []Meta, next string, err error) {
	if err := s.begin(ctx, "list", funcname); err != nil {
		return nil, "", err
	}
	after, err := s.decodeToken(pageToken)
	if err != nil {
		return nil, "", s.fail("list", funcname, "", err)
	}
	n = min(max(n, 1), MaxPage)
	page, err = s.drv.List(ctx, funcname, after, n+1)
	if err != nil {
		return nil, "", s.fail("list", funcname, "", err)
	}
	for i, m := range page {
		if m.Hash <= after || i > 0 && m.Hash <= page[i-1].Hash {
			return nil, "", s.fail("list", funcname, "", errors.New("the driver listed hashes out of order"))
		}
	}
	if len(page) > n {
		page = page[:n]
		next = encodeToken(page[n-1].Hash)
	}
	return page, next, nil
}

// Page tokens are the last hash of a page, base64url-encoded behind a
// version prefix, so that a later format can tell its own tokens apart.
const tokenPrefix = "1."

func encodeToken(hash string) string {
	return tokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(hash))
}

// PageTokenAfter returns the page token of a listing that starts after
// hash, the token List would return had a page ended there. A server that
// pages by key for a remote client (the REST server answers a where on
// "hash greater than h" with it) starts a listing there without walking
// the hashes before it.
func PageTokenAfter(hash string) string {
	if hash == "" {
		return ""
	}
	return encodeToken(hash)
}

// decodeToken returns the hash a page token starts after, "" for "".
func (s *Store) decodeToken(token string) (string, error) {
	if token == "" {
		return "", nil
	}
	bad := func(reason string) error { return &NameError{What: "page token", Name: token, Reason: reason} }
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok {
		return "", bad("it is not a token of this store")
	}
	hash, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	if err != nil {
		return "", bad("it is not base64url")
	}
	if err := s.names.hash.check("hash", string(hash)); err != nil {
		return "", bad("it names no hash the store could hold")
	}
	return string(hash), nil
}

// ListAll streams the metadata of every record of funcname in ascending hash
// order, a page at a time. An error ends the sequence.
func (s *Store) ListAll(ctx context.Context, funcname string) iter.Seq2[Meta, error] {
	return func(yield func(Meta, error) bool) {
		token := ""
		for {
			page, next, err := s.List(ctx, funcname, token, listAllPage)
			if err != nil {
				yield(Meta{}, err)
				return
			}
			for _, m := range page {
				if !yield(m, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			token = next
		}
	}
}

// listAllPage is the page size of ListAll, Entries and Len: large enough
// that a remote store's round trips do not dominate, small enough that a
// page of metadata stays in the tens of kilobytes.
const listAllPage = 500

// Len counts the records of funcname: natively where the driver can, else
// from pages of metadata.
func (s *Store) Len(ctx context.Context, funcname string) (int, error) {
	if err := s.begin(ctx, "len", funcname); err != nil {
		return 0, err
	}
	if s.opt.counter != nil {
		n, err := s.opt.counter.Len(ctx, funcname)
		if err != nil {
			return 0, s.fail("len", funcname, "", err)
		}
		return n, nil
	}
	n := 0
	for _, err := range s.ListAll(ctx, funcname) {
		if err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}
