package mongostore

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// ownerDoc is a funcname's owner record in the <collection>_owners
// collection, keyed by the funcname itself: _id makes a claim unique
// without an index of our own, and keeps owner records out of the results
// collection that List, Len and Funcs read.
type ownerDoc struct {
	Owner []byte `bson:"owner"`
}

func ownerFilter(funcname string) bson.D { return bson.D{{Key: "_id", Value: funcname}} }

// Owner implements [driver.Store].
func (d *mongoDriver) Owner(ctx context.Context, funcname string) ([]byte, error) {
	var doc ownerDoc
	err := d.owners.FindOne(ctx, ownerFilter(funcname)).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, d.wrap(ctx, err)
	}
	if doc.Owner == nil {
		doc.Owner = []byte{}
	}
	return doc.Owner, nil
}

// ClaimOwner implements [driver.Store]: an insert that the unique _id
// refuses when another claim got there first.
func (d *mongoDriver) ClaimOwner(ctx context.Context, funcname string, owner []byte) ([]byte, error) {
	_, err := d.owners.InsertOne(ctx, bson.D{{Key: "_id", Value: funcname}, {Key: "owner", Value: owner}})
	switch {
	case err == nil:
		return append([]byte{}, owner...), nil
	case mongo.IsDuplicateKeyError(err):
		return d.Owner(ctx, funcname)
	}
	return nil, d.wrap(ctx, err)
}
