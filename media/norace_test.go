//go:build !race

package media_test

// raceDetector is set when the tests run with -race.
const raceDetector = false
