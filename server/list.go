package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
)

// listQuery is what a list request asks for.
type listQuery struct {
	page       int // from 1
	maxResults int
	// where: only hashes greater than after, or only the hash equal.
	after, equal       string
	hasAfter, hasEqual bool
	// cursor mode: the request carried the cursor parameter (perhaps
	// empty, for the first page), and cursor is its value.
	byCursor bool
	cursor   string
	// parts are the fields the projection keeps; 0 means metadata only.
	parts stores.Parts
	// raw where, sort and projection, echoed in the page links
	where, sort, projection string
}

// metaPageMax is the most items a page of metadata only (a projection
// that leaves out result, key and metadata) may ask for, when it is more
// than Options.PageMax: such items are a hash and two numbers, read from
// the store's listing, so a client that walks a function (stores/reststore)
// takes few requests.
const metaPageMax = 1000

// parseListQuery reads page, max_results, where, sort, projection and
// cursor. Bad page and max_results values fall back to the defaults, as Eve
// does; a where, sort or projection the server cannot honour is an error,
// because ignoring it would answer something other than what was asked.
func parseListQuery(q url.Values, pageSize, pageMax int) (listQuery, error) {
	lq := listQuery{page: 1, maxResults: pageSize}
	lq.projection = q.Get(wire.ProjectionParam)
	var err error
	if lq.parts, err = parseProjection(lq.projection); err != nil {
		return lq, err
	}
	if lq.parts == 0 {
		pageMax = max(pageMax, metaPageMax)
	}
	if v := strings.TrimSpace(q.Get("max_results")); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(f) && f >= 1 {
			lq.maxResults = int(min(f, float64(pageMax)))
		}
	}
	lq.maxResults = min(lq.maxResults, pageMax)
	if v := strings.TrimSpace(q.Get("page")); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n != 0 && n != math.MinInt {
			lq.page = max(n, -n)
		}
	}
	lq.sort = q.Get("sort")
	switch strings.ReplaceAll(lq.sort, " ", "") {
	case "", "hash", `[("hash",1)]`, `[["hash",1]]`:
	default:
		return lq, fmt.Errorf("sort %q is not supported: items are always sorted by hash (sort=hash)", lq.sort)
	}
	lq.where = q.Get("where")
	if lq.where != "" {
		if err := parseWhere(lq.where, &lq); err != nil {
			return lq, err
		}
	}
	_, lq.byCursor = q[wire.CursorParam]
	lq.cursor = q.Get(wire.CursorParam)
	if lq.byCursor {
		switch {
		case q.Has("page"):
			return lq, fmt.Errorf("page and %s are exclusive: a cursor says where its page starts", wire.CursorParam)
		case lq.hasAfter && lq.cursor != "":
			return lq, fmt.Errorf(`a where on {"hash": {"$gt": ...}} starts the first page of a cursor listing (with an empty %s), not a later one`, wire.CursorParam)
		}
	}
	return lq, nil
}

// parseWhere reads the part of Eve's MongoDB query syntax that keyset paging
// needs: {"hash": "h"} or {"hash": {"$gt": "h"}}.
func parseWhere(where string, lq *listQuery) error {
	unsupported := fmt.Errorf(`where %q is not supported: only {"hash": "<hash>"} and {"hash": {"$gt": "<hash>"}} are`, where)
	var clause map[string]json.RawMessage
	if err := json.Unmarshal([]byte(where), &clause); err != nil || len(clause) != 1 {
		return unsupported
	}
	cond, ok := clause["hash"]
	if !ok {
		return unsupported
	}
	if err := json.Unmarshal(cond, &lq.equal); err == nil {
		lq.hasEqual = true
		return nil
	}
	var op map[string]string
	if err := json.Unmarshal(cond, &op); err != nil || len(op) != 1 {
		return unsupported
	}
	if lq.after, lq.hasAfter = op["$gt"]; !lq.hasAfter {
		return unsupported
	}
	return nil
}

// projectionFields are the item fields a projection can choose, and the
// record parts they are.
var projectionFields = map[string]stores.Parts{
	"result":   stores.PartResult,
	"key":      stores.PartKey,
	"metadata": stores.PartMeta,
}

// parseProjection reads Eve's projection of result, key and metadata: all
// ones keep only the fields named, all zeros keep all but those (MongoDB
// refuses a mix). No projection keeps every part.
func parseProjection(p string) (stores.Parts, error) {
	if p == "" {
		return stores.AllParts, nil
	}
	bad := func() error {
		return fmt.Errorf(`projection %q is not supported: it must be an object of result, key and metadata, all 1 (keep) or all 0 (leave out)`, p)
	}
	var fields map[string]int
	if err := json.Unmarshal([]byte(p), &fields); err != nil || len(fields) == 0 {
		return 0, bad()
	}
	var named stores.Parts
	keep := -1
	for name, v := range fields {
		part, ok := projectionFields[name]
		if !ok || v != 0 && v != 1 || keep >= 0 && v != keep {
			return 0, bad()
		}
		named |= part
		keep = v
	}
	if keep == 1 {
		return named, nil
	}
	return stores.AllParts &^ named, nil
}

