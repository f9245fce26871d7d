package persist

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"reflect"
)

// PlainFrame wraps raw CBOR in a plain frame with its checksum.
func PlainFrame(raw []byte) []byte { return appendFrame(nil, frameCBOR, raw) }

// CBOROf is the CBOR inside a pickle of CBOR, in any frame.
func CBOROf(data []byte) ([]byte, error) { return decompress(data, nil) }

// SliceFrame is a valid, uncompressed slice frame of element type tag
// holding values, which the fuzzer may make inconsistent.
func SliceFrame(tag byte, values []byte) []byte {
	out := append(sliceHeader(tag, 0, len(values)/max(1, sizeOfTag(tag))), values...)
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

func sizeOfTag(tag byte) int {
	if t := sliceElems[tag]; t != nil {
		return int(t.Size())
	}
	return 1
}

// ScalarShortcutAgrees decodes raw CBOR with the scalar shortcut and with
// the full decoder into each type the shortcut knows, and describes the
// first disagreement, if any.
func ScalarShortcutAgrees(raw []byte) error {
	for _, ptr := range []func() any{
		func() any { return new(int) }, func() any { return new(int64) }, func() any { return new(int32) },
		func() any { return new(uint) }, func() any { return new(uint64) }, func() any { return new(uint32) },
		func() any { return new(bool) },
	} {
		fast, slow := ptr(), ptr()
		if !decodeScalar(raw, fast) {
			continue
		}
		if err := cborDec.Unmarshal(raw, slow); err != nil {
			return fmt.Errorf("%x into %T: the shortcut gave %v, the decoder failed: %v", raw, fast, reflect.ValueOf(fast).Elem(), err)
		}
		if !reflect.DeepEqual(fast, slow) {
			return fmt.Errorf("%x into %T: the shortcut gave %v, the decoder %v", raw, fast, reflect.ValueOf(fast).Elem(), reflect.ValueOf(slow).Elem())
		}
	}
	return nil
}

// HashArgs is the hit path's hash of a Key.
func HashArgs(k Key) (string, error) { return hashArgs(k) }
