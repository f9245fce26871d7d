package mongostore

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"
	xdriver "go.mongodb.org/mongo-driver/v2/x/mongo/driver"

	"github.com/gopersist/persist/stores/driver"
)

// The driver's own errors, which ErrorCode maps to their codes.
var (
	errNotFound    = errors.New("no such document")
	errClosed      = errors.New("the store's client is closed")
	errUnavailable = errors.New("the server did not answer in time")
)

// bsonObjectTooLarge is the server's error code for a document over its
// limit of 16 MiB.
const bsonObjectTooLarge = 10334

// wrap prepares an error of the MongoDB driver for the portable store,
// which reports any error wrapping a context error as the end of the
// caller's context. When ctx ended, err becomes ctx's error; a context error
// that the MongoDB driver raised on its own (its server-selection and socket
// timeouts) is kept as text only, under errUnavailable, so that a caller
// does not mistake it for the end of its own context.
func (d *mongoDriver) wrap(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %v", ctx.Err(), err)
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %v", errUnavailable, err)
	}
	return err
}

// ErrorCode implements [driver.Store]. Everything the server or the network
// did is Unavailable: a cache that cannot reach its store recomputes.
func (d *mongoDriver) ErrorCode(err error) driver.Code {
	var se mongo.ServerError
	switch {
	case errors.Is(err, errNotFound) || errors.Is(err, mongo.ErrNoDocuments):
		return driver.NotFound
	case errors.Is(err, errClosed) || errors.Is(err, mongo.ErrClientDisconnected):
		return driver.Closed
	case errors.Is(err, xdriver.ErrDocumentTooLarge),
		errors.As(err, &se) && se.HasErrorCode(bsonObjectTooLarge):
		return driver.TooLarge
	}
	return driver.Unavailable
}
