// Command names prints the runtime's names of naming.Run's function values,
// and of a few of its own: a command's functions are named main.F.
package main

import (
	"fmt"

	"example.com/fpsample/fake"
	"example.com/fpsample/naming"
)

func double(x int) int { return 2 * x }

type local struct{}

func (*local) M(x int) int { return x }

func main() {
	naming.Run()
	var l local
	fake.Decorate(double, nil)
	fake.Decorate(l.M, nil)
	fake.Decorate((*local).M, nil)
	for _, n := range fake.Names {
		fmt.Println(n)
	}
}
