package mongostore

import "github.com/gopersist/persist/stores/driver"

// NameRules implements [driver.Store]. Names are kept as string values,
// never as field names, so '$' and '.' are plain bytes, and the _id of a
// record is at most 2*stores.MaxNameLen+1 bytes, well under any server's
// index-key limit. They must be UTF-8, as BSON strings are: no server
// refuses other bytes, but FerretDB stores them replaced, so that two
// hashes would share one document and the record a Write reported stored
// would be found under neither.
func (d *mongoDriver) NameRules() driver.NameRules { return driver.NameRules{UTF8: true} }
