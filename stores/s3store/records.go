package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/gopersist/persist/stores/driver"
)

// The suffixes of a record's object, of a lease and the owner record's
// name.
const (
	outSuffix   = ".out"
	leaseSuffix = ".lease"
	ownerName   = ".owner"
)

// A record is one object, <hash>.out: the result, then the key, then the
// metadata, whose lengths the object's user metadata Persist-Parts states
// as "RESULT,KEY,META" (-1 for a nil key or metadata). One object per
// record is what makes a Put atomic on S3, which has no transaction over
// several objects: with the key in an object of its own, two concurrent
// Puts of different records could leave one's key beside the other's
// result for good. It also makes the listed size of the .out the record's
// Size. The result comes first, so that a hit reads it from the start of
// the object and stops; an object without Persist-Parts, such as one
// copied in with another S3 tool, is a result with no key or metadata.
const metaParts = "Persist-Parts"

// layout is the lengths of a record's parts in its object.
type layout struct{ result, key, meta int64 }

// parseLayout reads the Persist-Parts of info, checking it against the
// object's size.
func parseLayout(info minio.ObjectInfo) (layout, error) {
	if info.Size < 0 {
		return layout{}, fmt.Errorf("the server did not state the length of %s", info.Key)
	}
	v := userMeta(info, metaParts)
	if v == "" {
		return layout{result: info.Size, key: -1, meta: -1}, nil
	}
	f := strings.Split(v, ",")
	var n [3]int64
	ok := len(f) == 3
	for i := 0; ok && i < 3; i++ {
		var err error
		n[i], err = strconv.ParseInt(f[i], 10, 64)
		ok = err == nil && n[i] >= -1 && (i > 0 || n[i] >= 0)
	}
	l := layout{n[0], n[1], n[2]}
	if !ok || l.result+max(l.key, 0)+max(l.meta, 0) != info.Size {
		return layout{}, fmt.Errorf("%w: %s is %d bytes and says its parts are %q", errDamaged, info.Key, info.Size, v)
	}
	return l, nil
}

func (l layout) String() string {
	return strconv.FormatInt(l.result, 10) + "," + strconv.FormatInt(l.key, 10) + "," + strconv.FormatInt(l.meta, 10)
}

func partLen(b []byte) int64 {
	if b == nil {
		return -1
	}
	return int64(len(b))
}

// readAttempts bounds how often Read starts again when the record was
// replaced between two requests of one read.
const readAttempts = 5

// Read implements [driver.Store]. A read of the result is one GET of the
// record's object, which stops after the parts asked for; a read of only
// the key or metadata is a HEAD and a GET of their byte range, on the
// condition that the object is still the one the HEAD saw.
func (d *s3Driver) Read(ctx context.Context, funcname, hash string, parts driver.Parts) (driver.Record, error) {
	object := d.dir(funcname) + hash + outSuffix
	for attempt := 0; ; attempt++ {
		var rec driver.Record
		var err error
		if parts.Has(driver.PartResult) {
			rec, err = d.readFromStart(ctx, object, parts)
		} else {
			rec, err = d.readSide(ctx, object, parts)
		}
		if !isPreconditionFailed(err) || attempt == readAttempts-1 {
			return rec, err
		}
	}
}

// readFromStart reads the record's object from its start, as far as the
// last part asked for.
func (d *s3Driver) readFromStart(ctx context.Context, object string, parts driver.Parts) (driver.Record, error) {
	body, info, _, err := d.core.GetObject(ctx, d.bucket, object, minio.GetObjectOptions{})
	if err != nil {
		if isNotFound(err) {
			return driver.Record{}, errNotFound
		}
		return driver.Record{}, err
	}
	defer body.Close()
	l, err := parseLayout(info)
	if err != nil {
		return driver.Record{}, err
	}
	end := l.result
	if parts.Has(driver.PartMeta) {
		end = info.Size
	} else if parts.Has(driver.PartKey) {
		end = l.result + max(l.key, 0)
	}
	// One buffer for the parts, read in place; each part gets a slice of
	// it whose capacity ends with it.
	buf := make([]byte, end)
	if _, err := io.ReadFull(body, buf); err != nil {
		return driver.Record{}, fmt.Errorf("reading %s: %w", object, err)
	}
	if rest := info.Size - end; rest > 0 && rest <= maxDrain {
		// Reading a short rest keeps the connection for the next request;
		// a long one is cheaper to drop.
		_, _ = io.Copy(io.Discard, body)
	}
	rec := driver.Record{Created: created(info.LastModified), Result: buf[:l.result:l.result]}
	off := l.result
	if parts.Has(driver.PartKey) {
		rec.Key = cut(buf, off, l.key)
	}
	off += max(l.key, 0)
	if parts.Has(driver.PartMeta) {
		rec.Meta = cut(buf, off, l.meta)
	}
	return rec, nil
}

// maxDrain is the longest rest of an object that a read skips by reading
// it rather than by closing the connection.
const maxDrain = 256 << 10

// cut returns the part of length n (-1: nil) at off in buf.
func cut(buf []byte, off, n int64) []byte {
	if n < 0 {
		return nil
	}
	return buf[off : off+n : off+n]
}

