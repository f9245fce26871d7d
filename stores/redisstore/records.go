package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gopersist/persist/stores/driver"
)

// stagingTTL is how long the chunks of a write live before the write
// commits them: a writer that dies between its chunks and its commit
// leaves nothing behind for longer than this. A write whose chunks take
// longer fails rather than commit a record with parts missing.
const stagingTTL = time.Hour

// replacedGrace is how long the chunks of a replaced record outlive it,
// so that a reader already reading them finishes instead of starting again.
// A Delete or Clear removes chunks at once: a reader then finds the record
// gone.
const replacedGrace = time.Minute

// readAttempts bounds how often Read starts again when a concurrent write
// replaced the record between reading its hash and reading its chunks.
const readAttempts = 10

// clearBatch is how many records one clearScript call removes.
const clearBatch = 200

// Write implements [driver.Store]. A part larger than InlineMax (or the
// chunk size, if smaller) is written first as chunks under a new generation, with an expiry; the
// commit script then checks that they are all there, makes them permanent,
// deletes the old record's chunks and replaces the record, its index entry
// and its listing entry in one step.
func (d *redisDriver) Write(ctx context.Context, funcname, hash string, rec driver.Record) error {
	size := int64(len(rec.Result)) + int64(len(rec.Key)) + int64(len(rec.Meta))
	if size > d.cfg.maxRecord {
		return &TooLargeError{Size: size, Max: d.cfg.maxRecord}
	}
	k := d.keys(funcname)
	var ttl int64 // milliseconds; 0: permanent
	if !rec.Expires.IsZero() {
		ttl = max(time.Until(rec.Expires).Milliseconds(), 1)
	}
	args := []any{hash, size, k.chunkPrefix(), replacedGrace.Milliseconds(), ttl, k.recordPrefix()}
	var staged []string
	addPart := func(field string, b []byte) error {
		if len(b) <= min(d.cfg.chunk, InlineMax) {
			args = append(args, field, b)
			return nil
		}
		gen := newToken()
		n := (len(b) + d.cfg.chunk - 1) / d.cfg.chunk
		for i := range n {
			key := k.chunk(gen, i)
			staged = append(staged, key)
			part := b[i*d.cfg.chunk : min((i+1)*d.cfg.chunk, len(b))]
			if err := d.c.Set(ctx, key, part, stagingTTL).Err(); err != nil {
				return err
			}
		}
		args = append(args, field+"c", fmt.Sprintf("%s %d %d", gen, n, len(b)))
		return nil
	}
	err := addPart("r", rec.Result)
	if err == nil && rec.Key != nil {
		err = addPart("k", rec.Key)
	}
	if err == nil && rec.Meta != nil {
		err = addPart("m", rec.Meta)
	}
	if _, named := d.named.Load(funcname); err == nil && !named {
		// The name goes in before the function's first record too, so that
		// a writer that dies between its commit and the insert after it
		// does not leave the function out of Funcs (and of budgets and gc,
		// which list functions through it).
		if err = d.c.ZAdd(ctx, d.funcsKey(), redis.Z{Member: funcname}).Err(); err == nil {
			d.named.Store(funcname, true)
		}
	}
	var ok int
	if err == nil {
		ok, err = commitScript.Run(ctx, d.c, []string{k.record(hash), k.index(), k.metas(), k.expiries()}, args...).Int()
	}
	if err == nil && ok == 0 {
		err = errors.New("the record's chunks expired before it could be committed")
	}
	if err != nil {
		d.dropStaged(ctx, staged)
		return err
	}
	if ok == 1 {
		return nil
	}
	// The function's first record: its name joins the set of funcnames
	// again, after the record, so that a Delete of the function's last
	// record that ran since the insert above cannot leave it out (see
	// removeFunc). A write to a function with records leaves the set
	// alone, which spares a round trip on every Put but the first.
	return d.c.ZAdd(ctx, d.funcsKey(), redis.Z{Member: funcname}).Err()
}

// dropStaged deletes the chunks of a write that failed. It is worth a try
// only: they expire after stagingTTL anyway.
func (d *redisDriver) dropStaged(ctx context.Context, keys []string) {
	if len(keys) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = d.c.Del(ctx, keys...).Err()
}

// newToken returns 128 random bits as text: a chunk generation or a lease
// token, unique without coordination.
func newToken() string { return rand.Text() }

