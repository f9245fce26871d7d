package mongostore

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"
	xdriver "go.mongodb.org/mongo-driver/v2/x/mongo/driver"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
)

func TestErrorCode(t *testing.T) {
	d := &mongoDriver{}
	tests := []struct {
		name string
		err  error
		want driver.Code
	}{
		{"not found", errNotFound, driver.NotFound},
		{"torn chunks", fmt.Errorf("%w: %w", errNotFound, errTorn), driver.NotFound},
		{"no documents", mongo.ErrNoDocuments, driver.NotFound},
		{"closed", errClosed, driver.Closed},
		{"client disconnected", mongo.ErrClientDisconnected, driver.Closed},
		{"document too large", xdriver.ErrDocumentTooLarge, driver.TooLarge},
		{"server: object too large", mongo.CommandError{Code: bsonObjectTooLarge, Message: "BSONObj size is invalid"}, driver.TooLarge},
		{"server: other", mongo.CommandError{Code: 11600, Message: "interrupted at shutdown"}, driver.Unavailable},
		{"timeout", errUnavailable, driver.Unavailable},
		{"anything else", errors.New("connection reset"), driver.Unavailable},
	}
	for _, tc := range tests {
		if got := d.ErrorCode(tc.err); got != tc.want {
			t.Errorf("ErrorCode(%s: %v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// TestWrap checks which context errors reach the portable store, which
// reports any wrapped context error as the end of the caller's context.
func TestWrap(t *testing.T) {
	d := &mongoDriver{}
	own := fmt.Errorf("server selection: %w", context.DeadlineExceeded)

	err := d.wrap(context.Background(), own)
	if errors.Is(err, context.DeadlineExceeded) || d.ErrorCode(err) != driver.Unavailable {
		t.Errorf("the driver's own timeout, the caller's context live: %v (code %v), want Unavailable without the context error",
			err, d.ErrorCode(err))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.wrap(ctx, own); !errors.Is(err, context.Canceled) {
		t.Errorf("an error after the caller's context ended: %v, want context.Canceled", err)
	}
	plain := mongo.CommandError{Code: 1}
	if err := d.wrap(context.Background(), plain); !errors.As(err, new(mongo.CommandError)) {
		t.Errorf("a server error: %v, want it kept for errors.As", err)
	}
}

// TestNotUTF8 checks that names a BSON string cannot hold are refused as
// invalid before anything is stored: FerretDB would store them with their
// bytes replaced, so that two hashes would share one document.
func TestNotUTF8(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	ctx := t.Context()
	fn := "utf8_" + runSuffix()
	for _, h := range []string{"\xff", "\xfe"} {
		if err := st.Put(ctx, fn, h, stores.Record{Result: []byte(h)}); !errors.Is(err, stores.ErrInvalidName) {
			t.Errorf("Put(hash %q) = %v, want ErrInvalidName", h, err)
		}
	}
	if err := st.CheckName("funcname", fn+"\xff"); !errors.Is(err, stores.ErrInvalidName) {
		t.Errorf("CheckName(funcname not UTF-8) = %v, want ErrInvalidName", err)
	}
	if err := st.Clear(ctx, fn+"\xff"); !errors.Is(err, stores.ErrInvalidName) {
		t.Errorf("Clear(funcname not UTF-8) = %v, want ErrInvalidName", err)
	}
	if n, err := st.Len(ctx, fn); n != 0 || err != nil {
		t.Errorf("Len after refused Puts = %d, %v; want 0", n, err)
	}
}
