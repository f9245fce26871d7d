package mongostore

import (
	"context"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gopersist/persist/stores/driver"
)

// listProjection is every field List reads: the _id, which holds the hash,
// and what a listing shows, never the result, key or metadata.
var listProjection = bson.D{
	{Key: "_id", Value: 1},
	{Key: "size", Value: 1},
	{Key: "created", Value: 1},
	{Key: "chunks", Value: 1},
}

// metaDoc is a document as List reads it.
type metaDoc struct {
	ID      string    `bson:"_id"`
	Size    *int64    `bson:"size"`
	Created time.Time `bson:"created"`
	Chunks  *chunkRef `bson:"chunks"`
}

// List implements [driver.Store] with a range on _id, which the primary
// index orders by hash within a function (recordID), and a projection that
// leaves out every record's bytes. The size is the one Write stored, or
// the chunks' lengths; a document written before sizes were stored is read
// once more for its lengths.
func (d *mongoDriver) List(ctx context.Context, funcname, after string, n int) ([]driver.Meta, error) {
	prefix := funcname + "/"
	// '0' follows '/', so every _id of funcname sorts below funcname+"0".
	filter := bson.D{{Key: "_id", Value: bson.D{
		{Key: "$gt", Value: prefix + after},
		{Key: "$lt", Value: funcname + "0"},
	}}}
	opts := options.Find().
		SetProjection(listProjection).
		SetSort(bson.D{{Key: "_id", Value: 1}}).
		SetLimit(int64(n)).
		SetBatchSize(int32(min(n, 10000)))
	cur, err := d.results.Find(ctx, filter, opts)
	if err != nil {
		return nil, d.wrap(ctx, err)
	}
	var docs []metaDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, d.wrap(ctx, err)
	}
	page := make([]driver.Meta, 0, len(docs))
	var unsized []int // indexes in page of documents without a size
	for _, doc := range docs {
		hash, ok := strings.CutPrefix(doc.ID, prefix)
		if !ok {
			continue // not a record's _id; the range excludes it on MongoDB
		}
		m := driver.Meta{Hash: hash, Created: doc.Created}
		switch {
		case doc.Size != nil:
			m.Size = *doc.Size
		case doc.Chunks != nil:
			m.Size = doc.Chunks.size()
		default:
			unsized = append(unsized, len(page))
		}
		page = append(page, m)
	}
	if len(unsized) > 0 {
		var err error
		if page, err = d.sizeOldDocuments(ctx, funcname, page, unsized); err != nil {
			return nil, d.wrap(ctx, err)
		}
	}
	return page, nil
}

// sizeOldDocuments sets the sizes of the records at page[i] for each i of
// which, from their bytes: their documents were written before Write stored
// sizes. One query reads them all. A record removed since it was listed is
// left out of the page it returns.
func (d *mongoDriver) sizeOldDocuments(ctx context.Context, funcname string, page []driver.Meta, which []int) ([]driver.Meta, error) {
	ids := make(bson.A, len(which))
	at := make(map[string]int, len(which))
	for j, i := range which {
		ids[j] = recordID(funcname, page[i].Hash)
		at[page[i].Hash] = i
	}
	cur, err := d.results.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}},
		options.Find().SetProjection(bson.D{
			{Key: "hash", Value: 1}, {Key: "result", Value: 1}, {Key: "key", Value: 1}, {Key: "metadata", Value: 1},
		}))
	if err != nil {
		return nil, err
	}
	defer cur.Close(context.WithoutCancel(ctx))
	for cur.Next(ctx) {
		var doc resultDoc
		if err := cur.Decode(&doc); err != nil {
			return nil, err
		}
		if i, ok := at[doc.Hash]; ok {
			page[i].Size = int64(len(doc.Result) + len(doc.Key) + len(doc.metaBytes()))
			delete(at, doc.Hash)
		}
	}
	if err := cur.Err(); err != nil {
		return nil, err
	}
	if len(at) == 0 {
		return page, nil
	}
	gone := make(map[int]bool, len(at))
	for _, i := range at {
		gone[i] = true
	}
	kept := page[:0]
	for i, m := range page {
		if !gone[i] {
			kept = append(kept, m)
		}
	}
	return kept, nil
}
