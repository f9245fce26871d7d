package redisstore

import (
	"strconv"
	"strings"
)

// funcKeys names the keys of one function. Every one of them begins
// "PREFIX:{TAG}:", TAG being the funcname with '%', '{' and '}'
// percent-encoded: Redis Cluster places a key by the text between its
// first '{' and the first '}' after it, so all of a function's keys share
// one slot, which lets one script or transaction touch them together, and
// the encoding keeps a funcname's own braces from moving that boundary.
type funcKeys struct{ base string }

func (d *redisDriver) keys(funcname string) funcKeys {
	return funcKeys{base: d.cfg.prefix + ":{" + tagEscaper.Replace(funcname) + "}:"}
}

var tagEscaper = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D")

// record is the hash holding one record: its parts, inline or as chunk
// descriptors, and its creation time.
func (k funcKeys) record(hash string) string { return k.base + "r:" + hash }

// recordPrefix is record without the hash, for scripts that build record
// keys from the index.
func (k funcKeys) recordPrefix() string { return k.base + "r:" }

// chunkPrefix begins every chunk key: chunkPrefix + generation + ":" + n.
func (k funcKeys) chunkPrefix() string { return k.base + "c:" }

func (k funcKeys) chunk(gen string, n int) string { return k.base + "c:" + gen + ":" + strconv.Itoa(n) }

// index is the sorted set of the function's hashes, all of score 0, so
// that ZRANGEBYLEX pages through them in byte order from any cursor.
func (k funcKeys) index() string { return k.base + "i" }

// metas is the hash from each hash of the function to "SIZE CREATED", what a
// listing shows, so that a page is read without touching any record.
func (k funcKeys) metas() string { return k.base + "m" }

// expiries is the sorted set of the function's hashes whose records
// expire, scored by when, in Unix milliseconds of the server's clock: the
// scripts remove what a record's own expiry leaves behind (its index and
// listing entries) once that time has passed.
func (k funcKeys) expiries() string { return k.base + "e" }

// owner is the function's owner record.
func (k funcKeys) owner() string { return k.base + "o" }

// lease is the computation lock of one hash.
func (k funcKeys) lease(hash string) string { return k.base + "l:" + hash }

// funcsKey is the sorted set of funcnames that have records. It lies
// outside every function's slot, so it is updated after a function's own
// keys, not with them (see Funcs).
func (d *redisDriver) funcsKey() string { return d.cfg.prefix + ":funcs" }
