// Package media is the audio domain: processing parameters, PCM blocks and
// the small pipeline stages (decode → resample → sink) a live session runs.
// It knows nothing of HTTP or SQL.
package media

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// SampleRates lists the output sample rates a session may run at.
var SampleRates = []int{8000, 16000, 22050, 24000, 32000, 44100, 48000}

// Parameter limits. batch_size moves in steps of BatchStep.
const (
	MinFPS       = 1
	MaxFPS       = 60
	MinBatchSize = 16
	MaxBatchSize = 256
	BatchStep    = 16
)

// Params are the processing parameters a session runs with: the output
// format of the decoded audio and how it is cut into frames and batches.
type Params struct {
	FPS        int `json:"fps"`
	BatchSize  int `json:"batch_size"`
	SampleRate int `json:"sample_rate"`
	Channels   int `json:"channels"`
	// Format is what a live take is kept as: FormatWAV (also when empty,
	// as in every recording made before there was a choice) or FormatOpus.
	Format string `json:"format"`
}

// KeepsOpus reports whether a take made under p is kept as Ogg Opus.
func (p Params) KeepsOpus() bool { return p.Format == FormatOpus }

// ParamChange records where in a take the fps or batch size changed.
type ParamChange struct {
	Frame     int64   `json:"frame"`   // first frame cut under the new values
	Seconds   float64 `json:"seconds"` // where that frame starts in the take
	FPS       int     `json:"fps"`
	BatchSize int     `json:"batch_size"`
}

// DefaultParams returns the parameters used until a user changes them.
func DefaultParams() Params {
	return Params{FPS: 30, BatchSize: 64, SampleRate: 48000, Channels: 1}
}

// FieldErrors maps a parameter's JSON name to why its value was refused.
// It unwraps to ErrInvalid.
type FieldErrors map[string]string

func (e FieldErrors) Error() string {
	names := make([]string, 0, len(e))
	for name := range e {
		names = append(names, name)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + ": " + e[name]
	}
	return "invalid parameters: " + strings.Join(parts, "; ")
}

// Unwrap lets errors.Is(err, ErrInvalid) match.
func (e FieldErrors) Unwrap() error { return ErrInvalid }

// Validate reports every out-of-range field at once, or nil.
func (p Params) Validate() error {
	errs := FieldErrors{}
	if p.FPS < MinFPS || p.FPS > MaxFPS {
		errs["fps"] = fmt.Sprintf("must be between %d and %d", MinFPS, MaxFPS)
	}
	if p.BatchSize < MinBatchSize || p.BatchSize > MaxBatchSize || p.BatchSize%BatchStep != 0 {
		errs["batch_size"] = fmt.Sprintf("must be a multiple of %d between %d and %d", BatchStep, MinBatchSize, MaxBatchSize)
	}
	if !slices.Contains(SampleRates, p.SampleRate) {
		errs["sample_rate"] = "must be one of " + listInts(SampleRates, "or") + " (Hz)"
	}
	if p.Channels != 1 && p.Channels != 2 {
		errs["channels"] = "must be 1 (mono) or 2 (stereo)"
	}
	if p.Format != "" && !slices.Contains(Formats, p.Format) {
		errs["format"] = `must be "wav" (PCM at the sample rate and channels) or "opus" (the browser's packets, in Ogg)`
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// listInts spells out numbers as a list: "1, 2 or 3".
func listInts(ns []int, and string) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " " + and + " " + parts[len(parts)-1]
}
