package persist_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/klauspost/compress/zstd"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/memstore"
)

// A custom pickling of []byte that is the identity, as a pypersist-style
// raw-bytes pickling is: callers of one computation (the leader and those
// that waited for it) must not get one slice, nor a later hit the change
// one of them made. Without a Version the stored bytes are the pickler's
// own; with one they are stamped, a copy, which the waiters still decode.
func TestWaitersOfIdentityPickling(t *testing.T) {
	for _, version := range []string{"", "1"} {
		t.Run("version="+version, func(t *testing.T) {
			gate := make(chan struct{})
			fn := func(x int) []byte { <-gate; return []byte("result") }
			f, m, err := persist.Wrap(fn, persist.Options{
				Cache:    memURL(t),
				FuncName: "rawbytes",
				Version:  version,
				Pickle:   func(b []byte) []byte { return b },
				Unpickle: func(b []byte) ([]byte, error) { return b, nil },
			})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			results := make(chan []byte, 3)
			for range 3 {
				go func() { results <- f(1) }()
			}
			for persist.FlightWaiters(m) < 2 {
				time.Sleep(time.Millisecond)
			}
			close(gate)
			got := [][]byte{<-results, <-results, <-results}
			got[0][0] = 'X'
			for _, b := range got[1:] {
				if string(b) != "result" {
					t.Fatalf("one caller's change to its result is seen by another: %q", b)
				}
			}
			if b := f(1); string(b) != "result" {
				t.Fatalf("a later hit returns %q", b)
			}
		})
	}
}

// Every single-bit flip and truncation of each frame kind, stamped and not:
// an error, or (impossible) the same value.
func TestEveryBitFlip(t *testing.T) {
	big := make([]string, 600)
	for i := range big {
		big[i] = fmt.Sprintf("value %d", i*7919%1000)
	}
	floats := make([]float64, 700)
	for i := range floats {
		floats[i] = math.Sqrt(float64(i))
	}
	for name, v := range map[string]any{
		"plain": []string{"a", "bc"}, "zstd": big, "slice": floats,
		"slicezstd": bytes.Repeat([]byte("abc"), 3000),
	} {
		data, err := persist.Pickle(v)
		if err != nil {
			t.Fatal(err)
		}
		st := persist.StampResult(persist.Stamp{Version: "v1", Compute: 12345}, data)
		for kind, d := range map[string][]byte{"": data, "stamped": st} {
			check := func(bad []byte, what string) {
				p := reflect.New(reflect.TypeOf(v))
				err := persist.Unpickle(bad, p.Interface())
				if err == nil && !reflect.DeepEqual(p.Elem().Interface(), v) {
					t.Errorf("%s %s %s: a different value and no error", name, kind, what)
				}
				if err == nil && kind == "stamped" {
					s, _, err2 := persist.SplitStamp(bad)
					if err2 == nil && s.Version != "v1" {
						t.Errorf("%s %s %s: version %q", name, kind, what, s.Version)
					}
				}
			}
			for i := range d {
				for b := range 8 {
					bad := bytes.Clone(d)
					bad[i] ^= 1 << b
					check(bad, fmt.Sprintf("byte %d bit %d", i, b))
				}
			}
			for n := range len(d) {
				check(bytes.Clone(d[:n]), fmt.Sprintf("truncated to %d", n))
			}
		}
	}
}

// A hostile slice frame: a compressed one whose header claims 2^27 float64s
// (1 GiB) and whose values are a zstd frame of a few bytes. Unpickle must
// fail without allocating what the header claims.
func TestSliceFrameHugeCount(t *testing.T) {
	enc, _ := zstd.NewWriter(nil)
	z := enc.EncodeAll(make([]byte, 8), nil)
	bad := []byte{0x1C, 'p', 'k', 's', 'd', 1, 0, 0}
	bad = binary.LittleEndian.AppendUint64(bad, 1<<27)
	bad = append(bad, z...)
	bad = append(bad, 0, 0, 0, 0) // any CRC
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var v []float64
	err := persist.Unpickle(bad, &v)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("no error")
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Fatalf("a %d-byte entry made Unpickle allocate %d MiB before failing with: %v", len(bad), n>>20, err)
	}
}

