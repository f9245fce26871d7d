package persist_test

import (
	"testing"
	"time"

	"github.com/gopersist/persist"
)

func probe2ZoneName(t time.Time) string { return t.Location().String() }

// An entry written under a custom Hash (one that names a key by the
// default hash of its times in the zone "GMT") is read by the same
// function under the default hash. The call's time is in "GMT", the stored
// key's in UTC: the function tells them apart (and so does the canonical
// key encoding), but CBOR writes both as ...Z. The shortcut of equal CBOR
// bytes takes the stored key for the call's.
func TestStoredKeyShortcutAfterCustomHash(t *testing.T) {
	dir := t.TempDir()
	gmt := time.FixedZone("GMT", 0)
	inUTC := time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)
	inGMT := inUTC.In(gmt)
	w, err := persist.Decorate(probe2ZoneName, persist.Options{Cache: dir, StoreKey: true, Verbosity: persist.Silent,
		Hash: func(k persist.Key) (string, error) {
			c := append(persist.Key(nil), k...)
			for i := range c {
				if tm, ok := c[i].Value.(time.Time); ok {
					c[i].Value = tm.In(gmt)
				}
			}
			return persist.Hash(c)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := w.Call(inUTC); err != nil || got != "UTC" {
		t.Fatalf("writer: %v, %v", got, err)
	}
	w.Close()
	r, err := persist.Decorate(probe2ZoneName, persist.Options{Cache: dir, StoreKey: true, Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.Call(inGMT)
	if err != nil {
		t.Logf("reader: %v", err)
		return
	}
	if got != "GMT" {
		t.Fatalf("reader: Call(a time in GMT) = %q, the result of the call with a time in UTC", got)
	}
}
