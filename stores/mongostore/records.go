package mongostore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gopersist/persist/stores/driver"
)

// putRetries bounds how often Write retries an upsert that lost a race with
// another upsert of the same new record to the insert, and how often Read
// retries a record whose chunks a concurrent Write or Delete removed.
const putRetries = 3

// resultDoc is one record as the results collection holds it, less the
// fields that only queries use (funcname, size). Read asks the server only
// for the fields of the parts it returns; the others stay zero.
type resultDoc struct {
	Hash    string        `bson:"hash"`
	Result  []byte        `bson:"result"`
	Key     []byte        `bson:"key"`
	Meta    bson.RawValue `bson:"metadata"`
	Created time.Time     `bson:"created"`
	Chunks  *chunkRef     `bson:"chunks"`
}

// metaBytes returns the metadata of d, kept as a string or as binary.
func (d *resultDoc) metaBytes() []byte {
	switch d.Meta.Type {
	case bson.TypeString:
		return []byte(d.Meta.StringValue())
	case bson.TypeBinary:
		_, b := d.Meta.Binary()
		return append([]byte{}, b...) // RawValue shares the reply's buffer
	}
	return nil
}

// metaValue keeps metadata that is text as a BSON string, readable in any
// MongoDB tool, and anything else as binary.
func metaValue(meta []byte) any {
	if utf8.Valid(meta) {
		return string(meta)
	}
	return bson.Binary{Data: meta}
}

// recordID is the _id of a record's document. Neither name may contain '/',
// so the join is unambiguous; keying by _id makes the record unique
// without an index of our own, is the lookup every server (FerretDB too)
// serves fastest, and orders a function's records by hash, which List
// pages through.
func recordID(funcname, hash string) string { return funcname + "/" + hash }

func recordFilter(funcname, hash string) bson.D {
	return bson.D{{Key: "_id", Value: recordID(funcname, hash)}}
}

// readProjection names the fields of a document that Read needs for parts:
// created and the chunk reference always, each asked-for part's field, and
// no other, so that a hit that wants the result does not carry the key and
// metadata over the network, nor a check of existence the result.
func readProjection(parts driver.Parts) bson.D {
	p := bson.D{{Key: "created", Value: 1}, {Key: "chunks", Value: 1}}
	if parts.Has(driver.PartResult) {
		p = append(p, bson.E{Key: "result", Value: 1})
	}
	if parts.Has(driver.PartKey) {
		p = append(p, bson.E{Key: "key", Value: 1})
	}
	if parts.Has(driver.PartMeta) {
		p = append(p, bson.E{Key: "metadata", Value: 1})
	}
	return p
}

// Read implements [driver.Store]. A record kept in chunks reads only the
// chunks that hold the asked-for parts. It retries when a concurrent Write
// or Delete removed the chunks of the version it found.
func (d *mongoDriver) Read(ctx context.Context, funcname, hash string, parts driver.Parts) (driver.Record, error) {
	opts := options.FindOne().SetProjection(readProjection(parts))
	for attempt := 0; ; attempt++ {
		var doc resultDoc
		err := d.results.FindOne(ctx, recordFilter(funcname, hash), opts).Decode(&doc)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return driver.Record{}, errNotFound
		}
		if err != nil {
			return driver.Record{}, d.wrap(ctx, err)
		}
		if doc.Chunks == nil {
			rec := driver.Record{Created: doc.Created}
			if parts.Has(driver.PartResult) {
				rec.Result = doc.Result
				if rec.Result == nil {
					rec.Result = []byte{}
				}
			}
			if parts.Has(driver.PartKey) {
				rec.Key = doc.Key
			}
			if parts.Has(driver.PartMeta) {
				rec.Meta = doc.metaBytes()
			}
			return rec, nil
		}
		rec, err := d.readChunks(ctx, doc.Chunks, parts)
		switch {
		case err == nil:
			rec.Created = doc.Created
			return rec, nil
		case !errors.Is(err, errTorn):
			return driver.Record{}, d.wrap(ctx, err)
		case attempt == putRetries:
			// The document names chunks that are gone for good: a Clear
			// ran beside the Write that wrote it. Recomputing is the cure.
			return driver.Record{}, fmt.Errorf("%w: %w", errNotFound, err)
		}
	}
}

