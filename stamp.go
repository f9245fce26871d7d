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
// the owner record. A field of length zero is none; zero bytes at the end
// pad the stamp (appendStampAligned). Stamps written before owner tags end
// after the compute time.
type Stamp struct {
	// Version is the version of the code that computed the result.
	Version string
	// Compute is how long the computation took.
	Compute time.Duration

	owner string // the writer's owner tag; "" when the stamp names none
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
// an owner tag and the padding.
const stampHeaderMax = 2*binary.MaxVarintLen64 + maxVersionLen + 1 + ownerTagLen + stampAlign

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
	if st.owner != "" {
		h = binary.AppendUvarint(h, uint64(len(st.owner)))
		h = append(h, st.owner...)
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
	s, err := splitStamp(data)
	if err != nil {
		return Stamp{}, nil, err
	}
	return Stamp{Version: string(s.version), Compute: s.compute, owner: string(s.owner)}, s.payload, nil
}

// splitStamped is a stored result taken apart, its parts sub-slices of
// it, so that a hit compares them with the Memo's without allocating.
type splitStamped struct {
	version, owner []byte // owner is nil when the stamp names none
	compute        time.Duration
	payload        []byte // the pickler's bytes
}

// splitStamp is SplitStamp without copies.
func splitStamp(data []byte) (s splitStamped, err error) {
	if !isFrame(data) || data[3] != frameStamp {
		return splitStamped{payload: data}, nil
	}
	damaged := func(why string) (splitStamped, error) {
		return splitStamped{}, fmt.Errorf("%w: %w: %s", ErrDamaged, errStamp, why)
	}
	n, w := binary.Uvarint(data[4:])
	if w <= 0 || n > uint64(len(data)) {
		return damaged("bad length")
	}
	end := 4 + w + int(n)
	if len(data) < end+crcSize {
		return damaged("truncated")
	}
	if crc32.Checksum(data[:end], castagnoli) != binary.LittleEndian.Uint32(data[end:]) {
		return damaged("checksum mismatch")
	}
	hdr := data[4+w : end]
	vlen, w := binary.Uvarint(hdr)
	if w <= 0 || vlen > uint64(len(hdr)-w) || vlen > maxVersionLen {
		return damaged("bad version length")
	}
	s.version = hdr[w : w+int(vlen)]
	hdr = hdr[w+int(vlen):]
	ns, w := binary.Uvarint(hdr)
	if w <= 0 || ns > 1<<63-1 {
		return damaged("bad compute time")
	}
	s.compute = time.Duration(ns)
	if hdr = hdr[w:]; len(hdr) > 0 {
		n, w := binary.Uvarint(hdr)
		if w <= 0 || n > uint64(len(hdr)-w) {
			return damaged("bad owner field")
		}
		if n > 0 {
			s.owner = hdr[w : w+int(n)]
		}
	}
	// Later fields may follow in the header: read by later versions,
	// passed over here.
	s.payload = data[end+crcSize:]
	return s, nil
}
