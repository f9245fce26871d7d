package persist

import "math"

func attackSeries(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.Cos(float64(i) * 1.3)
	}
	return s
}

// AttackSeries exports attackSeries, which has the short name of the external
// tests' attackSeries.
var AttackSeries = attackSeries

// StampResult puts st's stamp in front of pickled, as a stored result has.
func StampResult(st Stamp, pickled []byte) []byte { return append(appendStamp(nil, st), pickled...) }
