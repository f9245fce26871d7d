package persist_test

import (
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// BenchmarkLifecycleHit is a hit through Func with Version, MaxAge and
// StaleWhileRefresh on (Stats are always counted) beside the same hit with
// them off, the floor, on the memory and the file store, interleaved in one
// run: x-off is the ratio (issue 12's target: within 1.10).
func BenchmarkLifecycleHit(b *testing.B) {
	for _, c := range []struct{ name, url string }{
		{"mem", memURL(b)},
		{"file", "file://" + b.TempDir()},
	} {
		b.Run(c.name, func(b *testing.B) {
			open := func(opts persist.Options) func(int) int {
				opts.Cache = c.url
				memo, err := persist.Decorate(plainTriple, opts)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = memo.Close() })
				f := memo.Func().(func(int) int)
				f(5)
				return f
			}
			off := open(persist.Options{FuncName: "off"})
			on := open(persist.Options{FuncName: "on", Version: "v1", MaxAge: time.Hour, StaleWhileRefresh: time.Hour})
			interleaved(b, "off", func(int) { off(5) }, func(int) { on(5) })
		})
	}
}
