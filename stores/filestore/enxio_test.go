//go:build linux

package filestore_test

import (
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

func TestENXIO(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	put(t, s, "f", "x", stores.Record{Result: []byte("r")})
	fdir := filepath.Join(s.Dir(), "f")
	// A character device whose driver is absent: open(2) gives ENXIO.
	if err := syscall.Mknod(filepath.Join(fdir, "h.out"), syscall.S_IFCHR|0o666, 240<<8); err != nil {
		t.Skip(err)
	}
	_, err := s.Get(ctx, "f", "h")
	t.Logf("Get of a driverless device: %v (code %v)", err, stores.ErrorCode(err))
	wantForeign(t, "Get of a driverless device .out", err)
	mkSocket(t, filepath.Join(fdir, "h.lock"))
	lctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err = s.Lock(lctx, "f", "h")
	t.Logf("Lock with a socket .lock: %v", err)
	if !errors.Is(err, filestore.ErrForeign) {
		t.Errorf("Lock with a socket .lock: %v", err)
	}
	if err := s.Put(ctx, "f", "x", stores.Record{Result: []byte("r2")}); err != nil {
		t.Errorf("Put beside them: %v", err)
	}
}
