package persist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"reflect"
	"unsafe"

	"github.com/klauspost/compress/zstd"
)

// The slice frame: a large numeric or byte slice as its raw little-endian
// values, which CBOR would write element by element (a []float64 of 80 MB
// took seconds). Its 16-byte header keeps the values 16-byte aligned, so
// that a mapped file can be read in place (mapped.go):
//
//	0  magic 0x1C 'p' 'k' 's'
//	4  element type (sliceElems)
//	5  flags: sliceZstd when the values are compressed
//	6  two zero bytes
//	8  element count, uint64 little endian
//	16 the values, raw or as one zstd frame
//	   CRC-32C of the header and the raw values, uint32 little endian
//
// The values are compressed only when a sample of them compresses well:
// measurements and samples of a physical process rarely do, and then zstd
// only costs time.
const (
	sliceHeaderSize = 16
	sliceZstd       = 1 << 0
	// sliceMinSize is the size from which a slice gets a slice frame;
	// smaller ones are CBOR, which is as fast there.
	sliceMinSize = 4096
	// sliceSample is how much is compressed to decide whether all is.
	sliceSample = 64 << 10
)

// sliceElems are the element types a slice frame holds, by their tag. int
// and uint are stored as 64 bits, so the bytes are the same on every
// platform. Only these predeclared types qualify: a named element type may
// have its own encoding.
var sliceElems = map[byte]reflect.Type{
	'b': reflect.TypeFor[uint8](), 'B': reflect.TypeFor[int8](),
	'h': reflect.TypeFor[int16](), 'H': reflect.TypeFor[uint16](),
	'i': reflect.TypeFor[int32](), 'I': reflect.TypeFor[uint32](),
	'q': reflect.TypeFor[int64](), 'Q': reflect.TypeFor[uint64](),
	'f': reflect.TypeFor[float32](), 'd': reflect.TypeFor[float64](),
}

// sliceTags is sliceElems inverted; int and uint are 'q' and 'Q' where they
// have 64 bits.
var sliceTags = func() map[reflect.Type]byte {
	m := map[reflect.Type]byte{}
	for tag, t := range sliceElems {
		m[t] = tag
	}
	if unsafe.Sizeof(int(0)) == 8 {
		m[reflect.TypeFor[int]()] = 'q'
		m[reflect.TypeFor[uint]()] = 'Q'
	}
	return m
}()

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// sliceTag returns the tag of v if v is a slice that a slice frame holds.
func sliceTag(v any) (reflect.Value, byte, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice || !littleEndian {
		return rv, 0, false
	}
	tag, ok := sliceTags[rv.Type().Elem()]
	if !ok || rv.Len()*int(rv.Type().Elem().Size()) < sliceMinSize {
		return rv, 0, false
	}
	return rv, tag, true
}

// rawBytes is the memory of slice rv.
func rawBytes(rv reflect.Value) []byte {
	return unsafe.Slice((*byte)(rv.UnsafePointer()), rv.Len()*int(rv.Type().Elem().Size()))
}

func sliceHeader(tag, flags byte, n int) []byte {
	h := []byte{frameMagic0, frameMagic1, frameMagic2, frameSlice, tag, flags, 0, 0}
	return binary.LittleEndian.AppendUint64(h, uint64(n))
}

// pickleSlice writes the slice frame of rv, holding one copy of its values
// at most (the frame).
func pickleSlice(rv reflect.Value, tag byte) ([]byte, error) {
	raw := rawBytes(rv)
	if err := checkSize(len(raw)); err != nil {
		return nil, err
	}
	enc := zstdEncoders.Get().(*zstd.Encoder)
	defer zstdEncoders.Put(enc)
	sample := raw[:min(len(raw), sliceSample)]
	if z := enc.EncodeAll(sample, nil); len(z) > len(sample)*3/4 {
		out := make([]byte, 0, sliceHeaderSize+len(raw)+crcSize)
		out = append(out, sliceHeader(tag, 0, rv.Len())...)
		out = append(out, raw...)
		return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli)), nil
	}
	hdr := sliceHeader(tag, sliceZstd, rv.Len())
	var out bytes.Buffer
	out.Grow(len(raw) / 2)
	out.Write(hdr)
	enc.Reset(&out)
	if _, err := enc.Write(raw); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	crc := crc32.Update(crc32.Checksum(hdr, castagnoli), castagnoli, raw)
	return binary.LittleEndian.AppendUint32(out.Bytes(), crc), nil
}

// sliceFrame is a slice frame's parsed header.
type sliceFrame struct {
	elem   reflect.Type
	count  int
	zstd   bool
	values []byte // raw values, or the zstd frame holding them
	crc    uint32
}

