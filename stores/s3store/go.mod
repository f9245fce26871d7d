module github.com/gopersist/persist/stores/s3store

go 1.25.0

require github.com/gopersist/persist v0.0.0-00010101000000-000000000000

replace github.com/gopersist/persist => ../..
