// Command perfchart draws the end-to-end lag of load runs against sessions
// per core, as an SVG: the worst session's p99 (solid) and the median
// session's p99 (dashed), log y axis, one colour per series, runs that lost
// audio marked with their loss.
//
// Usage, from the repository root, after cmd/loadgen/sweep.sh:
//
//	go run ./cmd/perfchart -o docs/lag.svg recorder=out/recorder aiortc=out/aiortc
//
// Each argument is LABEL=PATH: PATH is a directory (its *.json files), a
// glob, or a file; each file holds loadgen's -json summary as its last line
// starting with '{' (a whole loadgen -json output will do). A run whose
// lag is zero (no poll while streaming: a run shorter than loadgen's
// -every) is left out with a warning.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "perfchart:", err)
		os.Exit(1)
	}
}

// point is one load run, as loadgen's summary gives it.
type point struct {
	Sessions    int     `json:"sessions"`
	LagP99Ms    float64 `json:"lag_p99_ms"`     // median session's p99
	LagP99MaxMs float64 `json:"lag_p99_max_ms"` // worst session's p99
	LossPct     float64 `json:"loss_pct"`
	CPUMs       float64 `json:"cpu_ms_per_audio_s_per_session"`
	Load1       float64 `json:"load_avg_1m"`
}

// series is one set of runs, sorted by sessions.
type series struct {
	Label  string
	Points []point
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("perfchart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "SVG file to write (default: standard output)")
	c := chartConfig{}
	fs.Float64Var(&c.cores, "cores", 1, "cores the server ran on: the x axis is sessions divided by this")
	fs.StringVar(&c.title, "title", "End-to-end lag p99 against sessions per core", "chart title")
	fs.Float64Var(&c.goal, "goal", 0, "draw a goal line at this many ms (0: none)")
	fs.Float64Var(&c.lossMark, "loss-mark", 0.05, "mark runs that lost at least this % of the packets sent")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: perfchart [flags] LABEL=PATH...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no series: give LABEL=PATH arguments")
	}
	if c.cores <= 0 {
		return errors.New("-cores must be positive")
	}
	var all []series
	for _, arg := range fs.Args() {
		s, err := readSeries(arg, stderr)
		if err != nil {
			return err
		}
		all = append(all, s)
	}
	var buf bytes.Buffer
	if err := writeSVG(&buf, all, c); err != nil {
		return err
	}
	if *out == "" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	return os.WriteFile(*out, buf.Bytes(), 0o644)
}

// readSeries reads the runs of one LABEL=PATH argument.
func readSeries(arg string, warn io.Writer) (series, error) {
	label, path, ok := strings.Cut(arg, "=")
	if !ok || label == "" || path == "" {
		return series{}, fmt.Errorf("%q: want LABEL=PATH", arg)
	}
	files, err := expand(path)
	if err != nil {
		return series{}, err
	}
	s := series{Label: label}
	for _, f := range files {
		p, err := readPoint(f)
		if err != nil {
			return series{}, err
		}
		if p.LagP99MaxMs <= 0 || p.LagP99Ms <= 0 {
			fmt.Fprintf(warn, "perfchart: %s: no lag measured while streaming (a run shorter than loadgen's -every?): left out\n", f)
			continue
		}
		s.Points = append(s.Points, p)
	}
	if len(s.Points) == 0 {
		return series{}, fmt.Errorf("%s: no runs with a lag in %s", label, path)
	}
	slices.SortFunc(s.Points, func(a, b point) int { return cmp.Compare(a.Sessions, b.Sessions) })
	return s, nil
}

// expand turns a PATH into files: a directory's *.json, a glob's matches,
// or the file itself.
func expand(path string) ([]string, error) {
	if strings.ContainsAny(path, "*?[") {
		m, err := filepath.Glob(path)
		if err == nil && len(m) == 0 {
			err = fmt.Errorf("%s: no files match", path)
		}
		return m, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	m, err := filepath.Glob(filepath.Join(path, "*.json"))
	if err == nil && len(m) == 0 {
		err = fmt.Errorf("%s: no *.json files", path)
	}
	return m, err
}

// readPoint reads the last line of file that starts with '{'.
func readPoint(file string) (point, error) {
	f, err := os.Open(file)
	if err != nil {
		return point{}, err
	}
	defer f.Close()
	var last string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "{") {
			last = sc.Text()
		}
	}
	if err := sc.Err(); err != nil {
		return point{}, fmt.Errorf("%s: %w", file, err)
	}
	if last == "" {
		return point{}, fmt.Errorf("%s: no JSON summary (loadgen -json)", file)
	}
	var p point
	if err := json.Unmarshal([]byte(last), &p); err != nil {
		return point{}, fmt.Errorf("%s: %w", file, err)
	}
	if p.Sessions <= 0 {
		return point{}, fmt.Errorf("%s: a summary without sessions", file)
	}
	return p, nil
}