func probeSquare(x int) int      { return x * x }
func probeCube(x int) int        { return x * x * x }
func probeRampA(n int) []float64 { return rampFloats(n, 1) }
func probeRampB(n int) []float64 { return rampFloats(n, 2) }

// After A clears its results (which removes the owner record), another
// function B takes the FuncName. A's Cache().Get must not hand out B's
// result as A's.
func TestCacheGetAfterClearReadsOtherFunction(t *testing.T) {
	url := memURL(t)
	a, err := persist.Decorate(probeSquare, persist.Options{Cache: url})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Call(3); err != nil {
		t.Fatal(err)
	}
	if err := a.Clear(); err != nil {
		t.Fatal(err)
	}
	b, err := persist.Decorate(probeCube, persist.Options{Cache: url, FuncName: "probeSquare"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Call(3); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Call(3); !errors.Is(err, persist.ErrNameClaimed) {
		t.Fatalf("a call of A: %v, want ErrNameClaimed", err)
	}
	if v, err := a.Cache().Get(persist.KeyOf("arg0", 3)); err == nil {
		t.Fatalf("A's Cache().Get returns %v, which B (probeCube) computed", v)
	}
}

// The same through MapResult on a file store.
func TestMapResultAfterClearReadsOtherFunction(t *testing.T) {
	dir := t.TempDir()
	a, err := persist.Decorate(probeRampA, persist.Options{Cache: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Clear(); err != nil {
		t.Fatal(err)
	}
	b, err := persist.Decorate(probeRampB, persist.Options{Cache: dir, FuncName: "probeRampA"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Call(5000); err != nil {
		t.Fatal(err)
	}
	r, err := persist.MapResult[float64](a, 5000)
	if err == nil {
		defer r.Close()
		if r.Values()[1] == rampFloats(5000, 2)[1] {
			t.Fatalf("A's MapResult returns B's result (in place %v)", r.InPlace())
		}
	}
}

// slicefast.go: "Its 16-byte header keeps the values 16-byte aligned, so
// that a mapped file can be read in place".
// A stored entry of a few hundred bytes: a zstd frame (with its checksum)
// of CBOR that is an array of 2^18 empty maps, each of which decodes into
// an 8 KiB struct. A hit on it must not allocate more than the reader's
// own bound on a record, 1 GiB (maxDecodedSize); at 2^30 elements the same
// few kilobytes ask for 8 TiB, a fatal out-of-memory error, not a panic.
type probeHuge struct{ A [1 << 20]int64 } // 8 MiB

func probeHuges(n int) []probeHuge { return nil }

// The same entry shape with 2^26 elements of 8 MiB: a hit panics.
func TestHostileCBORPanics(t *testing.T) {
	dir := t.TempDir()
	f, memo, err := persist.Wrap(probeHuges, persist.Options{Cache: dir, Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	const n = 1 << 26
	cb := []byte{0x9a, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(cb[1:], n)
	cb = append(cb, bytes.Repeat([]byte{0xa0}, n)...)
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderCRC(true))
	bad := enc.EncodeAll(cb, nil)
	hash, _ := persist.Hash(persist.KeyOf("arg0", 1))
	if err := os.MkdirAll(filepath.Join(dir, "probeHuges"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "probeHuges", hash+".out"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("a %d-byte entry made a call panic: %v", len(bad), r)
		}
	}()
	f(1)
}

var probeRampScale = 1.0

func probeRampScaled(n int) []float64 { return rampFloats(n, probeRampScale) }

// A mapping held across a Refresh (written through the lock file), a
// Delete and a Clear, by this memo and by another handle, keeps its bytes.
func TestMappingSurvives(t *testing.T) {
	dir := t.TempDir()
	a, err := persist.Decorate(probeRampScaled, persist.Options{Cache: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := persist.Decorate(probeRampScaled, persist.Options{Cache: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var held []*persist.Mapped[float64]
	var snaps [][]float64
	for step, change := range []func() error{
		func() error { probeRampScale = 2; _, err := a.Refresh(5000); return err },
		func() error { probeRampScale = 3; _, err := b.Refresh(5000); return err },
		func() error { return b.Cache().Delete(persist.KeyOf("arg0", 5000)) },
		func() error { _, err := a.Call(5000); return err },
		func() error { return b.Clear() },
	} {
		r, err := persist.MapResult[float64](a, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if !r.InPlace() {
			t.Fatalf("step %d: not in place", step)
		}
		held, snaps = append(held, r), append(snaps, slices.Clone(r.Values()))
		if err := change(); err != nil {
			t.Fatal(step, err)
		}
		for i, h := range held {
			if !slices.Equal(h.Values(), snaps[i]) {
				t.Fatalf("step %d: mapping %d changed", step, i)
			}
		}
	}
	for _, h := range held {
		h.Close()
	}
}

var probeCalls int

func probeCount(x int) int { probeCalls++; return probeCalls }

// MaxAge through a memory tier that trusts its entries for ever.
func TestTierMaxAge(t *testing.T) {
	dir := t.TempDir()
	f, memo, err := persist.Wrap1(probeCount, persist.Options{Cache: "file://" + dir + "?memory=1MiB&memory_ttl=forever", MaxAge: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	first := f(1)
	if f(1) != first {
		t.Fatal("no hit")
	}
	if st, ok := memo.Store().MemoryTierStats(); !ok || st.Hits == 0 {
		t.Logf("tier %v %+v", ok, st)
	}
	time.Sleep(400 * time.Millisecond)
	if got := f(1); got == first {
		t.Fatalf("an entry past MaxAge answered through the tier")
	}
}

// slowWrite is a memory driver whose Write waits for a gate.
type slowWrite struct {
	driver.Store
	entered, gate chan struct{}
}

func (s slowWrite) Write(ctx context.Context, fn, hash string, rec driver.Record) error {
	close(s.entered)
	<-s.gate
	return s.Store.Write(ctx, fn, hash, rec)
}

// The identity pickling again: a caller whose context ends while the store
// writes gets its result at once and the write goes on without it
// (store1's detach). The bytes written are the caller's result itself, so
// a change the caller then makes to its result is what the store keeps.
func TestDetachedWriteStoresCallersChange(t *testing.T) {
	var d driver.Store
	if !memstore.Open(strings.TrimPrefix(memURL(t), "mem://")).As(&d) {
		t.Fatal("As")
	}
	sw := slowWrite{d, make(chan struct{}), make(chan struct{})}
	st := stores.NewStore(sw, memURL(t))
	defer st.Close()
	fn := func(ctx context.Context, x int) []byte { return []byte("result") }
	f, m, err := persist.Wrap(fn, persist.Options{
		Store: st, FuncName: "detached",
		Pickle:   func(b []byte) []byte { return b },
		Unpickle: func(b []byte) ([]byte, error) { return b, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-sw.entered; cancel() }()
	got := f(ctx, 1)
	got[0] = 'X' // the caller's own result, its to change
	close(sw.gate)
	m.Close() // waits for the detached write
	f2, m2, err := persist.Wrap(fn, persist.Options{Store: st, FuncName: "detached",
		Pickle:   func(b []byte) []byte { return b },
		Unpickle: func(b []byte) ([]byte, error) { return b, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if v := f2(context.Background(), 1); string(v) != "result" {
		t.Fatalf("a later hit returns %q", v)
	}
}

// The same state: A's Clear removes B's results (and B's owner record).

// A mapped slice's values are 16-byte aligned in the file, whatever the
// length of the stamp before them (its version's length changes it).
func TestMappedAlignment(t *testing.T) {
	dir := t.TempDir()
	for n := range 40 {
		memo, err := persist.Decorate(probeRampA, persist.Options{Cache: filepath.Join(dir, fmt.Sprint(n)), Version: strings.Repeat("v", n)})
		if err != nil {
			t.Fatal(err)
		}
		r, err := persist.MapResult[float64](memo, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if p := uintptr(unsafe.Pointer(&r.Values()[0])); !r.InPlace() || p%16 != 0 {
			t.Errorf("version of %d bytes: in place %v, values at %#x: %d bytes past 16-byte alignment", n, r.InPlace(), p, p%16)
		}
		r.Close()
		memo.Close()
	}
}
