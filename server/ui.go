package server

import (
	"bytes"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/dustin/go-humanize"

	"github.com/gopersist/persist/internal/inspect"
	"github.com/gopersist/persist/internal/usage"
	"github.com/gopersist/persist/stores"
)

// The dashboard's limits. Its figures are at most uiUsageTTL old; what it
// prints of one value is capped, so that a page stays readable and a large
// result cannot make a large page.
const (
	uiUsageTTL = 15 * time.Second
	uiValueMax = 64 << 10 // bytes of a value's JSON or text shown
	uiHexMax   = 4 << 10  // bytes of a binary value shown as a hex dump
	uiKeyMax   = 160      // runes of a key shown in a list of entries
)

//go:embed ui/*.html
var uiFiles embed.FS

var uiPages = template.Must(template.New("").Funcs(template.FuncMap{
	"bytes": func(n int64) string { return humanize.IBytes(uint64(max(n, 0))) },
	"when":  whenText,
}).ParseFS(uiFiles, "ui/*.html"))

// dashboard serves the pages under /ui/. Every page reads at most one page
// of records, whatever the store holds: the list of functions none (its
// figures come from a survey of metadata, cached), a function's page the
// keys of its PageSize entries, an entry one record.
type dashboard struct {
	s     *server
	usage *usage.Cache
}

// routeUI adds the dashboard's pages to mux.
func (s *server) routeUI(mux *http.ServeMux) {
	d := &dashboard{s: s, usage: usage.NewCache(s.store, uiUsageTTL)}
	mux.Handle("GET /ui", http.RedirectHandler("/ui/", http.StatusMovedPermanently))
	mux.HandleFunc("GET /ui/{$}", d.funcs)
	mux.HandleFunc("GET /ui/{funcname}", d.withNames(d.entries))
	mux.HandleFunc("GET /ui/{funcname}/{hash}", d.withNames(d.entry))
}

// withNames checks the path's funcname and hash (when there is one) as the
// store would, before calling next.
func (d *dashboard) withNames(next func(w http.ResponseWriter, r *http.Request, funcname, hash string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		funcname, hash := r.PathValue("funcname"), r.PathValue("hash")
		err := stores.ValidName("funcname", funcname)
		if err == nil && hash != "" {
			err = stores.ValidName("hash", hash)
		}
		if err != nil {
			d.fail(w, http.StatusBadRequest, err.Error())
			return
		}
		next(w, r, funcname, hash)
	}
}

// funcRow is a line of the list of functions.
type funcRow struct {
	usage.Func
	Href string
}

// funcs shows every function with its totals.
func (d *dashboard) funcs(w http.ResponseWriter, r *http.Request) {
	funcs, at, err := d.usage.Get(r.Context())
	data := struct {
		Funcs   []funcRow
		At      time.Time
		TTL     time.Duration
		NoFuncs bool
	}{At: at, TTL: uiUsageTTL, NoFuncs: errors.Is(err, usage.ErrNoFuncs)}
	if err != nil && !data.NoFuncs {
		d.storeFailed(w, r, "survey", err)
		return
	}
	for _, f := range funcs {
		data.Funcs = append(data.Funcs, funcRow{Func: f, Href: funcHref(f.Name)})
	}
	d.render(w, http.StatusOK, "funcs", data)
}

// entryRow is a line of a function's list of entries.
type entryRow struct {
	stores.Meta
	Href string
	Key  string
}

// entries shows one page of a function's entries, in hash order, with
// their keys: one List call and one read of a key per entry of the page.
// The page's "after" parameter is the store's page token.
func (d *dashboard) entries(w http.ResponseWriter, r *http.Request, funcname, _ string) {
	after := r.URL.Query().Get("after")
	page, next, err := d.s.store.List(r.Context(), funcname, after, d.s.opts.PageSize)
	if errors.Is(err, stores.ErrInvalidName) {
		d.fail(w, http.StatusBadRequest, "The page's position is not one this store gave.")
		return
	}
	if err != nil {
		d.storeFailed(w, r, "list", err)
		return
	}
	data := struct {
		Funcname, Next, First string
		Rows                  []entryRow
	}{Funcname: funcname, Rows: make([]entryRow, 0, len(page))}
	if after != "" {
		data.First = funcHref(funcname)
	}
	if next != "" {
		data.Next = funcHref(funcname) + "?" + url.Values{"after": {next}}.Encode()
	}
	for _, m := range page {
		rec, err := d.s.store.Read(r.Context(), funcname, m.Hash, stores.PartKey)
		if errors.Is(err, stores.ErrNotFound) {
			continue // removed since the listing
		}
		if err != nil {
			d.storeFailed(w, r, "read", err)
			return
		}
		row := entryRow{Meta: m, Href: entryHref(funcname, m.Hash), Key: "not stored"}
		if rec.Key != nil {
			row.Key, _ = inspect.KeyText(rec.Key)
			row.Key = truncateRunes(row.Key, uiKeyMax)
		}
		data.Rows = append(data.Rows, row)
	}
	d.render(w, http.StatusOK, "entries", data)
}