func parseSliceFrame(data []byte) (sliceFrame, error) {
	if len(data) < sliceHeaderSize+crcSize || data[6] != 0 || data[7] != 0 || data[5]&^sliceZstd != 0 {
		return sliceFrame{}, errors.New("damaged slice frame: bad header")
	}
	f := sliceFrame{elem: sliceElems[data[4]], zstd: data[5]&sliceZstd != 0}
	if f.elem == nil {
		return sliceFrame{}, fmt.Errorf("damaged slice frame: element type %q", data[4])
	}
	n := binary.LittleEndian.Uint64(data[8:])
	if n > uint64(maxDecodedSize)/uint64(f.elem.Size()) {
		return sliceFrame{}, fmt.Errorf("%w: a slice of %d elements", ErrTooLarge, n)
	}
	f.count = int(n)
	f.values = data[sliceHeaderSize : len(data)-crcSize]
	if f.zstd && n*uint64(f.elem.Size()) > (uint64(len(f.values))/3+1)<<17 {
		// A zstd block yields at most 128 KiB and takes 3 bytes at
		// least: a header that claims more values than its frame can
		// hold is refused before a slice of its count is made.
		return sliceFrame{}, fmt.Errorf("damaged slice frame: %d values in %d bytes", n, len(f.values))
	}
	f.crc = binary.LittleEndian.Uint32(data[len(data)-crcSize:])
	if !f.zstd && len(f.values) != f.count*int(f.elem.Size()) {
		return sliceFrame{}, fmt.Errorf("damaged slice frame: %d bytes for %d values", len(f.values), f.count)
	}
	if err := checkSize(f.count * int(f.elem.Size())); err != nil {
		return sliceFrame{}, err
	}
	return f, nil
}

// target is the slice that ptr points to, if it can take the frame's
// values: a slice of the same element type, or an interface, which gets
// the plain slice type.
func (f *sliceFrame) target(ptr any) (reflect.Value, reflect.Type, error) {
	p := reflect.ValueOf(ptr)
	if p.Kind() != reflect.Pointer || p.IsNil() {
		return reflect.Value{}, nil, errors.New("persist: Unpickle needs a non-nil pointer")
	}
	t := p.Elem().Type()
	switch {
	case t.Kind() == reflect.Interface && t.NumMethod() == 0:
		return p.Elem(), reflect.SliceOf(f.elem), nil
	case t.Kind() == reflect.Slice && sameElem(t.Elem(), f.elem):
		return p.Elem(), t, nil
	}
	return reflect.Value{}, nil, fmt.Errorf("persist: a stored []%v cannot be decoded into %v", f.elem, t)
}

func sameElem(t, stored reflect.Type) bool {
	tag, ok := sliceTags[t]
	return ok && sliceElems[tag] == stored
}

// unpickleSlice decodes a slice frame into ptr: one copy of the values,
// written straight into the new slice, and ptr is set only when the
// checksum holds.
func unpickleSlice(data []byte, ptr any) error {
	f, err := parseSliceFrame(data)
	if err != nil {
		return err
	}
	dst, t, err := f.target(ptr)
	if err != nil {
		return err
	}
	s := reflect.MakeSlice(t, f.count, f.count)
	if err := f.fill(data[:sliceHeaderSize], rawBytes(s)); err != nil {
		return err
	}
	dst.Set(s)
	return nil
}

// fill copies or decompresses the values into out and checks the CRC.
func (f *sliceFrame) fill(hdr, out []byte) error {
	if !f.zstd {
		copy(out, f.values)
	} else {
		dec := zstdDecoders.Get().(*zstd.Decoder)
		defer func() {
			_ = dec.Reset(nil) // drop the reference to data
			zstdDecoders.Put(dec)
		}()
		if err := dec.Reset(bytes.NewReader(f.values)); err != nil {
			return fmt.Errorf("damaged slice frame: %w", err)
		}
		_, err := io.ReadFull(dec, out)
		if err == nil {
			// The frame must end with the values, its checksum checked.
			var one [1]byte
			if _, err = dec.Read(one[:]); err == io.EOF {
				err = nil
			} else if err == nil {
				err = errors.New("more values than its header says")
			}
		}
		if err != nil {
			return fmt.Errorf("damaged slice frame: %w", err)
		}
	}
	if crc32.Update(crc32.Checksum(hdr, castagnoli), castagnoli, out) != f.crc {
		return errDamaged
	}
	return nil
}

// sliceAsCBOR re-encodes a slice frame as CBOR, for the rare reader that
// compares CBOR bytes (a stored key that is a large slice).
func sliceAsCBOR(data []byte) ([]byte, error) {
	var v any
	if err := unpickleSlice(data, &v); err != nil {
		return nil, err
	}
	return cborEnc.Marshal(v)
}