// Write implements [driver.Store]. A record of up to 8 MiB is one document,
// replaced in one upsert; a larger one is first written as chunks, then
// its document is replaced to point at them, so a reader sees the old
// record or the new one, never a mix. The document keeps the record's size,
// which List reports without reading the record.
func (d *mongoDriver) Write(ctx context.Context, funcname, hash string, rec driver.Record) error {
	if err := d.ensureIndexes(ctx); err != nil {
		return d.wrap(ctx, err)
	}
	size := len(rec.Result) + len(rec.Key) + len(rec.Meta)
	doc := bson.D{
		{Key: "_id", Value: recordID(funcname, hash)},
		{Key: "funcname", Value: funcname},
		{Key: "hash", Value: hash},
		{Key: "created", Value: time.Now()},
		{Key: "size", Value: int64(size)},
	}
	var ref *chunkRef
	if size > chunkSize {
		var err error
		if ref, err = d.writeChunks(ctx, funcname, hash, rec); err != nil {
			return d.wrap(ctx, err)
		}
		doc = append(doc, bson.E{Key: "chunks", Value: ref})
	} else {
		doc = append(doc, bson.E{Key: "result", Value: bson.Binary{Data: rec.Result}})
		if rec.Key != nil {
			doc = append(doc, bson.E{Key: "key", Value: bson.Binary{Data: rec.Key}})
		}
		if rec.Meta != nil {
			doc = append(doc, bson.E{Key: "metadata", Value: metaValue(rec.Meta)})
		}
	}
	old, err := d.replace(ctx, funcname, hash, doc)
	if err != nil {
		if ref != nil {
			d.dropChunks(ref)
		}
		return d.wrap(ctx, err)
	}
	if old != nil {
		d.dropChunks(old)
	}
	return nil
}

// replace upserts the document of (funcname, hash) and returns the chunks
// the replaced document pointed to, if any. It asks for the whole replaced
// document, not just its chunks field: FerretDB does not implement
// projections in findAndModify.
func (d *mongoDriver) replace(ctx context.Context, funcname, hash string, doc bson.D) (*chunkRef, error) {
	opts := options.FindOneAndReplace().
		SetUpsert(true).
		SetReturnDocument(options.Before)
	for attempt := 0; ; attempt++ {
		var old struct {
			Chunks *chunkRef `bson:"chunks"`
		}
		err := d.results.FindOneAndReplace(ctx, recordFilter(funcname, hash), doc, opts).Decode(&old)
		switch {
		case err == nil:
			return old.Chunks, nil
		case errors.Is(err, mongo.ErrNoDocuments):
			return nil, nil // inserted
		case mongo.IsDuplicateKeyError(err) && attempt < putRetries:
			continue // another upsert inserted it first: now it is a replace
		default:
			return nil, err
		}
	}
}

// Delete implements [driver.Store].
func (d *mongoDriver) Delete(ctx context.Context, funcname, hash string) error {
	var old struct {
		Chunks *chunkRef `bson:"chunks"`
	}
	// Without a projection, which FerretDB does not implement here.
	err := d.results.FindOneAndDelete(ctx, recordFilter(funcname, hash)).Decode(&old)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return errNotFound
	}
	if err != nil {
		return d.wrap(ctx, err)
	}
	if old.Chunks != nil {
		d.dropChunks(old.Chunks)
	}
	return nil
}

// Len implements [driver.Counter] with the index on funcname.
func (d *mongoDriver) Len(ctx context.Context, funcname string) (int, error) {
	n, err := d.results.CountDocuments(ctx, bson.D{{Key: "funcname", Value: funcname}})
	if err != nil {
		return 0, d.wrap(ctx, err)
	}
	return int(n), nil
}

// Clear implements [driver.Store].
func (d *mongoDriver) Clear(ctx context.Context, funcname string) error {
	filter := bson.D{{Key: "funcname", Value: funcname}}
	if _, err := d.results.DeleteMany(ctx, filter); err != nil {
		return d.wrap(ctx, err)
	}
	if _, err := d.chunks.DeleteMany(ctx, filter); err != nil {
		return d.wrap(ctx, err)
	}
	if _, err := d.owners.DeleteOne(ctx, ownerFilter(funcname)); err != nil {
		return d.wrap(ctx, err)
	}
	return nil
}

// Funcs implements [driver.FuncLister] with a distinct on the index on
// funcname.
func (d *mongoDriver) Funcs(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		var names []string
		res := d.results.Distinct(ctx, "funcname", bson.D{})
		if err := res.Err(); err != nil {
			yield("", d.wrap(ctx, err))
			return
		}
		if err := res.Decode(&names); err != nil {
			yield("", d.wrap(ctx, err))
			return
		}
		slices.Sort(names)
		for _, n := range names {
			if !yield(n, nil) {
				return
			}
		}
	}
}

// logDropFailure reports chunks left behind: they waste space but are
// never read, and the next Clear of their funcname removes them.
func logDropFailure(ref *chunkRef, err error) {
	slog.Warn("mongostore: could not remove replaced chunks", "version", ref.Version, "err", err)
}
