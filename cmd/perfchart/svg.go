package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
)

// chartConfig is what the flags say about the drawing.
type chartConfig struct {
	title    string
	cores    float64
	goal     float64 // ms; 0: no goal line
	lossMark float64 // % of packets
}

// The drawing's size and plot area, in SVG user units.
const (
	width, height            = 860.0, 520.0
	left, right, top, bottom = 70.0, 40.0, 50.0, 60.0
)

// palette colours the series in turn.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"}

// scales maps data to the plot area: x linear in sessions per core from 0,
// y logarithmic in ms over whole decades.
type scales struct {
	xMax         float64
	yLo, yHi     float64 // log10 of the axis ends
	cores        float64
	xStep        float64
	plotW, plotH float64
}

func newScales(all []series, c chartConfig) scales {
	s := scales{cores: c.cores, plotW: width - left - right, plotH: height - top - bottom}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, se := range all {
		for _, p := range se.Points {
			s.xMax = max(s.xMax, float64(p.Sessions)/c.cores)
			lo = min(lo, p.LagP99Ms, p.LagP99MaxMs)
			hi = max(hi, p.LagP99Ms, p.LagP99MaxMs)
		}
	}
	if c.goal > 0 {
		lo, hi = min(lo, c.goal), max(hi, c.goal)
	}
	s.yLo, s.yHi = math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if s.yHi <= s.yLo {
		s.yHi = s.yLo + 1
	}
	s.xStep = niceStep(s.xMax / 8)
	s.xMax = math.Ceil(1.04*s.xMax/s.xStep) * s.xStep // room for the last point's label
	return s
}

