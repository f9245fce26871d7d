package persist_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gopersist/persist"
)

var updateFrames = flag.Bool("update-frames", false, "add testdata/frames files for frame kinds Pickle writes that have none yet")

// frameKind names the frame a pickle is in, as the golden files do.
func frameKind(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "zstd"
	case bytes.HasPrefix(data, []byte("\x1cpkc")):
		return "plain"
	case bytes.HasPrefix(data, []byte("\x1cpks")) && data[5] == 0:
		return "slice"
	case bytes.HasPrefix(data, []byte("\x1cpks")):
		return "slicezstd"
	}
	return "unknown"
}

// TestGoldenFrames: every stored frame file decodes to its value, forever.
// The frames are the storage format: a file here is never changed or
// removed, and a new frame kind adds files (-update-frames writes those
// missing for what Pickle writes today, never over an existing one).
func TestGoldenFrames(t *testing.T) {
	values := goldenValues()
	if *updateFrames {
		for name, v := range values {
			data, err := persist.Pickle(v)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "frames", frameKind(data)+"-"+name+".bin")
			if _, err := os.Stat(path); os.IsNotExist(err) {
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	files, err := filepath.Glob(filepath.Join("testdata", "frames", "*.bin"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, file := range files {
		kind, name, _ := strings.Cut(strings.TrimSuffix(filepath.Base(file), ".bin"), "-")
		want, ok := values[name]
		if !ok {
			t.Errorf("%s: no value named %q", file, name)
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if got := frameKind(data); got != kind {
			t.Errorf("%s holds a %s frame", file, got)
		}
		kinds[kind]++
		p := reflect.New(reflect.TypeOf(want))
		if err := persist.Unpickle(data, p.Interface()); err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if !cmp.Equal(p.Elem().Interface(), want) {
			t.Errorf("%s decodes to %v, want %v", file, p.Elem().Interface(), want)
		}
		if kind == "plain" || kind == "slice" {
			// Frames without compression are written byte for byte alike.
			if again, err := persist.Pickle(want); err != nil || !bytes.Equal(again, data) {
				t.Errorf("%s: Pickle writes %x now, %v", file, again, err)
			}
		}
	}
	for _, kind := range []string{"zstd", "plain", "slice", "slicezstd"} {
		if kinds[kind] == 0 {
			t.Errorf("no golden file of a %s frame", kind)
		}
	}
}
