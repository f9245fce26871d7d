package persist_test

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

var probeZoneComputes int

func probeAtHour(t time.Time) int { probeZoneComputes++; return t.Hour() }

// A key stored (StoreKey) by a process whose Local zone is UTC, read by
// one whose Local zone is Europe/Paris: the call's key is the same (the
// same instant, in the same fixed zone "" of +01:00, so the same hash), and
// so are the stored CBOR bytes, but decoding them in Paris gives a time in
// Local. The hit must be served, not refused as a hash collision.
func TestStoredKeyReadInAnotherZone(t *testing.T) {
	key := time.Date(2024, 1, 15, 10, 0, 0, 0, time.FixedZone("", 3600))
	dir := os.Getenv("REV_ZONE_DIR")
	child := dir != ""
	if !child {
		dir = t.TempDir()
	}
	m, err := persist.Decorate(probeAtHour, persist.Options{Cache: dir, StoreKey: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	got, err := m.Call(key)
	if err != nil {
		t.Fatalf("in zone %v: %v", time.Local, err)
	}
	if child {
		if probeZoneComputes != 0 {
			t.Fatalf("in zone %v: computed again (%v)", time.Local, got)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestStoredKeyReadInAnotherZone$", "-test.count=1")
	cmd.Env = append(os.Environ(), "REV_ZONE_DIR="+dir, "TZ=Europe/Paris")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("a reader in Europe/Paris: %v\n%s", err, out)
	}
}
