// Package inspect decodes stored results and keys for people to read,
// without the function's types: the command line's show and verify, and the
// server's dashboard, print entries through it.
package inspect

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"

	persist "github.com/gopersist/persist"
)

// Kind says how a stored result or key was written.
type Kind string

const (
	Default Kind = "default" // persist's pickling, decoded
	Damaged Kind = "damaged" // persist's pickling, but it does not decode
	Text    Kind = "text"    // custom pickling, printable UTF-8
	Binary  Kind = "binary"  // custom pickling, anything else
)

// Blob is a stored result or key as far as persist can tell without the
// function's types.
type Blob struct {
	Kind  Kind
	Value any           // the decoded value, for Default
	Err   error         // why it does not decode, for Damaged
	Stamp persist.Stamp // the result's version and compute time, when stamped
}

// Decode decodes b when it was written with the default pickling, after
// the stamp persist writes in front of a result (persist.SplitStamp). A
// blob in none of its frames was written by a custom Pickle, which persist
// cannot decode or check.
func Decode(b []byte) Blob {
	st, b, err := persist.SplitStamp(b)
	if err != nil {
		return Blob{Kind: Damaged, Err: err}
	}
	bl := decode(b)
	bl.Stamp = st
	return bl
}

func decode(b []byte) Blob {
	if persist.IsDefaultPickle(b) {
		v, err := persist.UnpickleAny(b)
		if err != nil {
			return Blob{Kind: Damaged, Err: err}
		}
		return Blob{Kind: Default, Value: v}
	}
	if IsText(b) {
		return Blob{Kind: Text}
	}
	return Blob{Kind: Binary}
}

// IsText reports whether b is UTF-8 that prints: letters, marks, numbers,
// punctuation, symbols and spaces, tabs and line breaks.
func IsText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) && r != '\n' && r != '\t' && r != '\r' {
			return false
		}
	}
	return true
}

// KeyText describes a stored key in one line: as pypersist prints keys
// for the default key, (('x', 4),), or the value's repr for others. ok is
// false when the key is stored but cannot be shown as a value.
func KeyText(key []byte) (text string, ok bool) {
	if key == nil {
		return "", true
	}
	bl := Decode(key)
	switch bl.Kind {
	case Default:
		return keyRepr(bl.Value), true
	case Damaged:
		return "damaged key: " + bl.Err.Error(), false
	case Text:
		return string(key), true
	}
	return fmt.Sprintf("%d bytes of binary key", len(key)), false
}

// keyRepr prints a decoded key. The default key, a persist.Key, is stored
// as an array of [name, value] pairs and printed as persist.Key prints
// it: (('a', 10), ('b', 2)); other keys as persist.Repr prints values.
func keyRepr(v any) string {
	pairs, ok := v.([]any)
	if !ok {
		return persist.Repr(v)
	}
	key := make(persist.Key, 0, len(pairs))
	for _, p := range pairs {
		pair, ok := p.([]any)
		if !ok || len(pair) != 2 {
			return persist.Repr(v)
		}
		name, ok := pair[0].(string)
		if !ok {
			return persist.Repr(v)
		}
		key = append(key, persist.Arg{Name: name, Value: pair[1]})
	}
	return key.String()
}

// JSONable converts a decoded value into one that encoding/json can
// write: maps with keys that are not strings get their keys printed, NaN
// and infinities become the strings "NaN", "+Inf" and "-Inf", CBOR tags
// {"tag": N, "value": ...}. Byte strings stay []byte, which JSON writes in
// base64.
func JSONable(v any) any {
	switch x := v.(type) {
	case nil, bool, string, []byte, int64, uint64, time.Time:
		return x
	case float64:
		return jsonFloat(x)
	case float32:
		return jsonFloat(float64(x))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = JSONable(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = JSONable(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			name, ok := k.(string)
			if !ok {
				name = persist.Repr(k)
			}
			out[name] = JSONable(e)
		}
		return out
	case big.Int:
		return json.Number(x.String())
	case cbor.Tag:
		return map[string]any{"tag": x.Number, "value": JSONable(x.Content)}
	}
	if _, err := json.Marshal(v); err == nil {
		return v
	}
	// Something the decoder produced that JSON cannot carry: show its
	// printed form rather than fail.
	return fmt.Sprintf("%v (%s)", v, reflect.TypeOf(v))
}

func jsonFloat(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return f
}
