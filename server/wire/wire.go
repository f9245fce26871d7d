// Package wire is the JSON form of the persist REST protocol, shared by the
// cache server (package server) and its Go client (package stores/reststore).
//
// The protocol is the one pypersist's MongoDB cache speaks to its Eve server:
// one JSON item per result, with the fields funcname, hash, namespace and
// result, and optionally key and metadata, all strings. Eve adds _id, _etag,
// _created, _updated and _links to what it returns, wraps lists in
// {"_items", "_meta", "_links"} and errors in {"_status": "ERR", "_error",
// "_issues"}; the types here spell those out.
//
// # Encoding bytes as JSON strings
//
// A [stores.Record] holds bytes, a JSON string holds Unicode text. An item is
// sent in one of two namespaces:
//
//   - [NamespaceText] ("pypersist", what pypersist sends): every string is
//     the record's bytes as they are. Used when all three fields are valid
//     UTF-8, which is always the case for pypersist's pickles (base64 text)
//     and for custom text pickling such as str/int or repr/eval.
//   - [NamespaceBase64] ("base64"): every string (result, key, metadata) is
//     the standard, padded base64 of the bytes. Used when any field is not
//     valid UTF-8, as with persist's default compressed pickles.
//
// The choice is made per item by [EncodeRecord] and undone by
// [DecodeRecord], so the bytes round-trip exactly whichever side wrote them,
// and a text result written by Go (say "8" for a custom str pickling) is the
// very string a Python client reads. A result pickled by Python's default
// pickler is still opaque to Go, and one pickled by persist's default
// pickler is opaque to Python: the transport is faithful, the formats differ.
package wire

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/gopersist/persist/stores"
)

// BasePath is where the server serves the protocol: /persist/<funcname> and
// /persist/<funcname>/<hash>.
const BasePath = "/persist"

// OwnerPath is where the server serves owner records, a persist extension
// that pypersist clients never use: GET and POST OwnerPath/<funcname>.
// ".owner" is no funcname the protocol carries, so the paths cannot clash
// with an item's.
const OwnerPath = BasePath + "/.owner"

// Owner is the body of an owner request and of its answer: the owner
// record of a funcname (see stores.Store.ClaimOwner), base64 in JSON.
type Owner struct {
	Owner []byte `json:"owner"`
}

// The namespaces an item's strings are encoded in (see the package
// documentation).
const (
	NamespaceText   = "pypersist"
	NamespaceBase64 = "base64"
)

// Eve's pagination defaults: a list answers DefaultPageSize items unless the
// client asks for max_results, and never more than DefaultPageMax.
const (
	DefaultPageSize = 25
	DefaultPageMax  = 50
)

// Eve's _status values.
const (
	StatusOK  = "OK"
	StatusERR = "ERR"
)

// TotalCountHeader carries the number of items of a function on list
// responses, as Eve's HEADER_TOTAL_COUNT does; a HEAD request gets it
// without the items.
const TotalCountHeader = "X-Total-Count"

// TimeFormat is Eve's DATE_FORMAT (RFC 1123, always GMT) for _created and
// _updated.
const TimeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// Item is one stored result as the protocol sends it.
type Item struct {
	Funcname  string  `json:"funcname"`
	Hash      string  `json:"hash"`
	Namespace string  `json:"namespace"`
	Result    string  `json:"result"`
	Key       *string `json:"key,omitempty"`
	Metadata  *string `json:"metadata,omitempty"`

	// Set by the server on the items it returns.
	ID      string          `json:"_id,omitempty"`
	ETag    string          `json:"_etag,omitempty"`
	Created string          `json:"_created,omitempty"`
	Updated string          `json:"_updated,omitempty"`
	Links   map[string]Link `json:"_links,omitempty"`
}

// Link is one of Eve's HATEOAS links.
type Link struct {
	Title string `json:"title"`
	Href  string `json:"href"`
}

// Page is the answer to GET /persist/<funcname>.
type Page struct {
	Items []Item          `json:"_items"`
	Meta  Meta            `json:"_meta"`
	Links map[string]Link `json:"_links,omitempty"`
}

// MetaPage is the answer to GET /persist/<funcname> with a projection that
// leaves out result, key and metadata: the items' metadata only, which the
// server lists without reading a record.
type MetaPage struct {
	Items []ItemMeta      `json:"_items"`
	Meta  Meta            `json:"_meta"`
	Links map[string]Link `json:"_links,omitempty"`
}

// ItemMeta is an item without its strings: what a [MetaPage] holds. It
// has no _links, which would double the size of a page that exists to be
// small.
type ItemMeta struct {
	Funcname string `json:"funcname"`
	Hash     string `json:"hash"`
	// Size is the bytes of the record's result, key and metadata
	// together, as the store keeps them (decoded), a persist extension.
	Size    int64  `json:"_size"`
	ID      string `json:"_id,omitempty"`
	Created string `json:"_created,omitempty"`
	Updated string `json:"_updated,omitempty"`
}

