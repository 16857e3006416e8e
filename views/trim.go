package views

import "strconv"

// TrimPage is the trim view of one recording: its waveform with the
// selection's handles, and the form that keeps the selection.
type TrimPage struct {
	Row        RecordingRow
	Start, End float64 // the selection, in seconds
	Error      string  // why the last trim was refused
	KeepDays   int     // how long Recently deleted keeps the original (0: until emptied)
}

// trimHint says what each button does with the original.
func trimHint(keepDays int) string {
	trash := "Recently deleted"
	if keepDays > 0 {
		trash += " for " + strconv.Itoa(keepDays) + " days"
	}
	return "Trim keeps the selection as the recording; the original goes to " + trash +
		", where Undo or Restore brings it back. Save as new keeps both. " +
		"The audio is cut without re-encoding: at the nearest packet (20–60 ms) for Opus and AAC, at the sample for WAV."
}

// secs writes seconds for a number field: "12.345".
func secs(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }
