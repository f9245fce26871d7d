package persist

import (
	"fmt"
	"math"

	"github.com/fxamacker/cbor/v2"
)

// decodeCBOR is cborDec.Unmarshal with a shortcut for the commonest
// results, integers and booleans: a hit on them then costs neither the
// decoder's set-up nor an allocation. Anything the shortcut does not
// decide exactly, the decoder does.
func decodeCBOR(raw []byte, ptr any) error {
	if decodeScalar(raw, ptr) {
		return nil
	}
	return unmarshalCBOR(cborDec, raw, ptr)
}

// unmarshalCBOR is dm.Unmarshal, where a panic of the decoder is an error:
// bytes with a good checksum can still ask for the impossible (an array
// of 2^26 elements of 8 MiB each, in 7 KB), and a hit must fail as
// damaged, never panic.
func unmarshalCBOR(dm cbor.DecMode, raw []byte, ptr any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot decode: %v", r)
		}
	}()
	return dm.Unmarshal(raw, ptr)
}

// decodeScalar decodes raw into ptr and returns true if raw is exactly one
// CBOR integer or boolean that fits ptr's type; otherwise it leaves ptr
// alone. It does not keep ptr, which may then stay on its caller's stack.
func decodeScalar(raw []byte, ptr any) bool {
	switch p := ptr.(type) {
	case *int:
		return setInt(p, raw, math.MinInt, math.MaxInt)
	case *int64:
		return setInt(p, raw, math.MinInt64, math.MaxInt64)
	case *int32:
		return setInt(p, raw, math.MinInt32, math.MaxInt32)
	case *uint:
		return setUint(p, raw, math.MaxUint)
	case *uint64:
		return setUint(p, raw, math.MaxUint64)
	case *uint32:
		return setUint(p, raw, math.MaxUint32)
	case *bool:
		if len(raw) == 1 && (raw[0] == 0xf4 || raw[0] == 0xf5) {
			*p = raw[0] == 0xf5
			return true
		}
	}
	return false
}

func setInt[T int | int64 | int32](p *T, raw []byte, lo, hi int64) bool {
	neg, u, ok := cborInt(raw)
	if !ok || u > math.MaxInt64 {
		return false
	}
	v := int64(u)
	if neg {
		v = -1 - v
	}
	if v < lo || v > hi {
		return false
	}
	*p = T(v)
	return true
}

func setUint[T uint | uint64 | uint32](p *T, raw []byte, hi uint64) bool {
	neg, u, ok := cborInt(raw)
	if !ok || neg || u > hi {
		return false
	}
	*p = T(u)
	return true
}

// cborInt reads raw as exactly one CBOR integer, major type 0 (u) or 1
// (-1-u, neg).
func cborInt(raw []byte) (neg bool, u uint64, ok bool) {
	if len(raw) == 0 || raw[0]>>5 > 1 {
		return false, 0, false
	}
	n := 1
	switch info := raw[0] & 31; {
	case info < 24:
		u = uint64(info)
	case info <= 27:
		n += 1 << (info - 24)
		if len(raw) != n {
			return false, 0, false
		}
		for _, b := range raw[1:] {
			u = u<<8 | uint64(b)
		}
	default:
		return false, 0, false
	}
	return raw[0]>>5 == 1, u, len(raw) == n
}
