package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/memstore"
)

// benchSizes are the value sizes Bench measures: a small result, one large
// enough that moving the bytes dominates, and one that a store may have to
// chunk or stream.
var benchSizes = []struct {
	name string
	size int
}{
	{"64B", 64},
	{"64KiB", 64 << 10},
	{"16MiB", 16 << 20},
}

// largeHashes is how many hashes Put cycles through for a result of a
// MiB or more, so that a long run stays within some hundred MiB.
const largeHashes = 4

// benchHashes is how many hashes Put cycles through, so that a long run
// neither grows the store without bound nor only ever rewrites one record.
const benchHashes = 1024

// benchOp is one measured operation; i counts the operations so far.
type benchOp struct {
	listing bool // moves no result bytes, so reports no MB/s
	prepare func(b *testing.B, st *stores.Store, fn string, rec stores.Record)
	do      func(ctx context.Context, st *stores.Store, fn string, i int, rec stores.Record) error
}

var benchOps = []struct {
	name string
	op   benchOp
}{
	{"Get", benchOp{
		prepare: func(b *testing.B, st *stores.Store, fn string, rec stores.Record) {
			put(b, st, fn, "h", rec)
		},
		do: func(ctx context.Context, st *stores.Store, fn string, _ int, rec stores.Record) error {
			got, err := st.Get(ctx, fn, "h")
			if err == nil && len(got.Result) != len(rec.Result) {
				err = fmt.Errorf("get: Result has %d bytes, want %d", len(got.Result), len(rec.Result))
			}
			return err
		},
	}},
	{"Put", benchOp{
		prepare: func(*testing.B, *stores.Store, string, stores.Record) {},
		do: func(ctx context.Context, st *stores.Store, fn string, i int, rec stores.Record) error {
			n := benchHashes
			if len(rec.Result) >= 1<<20 {
				n = largeHashes
			}
			return st.Put(ctx, fn, benchHashNames[i%n], rec)
		},
	}},
	{"List", benchOp{
		listing: true,
		// A page of metadata: its cost must not grow with the size of the
		// results, which a listing does not read.
		prepare: func(b *testing.B, st *stores.Store, fn string, rec stores.Record) {
			for _, h := range benchHashNames[:benchListRecords] {
				put(b, st, fn, h, rec)
			}
		},
		do: func(ctx context.Context, st *stores.Store, fn string, _ int, _ stores.Record) error {
			page, _, err := st.List(ctx, fn, "", benchListPage)
			if err == nil && len(page) != benchListPage {
				err = fmt.Errorf("list: %d records, want %d", len(page), benchListPage)
			}
			return err
		},
	}},
}

// benchListRecords and benchListPage are the records List is measured on
// and the page it reads.
const (
	benchListRecords = 500
	benchListPage    = 100
)

var benchHashNames = func() []string {
	h := make([]string, benchHashes)
	for i := range h {
		h[i] = fmt.Sprintf("h%d", i)
	}
	return h
}()

// Bench measures Get and Put of 64-byte, 64-KiB and 16-MiB results on one
// funcname of the store that open returns, and List of a page of 100 of 500
// records of the two smaller sizes (a listing reads no result, so its
// cost must not grow with them). Beside ns/op each sub-benchmark reports
// x_memstore: its time per operation divided by that of the in-memory
// store, the floor of any store's bookkeeping, timed in the same run over
// as many operations.
func Bench(b *testing.B, open func(b *testing.B) *stores.Store) {
	for _, o := range benchOps {
		for _, sz := range benchSizes {
			if o.op.listing && sz.size >= 1<<20 {
				continue // 500 records of 16 MiB would measure the disk
			}
			b.Run(o.name+"/"+sz.name, func(b *testing.B) {
				st := open(b)
				b.Cleanup(func() { _ = st.Close() })
				fn := newFunc(b, st)
				value := make([]byte, sz.size)
				for i := range value {
					value[i] = byte(i)
				}
				rec := stores.Record{Result: value, Key: []byte("benchmark key")}
				ctx := b.Context()
				o.op.prepare(b, st, fn, rec)
				if !o.op.listing {
					b.SetBytes(int64(sz.size))
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if err := o.op.do(ctx, st, fn, i, rec); err != nil {
						b.Fatalf("%s: %v", o.name, err)
					}
					i++
				}
				perOp := float64(b.Elapsed()) / float64(i)
				if floor := timeFloor(b, o.op, fn, rec, i); floor > 0 {
					b.ReportMetric(perOp/floor, "x_memstore")
				}
			})
		}
	}
}

// timeFloor returns the in-memory store's time per operation over n
// operations of the same kind. The benchmark's timer is stopped by then.
func timeFloor(b *testing.B, op benchOp, fn string, rec stores.Record, n int) float64 {
	floor := memstore.Open(fmt.Sprintf("storetest-floor-%s-%d", runID, funcCounter.Add(1)))
	defer func() {
		_ = floor.Clear(context.Background(), fn)
		_ = floor.Close()
	}()
	ctx := b.Context()
	op.prepare(b, floor, fn, rec)
	start := time.Now()
	for i := range n {
		if err := op.do(ctx, floor, fn, i, rec); err != nil {
			b.Fatalf("memstore floor: %v", err)
		}
	}
	return float64(time.Since(start)) / float64(max(n, 1))
}
