package s3store

import (
	"errors"
	"io"
)

// concat reads several byte slices as one, without copying them into one
// buffer. It is an io.ReaderAt, which makes the client upload the parts of
// a large object from sections of it, in place, and an io.Seeker, which
// lets the client rewind it to retry a request.
type concat struct {
	parts [][]byte
	size  int64
	off   int64
}

func newConcat(parts ...[]byte) *concat {
	c := &concat{parts: parts}
	for _, p := range parts {
		c.size += int64(len(p))
	}
	return c
}

// Size is the total length.
func (c *concat) Size() int64 { return c.size }

// ReadAt implements io.ReaderAt.
func (c *concat) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("concat: negative offset")
	}
	n := 0
	for _, part := range c.parts {
		if len(p) == 0 {
			break
		}
		if off >= int64(len(part)) {
			off -= int64(len(part))
			continue
		}
		k := copy(p, part[off:])
		n += k
		p = p[k:]
		off = 0
	}
	if len(p) > 0 {
		return n, io.EOF
	}
	return n, nil
}

// Read implements io.Reader.
func (c *concat) Read(p []byte) (int, error) {
	if c.off >= c.size {
		return 0, io.EOF
	}
	n, err := c.ReadAt(p, c.off)
	c.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// Seek implements io.Seeker.
func (c *concat) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += c.off
	case io.SeekEnd:
		offset += c.size
	default:
		return 0, errors.New("concat: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("concat: negative position")
	}
	c.off = offset
	return offset, nil
}
