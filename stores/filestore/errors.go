package filestore

import "errors"

// ErrInvalidURL reports a file:// URL or directory that the store cannot use.
// It is declared on every system, so that callers can test for it even where
// the store itself is not built (it needs Unix: see the package doc).
var ErrInvalidURL = errors.New("invalid file store URL")
