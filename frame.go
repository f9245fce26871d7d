package persist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// The frames a pickle is stored in. The bytes are a storage format: every
// frame kind ever written is read forever (testdata/frames guards them).
//
//   - A zstd frame with its checksum, holding CBOR: pickles of zstdMinSize
//     bytes or more, and every pickle written before the plain frame existed.
//   - A plain frame, for small pickles, where zstd costs more than it saves
//     (a frame header, a block header and the decoder's set-up for a few
//     bytes): magic, the payload's length as a uvarint, the payload, and a
//     CRC-32C (Castagnoli) of everything before it, little endian. The
//     length makes a truncation an error in every case, and the CRC detects
//     every burst of up to 32 flipped bits.
//   - A slice frame (slicefast.go): a numeric or byte slice as raw little
//     endian values, plain or inside a zstd frame.
//
// The magic starts with 0x1C, a reserved initial byte in CBOR, so that no
// CBOR and no zstd frame (0x28 0xB5 0x2F 0xFD) starts like it.
const (
	frameMagic0, frameMagic1, frameMagic2 = 0x1C, 'p', 'k'
	frameCBOR                             = 'c' // plain frame of CBOR
	frameSlice                            = 's' // raw slice (slicefast.go)
	frameHeaderMin                        = 4 + 1
	crcSize                               = 4
)

// zstdMinSize is the CBOR size from which a pickle is compressed. Below a
// page, a smaller file is read no faster, while zstd adds to the decoding:
// BenchmarkFrameCrossover measured +40% at 60 bytes, +35% at 1 KiB, +18%
// at 4 KiB and +6% at 16 KiB of CBOR (text, which compresses to 3% at
// 4 KiB: on a network store the bytes saved pay from there).
const zstdMinSize = 4096

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	errNotPickle = errors.New("not a persist pickle (no zstd or persist frame)")
	errDamaged   = errors.New("damaged frame: checksum mismatch")
)

// appendFrame appends to dst the frame of kind holding payload.
func appendFrame(dst []byte, kind byte, payload []byte) []byte {
	start := len(dst)
	dst = append(dst, frameMagic0, frameMagic1, frameMagic2, kind)
	dst = binary.AppendUvarint(dst, uint64(len(payload)))
	dst = append(dst, payload...)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// isFrame reports whether data starts with a persist frame's magic.
func isFrame(data []byte) bool {
	return len(data) >= 4 && data[0] == frameMagic0 && data[1] == frameMagic1 && data[2] == frameMagic2
}

func isZstd(data []byte) bool {
	return len(data) >= 4 && data[0] == 0x28 && data[1] == 0xB5 && data[2] == 0x2F && data[3] == 0xFD
}

// openFrame checks a plain frame and returns its kind and payload, a
// sub-slice of data.
func openFrame(data []byte) (kind byte, payload []byte, err error) {
	if !isFrame(data) || len(data) < frameHeaderMin+crcSize {
		return 0, nil, errNotPickle
	}
	n, w := binary.Uvarint(data[4:])
	if w <= 0 {
		return 0, nil, errors.New("damaged frame: bad length")
	}
	body := 4 + w
	if len(data) < body+crcSize || uint64(len(data)-body-crcSize) != n {
		return 0, nil, fmt.Errorf("damaged frame: %d bytes for a payload of %d", len(data), n)
	}
	end := len(data) - crcSize
	if crc32.Checksum(data[:end], castagnoli) != binary.LittleEndian.Uint32(data[end:]) {
		return 0, nil, errDamaged
	}
	return data[3], data[body:end], nil
}

// compressStamped frames raw CBOR: plain when it is small, zstd
// otherwise; the frame is preceded by the stamp st unless st is nil, in
// one buffer.
func compressStamped(st *Stamp, raw []byte) []byte {
	room := 0
	if st != nil {
		room = maxStampLen
	}
	if len(raw) < zstdMinSize {
		dst := make([]byte, 0, room+len(raw)+frameHeaderMin+4+crcSize)
		if st != nil {
			dst = appendStamp(dst, *st)
		}
		return appendFrame(dst, frameCBOR, raw)
	}
	dst := make([]byte, 0, room+len(raw)/2+32)
	if st != nil {
		dst = appendStamp(dst, *st)
	}
	enc := zstdEncoders.Get().(*zstd.Encoder)
	defer zstdEncoders.Put(enc)
	return enc.EncodeAll(raw, dst)
}

// decompress returns the CBOR inside a frame: a sub-slice of data for a
// plain frame, else decoded into dst's space.
func decompress(data, dst []byte) ([]byte, error) {
	if isFrame(data) {
		if data[3] == frameSlice {
			return sliceAsCBOR(data)
		}
		kind, payload, err := openFrame(data)
		if err != nil {
			return nil, err
		}
		if kind != frameCBOR {
			return nil, fmt.Errorf("%w: frame kind %q holds no CBOR", errNotPickle, kind)
		}
		return payload, checkSize(len(payload))
	}
	if !isZstd(data) {
		return nil, errNotPickle
	}
	dec := zstdDecoders.Get().(*zstd.Decoder)
	out, err := dec.DecodeAll(data, dst[:0])
	zstdDecoders.Put(dec)
	if err != nil {
		return nil, fmt.Errorf("damaged zstd frame: %w", err)
	}
	if err := checkSize(len(out)); err != nil {
		return nil, err
	}
	return out, nil
}

// zstd encoders and decoders, one per goroutine that uses them at a time:
// a shared one serialises every goroutine that decodes (BenchmarkParallelHit
// measures it). Each is single-threaded, as one call's frame is.
var (
	zstdEncoders = sync.Pool{New: func() any {
		enc, err := zstd.NewWriter(nil,
			zstd.WithEncoderCRC(true),
			zstd.WithEncoderConcurrency(1),
			zstd.WithEncoderLevel(zstd.SpeedDefault))
		if err != nil {
			panic(err)
		}
		return enc
	}}
	zstdDecoders = sync.Pool{New: func() any {
		dec, err := zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxMemory(maxDecodedSize),
			zstd.IgnoreChecksum(false))
		if err != nil {
			panic(err)
		}
		return dec
	}}
)

// IsDefaultPickle reports whether b starts as the default pickling's
// frames do (zstd, plain or slice), as opposed to bytes of a custom
// Pickle hook. It does not check the rest: Unpickle does, and a damaged
// default pickle is an error there.
func IsDefaultPickle(b []byte) bool { return isZstd(b) || isFrame(b) }
