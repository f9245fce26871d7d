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

	"github.com/gopersist/persist/stores"
)

// entriesBatch is how many documents Entries asks the server for at a time:
// enough to hide round trips, few enough that a batch of large records
// stays small (the server also caps a batch at 16 MiB).
const entriesBatch = 64

// putRetries bounds how often Put retries an upsert that lost a race with
// another upsert of the same new record to the insert.
const putRetries = 3

// resultDoc is one record as the results collection holds it.
type resultDoc struct {
	Hash    string        `bson:"hash"`
	Result  []byte        `bson:"result"`
	Key     []byte        `bson:"key"`
	Meta    bson.RawValue `bson:"metadata"`
	Created time.Time     `bson:"created"`
	Chunks  *chunkRef     `bson:"chunks"`
}

// record converts the document, fetching its chunks when it has them.
func (s *Store) record(ctx context.Context, d *resultDoc) (stores.Record, error) {
	if d.Chunks != nil {
		rec, err := s.readChunks(ctx, d.Chunks)
		rec.Created = d.Created
		return rec, err
	}
	rec := stores.Record{Result: d.Result, Key: d.Key, Created: d.Created}
	switch d.Meta.Type {
	case bson.TypeString:
		rec.Meta = []byte(d.Meta.StringValue())
	case bson.TypeBinary:
		_, rec.Meta = d.Meta.Binary()
		rec.Meta = append([]byte{}, rec.Meta...) // RawValue shares the cursor's buffer
	}
	if rec.Result == nil {
		rec.Result = []byte{}
	}
	return rec, nil
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
// without an index of our own, and is the lookup every server (FerretDB
// too) serves fastest.
func recordID(funcname, hash string) string { return funcname + "/" + hash }

func recordFilter(funcname, hash string) bson.D {
	return bson.D{{Key: "_id", Value: recordID(funcname, hash)}}
}

// Get implements [stores.Store].
func (s *Store) Get(ctx context.Context, funcname, hash string) (stores.Record, error) {
	if err := s.check(ctx, "get", funcname, hash); err != nil {
		return stores.Record{}, err
	}
	return s.get(ctx, "get", funcname, hash)
}

// get reads a record, retrying when a concurrent Put or Delete removed the
// chunks of the version it found.
func (s *Store) get(ctx context.Context, op, funcname, hash string) (stores.Record, error) {
	for attempt := 0; ; attempt++ {
		var d resultDoc
		err := s.results.FindOne(ctx, recordFilter(funcname, hash)).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return stores.Record{}, &stores.OpError{Op: op, Store: s.url, Err: stores.ErrNotFound}
		}
		if err != nil {
			return stores.Record{}, s.fail(ctx, op, err)
		}
		rec, err := s.record(ctx, &d)
		switch {
		case err == nil:
			return rec, nil
		case !errors.Is(err, errTorn):
			return stores.Record{}, s.fail(ctx, op, err)
		case attempt == putRetries:
			// The document names chunks that are gone for good: a Clear
			// ran beside the Put that wrote it. Recomputing is the cure.
			return stores.Record{}, &stores.OpError{Op: op, Store: s.url, Err: fmt.Errorf("%w: %w", stores.ErrNotFound, err)}
		}
	}
}

