package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/gopersist/persist/stores"
)

// FrameType is the media type of a record frame: the raw bytes of one
// item's record, a persist extension that a Go client asks for with
// Accept on GET /persist/<funcname>/<hash>. The JSON item costs a hit its
// encoding, base64 or JSON escapes of binary bytes, and a parse of the
// whole item; the frame carries the bytes as they are. pypersist and other
// Eve clients never ask for it and keep getting JSON; a server that does
// not know it (Eve, an older persist serve) answers JSON, which the client
// reads as before.
const FrameType = "application/vnd.persist.record"

// frameMagic opens every frame; its last byte is the version.
const frameMagic = "PRF1"

// A frame's flag bits: which parts follow, and whether a creation time
// does.
const (
	frameResult  = 1 << 0
	frameKey     = 1 << 1
	frameMeta    = 1 << 2
	frameCreated = 1 << 3
	frameFlags   = frameResult | frameKey | frameMeta | frameCreated
)

// A frame is, in order:
//
//	"PRF1"
//	flags            1 byte: the frame* bits above
//	uvarint len, the hash's bytes
//	created          8 bytes, little-endian Unix nanoseconds, if frameCreated
//	uvarint len, the bytes of result, key, metadata: those that are present
//
// and nothing after. A part that is present but empty has length 0; one
// that is absent has no flag and stays nil on decoding, as in the JSON
// item. Created has room for nanoseconds; persist serve sends the whole
// seconds of the JSON item's _created, which its lists answer too.

// ErrFrame reports bytes that are not a valid record frame.
var ErrFrame = errors.New("not a valid record frame")

// FrameSize is the length of the frame that carries rec under hash.
func FrameSize(hash string, rec stores.Record) int {
	n := len(frameMagic) + 1 + uvarintLen(len(hash)) + len(hash)
	if !rec.Created.IsZero() {
		n += 8
	}
	for _, b := range [...][]byte{rec.Result, rec.Key, rec.Meta} {
		if b != nil {
			n += uvarintLen(len(b)) + len(b)
		}
	}
	return n
}

// WriteFrame writes the frame that carries rec under hash to w: a short
// header, then each part's bytes as they are, so that a large result is
// not copied on its way out. It returns what w returned.
func WriteFrame(w io.Writer, hash string, rec stores.Record) error {
	hdr := make([]byte, 0, 64+len(hash))
	hdr = append(hdr, frameMagic...)
	flags := byte(0)
	if rec.Result != nil {
		flags |= frameResult
	}
	if rec.Key != nil {
		flags |= frameKey
	}
	if rec.Meta != nil {
		flags |= frameMeta
	}
	if !rec.Created.IsZero() {
		flags |= frameCreated
	}
	hdr = append(hdr, flags)
	hdr = binary.AppendUvarint(hdr, uint64(len(hash)))
	hdr = append(hdr, hash...)
	if !rec.Created.IsZero() {
		hdr = binary.LittleEndian.AppendUint64(hdr, uint64(rec.Created.UnixNano()))
	}
	for _, b := range [...][]byte{rec.Result, rec.Key, rec.Meta} {
		if b == nil {
			continue
		}
		hdr = binary.AppendUvarint(hdr, uint64(len(b)))
		if len(b) <= 512 {
			hdr = append(hdr, b...) // small parts travel in the header's write
			continue
		}
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		hdr = hdr[:0]
	}
	if len(hdr) > 0 {
		_, err := w.Write(hdr)
		return err
	}
	return nil
}

// DecodeFrame returns the hash and the record a frame carries. The
// record's parts are slices of b, each capped at its own end, so that
// appending to one cannot overwrite the next: b must not be changed
// afterwards. It fails with an error wrapping [ErrFrame] for anything that
// is not exactly one frame.
func DecodeFrame(b []byte) (hash []byte, rec stores.Record, err error) {
	bad := func(why string) ([]byte, stores.Record, error) {
		return nil, stores.Record{}, fmt.Errorf("%w: %s", ErrFrame, why)
	}
	if len(b) < len(frameMagic)+1 || string(b[:len(frameMagic)]) != frameMagic {
		return bad("it does not begin with " + strconv.Quote(frameMagic))
	}
	flags := b[len(frameMagic)]
	if flags&^frameFlags != 0 {
		return bad(fmt.Sprintf("unknown flags %#x", flags&^frameFlags))
	}
	rest := b[len(frameMagic)+1:]
	field := func() ([]byte, bool) {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			return nil, false
		}
		f := rest[k : k+int(n) : k+int(n)]
		rest = rest[k+int(n):]
		return f, true
	}
	hash, ok := field()
	if !ok {
		return bad("the hash's length is beyond its end")
	}
	if flags&frameCreated != 0 {
		if len(rest) < 8 {
			return bad("it ends inside the creation time")
		}
		rec.Created = time.Unix(0, int64(binary.LittleEndian.Uint64(rest))).UTC()
		rest = rest[8:]
	}
	for _, p := range [...]struct {
		flag byte
		dst  *[]byte
		name string
	}{{frameResult, &rec.Result, "result"}, {frameKey, &rec.Key, "key"}, {frameMeta, &rec.Meta, "metadata"}} {
		if flags&p.flag == 0 {
			continue
		}
		if *p.dst, ok = field(); !ok {
			return bad("the " + p.name + "'s length is beyond its end")
		}
	}
	if len(rest) != 0 {
		return bad(fmt.Sprintf("%d bytes follow its last part", len(rest)))
	}
	return hash, rec, nil
}

// AcceptsFrame reports whether an Accept header's value lists FrameType
// (or a parameterised form of it) with a quality above zero. Wildcards do
// not count: only a client that names the frame can read it.
func AcceptsFrame(accept string) bool {
	if !strings.Contains(accept, FrameType) {
		return false // every other client, in one scan
	}
	for r := range strings.SplitSeq(accept, ",") {
		if strings.TrimSpace(r) == FrameType {
			return true // the Go client's, without a parse
		}
		mt, params, err := mime.ParseMediaType(r)
		if err != nil || mt != FrameType {
			continue
		}
		q, ok := params["q"]
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}

// uvarintLen is the length of n as a uvarint.
func uvarintLen(n int) int {
	k := 1
	for u := uint64(n); u >= 0x80; u >>= 7 {
		k++
	}
	return k
}
