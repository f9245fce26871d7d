package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
)

// create stores the item a POST carries.
func (s *server) create(w http.ResponseWriter, r *http.Request, funcname string) {
	if !isJSON(r.Header.Get("Content-Type")) {
		writeError(w, http.StatusUnsupportedMediaType, "The body must be JSON, sent with Content-Type: application/json.")
		return
	}
	if r.ContentLength > s.opts.MaxBody {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("The body is %d bytes, more than the server's limit of %d.", r.ContentLength, s.opts.MaxBody))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("The body is more than the server's limit of %d bytes.", s.opts.MaxBody))
			return
		}
		writeError(w, http.StatusBadRequest, "Reading the body failed: "+err.Error())
		return
	}
	hash, rec, issues, err := decodeItem(body, funcname)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if issues != nil {
		writeIssues(w, issues)
		return
	}

	unlock := s.lock(funcname, hash)
	defer unlock()
	if s.opts.RefuseDuplicates {
		// The mutex orders this server's requests; the store's lock, where
		// it has one, orders them with other servers on the same store.
		// A lease of the entry that this server holds for a client holds
		// the store's lock already: waiting for it would wait for the
		// client that is posting.
		if s.store.CanLock() && !s.leases.holdsStoreLock(leaseKey{funcname, hash}) {
			unlockStore, err := s.store.Lock(r.Context(), funcname, hash)
			if err != nil {
				s.storeFailed(w, r, "lock", err)
				return
			}
			defer unlockStore()
		}
		// Whether the hash is stored, reading the smallest part.
		_, err := s.store.Read(r.Context(), funcname, hash, stores.PartMeta)
		switch {
		case err == nil:
			writeIssues(w, map[string]string{"hash": fmt.Sprintf("value '%s' is not unique", hash)})
			return
		case !errors.Is(err, stores.ErrNotFound):
			s.storeFailed(w, r, "read", err)
			return
		}
	}
	now := time.Now()
	if err := s.store.Put(r.Context(), funcname, hash, rec); err != nil {
		s.storeFailed(w, r, "write", err)
		return
	}
	stamp := wire.FormatTime(now)
	writeJSON(w, http.StatusCreated, wire.Receipt{
		Status:  wire.StatusOK,
		ID:      hash,
		ETag:    etag(rec),
		Created: stamp,
		Updated: stamp,
		Links:   map[string]wire.Link{"self": {Title: "Persist", Href: itemHref(funcname, hash)}},
	})
}

// isJSON reports whether a Content-Type names JSON.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// get answers one item, looked up by hash (which is also its _id), with
// the parts its projection keeps: a client that needs only the result
// gets, and makes the store read, only the result.
func (s *server) get(w http.ResponseWriter, r *http.Request, funcname, hash string) {
	parts, known := knownProjections[r.URL.RawQuery]
	var err error
	if !known {
		parts, err = parseProjection(r.URL.Query().Get(wire.ProjectionParam))
	}
	if err == nil && parts == 0 {
		err = errors.New("a projection of an item must keep result, key or metadata")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	rec, err := s.store.Read(r.Context(), funcname, hash, parts)
	if err != nil {
		s.storeFailed(w, r, "read", err)
		return
	}
	if wire.AcceptsFrame(r.Header.Get("Accept")) {
		writeFrame(w, hash, rec, parts)
		return
	}
	it := toItem(funcname, hash, rec, parts)
	if it.ETag != "" {
		w.Header().Set("ETag", `"`+it.ETag+`"`)
	}
	if !rec.Created.IsZero() {
		w.Header().Set("Last-Modified", rec.Created.UTC().Format(http.TimeFormat))
	}
	writeJSON(w, http.StatusOK, it)
}

// knownProjections are the queries of an item's GET that the Go client
// sends (wire.ProjectionQuery), and no query, with the parts they keep: a
// hit is answered without parsing its query. Any other query is parsed.
var knownProjections = func() map[string]stores.Parts {
	m := map[string]stores.Parts{"": stores.AllParts}
	for parts := range stores.AllParts + 1 {
		if q := wire.ProjectionQuery(parts); q != "" {
			m[q] = parts
		}
	}
	return m
}()

// Header values of every frame, shared: net/http only reads them, and an
// Add to a slice that is full copies it.
var (
	frameContentType = []string{wire.FrameType}
	varyAccept       = []string{"Accept"}
)

// writeFrame answers an item as a record frame (wire.FrameType), for a
// client that asked for one: the ETag of the JSON item, and Vary, since
// the answer depends on Accept. The creation time is in the frame, so
// there is no Last-Modified to format and parse.
func writeFrame(w http.ResponseWriter, hash string, rec stores.Record, parts stores.Parts) {
	// The creation time of _created, Eve's whole seconds, which lists
	// answer too: a client's Read and List agree.
	rec.Created = rec.Created.Truncate(time.Second)
	h := w.Header()
	h["Content-Type"] = frameContentType
	h["Content-Length"] = []string{strconv.Itoa(wire.FrameSize(hash, rec))}
	h["Vary"] = varyAccept
	if parts == stores.AllParts {
		h["Etag"] = []string{`"` + etag(rec) + `"`}
	}
	w.WriteHeader(http.StatusOK)
	_ = wire.WriteFrame(w, hash, rec) // a client that went away is not an error to report
}

// delete removes one item if the client's If-Match names its current etag,
// checking in Eve's order: the item exists (404), an etag was sent (428),
// the etag matches (412).
func (s *server) delete(w http.ResponseWriter, r *http.Request, funcname, id string) {
	unlock := s.lock(funcname, id)
	defer unlock()
	rec, err := s.store.Get(r.Context(), funcname, id)
	if err != nil {
		s.storeFailed(w, r, "read", err)
		return
	}
	match, sent := ifMatch(r)
	if !sent {
		writeError(w, http.StatusPreconditionRequired, "To edit a document its etag must be provided using the If-Match header")
		return
	}
	if match != etag(rec) {
		writeError(w, http.StatusPreconditionFailed, "Client and server etags don't match")
		return
	}
	if err := s.store.Delete(r.Context(), funcname, id); err != nil {
		s.storeFailed(w, r, "delete", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ifMatch returns the etag of an If-Match header, without the quotes or the
// weak-validator prefix, as Eve compares it.
func ifMatch(r *http.Request) (etag string, sent bool) {
	v, sent := r.Header["If-Match"]
	if !sent || len(v) == 0 {
		return "", false
	}
	e := strings.TrimSpace(v[0])
	e = strings.TrimPrefix(e, "W/")
	return strings.ReplaceAll(e, `"`, ""), true
}
