package fingerprint_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gopersist/persist/cmd/persist/internal/fingerprint"
)

// Generate finds the functions the sample memoises and the function
// values it passes to persist that get no fingerprint.
func ExampleGenerate() {
	res, err := fingerprint.Generate(context.Background(), "testdata/fpsample", fingerprint.Options{
		Env: []string{"GOWORK=off"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Package)
	for _, f := range res.Funcs {
		fmt.Println(f.Name, len(f.Fingerprint))
	}
	fmt.Println(len(res.Skipped), "skipped")
	// Output:
	// example.com/fpsample
	// example.com/fpsample.(*Pricer).Bump 32
	// example.com/fpsample.Cube 32
	// example.com/fpsample.Gen[...] 32
	// example.com/fpsample.IsEven 32
	// example.com/fpsample.IsOdd 32
	// example.com/fpsample.Itoa 32
	// example.com/fpsample.Pricer.Price-fm 32
	// example.com/fpsample.Square 32
	// example.com/fpsample.TotalArea 32
	// example.com/fpsample.Triple 32
	// 3 skipped
}
