//go:build !race

package main

// raceDetector is set when the tests run with -race.
const raceDetector = false
