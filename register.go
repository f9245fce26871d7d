package persist

// The stores a program gets without asking: files (the default), memory,
// and persist servers over HTTP. Backends with heavy dependencies, such as
// MongoDB's, register themselves when their package is imported.
import (
	_ "github.com/gopersist/persist/stores/filestore"
	_ "github.com/gopersist/persist/stores/memstore"
	_ "github.com/gopersist/persist/stores/reststore"
)
