package persist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// Stamp is what persist writes in front of a stored result: the version of
// the code that computed it (Options.Version, or the fingerprint that
// persist fingerprint registered) and how long the computation took, which
// Stats counts as time saved on every hit.
//
// A stamp is a frame of its own (frame.go's magic, kind 'v', the header's
// length, the header, a CRC-32C of all of it) followed by the result's
// bytes as the pickler wrote them. It is written in front of every result
// of the default pickling, and of a custom pickling's when a version is
// set, so that results of pypersist-compatible picklers stay byte for byte
// pypersist's until a version asks for more. A result without a stamp is
// of version "".
//
// The header holds the version's length and bytes, the compute time in
// nanoseconds (uvarints), then fields each of a uvarint length and that
// many bytes: the first names the function that wrote the result (its
// owner tag, see owner.go), so that a Memo never takes another function's
// entry as its own, even when the name changed hands after it last read
// the owner record; the second is the digest of the Spec's defaults
// (argspec.go), which keys leave out. A field of length zero is none;
// zero bytes at the end pad the stamp (appendStampAligned). Stamps
// written before these fields end after the compute time.
type Stamp struct {
	// Version is the version of the code that computed the result.
	Version string
	// Compute is how long the computation took.
	Compute time.Duration

	owner    string // the writer's owner tag; "" when the stamp names none
	defaults string // the digest of the writer's defaults; "" for none

	// defaultHash, on a read, says the writer's tag names the default
	// hash: one hash is then one key (storedkey.go).
	defaultHash bool
}

// frameStamp is the frame kind of a stamp.
const frameStamp = 'v'

// maxVersionLen bounds a version, which is written in every entry.
const maxVersionLen = 256

// maxStampLen bounds the length of a stamp's frame: magic and kind, the
// payload's length, the payload (appendStamp's header) and the checksum.
const maxStampLen = frameHeaderMin - 1 + binary.MaxVarintLen64 + stampHeaderMax + crcSize

// appendStamp appends st's frame to dst.
func appendStamp(dst []byte, st Stamp) []byte {
	var hdr [stampHeaderMax]byte
	return appendFrame(dst, frameStamp, stampHeader(hdr[:0], st))
}

// stampHeaderMax bounds a stamp's header: the version, the compute time,
// an owner tag, a defaults digest and the padding.
const stampHeaderMax = 2*binary.MaxVarintLen64 + maxVersionLen + 1 + ownerTagLen + 1 + defaultsDigestLen + stampAlign

// defaultsDigestLen is the length of argSpec.defaultsDigest.
const defaultsDigestLen = 8

// stampAlign is the length of which a stamp before a slice frame is a
// multiple.
const stampAlign = 16

// appendStampAligned is appendStamp padded with zero bytes at the end of
// its header, which readers pass over as they pass over later fields, so
// that its frame's length is a multiple of stampAlign: the values of the
// slice frame that follows, 16 bytes into it, are then 16-byte aligned
// in a file mapped whole (mapped.go).
func appendStampAligned(dst []byte, st Stamp) []byte {
	var hdr [stampHeaderMax]byte
	h := stampHeader(hdr[:0], st)
	frameLen := func(n int) int { return frameHeaderMin - 1 + uvarintLen(uint64(n)) + n + crcSize }
	for frameLen(len(h))%stampAlign != 0 {
		h = append(h, 0)
	}
	return appendFrame(dst, frameStamp, h)
}

// stampHeader appends the header of st's frame to h.
func stampHeader(h []byte, st Stamp) []byte {
	h = binary.AppendUvarint(h, uint64(len(st.Version)))
	h = append(h, st.Version...)
	h = binary.AppendUvarint(h, uint64(max(st.Compute, 0)))
	if st.owner != "" || st.defaults != "" {
		h = binary.AppendUvarint(h, uint64(len(st.owner)))
		h = append(h, st.owner...)
	}
	if st.defaults != "" {
		h = binary.AppendUvarint(h, uint64(len(st.defaults)))
		h = append(h, st.defaults...)
	}
	return h
}

