package s3store

import (
	"context"
	"iter"
	"slices"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/gopersist/persist/stores/driver"
)

// listPage is the most keys one ListObjectsV2 request asks for: S3's own
// limit.
const listPage = 1000

// List implements [driver.Store] with ListObjectsV2 from the key of after,
// following continuation tokens until n records are complete. Each .out
// object is one record, its listed size the record's Size.
//
// S3 lists keys in byte order, but a record's key is its hash followed by
// ".out", and the two orders differ where one hash is a prefix of another:
// "x-.out" sorts before "x.out" although "x" < "x-". The listing therefore
// holds back each record until every key that could belong to a smaller
// hash has gone by: those of its own prefixes, which are the only hashes
// that can sort before it and be listed after it. Hashes of hex digits or
// base64url, whose bytes all sort after '.' but '-', are held back seldom
// and briefly.
func (d *s3Driver) List(ctx context.Context, funcname, after string, n int) ([]driver.Meta, error) {
	dir := d.dir(funcname)
	opts := minio.ListObjectsOptions{Prefix: dir, Recursive: true, MaxKeys: min(listPage, n+2)}
	if after != "" {
		// Every hash after after in byte order has its keys after the bare
		// hash after, including those that extend it.
		opts.StartAfter = dir + after
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing once the page is full
	var (
		page    []driver.Meta
		pending []driver.Meta // seen, held back, sorted by hash
		cursor  string        // the last key listed
	)
	// ready reports whether no record that sorts before m can still come:
	// each proper prefix p of m.Hash whose key sorts after m's must be
	// behind the cursor.
	ready := func(m driver.Meta) bool {
		h := m.Hash
		for i := 1; i < len(h); i++ {
			if h[i] > '.' {
				continue // h[:i]+".out" sorts before h+".out": gone by
			}
			p := h[:i]
			if p > after && dir+p+outSuffix > cursor {
				return false
			}
		}
		return true
	}
	flush := func(all bool) {
		for len(pending) > 0 && len(page) < n && (all || ready(pending[0])) {
			page = append(page, pending[0])
			pending = pending[1:]
		}
	}
	for obj := range d.client.ListObjectsIter(ctx, d.bucket, opts) {
		if obj.Err != nil {
			return nil, obj.Err
		}
		cursor = obj.Key
		name, _ := strings.CutPrefix(obj.Key, dir)
		h, ok := strings.CutSuffix(name, outSuffix)
		if ok && isName(h) && !strings.Contains(h, "/") && h > after {
			m := driver.Meta{Hash: h, Size: obj.Size, Created: created(obj.LastModified)}
			i, _ := slices.BinarySearchFunc(pending, h, func(a driver.Meta, h string) int { return strings.Compare(a.Hash, h) })
			pending = slices.Insert(pending, i, m)
		}
		flush(false)
		if len(page) == n {
			return page, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	flush(true)
	return page, nil
}

// Clear implements [driver.Store]: it removes every object under the
// funcname's prefix (records, owner record and stray parts) except leases,
// which belong to computations still running.
func (d *s3Driver) Clear(ctx context.Context, funcname string) error {
	dir := d.dir(funcname)
	var listErr error
	objects := func(yield func(minio.ObjectInfo) bool) {
		for obj := range d.client.ListObjectsIter(ctx, d.bucket, minio.ListObjectsOptions{Prefix: dir, Recursive: true}) {
			if obj.Err != nil {
				listErr = obj.Err
				return
			}
			name := strings.TrimPrefix(obj.Key, dir)
			if strings.Contains(name, "/") || strings.HasSuffix(name, leaseSuffix) {
				continue
			}
			if !yield(obj) {
				return
			}
		}
	}
	results, err := d.client.RemoveObjectsWithIter(ctx, d.bucket, objects, minio.RemoveObjectsOptions{})
	if err != nil {
		return err
	}
	for res := range results {
		if res.Err != nil && !isNotFound(res.Err) {
			return res.Err
		}
	}
	return listErr
}

// Funcs implements [driver.FuncLister] with a delimited listing of the
// prefix: each funcname is a common prefix, listed when it holds at least
// one .out. The funcnames are gathered and sorted before the first is
// yielded, since "f/" and the byte order of funcnames differ as keys and
// hashes do (see List); a store holds few functions.
func (d *s3Driver) Funcs(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		var names []string
		for obj := range d.client.ListObjectsIter(ctx, d.bucket, minio.ListObjectsOptions{Prefix: d.prefix, Recursive: false}) {
			if obj.Err != nil {
				yield("", obj.Err)
				return
			}
			name, ok := strings.CutPrefix(obj.Key, d.prefix)
			if !ok || !strings.HasSuffix(name, "/") {
				continue // an object beside the functions' prefixes
			}
			fn := strings.TrimSuffix(name, "/")
			if !isName(fn) {
				continue
			}
			has, err := d.hasRecord(ctx, fn)
			if err != nil {
				yield("", err)
				return
			}
			if has {
				names = append(names, fn)
			}
		}
		slices.Sort(names)
		for _, fn := range names {
			if !yield(fn, nil) {
				return
			}
		}
	}
}

// hasRecord reports whether funcname has a .out, reading its keys until
// the first one.
func (d *s3Driver) hasRecord(ctx context.Context, funcname string) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dir := d.dir(funcname)
	for obj := range d.client.ListObjectsIter(ctx, d.bucket, minio.ListObjectsOptions{Prefix: dir, Recursive: true}) {
		if obj.Err != nil {
			return false, obj.Err
		}
		name := strings.TrimPrefix(obj.Key, dir)
		if !strings.Contains(name, "/") && strings.HasSuffix(name, outSuffix) && name != outSuffix {
			return true, nil
		}
	}
	return false, nil
}
