package s3store

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/minio/minio-go/v7"
)

// FuzzParseLayout checks that Persist-Parts is accepted only when its
// lengths add up to the object's size, and that the parts it accepts lie
// inside the object.
func FuzzParseLayout(f *testing.F) {
	for _, s := range []string{"3,-1,-1", "0,0,0", "1,2,3", "5,-1,2", "-1,3,3", "9223372036854775807,1,1", ""} {
		f.Add(s, int64(6))
	}
	f.Fuzz(func(t *testing.T, parts string, size int64) {
		info := minio.ObjectInfo{Key: "k", Size: size, Metadata: http.Header{}}
		if parts != "" {
			info.UserMetadata = map[string]string{metaParts: parts}
		}
		l, err := parseLayout(info)
		if err != nil {
			return
		}
		if l.result < 0 || l.key < -1 || l.meta < -1 || l.result+max(l.key, 0)+max(l.meta, 0) != size {
			t.Errorf("parseLayout(%q, size %d) = %+v", parts, size, l)
		}
	})
}

// FuzzConcat checks the reader a record is uploaded from against the
// bytes joined: every ReadAt, and a Read to the end after a Seek.
func FuzzConcat(f *testing.F) {
	f.Add([]byte("result"), []byte("key"), []byte(""), int64(2), 4)
	f.Fuzz(func(t *testing.T, a, b, c []byte, off int64, n int) {
		joined := bytes.Join([][]byte{a, b, c}, nil)
		r := newConcat(a, b, c)
		if r.Size() != int64(len(joined)) {
			t.Fatalf("Size %d, want %d", r.Size(), len(joined))
		}
		if off < 0 || n < 0 || n > 1<<16 {
			return
		}
		p := make([]byte, n)
		k, err := r.ReadAt(p, off)
		var want []byte
		if off < int64(len(joined)) {
			want = joined[off:min(int64(len(joined)), off+int64(n))]
		}
		if !bytes.Equal(p[:k], want) || (k < n) != (err == io.EOF) {
			t.Errorf("ReadAt(%d bytes at %d) = %q, %v; want %q", n, off, p[:k], err, want)
		}
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		rest, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(rest, want[:0:0]) && !bytes.Equal(rest, joined[min(off, int64(len(joined))):]) {
			t.Errorf("Read after Seek(%d) = %q, %v", off, rest, err)
		}
	})
}