// uvarintLen is the length of x as a uvarint.
func uvarintLen(x uint64) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

// errStamp reports a damaged stamp: the entry is damaged.
var errStamp = errors.New("damaged stamp")

// SplitStamp separates a stored result into its stamp and the bytes the
// pickler wrote. A result without a stamp has the zero Stamp and comes back
// whole. A damaged stamp is an error wrapping [ErrDamaged]: its result is
// never returned. Tools that read stored results (persist show and verify)
// use it before they unpickle.
func SplitStamp(data []byte) (Stamp, []byte, error) {
	var s splitStamped
	if err := splitStamp(data, &s); err != nil {
		return Stamp{}, nil, err
	}
	// The writer's tag and defaults stay inside: a Stamp a caller builds
	// from Version and Compute equals the one read.
	return Stamp{Version: string(s.version), Compute: s.compute}, s.payload, nil
}

// splitStamped is a stored result taken apart, its parts sub-slices of
// it, so that a hit compares them with the Memo's without allocating.
type splitStamped struct {
	version, owner []byte // owner is nil when the stamp names none
	defaults       []byte // nil when the stamp holds no defaults digest
	compute        time.Duration
	payload        []byte // the pickler's bytes
}

// splitStamp is SplitStamp without copies, into s. It is on every hit's
// path: its failures are built out of line, its varints (almost always
// of one byte) read in line.
func splitStamp(data []byte, s *splitStamped) error {
	if !isFrame(data) || data[3] != frameStamp {
		*s = splitStamped{payload: data}
		return nil
	}
	n, w := uvarint(data[4:])
	if w <= 0 || n > uint64(len(data)) {
		return stampDamaged("bad length")
	}
	end := 4 + w + int(n)
	if len(data) < end+crcSize {
		return stampDamaged("truncated")
	}
	if crc32.Checksum(data[:end], castagnoli) != binary.LittleEndian.Uint32(data[end:]) {
		return stampDamaged("checksum mismatch")
	}
	hdr := data[4+w : end]
	vlen, w := uvarint(hdr)
	if w <= 0 || vlen > uint64(len(hdr)-w) || vlen > maxVersionLen {
		return stampDamaged("bad version length")
	}
	s.version = hdr[w : w+int(vlen)]
	hdr = hdr[w+int(vlen):]
	ns, w := uvarint(hdr)
	if w <= 0 || ns > 1<<63-1 {
		return stampDamaged("bad compute time")
	}
	s.compute = time.Duration(ns)
	hdr = hdr[w:]
	s.owner, hdr = stampField(hdr)
	s.defaults, hdr = stampField(hdr)
	if hdr == nil {
		return stampDamaged("bad field")
	}
	// Later fields may follow in the header: read by later versions,
	// passed over here.
	s.payload = data[end+crcSize:]
	return nil
}

// stampField takes the next field off hdr: its bytes (nil when it is
// absent or empty) and the rest; rest is nil when the field is damaged.
func stampField(hdr []byte) (field, rest []byte) {
	if len(hdr) == 0 {
		return nil, hdr // nil stays nil: a damaged field before
	}
	n, w := uvarint(hdr)
	if w <= 0 || n > uint64(len(hdr)-w) {
		return nil, nil
	}
	if n == 0 {
		return nil, hdr[w:]
	}
	return hdr[w : w+int(n)], hdr[w+int(n):]
}

// uvarint is binary.Uvarint with the one-byte case in line.
func uvarint(b []byte) (uint64, int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	return uvarintLong(b)
}

// uvarintLong is binary.Uvarint, out of line so that uvarint inlines.
//
//go:noinline
func uvarintLong(b []byte) (uint64, int) { return binary.Uvarint(b) }

// stampDamaged reports a damaged stamp, for why.
func stampDamaged(why string) error {
	return fmt.Errorf("%w: %w: %s", ErrDamaged, errStamp, why)
}
