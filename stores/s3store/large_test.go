package s3store

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/gopersist/persist/stores"
)

// TestLargeMultipart writes a 40 MiB result, which goes up as a multipart
// upload (its ETag has the "-PARTS" form S3 gives those), and reads it back
// whole and by parts.
func TestLargeMultipart(t *testing.T) {
	const size = 40 << 20
	st := openStore(t, nil)
	d := driverOf(t, st)
	fn := "Large_" + randomHex(4)
	t.Cleanup(func() { _ = st.Clear(t.Context(), fn) })
	big := make([]byte, size)
	var seed [32]byte
	copy(seed[:], fn)
	_, _ = rand.NewChaCha8(seed).Read(big) // ChaCha8.Read never fails
	rec := stores.Record{Result: big, Key: []byte("the key"), Meta: []byte("the metadata")}
	if err := st.Put(t.Context(), fn, "big", rec); err != nil {
		t.Fatal(err)
	}
	info, err := d.client.StatObject(t.Context(), d.bucket, d.dir(fn)+"big"+outSuffix, minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(info.ETag, "-") {
		t.Errorf("the 40 MiB record's ETag %q is not a multipart upload's", info.ETag)
	}
	if info.Size != int64(size+len(rec.Key)+len(rec.Meta)) {
		t.Errorf("the object is %d bytes, want %d", info.Size, size+len(rec.Key)+len(rec.Meta))
	}
	got, err := st.Get(t.Context(), fn, "big")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Result, big) || string(got.Key) != "the key" || string(got.Meta) != "the metadata" {
		t.Errorf("Get returned %d bytes of result, key %q, meta %q; want the record put", len(got.Result), got.Key, got.Meta)
	}
	side, err := st.Read(t.Context(), fn, "big", stores.PartKey|stores.PartMeta)
	if err != nil || side.Result != nil || string(side.Key) != "the key" || string(side.Meta) != "the metadata" {
		t.Errorf("Read of key and metadata: %d bytes of result, %q, %q, %v", len(side.Result), side.Key, side.Meta, err)
	}
	page, _, err := st.List(t.Context(), fn, "", 10)
	if err != nil || len(page) != 1 || page[0].Size != info.Size {
		t.Errorf("List: %+v, %v; want one record of %d bytes", page, err, info.Size)
	}
}
