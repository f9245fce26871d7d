package persist

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/fxamacker/cbor/v2"
)

// The default pickling: CBOR (RFC 8949) in its deterministic core form,
// in a checksummed frame (frame.go): plain for small pickles, zstd for
// larger ones; large numeric and byte slices are raw little-endian values
// instead (slicefast.go).
//
// CBOR is self-describing, so a stored value can be shown without its Go
// type (persist show prints it as JSON), and it decodes into the exact Go
// types of the function's results. It keeps what gob and JSON lose or
// bloat: NaN and ±Inf, []byte apart from string, nil apart from empty, and
// time.Time with its zone offset. Only exported struct fields are kept, as
// with encoding/json: an unexported field comes back as its zero value.
// Every frame has a checksum, so a damaged or truncated file is detected
// and reported, never decoded into a wrong value.

var (
	cborEnc cbor.EncMode
	cborDec cbor.DecMode
	// cborDecAny decodes without a Go type, for tools that show values.
	cborDecAny cbor.DecMode
)

// maxDecodedSize bounds what one stored record may expand to, so a crafted
// file cannot exhaust memory.
const maxDecodedSize = 1 << 30

// maxPickleSize bounds one pickled value on write and on read alike, so a
// value the reader would refuse is never written. A variable, so that tests
// can lower it.
var maxPickleSize = maxDecodedSize

// maxPickleDepth bounds nesting on write below the decoder's
// MaxNestedLevels (1024), with room for tags, for the same reason.
const maxPickleDepth = 1000

func init() {
	var err error
	enc := cbor.CoreDetEncOptions()
	enc.Time = cbor.TimeRFC3339Nano
	enc.TimeTag = cbor.EncTagRequired
	enc.NaNConvert = cbor.NaNConvert7e00
	enc.InfConvert = cbor.InfConvertFloat16
	if cborEnc, err = enc.EncMode(); err != nil {
		panic(err)
	}
	dec := cbor.DecOptions{
		// The encoder writes a Go string as it is, valid UTF-8 or not; the
		// decoder must read it back.
		UTF8:             cbor.UTF8DecodeInvalid,
		MaxArrayElements: 1<<31 - 1,
		MaxMapPairs:      1<<31 - 1,
		MaxNestedLevels:  1024,
	}
	if cborDec, err = dec.DecMode(); err != nil {
		panic(err)
	}
	dec.DefaultMapType = reflect.TypeFor[map[string]any]()
	dec.DefaultByteStringType = reflect.TypeFor[[]byte]()
	if cborDecAny, err = dec.DecMode(); err != nil {
		panic(err)
	}
}

// Pickle encodes v with the default pickling: deterministic CBOR in a
// checksummed frame, or raw values for a large numeric or byte slice. It
// refuses, with an error, a value that refers to itself, one nested too
// deeply for Unpickle, and one larger than Unpickle accepts (ErrTooLarge):
// what Pickle writes, Unpickle reads back.
func Pickle(v any) ([]byte, error) { return pickleStamped(nil, v) }

// pickleStamped is Pickle, its bytes preceded by the stamp st unless st is
// nil, in one buffer made once the size of the CBOR is known: a stamped
// result (fillRecord) costs no second buffer and copy.
func pickleStamped(st *Stamp, v any) ([]byte, error) {
	if err := checkPicklable(v); err != nil {
		return nil, err
	}
	if rv, tag, ok := sliceTag(v); ok {
		out, err := pickleSlice(rv, tag)
		if err != nil || st == nil {
			return out, err
		}
		return append(appendStampAligned(make([]byte, 0, maxStampLen+len(out)), *st), out...), nil
	}
	raw, err := cborEnc.Marshal(v)
	if err != nil {
		return nil, err
	}
	if err := checkSize(len(raw)); err != nil {
		return nil, err
	}
	return compressStamped(st, raw), nil
}

func checkSize(n int) error {
	if n > maxPickleSize {
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, n, maxPickleSize)
	}
	return nil
}

// Unpickle decodes data written by Pickle into the value that ptr points to,
// or a stored result, whose stamp (see Stamp) it passes over. A damaged,
// truncated or foreign input is an error, never a wrong value.
func Unpickle(data []byte, ptr any) error {
	if isFrame(data) && data[3] == frameStamp {
		_, pickled, err := SplitStamp(data)
		if err != nil {
			return err
		}
		data = pickled
	}
	if isFrame(data) {
		if data[3] == frameSlice {
			return unpickleSlice(data, ptr)
		}
		raw, err := decompress(data, nil)
		if err != nil {
			return err
		}
		return decodeCBOR(raw, ptr)
	}
	buf := decodeBufs.Get().(*[]byte)
	defer putDecodeBuf(buf)
	raw, err := decompress(data, *buf)
	if err != nil {
		return err
	}
	*buf = raw
	return decodeCBOR(raw, ptr)
}

// UnpickleAny decodes data written by Pickle without knowing its Go type:
// maps come back as map[string]any (or map[any]any for other key kinds),
// integers as int64 or uint64, so that tools can show any stored value, for
// example as JSON.
func UnpickleAny(data []byte) (any, error) {
	if isFrame(data) && data[3] == frameStamp {
		_, pickled, err := SplitStamp(data)
		if err != nil {
			return nil, err
		}
		data = pickled
	}
	if isFrame(data) && data[3] == frameSlice {
		var v any
		if err := unpickleSlice(data, &v); err != nil {
			return nil, err
		}
		return v, nil
	}
	raw, err := decompress(data, nil)
	if err != nil {
		return nil, err
	}
	var v any
	if err := unmarshalCBOR(cborDecAny, raw, &v); err != nil {
		// A map with non-string keys does not fit map[string]any.
		if err2 := unmarshalCBOR(cborDec, raw, &v); err2 != nil {
			return nil, err
		}
	}
	return v, nil
}

// decodeBufs recycles decompression buffers: the decoded CBOR is consumed by
// Unmarshal, which copies what it keeps.
var decodeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func putDecodeBuf(b *[]byte) {
	if cap(*b) <= 64<<10 {
		*b = (*b)[:0]
		decodeBufs.Put(b)
	}
}
