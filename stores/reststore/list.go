package reststore

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores/driver"
)

// metaOnly is the projection of a listing: no result, key or metadata, so
// that the server reads no record to answer it.
const metaOnly = `{"result":0,"key":0,"metadata":0}`

// List implements [driver.Store] with the server's cursor paging: each
// request asks for the items after the last hash it has, in cursor mode,
// which the server answers from where that hash is, without counting or
// reading the hashes before it; so iterating N entries costs O(N) however
// many pages it takes. A page is metadata only (the projection leaves out
// every string). A server that does not page by cursor (Eve) answers
// pages with a total instead, which then says when the listing ends.
func (s *restDriver) List(ctx context.Context, funcname, after string, n int) ([]driver.Meta, error) {
	var out []driver.Meta
	for len(out) < n {
		q := url.Values{
			wire.CursorParam:     {""},
			"sort":               {"hash"},
			"max_results":        {strconv.Itoa(min(n-len(out), s.pageSize))},
			wire.ProjectionParam: {metaOnly},
		}
		if after != "" {
			where, _ := json.Marshal(map[string]map[string]string{"hash": {"$gt": after}})
			q.Set("where", string(where))
		}
		page, err := s.metaPage(ctx, funcname, q)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			if it.Hash <= after {
				// A server that ignores where would page forever.
				return nil, fmt.Errorf("%w: the server answered hash %q after %q: it does not page by hash", errUnavailable, it.Hash, after)
			}
			m := driver.Meta{Hash: it.Hash, Size: it.Size}
			if it.Created != "" {
				m.Created, _ = time.Parse(wire.TimeFormat, it.Created)
			}
			out = append(out, m)
			after = it.Hash
		}
		if len(page.Items) == 0 || len(out) >= n {
			break
		}
		if t := page.Meta.Total; t != nil {
			// A page query's total counts the hashes after the where's,
			// this page's included. (A page can be short of max_results
			// when records were removed while the server read it, so
			// that is no sign.)
			if *t <= len(page.Items) {
				break
			}
		} else if page.Meta.NextCursor == "" {
			break
		}
	}
	return out[:min(len(out), n)], nil
}

// metaPage fetches one page of a function's items' metadata.
func (s *restDriver) metaPage(ctx context.Context, funcname string, q url.Values) (wire.MetaPage, error) {
	resp, err := s.do(ctx, request{method: http.MethodGet, url: s.funcURL(funcname) + "?" + q.Encode(), read: true})
	if err != nil {
		return wire.MetaPage{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return wire.MetaPage{}, unexpected(resp)
	}
	var page wire.MetaPage
	err = decode(resp, &page)
	return page, err
}