// list answers a page of a function's items, sorted by hash. It lists
// metadata and reads only the records it answers: a page of n items costs
// at most n record reads whatever the function holds. A HEAD request
// without a where gets the count from the store.
func (s *server) list(w http.ResponseWriter, r *http.Request, funcname string) {
	lq, err := parseListQuery(r.URL.Query(), s.opts.PageSize, s.opts.PageMax)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if r.Method == http.MethodHead && lq.where == "" && !lq.byCursor {
		n, err := s.store.Len(r.Context(), funcname)
		if err != nil {
			s.storeFailed(w, r, "count", err)
			return
		}
		w.Header().Set(wire.TotalCountHeader, strconv.Itoa(n))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		return
	}

	var pl pageListing
	switch {
	case lq.hasEqual:
		pl, err = s.listEqual(r, funcname, lq)
	case lq.byCursor:
		pl, err = s.listByCursor(r, funcname, lq)
	default:
		pl, err = s.listByPage(r, funcname, lq)
	}
	if err != nil {
		s.storeFailed(w, r, "list", err)
		return
	}
	meta := wire.Meta{MaxResults: lq.maxResults, NextCursor: pl.next}
	if !lq.byCursor {
		meta.Page, meta.Total = lq.page, &pl.total
		w.Header().Set(wire.TotalCountHeader, strconv.Itoa(pl.total))
	}
	links := pageLinks(funcname, lq, pl)
	if lq.parts == 0 {
		writeJSON(w, http.StatusOK, wire.MetaPage{Items: s.metaItems(funcname, pl.metas), Meta: meta, Links: links})
		return
	}
	var items []wire.Item
	if pl.found != nil {
		items = []wire.Item{toItem(funcname, lq.equal, *pl.found, lq.parts)}
	} else if items, err = s.readItems(r, funcname, pl.metas, lq.parts); err != nil {
		s.storeFailed(w, r, "read", err)
		return
	}
	if items == nil {
		items = []wire.Item{} // Eve answers an empty list, not null
	}
	writeJSON(w, http.StatusOK, wire.Page{Items: items, Meta: meta, Links: links})
}

// pageListing is the metadata of one list page: the records to answer,
// the cursor after them ("" after the last), and, for a page query, how
// many match in all.
type pageListing struct {
	metas []stores.Meta
	next  string
	total int
	// found is the record a where on one hash read, already.
	found *stores.Record
}

// listEqual answers where={"hash": h}: one lookup, whatever the store
// holds. A hash the store cannot hold matches nothing.
func (s *server) listEqual(r *http.Request, funcname string, lq listQuery) (pageListing, error) {
	parts := lq.parts
	if parts == 0 {
		parts = stores.AllParts // for the size
	}
	rec, err := s.store.Read(r.Context(), funcname, lq.equal, parts)
	switch {
	case stores.IsNotFound(err) || errors.Is(err, stores.ErrInvalidName):
		return pageListing{}, nil
	case err != nil:
		return pageListing{}, err
	}
	pl := pageListing{total: 1}
	if lq.page == 1 {
		size := int64(len(rec.Result) + len(rec.Key) + len(rec.Meta))
		pl.metas = []stores.Meta{{Hash: lq.equal, Size: size, Created: rec.Created}}
		pl.found = &rec
	}
	return pl, nil
}

// listByCursor answers a cursor query: one page from the cursor, or from
// after the where's hash, with no total.
func (s *server) listByCursor(r *http.Request, funcname string, lq listQuery) (pageListing, error) {
	start, filter := lq.cursor, ""
	if lq.hasAfter {
		start, filter = s.startAfter(funcname, lq.after)
	}
	metas, next, _, err := s.walk(r, funcname, start, filter, 0, lq.maxResults)
	return pageListing{metas: metas, next: next}, err
}

// listByPage answers Eve's page query: page k of max_results n walks k
// pages of metadata and reads none of the records it skips.
func (s *server) listByPage(r *http.Request, funcname string, lq listQuery) (pageListing, error) {
	skip := math.MaxInt
	if lq.page-1 <= math.MaxInt/lq.maxResults {
		skip = (lq.page - 1) * lq.maxResults
	}
	start, filter := "", ""
	if lq.hasAfter {
		start, filter = s.startAfter(funcname, lq.after)
	}
	metas, next, seen, err := s.walk(r, funcname, start, filter, skip, lq.maxResults)
	if err != nil {
		return pageListing{}, err
	}
	pl := pageListing{metas: metas, next: next}
	if !lq.hasAfter {
		pl.total, err = s.store.Len(r.Context(), funcname)
		return pl, err
	}
	// Eve's total counts every match: those walked and those after them.
	pl.total = seen
	for next != "" {
		var page []stores.Meta
		if page, next, err = s.store.List(r.Context(), funcname, next, stores.MaxPage); err != nil {
			return pageListing{}, err
		}
		pl.total += len(page)
	}
	return pl, nil
}