// Put implements [stores.Store]. A record of up to 8 MiB is one document,
// replaced in one upsert; a larger one is first written as chunks, then
// its document is replaced to point at them, so a reader sees the old
// record or the new one, never a mix.
func (s *Store) Put(ctx context.Context, funcname, hash string, rec stores.Record) error {
	if err := s.check(ctx, "put", funcname, hash); err != nil {
		return err
	}
	if err := s.ensureIndexes(ctx); err != nil {
		return s.fail(ctx, "put", err)
	}
	doc := bson.D{
		{Key: "_id", Value: recordID(funcname, hash)},
		{Key: "funcname", Value: funcname},
		{Key: "hash", Value: hash},
		{Key: "created", Value: time.Now()},
	}
	var ref *chunkRef
	if len(rec.Result)+len(rec.Key)+len(rec.Meta) > chunkSize {
		var err error
		if ref, err = s.writeChunks(ctx, funcname, hash, rec); err != nil {
			return s.fail(ctx, "put", err)
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
	old, err := s.replace(ctx, funcname, hash, doc)
	if err != nil {
		if ref != nil {
			s.dropChunks(ref)
		}
		return s.fail(ctx, "put", err)
	}
	if old != nil {
		s.dropChunks(old)
	}
	return nil
}

// replace upserts the document of (funcname, hash) and returns the chunks
// the replaced document pointed to, if any. It asks for the whole replaced
// document, not just its chunks field: FerretDB does not implement
// projections in findAndModify.
func (s *Store) replace(ctx context.Context, funcname, hash string, doc bson.D) (*chunkRef, error) {
	opts := options.FindOneAndReplace().
		SetUpsert(true).
		SetReturnDocument(options.Before)
	for attempt := 0; ; attempt++ {
		var old struct {
			Chunks *chunkRef `bson:"chunks"`
		}
		err := s.results.FindOneAndReplace(ctx, recordFilter(funcname, hash), doc, opts).Decode(&old)
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

// Delete implements [stores.Store].
func (s *Store) Delete(ctx context.Context, funcname, hash string) error {
	if err := s.check(ctx, "delete", funcname, hash); err != nil {
		return err
	}
	var old struct {
		Chunks *chunkRef `bson:"chunks"`
	}
	// Without a projection, which FerretDB does not implement here.
	err := s.results.FindOneAndDelete(ctx, recordFilter(funcname, hash)).Decode(&old)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return &stores.OpError{Op: "delete", Store: s.url, Err: stores.ErrNotFound}
	}
	if err != nil {
		return s.fail(ctx, "delete", err)
	}
	if old.Chunks != nil {
		s.dropChunks(old.Chunks)
	}
	return nil
}

// Len implements [stores.Store].
func (s *Store) Len(ctx context.Context, funcname string) (int, error) {
	if err := s.check(ctx, "len", funcname); err != nil {
		return 0, err
	}
	n, err := s.results.CountDocuments(ctx, bson.D{{Key: "funcname", Value: funcname}})
	if err != nil {
		return 0, s.fail(ctx, "len", err)
	}
	return int(n), nil
}

// Clear implements [stores.Store].
func (s *Store) Clear(ctx context.Context, funcname string) error {
	if err := s.check(ctx, "clear", funcname); err != nil {
		return err
	}
	filter := bson.D{{Key: "funcname", Value: funcname}}
	if _, err := s.results.DeleteMany(ctx, filter); err != nil {
		return s.fail(ctx, "clear", err)
	}
	if _, err := s.chunks.DeleteMany(ctx, filter); err != nil {
		return s.fail(ctx, "clear", err)
	}
	if _, err := s.owners.DeleteOne(ctx, ownerFilter(funcname)); err != nil {
		return s.fail(ctx, "clear", err)
	}
	return nil
}

// Entries implements [stores.Store]. It streams from a server cursor.
func (s *Store) Entries(ctx context.Context, funcname string) iter.Seq2[stores.Entry, error] {
	return func(yield func(stores.Entry, error) bool) {
		if err := s.check(ctx, "entries", funcname); err != nil {
			yield(stores.Entry{}, err)
			return
		}
		cur, err := s.results.Find(ctx, bson.D{{Key: "funcname", Value: funcname}},
			options.Find().SetBatchSize(entriesBatch))
		if err != nil {
			yield(stores.Entry{}, s.fail(ctx, "entries", err))
			return
		}
		defer func() {
			closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
			defer cancel()
			_ = cur.Close(closeCtx) // only frees the server's cursor early
		}()
		for cur.Next(ctx) {
			var d resultDoc
			if err := cur.Decode(&d); err != nil {
				yield(stores.Entry{}, s.fail(ctx, "entries", err))
				return
			}
			rec, err := s.record(ctx, &d)
			if errors.Is(err, errTorn) {
				// Overwritten or deleted since the cursor read it.
				rec, err = s.get(ctx, "entries", funcname, d.Hash)
				if errors.Is(err, stores.ErrNotFound) {
					continue
				}
			}
			if err != nil {
				yield(stores.Entry{}, s.failOnce(ctx, "entries", err))
				return
			}
			if !yield(stores.Entry{Hash: d.Hash, Record: rec}, nil) {
				return
			}
		}
		if err := cur.Err(); err != nil {
			yield(stores.Entry{}, s.fail(ctx, "entries", err))
		}
	}
}

// failOnce types err unless it already is a store error.
func (s *Store) failOnce(ctx context.Context, op string, err error) error {
	var opErr *stores.OpError
	if errors.As(err, &opErr) {
		return err
	}
	return s.fail(ctx, op, err)
}

// Funcs implements [stores.FuncLister].
func (s *Store) Funcs(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if err := s.check(ctx, "funcs"); err != nil {
			yield("", err)
			return
		}
		var names []string
		res := s.results.Distinct(ctx, "funcname", bson.D{})
		if err := res.Err(); err != nil {
			yield("", s.fail(ctx, "funcs", err))
			return
		}
		if err := res.Decode(&names); err != nil {
			yield("", s.fail(ctx, "funcs", err))
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
