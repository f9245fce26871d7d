package server

import (
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
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
	// raw where and sort, echoed in the page links
	where, sort string
}

// parseListQuery reads page, max_results, where and sort. Bad page and
// max_results values fall back to the defaults, as Eve does; a where or sort
// the server cannot honour is an error, because ignoring it would answer
// something other than what was asked.
func parseListQuery(q url.Values, pageSize, pageMax int) (listQuery, error) {
	lq := listQuery{page: 1, maxResults: pageSize}
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

// matches reports whether hash passes the query's where.
func (lq *listQuery) matches(hash string) bool {
	switch {
	case lq.hasEqual:
		return hash == lq.equal
	case lq.hasAfter:
		return hash > lq.after
	}
	return true
}

// list answers a page of a function's items, sorted by hash. A HEAD request
// without a where gets the count from the store, without reading records.
func (s *server) list(w http.ResponseWriter, r *http.Request, funcname string) {
	lq, err := parseListQuery(r.URL.Query(), s.opts.PageSize, s.opts.PageMax)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if r.Method == http.MethodHead && lq.where == "" {
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

	// One pass over the store keeps only the hashes that can be on the
	// asked-for page: the smallest page*max_results matching ones.
	keep := math.MaxInt
	if lq.page <= math.MaxInt/lq.maxResults {
		keep = lq.page * lq.maxResults
	}
	smallest := &hashHeap{}
	total := 0
	for e, err := range s.store.Entries(r.Context(), funcname) {
		if err != nil {
			s.storeFailed(w, r, "list", err)
			return
		}
		if !lq.matches(e.Hash) {
			continue
		}
		total++
		if smallest.Len() < keep {
			heap.Push(smallest, e.Hash)
		} else if e.Hash < (*smallest)[0] {
			(*smallest)[0] = e.Hash
			heap.Fix(smallest, 0)
		}
	}
	hashes := []string(*smallest)
	slices.Sort(hashes)
	skip := len(hashes)
	if lq.page-1 <= len(hashes)/lq.maxResults {
		skip = min((lq.page-1)*lq.maxResults, len(hashes))
	}
	hashes = hashes[skip:]

	page := wire.Page{Items: make([]wire.Item, 0, len(hashes))}
	for _, h := range hashes {
		rec, err := s.store.Get(r.Context(), funcname, h)
		if errors.Is(err, stores.ErrNotFound) {
			continue // deleted since the pass
		}
		if err != nil {
			s.storeFailed(w, r, "read", err)
			return
		}
		page.Items = append(page.Items, toItem(funcname, h, rec))
	}
	page.Meta = wire.Meta{Page: lq.page, MaxResults: lq.maxResults, Total: total}
	page.Links = pageLinks(funcname, lq, total)
	w.Header().Set(wire.TotalCountHeader, strconv.Itoa(total))
	writeJSON(w, http.StatusOK, page)
}

// pageLinks are Eve's links of a list page.
func pageLinks(funcname string, lq listQuery, total int) map[string]wire.Link {
	href := func(page int) string {
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
		if page > 1 {
			q.Set("page", strconv.Itoa(page))
		}
		if len(q) == 0 {
			return "persist/" + funcname
		}
		return "persist/" + funcname + "?" + q.Encode()
	}
	links := map[string]wire.Link{
		"parent": {Title: "home", Href: "/"},
		"self":   {Title: "persist", Href: "persist/" + funcname},
	}
	last := max(1, (total+lq.maxResults-1)/lq.maxResults)
	if lq.page < last {
		links["next"] = wire.Link{Title: "next page", Href: href(lq.page + 1)}
		links["last"] = wire.Link{Title: "last page", Href: href(last)}
	}
	if lq.page > 1 {
		links["prev"] = wire.Link{Title: "previous page", Href: href(min(lq.page-1, last))}
	}
	return links
}

// hashHeap is a max-heap of hashes: its root is the largest kept, the first
// to go when a smaller one arrives.
type hashHeap []string

func (h hashHeap) Len() int           { return len(h) }
func (h hashHeap) Less(i, j int) bool { return h[i] > h[j] }
func (h hashHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *hashHeap) Push(x any)        { *h = append(*h, x.(string)) }
func (h *hashHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// clear removes every item of a function. Like Eve it answers 404 when there
// was nothing to remove, which pypersist's client accepts.
func (s *server) clear(w http.ResponseWriter, r *http.Request, funcname string) {
	n, err := s.store.Len(r.Context(), funcname)
	if err != nil {
		s.storeFailed(w, r, "count", err)
		return
	}
	if n == 0 {
		writeError(w, http.StatusNotFound, "The function has no stored items.")
		return
	}
	if err := s.store.Clear(r.Context(), funcname); err != nil {
		s.storeFailed(w, r, "clear", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
