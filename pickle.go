package persist

import (
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/fxamacker/cbor/v2"
	"github.com/klauspost/compress/zstd"
)

// The default pickling: CBOR (RFC 8949) in its deterministic core form,
// compressed into one zstd frame with a checksum.
//
// CBOR is self-describing, so a stored value can be shown without its Go
// type (persist show prints it as JSON), and it decodes into the exact Go
// types of the function's results. It keeps what gob and JSON lose or
// bloat: NaN and ±Inf, []byte apart from string, nil apart from empty, and
// time.Time with its zone offset. Only exported struct fields are kept, as
// with encoding/json: an unexported field comes back as its zero value.
// The zstd frame checksum means a damaged or truncated file is detected and
// reported, never decoded into a wrong value.

var (
	cborEnc cbor.EncMode
	cborDec cbor.DecMode
	// cborDecAny decodes without a Go type, for tools that show values.
	cborDecAny cbor.DecMode

	zstdEnc *zstd.Encoder
	zstdDec *zstd.Decoder
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
	if zstdEnc, err = zstd.NewWriter(nil,
		zstd.WithEncoderCRC(true),
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderLevel(zstd.SpeedDefault)); err != nil {
		panic(err)
	}
	if zstdDec, err = zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(maxDecodedSize),
		zstd.IgnoreChecksum(false)); err != nil {
		panic(err)
	}
}

// Pickle encodes v with the default pickling: deterministic CBOR in a
// checksummed zstd frame. It refuses, with an error, a value that refers to
// itself, one nested too deeply for Unpickle, and one larger than Unpickle
// accepts (ErrTooLarge): what Pickle writes, Unpickle reads back.
func Pickle(v any) ([]byte, error) {
	if err := checkPicklable(v); err != nil {
		return nil, err
	}
	raw, err := cborEnc.Marshal(v)
	if err != nil {
		return nil, err
	}
	if err := checkSize(len(raw)); err != nil {
		return nil, err
	}
	return compress(raw), nil
}

func checkSize(n int) error {
	if n > maxPickleSize {
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, n, maxPickleSize)
	}
	return nil
}

// Unpickle decodes data written by Pickle into the value that ptr points to.
// A damaged, truncated or foreign input is an error, never a wrong value.
func Unpickle(data []byte, ptr any) error {
	buf := decodeBufs.Get().(*[]byte)
	defer putDecodeBuf(buf)
	raw, err := decompress(data, *buf)
	if err != nil {
		return err
	}
	*buf = raw
	return cborDec.Unmarshal(raw, ptr)
}

// UnpickleAny decodes data written by Pickle without knowing its Go type:
// maps come back as map[string]any (or map[any]any for other key kinds),
// integers as int64 or uint64, so that tools can show any stored value, for
// example as JSON.
func UnpickleAny(data []byte) (any, error) {
	raw, err := decompress(data, nil)
	if err != nil {
		return nil, err
	}
	var v any
	if err := cborDecAny.Unmarshal(raw, &v); err != nil {
		// A map with non-string keys does not fit map[string]any.
		if err2 := cborDec.Unmarshal(raw, &v); err2 != nil {
			return nil, err
		}
	}
	return v, nil
}

func compress(raw []byte) []byte {
	return zstdEnc.EncodeAll(raw, make([]byte, 0, len(raw)/2+32))
}

var errNotZstd = errors.New("not a persist pickle (no zstd frame)")

func decompress(data, dst []byte) ([]byte, error) {
	if len(data) < 4 || data[0] != 0x28 || data[1] != 0xB5 || data[2] != 0x2F || data[3] != 0xFD {
		return nil, errNotZstd
	}
	out, err := zstdDec.DecodeAll(data, dst[:0])
	if err != nil {
		return nil, fmt.Errorf("damaged zstd frame: %w", err)
	}
	if err := checkSize(len(out)); err != nil {
		return nil, err
	}
	return out, nil
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
