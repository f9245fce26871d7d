// Command names prints the runtime's names of naming.Run's function values.
package main

import (
	"fmt"

	"example.com/fpsample/fake"
	"example.com/fpsample/naming"
)

func main() {
	naming.Run()
	for _, n := range fake.Names {
		fmt.Println(n)
	}
}
