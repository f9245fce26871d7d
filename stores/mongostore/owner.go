package mongostore

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/gopersist/persist/stores"
)

// ownerDoc is a funcname's owner record in the <collection>_owners
// collection, keyed by the funcname itself: _id makes a claim unique
// without an index of our own.
type ownerDoc struct {
	Owner []byte `bson:"owner"`
}

func ownerFilter(funcname string) bson.D { return bson.D{{Key: "_id", Value: funcname}} }

// Owner implements [stores.Store].
func (s *Store) Owner(ctx context.Context, funcname string) ([]byte, error) {
	if err := s.check(ctx, "owner", funcname); err != nil {
		return nil, err
	}
	return s.owner(ctx, "owner", funcname)
}

func (s *Store) owner(ctx context.Context, op, funcname string) ([]byte, error) {
	var d ownerDoc
	err := s.owners.FindOne(ctx, ownerFilter(funcname)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, &stores.OpError{Op: op, Store: s.url, Err: stores.ErrNotFound}
	}
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	if d.Owner == nil {
		d.Owner = []byte{}
	}
	return d.Owner, nil
}

// ClaimOwner implements [stores.Store]: an insert that the unique _id
// refuses when another claim got there first.
func (s *Store) ClaimOwner(ctx context.Context, funcname string, owner []byte) ([]byte, error) {
	if err := s.check(ctx, "claim owner", funcname); err != nil {
		return nil, err
	}
	_, err := s.owners.InsertOne(ctx, bson.D{{Key: "_id", Value: funcname}, {Key: "owner", Value: owner}})
	switch {
	case err == nil:
		return append([]byte(nil), owner...), nil
	case mongo.IsDuplicateKeyError(err):
		return s.owner(ctx, "claim owner", funcname)
	}
	return nil, s.fail(ctx, "claim owner", err)
}
