#!/bin/sh
# Instructions per operation of the memoised hit and miss paths and their
# floor, counted by callgrind: the stable figure on a shared machine, where
# timings drift. Each sub-benchmark of BenchmarkCount (bench_test.go) runs
# alone at two iteration counts; the difference divided by the difference
# of counts leaves the set-up out.
#
#	scripts/callgrind.sh [N1 N2]    # defaults: 10000 30000
#
# Needs valgrind. Go's asynchronous preemption signals upset callgrind, so
# they are off; one P keeps the count to the benchmark's own goroutine.
set -eu
cd "$(dirname "$0")/.."
n1=${1:-10000}
n2=${2:-30000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go test -c -o "$tmp/persist.test" .
count() { # sub-benchmark, iterations → instructions of the whole run
	GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind \
		--callgrind-out-file="$tmp/out" "$tmp/persist.test" -test.run='^$' \
		-test.bench="^BenchmarkCount\$/^$1\$" -test.benchtime="${2}x" 2>&1 |
		sed -n 's/.*Collected : //p'
}
floor=
for sub in floor=map-lookup hit-func hit-wrap1 miss-wrap1; do
	a=$(count "$sub" "$n1")
	b=$(count "$sub" "$n2")
	per=$(( (b - a) / (n2 - n1) ))
	if [ -z "$floor" ]; then
		floor=$per
		printf '%-18s %8d instructions/op\n' "$sub" "$per"
	else
		printf '%-18s %8d instructions/op  %6.1fx floor\n' "$sub" "$per" "$(echo "$per / $floor" | bc -l)"
	fi
done
