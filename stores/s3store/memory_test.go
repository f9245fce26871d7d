package s3store

import (
	"runtime"
	"testing"

	"github.com/gopersist/persist/stores"
)

// TestPutDoesNotCopy checks that a 40 MiB Put, multipart, allocates far
// less than the record: its parts are read in place, not gathered into one
// buffer (the server in this process allocates too, which the bound
// leaves room for).
func TestPutDoesNotCopy(t *testing.T) {
	const size = 40 << 20
	st := openStore(t, nil)
	fn := "PutDoesNotCopy_" + randomHex(4)
	t.Cleanup(func() { _ = st.Clear(t.Context(), fn) })
	rec := stores.Record{Result: make([]byte, size), Key: []byte("k")}
	if err := st.Put(t.Context(), fn, "warm", stores.Record{Result: []byte("r")}); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := st.Put(t.Context(), fn, "big", rec); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("a %d MiB Put allocated %.1f MiB in the process (client and server)", size>>20, float64(allocated)/(1<<20))
	if allocated > size/2 {
		t.Errorf("a %d MiB Put allocated %d MiB: the record was copied", size>>20, allocated>>20)
	}
}
