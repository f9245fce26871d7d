package persist_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/klauspost/compress/zstd"

	"github.com/gopersist/persist"
)

// frameSample is the CBOR of a list of words of about size bytes: text
// compresses, as most small results do, so zstd is at its best here.
func frameSample(b *testing.B, size int) []byte {
	words := strings.Fields("the quick brown fox jumps over the lazy dog while persist keeps every result it computed")
	var list []string
	for n := 0; n < size; n += 6 {
		list = append(list, words[len(list)%len(words)])
	}
	raw, err := cbor.Marshal(list)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkFrameCrossover decodes the same CBOR from a plain frame (the
// floor) and from a zstd frame, interleaved, at sizes around zstdMinSize
// (1 KiB): it reports the zstd frame's time and size as multiples of the
// plain one's. zstd pays where its frame is much smaller and the time it
// adds is small beside the read of the bytes it saves.
func BenchmarkFrameCrossover(b *testing.B) {
	for _, size := range []int{64, 256, 1024, 4096, 16384} {
		raw := frameSample(b, size)
		plain, zframe := persist.PlainFrame(raw), zstdFrame(raw)
		b.Run(fmt.Sprintf("cbor=%dB", len(raw)), func(b *testing.B) {
			var v []string
			interleaved(b, "plain",
				func(int) {
					if err := persist.Unpickle(plain, &v); err != nil {
						b.Fatal(err)
					}
				},
				func(int) {
					if err := persist.Unpickle(zframe, &v); err != nil {
						b.Fatal(err)
					}
				})
			b.ReportMetric(float64(len(zframe))/float64(len(plain)), "zstd/plain-bytes")
		})
	}
}

// BenchmarkZstdDecoders compares, with 8 goroutines decoding 16 KiB frames
// at once, one decoder shared through its concurrent DecodeAll (sized for
// GOMAXPROCS, the floor) with a sync.Pool of single-threaded decoders, as
// frame.go uses, interleaved.
func BenchmarkZstdDecoders(b *testing.B) {
	frame := zstdFrame(frameSample(b, 16384))
	shared, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))
	if err != nil {
		b.Fatal(err)
	}
	defer shared.Close()
	pool := sync.Pool{New: func() any {
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
		if err != nil {
			panic(err)
		}
		return d
	}}
	decode := func(d *zstd.Decoder, buf []byte) []byte {
		out, err := d.DecodeAll(frame, buf[:0])
		if err != nil {
			panic(err)
		}
		return out
	}
	const g = 8
	var tShared, tPool time.Duration
	per := max(g, b.N/8)
	for range 8 {
		tShared += inGoroutines(g, per, func(int) { decode(shared, nil) })
		tPool += inGoroutines(g, per, func(int) {
			d := pool.Get().(*zstd.Decoder)
			decode(d, nil)
			pool.Put(d)
		})
	}
	reportPair(b, "shared", tShared, tPool, per*8)
}
