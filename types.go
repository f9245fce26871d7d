package persist

import (
	"context"
	"encoding"
	"encoding/json"
	"math/big"
	"reflect"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// The reflect.Types the package compares against, in one place.
var (
	anyType    = reflect.TypeFor[any]()
	anySlice   = reflect.TypeFor[[]any]() // the results of a function of several
	bytesType  = reflect.TypeFor[[]byte]()
	ctxType    = reflect.TypeFor[context.Context]()
	errorType  = reflect.TypeFor[error]()
	keyType    = reflect.TypeFor[Key]()
	stringType = reflect.TypeFor[string]()
	timeType   = reflect.TypeFor[time.Time]()

	jsonNumberType = reflect.TypeFor[json.Number]() // a number in a keyword map decoded from JSON
	bigIntType     = reflect.TypeFor[big.Int]()     // CBOR's bignums

	// Types that marshal and unmarshal themselves, taken at their word by
	// the pickling's checks.
	cborMarshaler     = reflect.TypeFor[cbor.Marshaler]()
	cborUnmarshaler   = reflect.TypeFor[cbor.Unmarshaler]()
	binaryMarshaler   = reflect.TypeFor[encoding.BinaryMarshaler]()
	binaryUnmarshaler = reflect.TypeFor[encoding.BinaryUnmarshaler]()
)
