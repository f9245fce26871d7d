package server

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
)

// writeJSON answers v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Every value written here is built from strings and numbers.
		status = http.StatusInternalServerError
		body, _ = json.Marshal(wire.NewError(status, "encoding the answer failed"))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) // a client that went away is not an error to report
}

// writeError answers Eve's error body.
func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, wire.NewError(status, message))
}

// writeNameError answers 400 for a funcname or hash (what) that the
// protocol or the store cannot use, with the problem as an issue on that
// field, so that a client can tell a bad name from another bad request.
func writeNameError(w http.ResponseWriter, what, message string) {
	e := wire.NewError(http.StatusBadRequest, message)
	e.Issues = map[string]string{what: message}
	writeJSON(w, http.StatusBadRequest, e)
}

// writeIssues answers Eve's validation failure: 422 with one issue per field.
func writeIssues(w http.ResponseWriter, issues map[string]string) {
	e := wire.NewError(http.StatusUnprocessableEntity, "Insertion failure: 1 document(s) contain(s) error(s)")
	e.Issues = issues
	writeJSON(w, http.StatusUnprocessableEntity, e)
}

// storeFailed answers a store error with the status that describes it,
// logging the details of failures that are the server's, not the client's.
func (s *server) storeFailed(w http.ResponseWriter, r *http.Request, op string, err error) {
	switch {
	case errors.Is(err, stores.ErrNotFound):
		writeError(w, http.StatusNotFound, "The requested item was not found.")
		return
	case errors.Is(err, stores.ErrInvalidName):
		what := "name"
		var ne *stores.NameError
		if errors.As(err, &ne) {
			what = ne.What
		}
		writeNameError(w, what, err.Error())
		return
	case r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		// The client went away; nobody reads this answer.
		writeError(w, http.StatusServiceUnavailable, "The request was cancelled.")
		return
	}
	if s.log != nil {
		s.log.Error("store failed", "op", op, "path", r.URL.EscapedPath(), "err", err)
	}
	s.reportStoreFailure(op)
	status := http.StatusInternalServerError
	if errors.Is(err, stores.ErrUnavailable) || errors.Is(err, stores.ErrClosed) {
		status = http.StatusServiceUnavailable
	}
	writeError(w, status, "The store failed to "+op+"; the server log has the details.")
}

// etag is the hex SHA-1 of a record's content: each field's presence,
// length and bytes, so that no two different records share one.
func etag(rec stores.Record) string {
	h := sha1.New()
	var n [9]byte
	for _, b := range [][]byte{rec.Result, rec.Key, rec.Meta} {
		n[0] = 0
		if b != nil {
			n[0] = 1
		}
		binary.BigEndian.PutUint64(n[1:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// itemHref is an item's path relative to the API root, as Eve writes links.
func itemHref(funcname, id string) string {
	return "persist/" + funcname + "/" + url.PathEscape(id)
}

// toItem returns the item that answers for rec, which holds the parts
// named. Only a whole record has an _etag: one of some parts would not be
// the record's.
func toItem(funcname, hash string, rec stores.Record, parts stores.Parts) wire.Item {
	it := wire.EncodeRecord(funcname, hash, rec)
	it.ID = hash
	if parts == stores.AllParts {
		it.ETag = etag(rec)
	}
	if !rec.Created.IsZero() {
		it.Created = wire.FormatTime(rec.Created)
		it.Updated = it.Created
	}
	it.Links = itemLinks(funcname, hash)
	return it
}

// itemLinks are Eve's links of one item.
func itemLinks(funcname, hash string) map[string]wire.Link {
	return map[string]wire.Link{
		"self":       {Title: "Persist", Href: itemHref(funcname, hash)},
		"parent":     {Title: "home", Href: "/"},
		"collection": {Title: "persist", Href: "persist/" + funcname},
	}
}
