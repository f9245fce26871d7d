package wire

import (
	"encoding/json"
	"net/url"

	"github.com/gopersist/persist/stores"
)

// projectionQueries are the queries of ProjectionQuery, built once: a hit
// should not marshal a map and escape it to ask for its result.
var projectionQueries = func() (q [stores.AllParts + 1]string) {
	for parts := range stores.AllParts {
		fields := map[string]int{}
		for part, name := range map[stores.Parts]string{stores.PartResult: "result", stores.PartKey: "key", stores.PartMeta: "metadata"} {
			if parts.Has(part) {
				fields[name] = 1
			}
		}
		if len(fields) == 0 {
			continue
		}
		b, _ := json.Marshal(fields) // sorted keys: one spelling per parts
		q[parts] = url.Values{ProjectionParam: {string(b)}}.Encode()
	}
	return q
}()

// ProjectionQuery is the URL query (without "?") that asks for the parts
// of an item with Eve's projection, such as projection=%7B%22result%22%3A1%7D,
// or "" for AllParts and for no parts, which a projection cannot ask for.
// The persist server recognises these queries without parsing them.
func ProjectionQuery(parts stores.Parts) string {
	if parts > stores.AllParts {
		return ""
	}
	return projectionQueries[parts]
}
