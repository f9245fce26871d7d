package main

import "github.com/gopersist/persist/internal/inspect"

// The decoding of stored results and keys lives in internal/inspect, which
// the server's dashboard shares; these names keep the commands' spelling.

// blobKind says how a stored result or key was written.
type blobKind = inspect.Kind

const (
	blobDefault = inspect.Default // persist's pickling, decoded
	blobDamaged = inspect.Damaged // persist's pickling, but it does not decode
	blobText    = inspect.Text    // custom pickling, printable UTF-8
	blobBinary  = inspect.Binary  // custom pickling, anything else
)

// blob is a stored result or key as far as persist can tell without the
// function's types.
type blob struct {
	kind  blobKind
	value any   // the decoded value, for blobDefault
	err   error // why it does not decode, for blobDamaged
}

// decodeBlob decodes b when it was written with the default pickling.
func decodeBlob(b []byte) blob {
	bl := inspect.Decode(b)
	return blob{kind: bl.Kind, value: bl.Value, err: bl.Err}
}

// keyText describes a stored key in one line (see inspect.KeyText).
func keyText(key []byte) (text string, ok bool) { return inspect.KeyText(key) }

// jsonable converts a decoded value into one that encoding/json can write
// (see inspect.JSONable).
func jsonable(v any) any { return inspect.JSONable(v) }
