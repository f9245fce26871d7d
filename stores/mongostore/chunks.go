package mongostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gopersist/persist/stores"
)

// chunkSize is the largest record kept inside its document, and the size
// of the pieces a larger one is split into: a MongoDB document holds at
// most 16 MiB.
const chunkSize = 8 << 20

// errTorn reports chunks that vanished under a reader, because a
// concurrent Put or Delete replaced the record they belonged to.
var errTorn = errors.New("the record's chunks are missing")

// chunkRef is how a record's document points to its chunks. The chunks of
// one Put have ids "<version>.<index>", so they sort in order and a new
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
func (s *Store) writeChunks(ctx context.Context, funcname, hash string, rec stores.Record) (*chunkRef, error) {
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
	if _, err := s.chunks.InsertMany(ctx, docs); err != nil {
		s.dropChunks(ref)
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

// readChunks reassembles a record, or returns errTorn when chunks are gone.
func (s *Store) readChunks(ctx context.Context, ref *chunkRef) (stores.Record, error) {
	cur, err := s.chunks.Find(ctx, versionRange(ref.Version),
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetBatchSize(2))
	if err != nil {
		return stores.Record{}, err
	}
	defer cur.Close(context.WithoutCancel(ctx))
	total := ref.Result + max(ref.Key, 0) + max(ref.Meta, 0)
	payload := make([]byte, 0, total)
	n := 0
	for cur.Next(ctx) {
		var c struct {
			Data []byte `bson:"data"`
		}
		if err := cur.Decode(&c); err != nil {
			return stores.Record{}, err
		}
		payload = append(payload, c.Data...)
		n++
	}
	if err := cur.Err(); err != nil {
		return stores.Record{}, err
	}
	if n != ref.Count || len(payload) != total {
		return stores.Record{}, errTorn
	}
	rec := stores.Record{Result: payload[:ref.Result:ref.Result]}
	rest := payload[ref.Result:]
	if ref.Key >= 0 {
		rec.Key, rest = rest[:ref.Key:ref.Key], rest[ref.Key:]
	}
	if ref.Meta >= 0 {
		rec.Meta = rest[:ref.Meta:ref.Meta]
	}
	return rec, nil
}

// dropChunks removes the chunks of a version that no document points to
// any more. It runs even when the caller's context has ended, since
// leaving them costs space, and it only logs a failure.
func (s *Store) dropChunks(ref *chunkRef) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if _, err := s.chunks.DeleteMany(ctx, versionRange(ref.Version)); err != nil {
		logDropFailure(ref, err)
	}
}