// partFields are the fields of each part: inline and chunked.
var partFields = []struct {
	part           driver.Parts
	inline, chunks string
}{
	{driver.PartResult, "r", "rc"},
	{driver.PartKey, "k", "kc"},
	{driver.PartMeta, "m", "mc"},
}

// errChanged says that a chunk was gone: a write or delete replaced the
// record while it was read.
var errChanged = errors.New("the record changed while it was read")

// Read implements [driver.Store]: one HMGET of the parts asked for, then
// the chunks of chunked parts. A record replaced meanwhile is read again.
func (d *redisDriver) Read(ctx context.Context, funcname, hash string, parts driver.Parts) (driver.Record, error) {
	k := d.keys(funcname)
	fields := []string{"ct"}
	for _, p := range partFields {
		if parts.Has(p.part) {
			fields = append(fields, p.inline, p.chunks)
		}
	}
	missing := ""
	for range readAttempts {
		rec, desc, err := d.readOnce(ctx, k, hash, parts, fields)
		if err != errChanged {
			return rec, err
		}
		if desc == missing {
			// The record still names the chunks found missing before: they
			// are gone for good (evicted under maxmemory, say), not
			// replaced. The record is of no use: a miss, which the next
			// write replaces.
			return driver.Record{}, errNotFound
		}
		missing = desc
	}
	return driver.Record{}, fmt.Errorf("%w %d times", errChanged, readAttempts)
}

// readOnce reads the record once; when a chunk was gone it fails with
// errChanged and the descriptor that named it.
func (d *redisDriver) readOnce(ctx context.Context, k funcKeys, hash string, parts driver.Parts, fields []string) (driver.Record, string, error) {
	vals, err := d.c.HMGet(ctx, k.record(hash), fields...).Result()
	if err != nil {
		return driver.Record{}, "", err
	}
	ct, _ := vals[0].(string)
	if vals[0] == nil {
		return driver.Record{}, "", errNotFound
	}
	created, err := parseCreated(ct)
	if err != nil {
		return driver.Record{}, "", err
	}
	rec := driver.Record{Created: created}
	i := 1
	for _, p := range partFields {
		if !parts.Has(p.part) {
			continue
		}
		inline, chunks := vals[i], vals[i+1]
		i += 2
		var b []byte
		switch {
		case inline != nil:
			b = []byte(inline.(string))
		case chunks != nil:
			b, err = d.readChunks(ctx, k, chunks.(string))
			if err != nil {
				return driver.Record{}, chunks.(string), err
			}
		case p.part == driver.PartResult:
			return driver.Record{}, "", errors.New("the record has no result field: damaged")
		}
		switch p.part {
		case driver.PartResult:
			rec.Result = b
		case driver.PartKey:
			rec.Key = b
		case driver.PartMeta:
			rec.Meta = b
		}
	}
	return rec, "", nil
}

// readChunks reads the chunks that desc ("GEN COUNT LENGTH") describes,
// one GET at a time into one buffer, and checks that they add up.
func (d *redisDriver) readChunks(ctx context.Context, k funcKeys, desc string) ([]byte, error) {
	gen, n, length, err := parseDescriptor(desc)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 0, length)
	for i := range n {
		s, err := d.c.Get(ctx, k.chunk(gen, i)).Result()
		if err == redis.Nil {
			return nil, errChanged
		}
		if err != nil {
			return nil, err
		}
		if len(buf)+len(s) > length {
			return nil, fmt.Errorf("the chunks of %q hold more than %d bytes: damaged", desc, length)
		}
		buf = append(buf, s...)
	}
	if len(buf) != length {
		return nil, fmt.Errorf("the chunks of %q hold %d bytes, not %d: damaged", desc, len(buf), length)
	}
	return buf, nil
}

// parseDescriptor reads a chunk descriptor, "GEN COUNT LENGTH", as Write
// makes it: COUNT chunks of at most MaxChunkSize bytes hold LENGTH bytes,
// which a record of at most the largest maxrecord= could not exceed.
func parseDescriptor(desc string) (gen string, n, length int, err error) {
	f := strings.Split(desc, " ")
	if len(f) == 3 && f[0] != "" {
		n, err = strconv.Atoi(f[1])
		if err == nil {
			length, err = strconv.Atoi(f[2])
		}
		if err == nil && n >= 1 && length >= n && length <= n*MaxChunkSize && strconv.Itoa(n) == f[1] && strconv.Itoa(length) == f[2] {
			return f[0], n, length, nil
		}
	}
	return "", 0, 0, fmt.Errorf("chunk descriptor %q is damaged", desc)
}

