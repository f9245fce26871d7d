package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
)

// BadRequestError reports a request body that is not one JSON object; the
// server answers it with 400.
type BadRequestError struct {
	Reason string
}

// Error implements the error interface.
func (e *BadRequestError) Error() string { return e.Reason }

// itemFields are the fields of pypersist's schema and whether each is
// required. "comments" is allowed by the schema and not kept.
var itemFields = map[string]bool{
	"funcname":  true,
	"hash":      true,
	"namespace": true,
	"result":    true,
	"key":       false,
	"metadata":  false,
	"comments":  false,
}

// decodeItem reads a POST body for the function urlFuncname. It returns the
// record to store, or a *BadRequestError for a body that is not one JSON
// object, or Eve-style issues (field → problem) for an object that breaks
// the schema.
func decodeItem(body []byte, urlFuncname string) (hash string, rec stores.Record, issues map[string]string, err error) {
	if !utf8.Valid(body) {
		// encoding/json would quietly replace the bad bytes, storing a
		// result that differs from the one sent.
		return "", stores.Record{}, nil, &BadRequestError{"The body is not valid UTF-8 JSON."}
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return "", stores.Record{}, nil, &BadRequestError{"The body must be one JSON object (an item); bulk inserts are not supported."}
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return "", stores.Record{}, nil, &BadRequestError{fmt.Sprintf("The body is not valid JSON: %v (at byte %d).", syn, syn.Offset)}
		}
		return "", stores.Record{}, nil, &BadRequestError{"The body is not valid JSON: " + err.Error()}
	}

	issues = map[string]string{}
	fields := map[string]*string{}
	for name, value := range raw {
		if _, known := itemFields[name]; !known {
			issues[name] = "unknown field"
			continue
		}
		if string(value) == "null" {
			issues[name] = "null value not allowed"
			continue
		}
		var s string
		if err := json.Unmarshal(value, &s); err != nil {
			issues[name] = "must be of string type"
			continue
		}
		fields[name] = &s
	}
	for name, required := range itemFields {
		if _, present := raw[name]; required && !present {
			issues[name] = "required field"
		}
	}
	if f := fields["funcname"]; f != nil && *f != urlFuncname {
		if *f == "" {
			issues["funcname"] = "min length is 1"
		} else {
			issues["funcname"] = fmt.Sprintf("must be the funcname of the URL, %q", urlFuncname)
		}
	}
	if h := fields["hash"]; h != nil {
		if err := stores.ValidName("hash", *h); err != nil {
			var ne *stores.NameError
			if errors.As(err, &ne) {
				issues["hash"] = "not a valid hash: " + ne.Reason
			} else {
				issues["hash"] = err.Error()
			}
		}
	}
	if len(issues) > 0 {
		return "", stores.Record{}, issues, nil
	}

	it := wire.Item{
		Funcname:  *fields["funcname"],
		Hash:      *fields["hash"],
		Namespace: *fields["namespace"],
		Result:    *fields["result"],
		Key:       fields["key"],
		Metadata:  fields["metadata"],
	}
	rec, err = wire.DecodeRecord(it)
	if err != nil {
		var fe *wire.FieldError
		if errors.As(err, &fe) {
			return "", stores.Record{}, map[string]string{fe.Field: fe.Reason}, nil
		}
		return "", stores.Record{}, map[string]string{"namespace": err.Error()}, nil
	}
	return it.Hash, rec, nil, nil
}