// niceStep rounds v up to 1, 2, 2.5, 4 or 5 times a power of ten, or a
// multiple of 16 sessions past 10, the counts a sweep uses.
func niceStep(v float64) float64 {
	if v <= 1 {
		return 1
	}
	if v > 10 {
		return math.Ceil(v/16) * 16
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 4, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func (s scales) x(sessions int) float64 {
	return left + float64(sessions)/s.cores/s.xMax*s.plotW
}

func (s scales) y(ms float64) float64 {
	return top + (s.yHi-math.Log10(ms))/(s.yHi-s.yLo)*s.plotH
}

// svgWriter writes elements, escaping text and attribute values.
type svgWriter struct {
	w   io.Writer
	err error
}

func (w *svgWriter) printf(format string, a ...any) {
	if w.err == nil {
		_, w.err = fmt.Fprintf(w.w, format, a...)
	}
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// writeSVG draws the chart.
func writeSVG(out io.Writer, all []series, c chartConfig) error {
	s := newScales(all, c)
	w := &svgWriter{w: out}
	w.printf(`<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="sans-serif" font-size="12">`+"\n",
		num(width), num(height), num(width), num(height))
	w.printf(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	w.printf(`<text class="title" x="%s" y="24" text-anchor="middle" font-size="15">%s</text>`+"\n", num(width/2), esc(c.title))

	// Axes, grid and ticks.
	x0, x1, y0, y1 := left, width-right, top, height-bottom
	for d := s.yLo; d <= s.yHi; d++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, d)
			if math.Log10(v) > s.yHi+1e-9 {
				break
			}
			y := s.y(v)
			stroke := "#eee"
			if m == 1 {
				stroke = "#ccc"
			}
			label := strconv.FormatFloat(v, 'g', -1, 64)
			w.printf(`<line class="ygrid" data-value="%s" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s"/>`+"\n",
				label, num(x0), num(x1), num(y), num(y), stroke)
			w.printf(`<text class="ytick" data-value="%s" x="%s" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n",
				label, num(x0-6), num(y), label)
		}
	}
	for v := 0.0; v <= s.xMax+1e-9; v += s.xStep {
		x := left + v/s.xMax*s.plotW
		label := strconv.FormatFloat(v, 'g', -1, 64)
		w.printf(`<line class="xgrid" data-value="%s" x1="%s" x2="%s" y1="%s" y2="%s" stroke="#eee"/>`+"\n",
			label, num(x), num(x), num(y0), num(y1))
		w.printf(`<text class="xtick" data-value="%s" x="%s" y="%s" text-anchor="middle">%s</text>`+"\n",
			label, num(x), num(y1+16), label)
	}
	w.printf(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="black"/>`+"\n", num(x0), num(x1), num(y1), num(y1))
	w.printf(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="black"/>`+"\n", num(x0), num(x0), num(y0), num(y1))
	xLabel := "sessions per core"
	if c.cores != 1 {
		xLabel = fmt.Sprintf("sessions per core (sessions / %s)", strconv.FormatFloat(c.cores, 'g', -1, 64))
	}
	w.printf(`<text class="xlabel" x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", num(left+s.plotW/2), num(height-18), esc(xLabel))
	w.printf(`<text class="ylabel" transform="translate(18 %s) rotate(-90)" text-anchor="middle">end-to-end lag p99 (ms, log scale)</text>`+"\n", num(top+s.plotH/2))

	if c.goal > 0 {
		y := s.y(c.goal)
		w.printf(`<line class="goal" data-value="%s" x1="%s" x2="%s" y1="%s" y2="%s" stroke="#2a2" stroke-dasharray="2 4"/>`+"\n",
			num(c.goal), num(x0), num(x1), num(y), num(y))
		w.printf(`<text class="goal" x="%s" y="%s" text-anchor="end" fill="#2a2">goal %s ms</text>`+"\n", num(x1-4), num(y-4), esc(strconv.FormatFloat(c.goal, 'g', -1, 64)))
	}

	// The series: worst session solid, median dashed; loss marked.
	for i, se := range all {
		colour := palette[i%len(palette)]
		for _, kind := range []string{"worst", "median"} {
			value := func(p point) float64 { return p.LagP99MaxMs }
			dash, fill := "", colour
			if kind == "median" {
				value, dash, fill = func(p point) float64 { return p.LagP99Ms }, ` stroke-dasharray="6 4"`, "white"
			}
			var path bytes.Buffer
			for j, p := range se.Points {
				cmd := "L"
				if j == 0 {
					cmd = "M"
				}
				fmt.Fprintf(&path, "%s%s %s ", cmd, num(s.x(p.Sessions)), num(s.y(value(p))))
			}
			w.printf(`<path class="line %s" data-series="%s" d="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n",
				kind, esc(se.Label), bytes.TrimSpace(path.Bytes()), colour, dash)
			for _, p := range se.Points {
				w.printf(`<circle class="point %s" data-series="%s" data-sessions="%d" data-value="%s" cx="%s" cy="%s" r="4" fill="%s" stroke="%s" stroke-width="2"><title>%s: %d sessions, %s p99 %s ms, loss %s %%</title></circle>`+"\n",
					kind, esc(se.Label), p.Sessions, num(value(p)), num(s.x(p.Sessions)), num(s.y(value(p))), fill, colour,
					esc(se.Label), p.Sessions, kind, num(value(p)), num(p.LossPct))
			}
		}
		for _, p := range se.Points {
			if p.LossPct < c.lossMark || p.LossPct == 0 {
				continue
			}
			x, y := s.x(p.Sessions), s.y(p.LagP99MaxMs)
			w.printf(`<circle class="lossmark" data-series="%s" data-sessions="%d" cx="%s" cy="%s" r="9" fill="none" stroke="black" stroke-width="1.5"/>`+"\n",
				esc(se.Label), p.Sessions, num(x), num(y))
			w.printf(`<text class="loss" data-series="%s" data-sessions="%d" x="%s" y="%s" text-anchor="middle" fill="%s">loss %s%%</text>`+"\n",
				esc(se.Label), p.Sessions, num(x), num(y-14), colour, strconv.FormatFloat(p.LossPct, 'f', 1, 64))
		}
	}

	// The legend, top left inside the plot.
	ly := top + 14
	for i, se := range all {
		colour := palette[i%len(palette)]
		w.printf(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="2"/>`+"\n", num(left+12), num(left+36), num(ly), num(ly), colour)
		w.printf(`<text class="legend" data-series="%s" x="%s" y="%s" dominant-baseline="middle">%s: worst session</text>`+"\n", esc(se.Label), num(left+42), num(ly), esc(se.Label))
		ly += 16
		w.printf(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="2" stroke-dasharray="6 4"/>`+"\n", num(left+12), num(left+36), num(ly), num(ly), colour)
		w.printf(`<text class="legend" data-series="%s" x="%s" y="%s" dominant-baseline="middle">%s: median session</text>`+"\n", esc(se.Label), num(left+42), num(ly), esc(se.Label))
		ly += 16
	}
	w.printf(`<circle cx="%s" cy="%s" r="7" fill="none" stroke="black" stroke-width="1.5"/>`+"\n", num(left+24), num(ly))
	w.printf(`<text class="legend" x="%s" y="%s" dominant-baseline="middle">lost ≥ %s %% of the audio</text>`+"\n", num(left+42), num(ly), strconv.FormatFloat(c.lossMark, 'g', -1, 64))
	w.printf("</svg>\n")
	return w.err
}
