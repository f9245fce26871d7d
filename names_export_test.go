package persist

// area is a function of this package with the same short name as the
// external test package's area, as main.Square and other.Square are: the
// two default to one FuncName.
func area(x int) int { return x * x }

// AreaOfSquare exports area to the external tests.
var AreaOfSquare = area
