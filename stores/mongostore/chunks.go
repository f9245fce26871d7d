package mongostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gopersist/persist/stores/driver"
)

// chunkSize is the largest record kept inside its document, and the size
// of the pieces a larger one is split into: a MongoDB document holds at
// most 16 MiB.
const chunkSize = 8 << 20

// errTorn reports chunks that vanished under a reader, because a
// concurrent Write or Delete replaced the record they belonged to.
var errTorn = errors.New("the record's chunks are missing")

// chunkRef is how a record's document points to its chunks. The chunks of
// one Write have ids "<version>.<index>", so they sort in order and a new
// version never mixes with an old one.
type chunkRef struct {
	Version string `bson:"v"`
	Count   int    `bson:"n"`
	Result  int    `bson:"result"`   // length of Result
	Key     int    `bson:"key"`      // length of Key, -1 for nil
	Meta    int    `bson:"metadata"` // length of Meta, -1 for nil
}

// lenOrNil encodes the length of b, keeping nil apart from empty.
func lenOrNil(b []byte) int {
	if b == nil {
		return -1
	}
	return len(b)
}

// writeChunks stores rec's bytes as chunks of a new version.
func (d *mongoDriver) writeChunks(ctx context.Context, funcname, hash string, rec driver.Record) (*chunkRef, error) {
	v := make([]byte, 12)
	_, _ = rand.Read(v) // crypto/rand.Read never fails
	ref := &chunkRef{
		Version: hex.EncodeToString(v),
		Result:  len(rec.Result),
		Key:     lenOrNil(rec.Key),
		Meta:    lenOrNil(rec.Meta),
	}
	payload := make([]byte, 0, len(rec.Result)+len(rec.Key)+len(rec.Meta))
	payload = append(append(append(payload, rec.Result...), rec.Key...), rec.Meta...)
	var docs []any
	for off := 0; off < len(payload); off += chunkSize {
		docs = append(docs, bson.D{
			{Key: "_id", Value: chunkID(ref.Version, len(docs))},
			{Key: "funcname", Value: funcname},
			{Key: "hash", Value: hash},
			{Key: "data", Value: bson.Binary{Data: payload[off:min(off+chunkSize, len(payload))]}},
		})
	}
	ref.Count = len(docs)
	if _, err := d.chunks.InsertMany(ctx, docs); err != nil {
		d.dropChunks(ref)
		return nil, err
	}
	return ref, nil
}

func chunkID(version string, i int) string { return fmt.Sprintf("%s.%06d", version, i) }

// versionRange selects every chunk of one version: '/' follows '.'.
func versionRange(version string) bson.D {
	return bson.D{{Key: "_id", Value: bson.D{
		{Key: "$gte", Value: version + "."},
		{Key: "$lt", Value: version + "/"},
	}}}
}

// span is the byte range of the payload, Result then Key then Meta, that
// holds the parts of ref that parts names; empty when they hold no bytes.
func (ref *chunkRef) span(parts driver.Parts) (lo, hi int) {
	lo, hi = -1, -1
	add := func(start, n int) {
		if n <= 0 {
			return
		}
		if lo < 0 || start < lo {
			lo = start
		}
		hi = max(hi, start+n)
	}
	key, meta := max(ref.Key, 0), max(ref.Meta, 0)
	if parts.Has(driver.PartResult) {
		add(0, ref.Result)
	}
	if parts.Has(driver.PartKey) {
		add(ref.Result, key)
	}
	if parts.Has(driver.PartMeta) {
		add(ref.Result+key, meta)
	}
	if lo < 0 {
		return 0, 0
	}
	return lo, hi
}

// size is the bytes of the record's result, key and metadata together.
func (ref *chunkRef) size() int64 {
	return int64(ref.Result) + int64(max(ref.Key, 0)) + int64(max(ref.Meta, 0))
}

// readChunks reassembles the parts of a record that parts names, reading
// only the chunks that hold them, or returns errTorn when those chunks are
// gone.
func (d *mongoDriver) readChunks(ctx context.Context, ref *chunkRef, parts driver.Parts) (driver.Record, error) {
	var rec driver.Record
	lo, hi := ref.span(parts)
	var payload []byte // the bytes [base, hi) of the payload
	base := 0
	if hi > lo {
		first, last := lo/chunkSize, (hi-1)/chunkSize
		base = first * chunkSize
		var err error
		if payload, err = d.fetchChunks(ctx, ref, first, last); err != nil {
			return rec, err
		}
	}
	// cut returns the n bytes at off of the payload, nil when n < 0.
	cut := func(off, n int) []byte {
		if n < 0 {
			return nil
		}
		if n == 0 {
			return []byte{}
		}
		return payload[off-base : off-base+n : off-base+n]
	}
	key := max(ref.Key, 0)
	if parts.Has(driver.PartResult) {
		rec.Result = cut(0, ref.Result)
	}
	if parts.Has(driver.PartKey) {
		rec.Key = cut(ref.Result, ref.Key)
	}
	if parts.Has(driver.PartMeta) {
		rec.Meta = cut(ref.Result+key, ref.Meta)
	}
	return rec, nil
}

// fetchChunks returns the chunks first to last of ref's version joined, or
// errTorn when one is missing or not of the length it was written with.
func (d *mongoDriver) fetchChunks(ctx context.Context, ref *chunkRef, first, last int) ([]byte, error) {
	total := int(ref.size())
	filter := bson.D{{Key: "_id", Value: bson.D{
		{Key: "$gte", Value: chunkID(ref.Version, first)},
		{Key: "$lte", Value: chunkID(ref.Version, last)},
	}}}
	cur, err := d.chunks.Find(ctx, filter,
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetBatchSize(2).
			SetProjection(bson.D{{Key: "data", Value: 1}}))
	if err != nil {
		return nil, err
	}
	defer cur.Close(context.WithoutCancel(ctx))
	payload := make([]byte, 0, min(total, (last+1)*chunkSize)-first*chunkSize)
	i := first
	for cur.Next(ctx) {
		var c struct {
			Data []byte `bson:"data"`
		}
		if err := cur.Decode(&c); err != nil {
			return nil, err
		}
		if i > last || len(c.Data) != min(chunkSize, total-i*chunkSize) {
			return nil, errTorn
		}
		payload = append(payload, c.Data...)
		i++
	}
	if err := cur.Err(); err != nil {
		return nil, err
	}
	if i != last+1 {
		return nil, errTorn
	}
	return payload, nil
}

// dropChunks removes the chunks of a version that no document points to
// any more. It runs even when the caller's context has ended, since
// leaving them costs space, and it only logs a failure.
func (d *mongoDriver) dropChunks(ref *chunkRef) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if _, err := d.chunks.DeleteMany(ctx, versionRange(ref.Version)); err != nil {
		logDropFailure(ref, err)
	}
}
