//go:build unix && !linux

package filestore_test

// fullDiskChild needs Linux's mount namespaces to make a small disk; on
// other systems the full-disk test is not built, and no child is asked for.
func fullDiskChild(string) int { return 2 }