// startAfter returns where a listing of the hashes greater than after
// starts: the token after it, when it is a hash the store could hold, or
// the start, with after as a filter, when it is not (a where may name any
// string).
func (s *server) startAfter(funcname, after string) (start, filter string) {
	if after == "" {
		return "", ""
	}
	if s.store.CheckName("hash", after) == nil {
		return stores.PageTokenAfter(after), ""
	}
	return "", after
}

// walk lists from start, skips skip records, and returns up to n records'
// metadata, the token after the last of them ("" when the function holds
// no more), and how many were walked (skipped or returned). With a filter,
// only hashes greater than it count. It asks the store for exactly the
// records it needs, so that the last List ends with the page and its token
// is the page's.
func (s *server) walk(r *http.Request, funcname, start, filter string, skip, n int) (metas []stores.Meta, next string, seen int, err error) {
	token := start
	for {
		want := stores.MaxPage
		if filter == "" && skip < stores.MaxPage {
			want = min(want, skip+n)
		}
		page, after, err := s.store.List(r.Context(), funcname, token, want)
		if err != nil {
			return nil, "", 0, err
		}
		for i, m := range page {
			if filter != "" && m.Hash <= filter {
				continue
			}
			seen++
			if skip > 0 {
				skip--
				continue
			}
			metas = append(metas, m)
			if len(metas) == n {
				if i == len(page)-1 {
					return metas, after, seen, nil
				}
				return metas, stores.PageTokenAfter(m.Hash), seen, nil
			}
		}
		if after == "" {
			return metas, "", seen, nil
		}
		token = after
	}
}

// readItems reads the records of a page, the parts that the projection
// keeps, skipping those removed since they were listed.
func (s *server) readItems(r *http.Request, funcname string, metas []stores.Meta, parts stores.Parts) ([]wire.Item, error) {
	items := make([]wire.Item, 0, len(metas))
	for _, m := range metas {
		rec, err := s.store.Read(r.Context(), funcname, m.Hash, parts)
		if stores.IsNotFound(err) {
			continue // removed since it was listed
		}
		if err != nil {
			return nil, err
		}
		items = append(items, toItem(funcname, m.Hash, rec, parts))
	}
	return items, nil
}

// metaItems are the items of a page whose projection leaves out result,
// key and metadata: from the listing, reading no record.
func (s *server) metaItems(funcname string, metas []stores.Meta) []wire.ItemMeta {
	items := make([]wire.ItemMeta, 0, len(metas))
	for _, m := range metas {
		it := wire.ItemMeta{Funcname: funcname, Hash: m.Hash, Size: m.Size, ID: m.Hash}
		if !m.Created.IsZero() {
			it.Created = wire.FormatTime(m.Created)
			it.Updated = it.Created
		}
		items = append(items, it)
	}
	return items
}

// pageLinks are Eve's links of a list page; a cursor page links the next
// one by cursor.
func pageLinks(funcname string, lq listQuery, pl pageListing) map[string]wire.Link {
	href := func(set func(q url.Values)) string {
		q := url.Values{}
		if lq.maxResults != wire.DefaultPageSize {
			q.Set("max_results", strconv.Itoa(lq.maxResults))
		}
		if lq.where != "" {
			q.Set("where", lq.where)
		}
		if lq.sort != "" {
			q.Set("sort", lq.sort)
		}
		if lq.projection != "" {
			q.Set(wire.ProjectionParam, lq.projection)
		}
		set(q)
		if len(q) == 0 {
			return "persist/" + funcname
		}
		return "persist/" + funcname + "?" + q.Encode()
	}
	links := map[string]wire.Link{
		"parent": {Title: "home", Href: "/"},
		"self":   {Title: "persist", Href: "persist/" + funcname},
	}
	if lq.byCursor {
		if pl.next != "" {
			links["next"] = wire.Link{Title: "next page", Href: href(func(q url.Values) {
				q.Del("where") // the cursor says where the page starts
				q.Set(wire.CursorParam, pl.next)
			})}
		}
		return links
	}
	atPage := func(page int) string {
		return href(func(q url.Values) {
			if page > 1 {
				q.Set("page", strconv.Itoa(page))
			}
		})
	}
	last := max(1, (pl.total+lq.maxResults-1)/lq.maxResults)
	if lq.page < last {
		links["next"] = wire.Link{Title: "next page", Href: atPage(lq.page + 1)}
		links["last"] = wire.Link{Title: "last page", Href: atPage(last)}
	}
	if lq.page > 1 {
		links["prev"] = wire.Link{Title: "previous page", Href: atPage(min(lq.page-1, last))}
	}
	return links
}

// clear removes every item of a function. Like Eve it answers 404 when there
// was nothing to remove, which pypersist's client accepts.
func (s *server) clear(w http.ResponseWriter, r *http.Request, funcname string) {
	page, _, err := s.store.List(r.Context(), funcname, "", 1)
	if err != nil {
		s.storeFailed(w, r, "list", err)
		return
	}
	if len(page) == 0 {
		writeError(w, http.StatusNotFound, "The function has no stored items.")
		return
	}
	if err := s.store.Clear(r.Context(), funcname); err != nil {
		s.storeFailed(w, r, "clear", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