// parseCreated reads a creation time as the scripts write it: the server's
// clock in microseconds since the epoch.
func parseCreated(s string) (time.Time, error) {
	us, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("creation time %q is damaged", s)
	}
	return time.UnixMicro(us), nil
}

// Delete implements [driver.Store].
func (d *redisDriver) Delete(ctx context.Context, funcname, hash string) error {
	k := d.keys(funcname)
	left, err := deleteScript.Run(ctx, d.c, []string{k.record(hash), k.index(), k.metas(), k.expiries()}, hash, k.chunkPrefix(), k.recordPrefix()).Int()
	switch {
	case err != nil:
		return err
	case left == -1:
		// No such record, and none left: the sweep may have removed the
		// function's last one.
		_ = d.removeFunc(ctx, funcname)
		return errNotFound
	case left < 0:
		return errNotFound
	case left == 0:
		return d.removeFunc(ctx, funcname)
	}
	return nil
}

// removeFunc takes funcname out of the set of funcnames once it has no
// records. The set lies in another slot than the function's keys, so this
// cannot be one step with the Delete or Clear: it checks afterwards
// whether a Write came in between, whose own ZADD may have preceded the
// ZREM, and puts the name back if so. Funcs passes by a name left in the
// set without records.
func (d *redisDriver) removeFunc(ctx context.Context, funcname string) error {
	d.named.Delete(funcname)
	if err := d.c.ZRem(ctx, d.funcsKey(), funcname).Err(); err != nil {
		return err
	}
	n, err := d.c.ZCard(ctx, d.keys(funcname).index()).Result()
	if err != nil || n == 0 {
		return err
	}
	return d.c.ZAdd(ctx, d.funcsKey(), redis.Z{Member: funcname}).Err()
}

// List implements [driver.Store] with one script: a ZRANGEBYLEX of the
// index after the cursor and the listing entries of the hashes it finds.
func (d *redisDriver) List(ctx context.Context, funcname, after string, n int) ([]driver.Meta, error) {
	k := d.keys(funcname)
	from := "-"
	if after != "" {
		from = "(" + after
	}
	var page []driver.Meta
	for len(page) < n {
		// One call reads at most listScan hashes; it says where to go on
		// when it stopped short of a full page.
		out, err := listScript.Run(ctx, d.c, []string{k.index(), k.metas(), k.expiries()}, from, n-len(page), k.recordPrefix(), k.chunkPrefix()).Slice()
		if err != nil {
			return nil, err
		}
		if len(out) == 0 {
			return nil, errors.New("the listing script answered nothing")
		}
		for i := 1; i+1 < len(out); i += 2 {
			hash, _ := out[i].(string)
			entry, ok := out[i+1].(string)
			if !ok {
				return nil, fmt.Errorf("hash %q is in the index without a listing entry", hash)
			}
			sz, ct, _ := strings.Cut(entry, " ")
			size, err := strconv.ParseInt(sz, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("listing entry %q of hash %q is damaged", entry, hash)
			}
			created, err := parseCreated(ct)
			if err != nil {
				return nil, err
			}
			page = append(page, driver.Meta{Hash: hash, Size: size, Created: created})
		}
		if from, _ = out[0].(string); from == "" {
			break
		}
	}
	return page, nil
}

// Len implements [driver.Counter]: the size of the index, once the
// records past their expiry are out of it.
func (d *redisDriver) Len(ctx context.Context, funcname string) (int, error) {
	k := d.keys(funcname)
	n, err := lenScript.Run(ctx, d.c, []string{k.index(), k.metas(), k.expiries()}, k.recordPrefix(), k.chunkPrefix()).Int()
	return n, err
}

// Clear implements [driver.Store], a batch of records per script call.
func (d *redisDriver) Clear(ctx context.Context, funcname string) error {
	k := d.keys(funcname)
	for {
		more, err := clearScript.Run(ctx, d.c, []string{k.index(), k.metas(), k.owner(), k.expiries()},
			k.recordPrefix(), k.chunkPrefix(), clearBatch).Int()
		if err != nil {
			return err
		}
		if more == 0 {
			return d.removeFunc(ctx, funcname)
		}
	}
}
