package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// element is an SVG element as the test reads it back.
type element struct {
	name  string
	attr  map[string]string
	text  string
	depth int
}

// parseSVG reads every element of an SVG with encoding/xml.
func parseSVG(t *testing.T, b []byte) []element {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	var all []element
	var open []int // indexes of the elements open
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("the SVG is not well-formed XML: %v\n%s", err, b)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := element{name: tok.Name.Local, attr: map[string]string{}, depth: len(open)}
			for _, a := range tok.Attr {
				e.attr[a.Name.Local] = a.Value
			}
			all = append(all, e)
			open = append(open, len(all)-1)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 {
				all[open[len(open)-1]].text += string(tok)
			}
		}
	}
	if len(all) == 0 || all[0].name != "svg" {
		t.Fatalf("no svg root:\n%s", b)
	}
	return all
}

func (e element) f(t *testing.T, attr string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(e.attr[attr], 64)
	if err != nil {
		t.Fatalf("%s %v: attribute %s: %v", e.name, e.attr, attr, err)
	}
	return v
}

// find returns the elements of a class (among space-separated classes)
// whose attributes include every key=value of match.
func find(all []element, class string, match ...string) []element {
	var out []element
	for _, e := range all {
		if !strings.Contains(" "+e.attr["class"]+" ", " "+class+" ") {
			continue
		}
		ok := true
		for i := 0; i+1 < len(match); i += 2 {
			ok = ok && e.attr[match[i]] == match[i+1]
		}
		if ok {
			out = append(out, e)
		}
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.02 }

var testSeries = []series{
	{Label: "recorder", Points: []point{
		{Sessions: 32, LagP99Ms: 4, LagP99MaxMs: 5.4},
		{Sessions: 64, LagP99Ms: 10, LagP99MaxMs: 22.9},
		{Sessions: 128, LagP99Ms: 100, LagP99MaxMs: 344},
	}},
	{Label: "aiortc & <co>", Points: []point{
		{Sessions: 32, LagP99Ms: 85, LagP99MaxMs: 90},
		{Sessions: 72, LagP99Ms: 200, LagP99MaxMs: 1000, LossPct: 19.5},
	}},
}

// TestWriteSVG reads the chart back and checks every point sits where the
// axes say its data belongs, the loss is marked where there was some, and
// the legend names the series.
func TestWriteSVG(t *testing.T) {
	var buf bytes.Buffer
	if err := writeSVG(&buf, testSeries, chartConfig{title: "lag", cores: 1, lossMark: 0.05, goal: 20}); err != nil {
		t.Fatal(err)
	}
	all := parseSVG(t, buf.Bytes())

	// The axes: x ticks at whole sessions, y ticks over decades 1-1000.
	xAt := map[float64]float64{} // sessions → x of the tick
	for _, e := range find(all, "xtick") {
		xAt[e.f(t, "data-value")] = e.f(t, "x")
		if e.text != e.attr["data-value"] {
			t.Errorf("x tick labelled %q at %s", e.text, e.attr["data-value"])
		}
	}
	yAt := map[float64]float64{} // ms → y of the grid line
	for _, e := range find(all, "ygrid") {
		if !near(e.f(t, "y1"), e.f(t, "y2")) {
			t.Errorf("a sloping grid line %v", e.attr)
		}
		yAt[e.f(t, "data-value")] = e.f(t, "y1")
	}
	for _, ms := range []float64{1, 10, 100, 1000} {
		if _, ok := yAt[ms]; !ok {
			t.Fatalf("no y grid line at %g ms: %v", ms, yAt)
		}
	}
	if yAt[10] <= yAt[100] || !near(yAt[1]-yAt[10], yAt[10]-yAt[100]) || !near(yAt[10]-yAt[100], yAt[100]-yAt[1000]) {
		t.Errorf("the y axis is not logarithmic, high values up: %v", yAt)
	}
	for _, s := range []float64{0, 32, 64, 128} {
		if _, ok := xAt[s]; !ok {
			t.Fatalf("no x tick at %g sessions: %v", s, xAt)
		}
	}
	// Where a value falls between ticks, interpolate as the axis does.
	xOf := func(sessions int) float64 {
		return xAt[0] + float64(sessions)/128*(xAt[128]-xAt[0])
	}
	yOf := func(ms float64) float64 {
		return yAt[1] + math.Log10(ms)/3*(yAt[1000]-yAt[1])
	}

	for _, se := range testSeries {
		for _, kind := range []string{"worst", "median"} {
			points := find(all, "point", "data-series", se.Label)
			points = find(points, kind)
			if len(points) != len(se.Points) {
				t.Fatalf("%s %s: %d points, want %d", se.Label, kind, len(points), len(se.Points))
			}
			for i, p := range se.Points {
				e := points[i]
				want := p.LagP99MaxMs
				if kind == "median" {
					want = p.LagP99Ms
				}
				if e.attr["data-sessions"] != fmt.Sprint(p.Sessions) {
					t.Errorf("%s %s point %d: %v", se.Label, kind, i, e.attr)
				}
				if !near(e.f(t, "cx"), xOf(p.Sessions)) || !near(e.f(t, "cy"), yOf(want)) {
					t.Errorf("%s %s at %d sessions, %g ms: drawn at (%.2f, %.2f), want (%.2f, %.2f)",
						se.Label, kind, p.Sessions, want, e.f(t, "cx"), e.f(t, "cy"), xOf(p.Sessions), yOf(want))
				}
			}
			if n := len(find(all, "line", "data-series", se.Label)); n != 2 {
				t.Errorf("%s: %d lines, want worst and median", se.Label, n)
			}
		}
	}

	// Loss: one label, at the aiortc run of 72 sessions, above its point.
	loss := find(all, "loss")
	if len(loss) != 1 {
		t.Fatalf("%d loss labels, want 1: %v", len(loss), loss)
	}
	if l := loss[0]; l.attr["data-series"] != "aiortc & <co>" || l.attr["data-sessions"] != "72" ||
		l.text != "loss 19.5%" || !near(l.f(t, "x"), xOf(72)) || l.f(t, "y") >= yOf(1000) {
		t.Errorf("loss label %q at (%s, %s) %v", l.text, l.attr["x"], l.attr["y"], l.attr)
	}
	if marks := find(all, "lossmark"); len(marks) != 1 || !near(marks[0].f(t, "cy"), yOf(1000)) {
		t.Errorf("loss marks %v", marks)
	}
	if g := find(all, "goal"); len(g) != 2 || !near(g[0].f(t, "y1"), yOf(20)) {
		t.Errorf("goal line %v", g)
	}

	var legend []string
	for _, e := range find(all, "legend") {
		legend = append(legend, e.text)
	}
	for _, want := range []string{"recorder: worst session", "aiortc & <co>: median session"} {
		if !strings.Contains(strings.Join(legend, "\n"), want) {
			t.Errorf("legend %q lacks %q", legend, want)
		}
	}
	if ti := find(all, "title"); len(ti) != 1 || ti[0].text != "lag" {
		t.Errorf("title %v", ti)
	}
}

// TestRun reads a sweep's directory of loadgen output and a single file,
// and writes the chart.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("rec/sessions-0064.json", `{"sessions":64,"lag_p99_ms":9.5,"lag_p99_max_ms":22.9,"loss_pct":0}`+"\n")
	write("rec/sessions-0032.json", `{"sessions":32,"lag_p99_ms":4,"lag_p99_max_ms":5.4,"loss_pct":0}`+"\n")
	write("rec/sessions-0002.json", `{"sessions":2,"lag_p99_ms":0,"lag_p99_max_ms":0}`+"\n") // not polled
	base := write("aio.log", "32 sessions connected\nsummary: …\n"+`{"sessions":72,"lag_p99_ms":200,"lag_p99_max_ms":900,"loss_pct":19.5}`+"\nserver: …\n")
	svg := filepath.Join(dir, "out.svg")
	var stderr bytes.Buffer
	if err := run([]string{"-o", svg, "recorder=" + filepath.Join(dir, "rec"), "aiortc=" + base}, &bytes.Buffer{}, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "sessions-0002.json") {
		t.Errorf("no warning about the run without lag: %q", stderr.String())
	}
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	all := parseSVG(t, b)
	var sessions []string
	for _, e := range find(all, "point", "data-series", "recorder") {
		sessions = append(sessions, e.attr["data-sessions"])
	}
	if got := strings.Join(sessions, " "); got != "32 64 32 64" {
		t.Errorf("recorder points at %s sessions, want 32 64 (worst), 32 64 (median)", got)
	}
	if n := len(find(all, "loss", "data-series", "aiortc")); n != 1 {
		t.Errorf("%d loss labels for aiortc", n)
	}

	for _, args := range [][]string{
		nil,
		{"nolabel"},
		{"x=" + filepath.Join(dir, "missing")},
		{"x=" + filepath.Join(dir, "rec", "sessions-0002.json")}, // no run with a lag
		{"-cores", "0", "x=" + base},
	} {
		if err := run(args, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("run(%q) accepted", args)
		}
	}
}