// readSide reads the key or metadata, or neither, without the result.
func (d *s3Driver) readSide(ctx context.Context, object string, parts driver.Parts) (driver.Record, error) {
	info, err := d.client.StatObject(ctx, d.bucket, object, minio.StatObjectOptions{})
	if err != nil {
		if isNotFound(err) {
			return driver.Record{}, errNotFound
		}
		return driver.Record{}, err
	}
	l, err := parseLayout(info)
	if err != nil {
		return driver.Record{}, err
	}
	rec := driver.Record{Created: created(info.LastModified)}
	from, to := info.Size, l.result // the byte range to read: none yet
	if parts.Has(driver.PartKey) && l.key >= 0 {
		from, to = l.result, l.result+l.key
	}
	if parts.Has(driver.PartMeta) && l.meta >= 0 {
		from, to = min(from, info.Size-l.meta), info.Size
	}
	var buf []byte
	if to > from {
		opts := minio.GetObjectOptions{}
		if err := opts.SetRange(from, to-1); err != nil {
			return driver.Record{}, err
		}
		// The range is of the object the HEAD saw; a replaced one fails
		// the condition and the read starts again.
		if err := opts.SetMatchETag(info.ETag); err != nil {
			return driver.Record{}, err
		}
		body, _, _, err := d.core.GetObject(ctx, d.bucket, object, opts)
		if err != nil {
			if isNotFound(err) {
				return driver.Record{}, errNotFound
			}
			return driver.Record{}, err
		}
		defer body.Close()
		buf = make([]byte, to-from)
		if _, err := io.ReadFull(body, buf); err != nil {
			return driver.Record{}, fmt.Errorf("reading %s: %w", object, err)
		}
	}
	if parts.Has(driver.PartKey) && l.key >= 0 {
		rec.Key = cut(buf, l.result-from, l.key)
	}
	if parts.Has(driver.PartMeta) && l.meta >= 0 {
		rec.Meta = cut(buf, info.Size-l.meta-from, l.meta)
	}
	return rec, nil
}

// created is a record's creation time from its object's modification
// time, which S3 keeps to the second in some answers and to the
// millisecond in others: Read and List report it to the second, so that
// they agree.
func created(t time.Time) time.Time { return t.Truncate(time.Second) }

// userMeta returns a user metadata value of an object, whatever the case
// the server gave the header in.
func userMeta(info minio.ObjectInfo, name string) string {
	for k, v := range info.UserMetadata {
		if strings.EqualFold(k, name) || strings.EqualFold(k, "X-Amz-Meta-"+name) {
			return v
		}
	}
	return info.Metadata.Get("X-Amz-Meta-" + name)
}

// maxSmall bounds what get reads of an object whose length the server
// did not state.
const maxSmall = 1 << 20

// get reads a whole small object.
func (d *s3Driver) get(ctx context.Context, object string) ([]byte, minio.ObjectInfo, error) {
	body, info, _, err := d.core.GetObject(ctx, d.bucket, object, minio.GetObjectOptions{})
	if err != nil {
		if isNotFound(err) {
			return nil, info, errNotFound
		}
		return nil, info, err
	}
	defer body.Close()
	if info.Size < 0 { // no length stated: owner records and leases are small
		data, err := io.ReadAll(io.LimitReader(body, maxSmall))
		return data, info, err
	}
	data := make([]byte, info.Size)
	if _, err := io.ReadFull(body, data); err != nil {
		return nil, info, fmt.Errorf("reading %s: %w", object, err)
	}
	return data, info, nil
}

// Write implements [driver.Store] with one PUT of the record's object,
// which S3 makes visible whole or not at all. A record larger than the
// client's part size (16 MiB) goes up as a multipart upload whose parts are
// read in place from rec's slices, never copied into one buffer.
func (d *s3Driver) Write(ctx context.Context, funcname, hash string, rec driver.Record) error {
	l := layout{int64(len(rec.Result)), partLen(rec.Key), partLen(rec.Meta)}
	body := newConcat(rec.Result, rec.Key, rec.Meta)
	_, err := d.client.PutObject(ctx, d.bucket, d.dir(funcname)+hash+outSuffix, body, body.Size(), minio.PutObjectOptions{
		ContentType:  "application/octet-stream",
		UserMetadata: map[string]string{metaParts: l.String()},
	})
	return err
}

// Delete implements [driver.Store]. S3's DELETE succeeds on a missing
// object, so a HEAD tells NotFound first.
func (d *s3Driver) Delete(ctx context.Context, funcname, hash string) error {
	object := d.dir(funcname) + hash + outSuffix
	if _, err := d.client.StatObject(ctx, d.bucket, object, minio.StatObjectOptions{}); err != nil {
		if isNotFound(err) {
			return errNotFound
		}
		return err
	}
	return d.client.RemoveObject(ctx, d.bucket, object, minio.RemoveObjectOptions{})
}

// errDamaged reports a record object whose stated parts do not add up to
// its size: not one this store wrote whole. It reads as missing.
var errDamaged = errors.New("damaged record")
