package s3store

import (
	"unicode/utf8"

	"github.com/gopersist/persist/stores/driver"
)

// nameBytes are the bytes of funcnames and hashes: ASCII, less what
// stores.ValidName refuses of every store. S3 keys are UTF-8, so a name of
// arbitrary bytes would need an encoding into keys; none that takes every
// name keeps both the byte order that List needs and the keys under the
// 255-byte path elements that file-backed servers (versitygw's posix
// backend, MinIO on a file system) allow. ASCII names, which hex and base64
// hashes and Go funcnames are, appear in the bucket exactly as they are.
const nameBytes = "\x01-\x7f"

// NameRules implements [driver.Store]: ASCII names of up to
// stores.MaxNameLen bytes, whose keys fit S3's 1024-byte limit under any
// prefix that Open accepts.
func (d *s3Driver) NameRules() driver.NameRules {
	return driver.NameRules{FuncBytes: nameBytes, HashBytes: nameBytes}
}

// isName reports whether a listed key element can be a name of this
// store; others are objects another program put under the prefix.
func isName(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return s != ""
}
