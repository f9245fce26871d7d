//go:build unix && !(linux && (amd64 || arm64))

package filestore

import "golang.org/x/sys/unix"

// fstatatName is fstatat(2) of base+ext in the directory dirfd, not
// following a link; its error is a bare errno. (atname_fast.go avoids the
// allocation of the joined name where it can.)
func fstatatName(dirfd int, base, ext string, st *unix.Stat_t) error {
	return ignoringEINTR(func() error { return unix.Fstatat(dirfd, base+ext, st, unix.AT_SYMLINK_NOFOLLOW) })
}

// renameNewName renames oldBase+oldExt to newBase+newExt, both in the
// directory dirfd, if the new name does not exist, as renameNew does.
func renameNewName(dirfd int, oldBase, oldExt, newBase, newExt string) (bool, error) {
	return renameNew(dirfd, oldBase+oldExt, newBase+newExt)
}