// Meta describes a Page: which page it is, its size limit, how many items
// match in all and, a persist extension, the cursor of the next page.
// Page and Total are Eve's and are set on every answer to a page query;
// an answer to a cursor query (see [CursorParam]) has neither, since
// counting would cost a walk over the function, which is what cursors
// avoid.
type Meta struct {
	Page       int  `json:"page,omitempty"`
	MaxResults int  `json:"max_results"`
	Total      *int `json:"total,omitempty"`
	// NextCursor, when not empty, is the value of CursorParam that asks
	// for the items after this page; it is empty on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// CursorParam is the query parameter of a list that pages by cursor, a
// persist extension: empty for the first page, then the previous answer's
// _meta.next_cursor. Eve's clients, pypersist's among them, never send it.
const CursorParam = "cursor"

// ProjectionParam is Eve's query parameter that chooses an item's fields:
// a JSON object such as {"key": 0, "metadata": 0} (leave those out) or
// {"result": 1} (only that). The persist server honours it for result, key
// and metadata, reading only the parts that are asked for.
const ProjectionParam = "projection"

// Receipt is the answer to a successful POST.
type Receipt struct {
	Status  string          `json:"_status"`
	ID      string          `json:"_id"`
	ETag    string          `json:"_etag"`
	Created string          `json:"_created"`
	Updated string          `json:"_updated"`
	Links   map[string]Link `json:"_links,omitempty"`
}

// Error is Eve's error body. Issues, present on validation failures (422),
// maps a field to what is wrong with it.
type Error struct {
	Status string            `json:"_status"`
	Issues map[string]string `json:"_issues,omitempty"`
	Error  ErrorInfo         `json:"_error"`
}

// ErrorInfo is the _error part of an Error.
type ErrorInfo struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// NewError returns Eve's error body for an HTTP status.
func NewError(code int, message string) Error {
	if message == "" {
		message = http.StatusText(code)
	}
	return Error{Status: StatusERR, Error: ErrorInfo{Code: code, Message: message}}
}

// FuncnameError reports a funcname the protocol cannot carry. It matches
// [stores.ErrInvalidName] with errors.Is.
type FuncnameError struct {
	Name string
}

// Error implements the error interface.
func (e *FuncnameError) Error() string {
	return fmt.Sprintf("funcname %q cannot be used over REST: it must be 1 to %d letters, digits or '_' ([A-Za-z0-9_]+)",
		e.Name, stores.MaxNameLen)
}

// Is reports whether target is stores.ErrInvalidName.
func (e *FuncnameError) Is(target error) bool { return target == stores.ErrInvalidName }

// ValidFuncname checks that name matches [A-Za-z0-9_]+ and is at most
// stores.MaxNameLen bytes long: the protocol's URL rule for funcnames
// (Eve's regex("[\w]+"), restricted to ASCII).
func ValidFuncname(name string) error {
	if name == "" || len(name) > stores.MaxNameLen {
		return &FuncnameError{Name: name}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return &FuncnameError{Name: name}
		}
	}
	return nil
}

// EncodeRecord returns the item that carries rec under (funcname, hash),
// choosing its namespace as the package documentation explains. Server
// fields (_id, _etag, ...) are left empty.
func EncodeRecord(funcname, hash string, rec stores.Record) Item {
	it := Item{Funcname: funcname, Hash: hash, Namespace: NamespaceText}
	text := utf8.Valid(rec.Result) && utf8.Valid(rec.Key) && utf8.Valid(rec.Meta)
	enc := func(b []byte) string { return string(b) }
	if !text {
		it.Namespace = NamespaceBase64
		enc = base64.StdEncoding.EncodeToString
	}
	it.Result = enc(rec.Result)
	if rec.Key != nil {
		s := enc(rec.Key)
		it.Key = &s
	}
	if rec.Meta != nil {
		s := enc(rec.Meta)
		it.Metadata = &s
	}
	return it
}

// FieldError reports an item field whose string cannot be decoded in the
// item's namespace.
type FieldError struct {
	Field  string // "result", "key" or "metadata"
	Reason string
}

// Error implements the error interface.
func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// DecodeRecord returns the record an item carries. Created is parsed from
// _created when present; a field that is absent stays nil, one that is
// present but empty becomes an empty, non-nil slice. Any namespace other
// than NamespaceBase64 is text, as pypersist and other Eve clients send.
func DecodeRecord(it Item) (stores.Record, error) {
	dec := func(field, s string) ([]byte, error) { return []byte(s), nil }
	if it.Namespace == NamespaceBase64 {
		dec = func(field, s string) ([]byte, error) {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, &FieldError{Field: field, Reason: fmt.Sprintf("not valid base64 (the namespace is %q): %v", NamespaceBase64, err)}
			}
			return b, nil
		}
	}
	var rec stores.Record
	var err error
	if rec.Result, err = dec("result", it.Result); err != nil {
		return stores.Record{}, err
	}
	if it.Key != nil {
		if rec.Key, err = dec("key", *it.Key); err != nil {
			return stores.Record{}, err
		}
	}
	if it.Metadata != nil {
		if rec.Meta, err = dec("metadata", *it.Metadata); err != nil {
			return stores.Record{}, err
		}
	}
	if it.Created != "" {
		if t, err := time.Parse(TimeFormat, it.Created); err == nil {
			rec.Created = t
		}
	}
	return rec, nil
}

// FormatTime formats t as Eve does for _created and _updated.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }
