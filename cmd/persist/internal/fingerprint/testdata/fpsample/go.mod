module example.com/fpsample

go 1.25.0

require github.com/gopersist/persist v0.0.0-00010101000000-000000000000

require (
	github.com/dustin/go-humanize v1.1.0 // indirect
	github.com/fxamacker/cbor/v2 v2.10.0 // indirect
	github.com/go-viper/mapstructure/v2 v2.5.0 // indirect
	github.com/google/btree v1.1.3 // indirect
	github.com/klauspost/compress v1.20.4 // indirect
	github.com/x448/float16 v0.8.4 // indirect
	golang.org/x/sys v0.47.0 // indirect
)

// The tests copy this module elsewhere and point this at the repository's
// root by its absolute path.
replace github.com/gopersist/persist => ../../../../../..

