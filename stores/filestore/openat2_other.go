//go:build unix && !linux

package filestore

// openBeneath is openat2(2)'s one-call open without links, which only
// Linux has: elsewhere the store opens one directory at a time.
func openBeneath([]byte, int, uint32) (int, bool, error) { return -1, false, nil }

// openat2Works reports that there is no openat2(2).
func openat2Works() bool { return false }

// renameNew renames nothing where there is no renameat2(2): the caller
// checks new and renames over it.
func renameNew(int, string, string) (bool, error) { return false, nil }