// entryPage is what the page of one entry shows.
type entryPage struct {
	Funcname, Hash, FuncHref string
	Created                  time.Time
	Result, Key, Meta, Total int64
	KeyStored                bool
	KeyText, KeyJSON         string
	MetaText                 string
	MetaStored, MetaBinary   bool
	Encoding                 inspect.Kind
	Value, ValueNote         string
}

// entry shows one entry: key, value, metadata and sizes.
func (d *dashboard) entry(w http.ResponseWriter, r *http.Request, funcname, hash string) {
	rec, err := d.s.store.Get(r.Context(), funcname, hash)
	if errors.Is(err, stores.ErrNotFound) {
		d.fail(w, http.StatusNotFound, "No entry "+hash+" of "+funcname+".")
		return
	}
	if err != nil {
		d.storeFailed(w, r, "read", err)
		return
	}
	p := entryPage{
		Funcname: funcname, Hash: hash, FuncHref: funcHref(funcname), Created: rec.Created,
		Result: int64(len(rec.Result)), Key: int64(len(rec.Key)), Meta: int64(len(rec.Meta)),
		KeyStored: rec.Key != nil, MetaStored: rec.Meta != nil,
	}
	p.Total = p.Result + p.Key + p.Meta
	if rec.Key != nil {
		p.KeyText, _ = inspect.KeyText(rec.Key)
		if bl := inspect.Decode(rec.Key); bl.Kind == inspect.Default {
			p.KeyJSON, _ = indentedJSON(bl.Value)
		}
	}
	if rec.Meta != nil {
		if utf8.Valid(rec.Meta) {
			p.MetaText = string(rec.Meta)
		} else {
			p.MetaBinary = true
		}
	}
	bl := inspect.Decode(rec.Result)
	p.Encoding = bl.Kind
	switch bl.Kind {
	case inspect.Default:
		p.Value, p.ValueNote = indentedJSON(bl.Value)
	case inspect.Text:
		p.Value, p.ValueNote = capped(rec.Result, uiValueMax), cappedNote(len(rec.Result), uiValueMax)
	case inspect.Damaged:
		p.ValueNote = "damaged: " + bl.Err.Error() + "; " + cappedNote(len(rec.Result), uiHexMax)
		p.Value = hex.Dump(rec.Result[:min(len(rec.Result), uiHexMax)])
	case inspect.Binary:
		p.ValueNote = cappedNote(len(rec.Result), uiHexMax)
		p.Value = hex.Dump(rec.Result[:min(len(rec.Result), uiHexMax)])
	}
	d.render(w, http.StatusOK, "entry", p)
}

// indentedJSON writes a decoded value as indented JSON, capped at
// uiValueMax bytes, with a note when it was cut.
func indentedJSON(v any) (text, note string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // as persist show prints it; the page escapes it
	if err := enc.Encode(inspect.JSONable(v)); err != nil {
		return "", "the value cannot be written as JSON: " + err.Error()
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return capped(b, uiValueMax), cappedNote(len(b), uiValueMax)
}

// capped returns b as text, cut to at most limit bytes on a rune boundary.
func capped(b []byte, limit int) string {
	if len(b) <= limit {
		return string(b)
	}
	b = b[:limit]
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return string(b)
}

// cappedNote says what part of n bytes a page shows when it shows limit.
func cappedNote(n, limit int) string {
	if n <= limit {
		return ""
	}
	return fmt.Sprintf("the first %s of %s are shown", humanize.IBytes(uint64(limit)), humanize.IBytes(uint64(n)))
}

// truncateRunes cuts s to n runes, marking the cut.
func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos] + "…"
		}
		i++
	}
	return s
}

// storeFailed answers a store failure with a page, as the API's storeFailed
// answers it with JSON: the details go to the log.
func (d *dashboard) storeFailed(w http.ResponseWriter, r *http.Request, op string, err error) {
	if d.s.log != nil {
		d.s.log.Error("store failed", "op", op, "path", r.URL.EscapedPath(), "err", err)
	}
	d.s.reportStoreFailure(op)
	status := http.StatusInternalServerError
	if errors.Is(err, stores.ErrUnavailable) || errors.Is(err, stores.ErrClosed) {
		status = http.StatusServiceUnavailable
	}
	d.fail(w, status, "The store failed to "+op+"; the server log has the details.")
}

// fail answers an error page.
func (d *dashboard) fail(w http.ResponseWriter, status int, message string) {
	d.render(w, status, "error", struct {
		Status  int
		Message string
	}{status, message})
}

// render answers the page called name. Pages are rendered in full before
// anything is sent, so that a failing template cannot leave half a page.
func (d *dashboard) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := uiPages.ExecuteTemplate(&buf, name, data); err != nil {
		if d.s.log != nil {
			d.s.log.Error("rendering a dashboard page failed", "page", name, "err", err)
		}
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString("Internal server error.\n")
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	// Nothing on these pages is a script, an image or a form: a browser
	// that is told so refuses them even if an escape were missed.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// funcHref and entryHref are the dashboard's paths of a function and an
// entry; names are escaped as one path segment each.
func funcHref(funcname string) string { return "/ui/" + url.PathEscape(funcname) }

func entryHref(funcname, hash string) string {
	return funcHref(funcname) + "/" + url.PathEscape(hash)
}

// whenText prints a time in UTC to the second, or "–" for none.
func whenText(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
