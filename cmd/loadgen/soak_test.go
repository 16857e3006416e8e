package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// soakEnv overrides the length of TestSoak (CI runs the default 60 s).
const soakEnv = "RECORDER_SOAK"

// soakOutput is what a -json soak printed.
type soakOutput struct {
	rows    []soakRow
	verdict *verdict
	errors  []string
}

func parseSoakJSON(t *testing.T, out []byte) soakOutput {
	t.Helper()
	var o soakOutput
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var kind struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &kind); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		switch kind.Type {
		case "row":
			var r soakRow
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			o.rows = append(o.rows, r)
		case "verdict":
			o.verdict = &verdict{}
			if err := json.Unmarshal(sc.Bytes(), o.verdict); err != nil {
				t.Fatal(err)
			}
		case "error":
			o.errors = append(o.errors, sc.Text())
		}
	}
	if len(o.rows) < 2 || o.rows[0].Phase != "baseline" || o.rows[len(o.rows)-1].Phase != "rest" || o.verdict == nil {
		t.Fatalf("the soak's output lacks a baseline, a rest row or a verdict:\n%s", out)
	}
	return o
}

// logSoak prints the rows and the verdict as a person reads them.
func logSoak(t *testing.T, o soakOutput, warmup int) {
	t.Helper()
	var b strings.Builder
	k := &soaker{l: &load{out: &b}}
	for _, r := range o.rows {
		k.print(r)
	}
	writeVerdict(&b, *o.verdict, warmup)
	t.Logf("soak:\n%s", b.String())
}

// TestSoakQuick runs a few seconds of soak against the in-process server:
// takes begin, end, are saved (then deleted) and discarded in turn, every
// report reads the server's figures. (It runs under the race detector
// too.)
func TestSoakQuick(t *testing.T) {
	srv := startServer(t)
	args := []string{"-url", srv.url, "-capture", testCapture, "-json",
		"-soak", "5s", "-sessions", "3", "-take-min", "500ms", "-take-max", "1500ms", "-mix", "1:1", "-delete",
		"-report-every", "1s", "-warmup", "1", "-settle", "20s"}
	var out bytes.Buffer
	if err := run(t.Context(), args, &out); err != nil && !errors.Is(err, errSoakFailed) {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	o := parseSoakJSON(t, out.Bytes())
	logSoak(t, o, 1)
	rest := o.rows[len(o.rows)-1]
	if rest.Errors != 0 || len(o.errors) != 0 {
		t.Errorf("%d takes failed: %v", rest.Errors, o.errors)
	}
	if rest.Saves == 0 || rest.Discards == 0 || rest.Saves-rest.Discards > 1 || rest.Discards-rest.Saves > 1 {
		t.Errorf("%d saves and %d discards; want both, one for one", rest.Saves, rest.Discards)
	}
	if rest.Deletes != rest.Saves {
		t.Errorf("%d of %d saved recordings deleted", rest.Deletes, rest.Saves)
	}
	if n, err := srv.db.CountRecordings(t.Context()); err != nil || n != 0 {
		t.Errorf("%d recordings (%v) left after -delete", n, err)
	}
	if run := o.rows[1 : len(o.rows)-1]; len(run) < 4 {
		t.Errorf("%d reports in a 5 s soak reporting every second", len(run))
	}
	for _, r := range o.rows {
		if r.ScrapeError != "" || r.Goroutines == 0 || r.RSSBytes == 0 || r.FDs == 0 {
			t.Errorf("a report without the server's figures: %+v", r)
		}
	}
	if rest.Live != 0 || rest.Drafts != 0 {
		t.Errorf("after the soak: %d sessions live, %d drafts", rest.Live, rest.Drafts)
	}
}

// TestSoak is the CI version of the soak: the real server binary with
// -metrics on a temp data dir, 20 sessions of 3–8 s takes for 60 s
// ($RECORDER_SOAK to change it), a report every 5 s. Nothing may fail,
// every save must be a recording, goroutines and open files must come
// back to the baseline after the soak, and the live heap must not keep
// growing through the second half.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and loads it for a minute")
	}
	if raceDetector {
		t.Skip("the soak measures the server: run it without -race (TestSoakQuick covers the code under -race)")
	}
	length := time.Minute
	if v := os.Getenv(soakEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 20*time.Second {
			t.Fatalf("%s=%q: want a duration of at least 20s", soakEnv, v)
		}
		length = d
	}
	base := startBinary(t)

	args := []string{"-url", base, "-capture", testCapture, "-json",
		"-soak", length.String(), "-sessions", "20", "-take-min", "3s", "-take-max", "8s",
		"-report-every", "5s", "-settle", "60s"}
	var out bytes.Buffer
	if err := run(t.Context(), args, &out); err != nil && !errors.Is(err, errSoakFailed) {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	o := parseSoakJSON(t, out.Bytes())
	logSoak(t, o, 2)
	baseline, rest := o.rows[0], o.rows[len(o.rows)-1]
	run := o.rows[1 : len(o.rows)-1]

	if rest.Errors != 0 || len(o.errors) != 0 {
		t.Errorf("%d takes failed: %v", rest.Errors, o.errors)
	}
	for _, r := range o.rows {
		if r.ScrapeError != "" {
			t.Errorf("a scrape of /metrics failed at %.0f s: %s", r.ElapsedS, r.ScrapeError)
		}
	}
	if rest.Saves == 0 || rest.Discards == 0 {
		t.Errorf("%d saves, %d discards: want both", rest.Saves, rest.Discards)
	}
	if n := countSoakRecordings(t, base); int64(n) != rest.Saves {
		t.Errorf("%d recordings for %d saves", n, rest.Saves)
	}
	if rest.Live != 0 || rest.Drafts != 0 {
		t.Errorf("after the soak: %d sessions live, %d drafts", rest.Live, rest.Drafts)
	}
	if rest.Goroutines > baseline.Goroutines+restGoroutines {
		t.Errorf("goroutines: %d after the soak, %d before: a leak", rest.Goroutines, baseline.Goroutines)
	}
	if rest.FDs > baseline.FDs+restFDs {
		t.Errorf("open files: %d after the soak, %d before: a leak", rest.FDs, baseline.FDs)
	}
	// The live heap (as the last GC found it) through the second half:
	// generous, as a minute is short and GC cycles land anywhere; a take's
	// worth of memory kept per ended session grows far past it.
	if len(run) < 4 {
		t.Fatalf("only %d reports", len(run))
	}
	half := run[len(run)/2:]
	first, last := half[0], half[len(half)-1]
	if last.HeapLive > 1.5*first.HeapLive {
		t.Errorf("the live heap grew from %.1f MiB at %.0f s to %.1f MiB at %.0f s",
			first.HeapLive/(1<<20), first.ElapsedS, last.HeapLive/(1<<20), last.ElapsedS)
	}
}

// startBinary builds the recorder, runs it with -metrics on a temp data
// dir at a free loopback port and returns its URL once it answers. It is
// killed when the test ends.
func startBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "recorder")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/avatarweb/recorder").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "-addr", addr, "-data", t.TempDir(), "-metrics",
		"-max-sessions", "64", "-max-sessions-per-client", "64", "-offer-rate", "0", "-log-level", "warn")
	cmd.Stderr = t.Output()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	base := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get(base + "/get_params")
		if err == nil {
			res.Body.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not come up: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// countSoakRecordings pages through GET /recordings and counts them; each
// must be a soak take with some audio.
func countSoakRecordings(t *testing.T, base string) int {
	t.Helper()
	n := 0
	for {
		res, err := http.Get(fmt.Sprintf("%s/recordings?limit=50&offset=%d", base, n))
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Recordings []struct {
				Filename  string  `json:"filename"`
				Duration  float64 `json:"duration"`
				SessionID string  `json:"webrtc_session_id"`
			} `json:"recordings"`
		}
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET /recordings: %d %v", res.StatusCode, err)
		}
		if len(page.Recordings) == 0 {
			return n
		}
		for _, r := range page.Recordings {
			if !strings.HasPrefix(r.SessionID, "soak-") || r.Duration <= 0 {
				t.Errorf("recording %s: session %q, %.3f s", r.Filename, r.SessionID, r.Duration)
			}
		}
		n += len(page.Recordings)
	}
}

// TestJudge: the verdict passes a steady server and fails each way a
// server can leak or fail.
func TestJudge(t *testing.T) {
	const mib = 1 << 20
	steady := func() []soakRow {
		rows := []soakRow{{Phase: "baseline", Goroutines: 12, FDs: 14, RSSBytes: 20 * mib}}
		for i := range 10 {
			jitter := float64(i%3) * 0.02 // ±2 %
			rows = append(rows, soakRow{Phase: "run", ElapsedS: float64(60 * (i + 1)), Live: 50 - i%2,
				Saves: int64(100 * i), Discards: int64(50 * i),
				RSSBytes: 100 * mib * (1 + jitter), HeapLive: 40 * mib * (1 - jitter), HeapInuse: 60 * mib * (1 + 3*jitter),
				Goroutines: 12 + 35*(50-i%2) + i%4, FDs: 14 + 9*(50-i%2)})
		}
		rows[1].RSSBytes, rows[2].RSSBytes = 50*mib, 80*mib // warm-up, not judged
		return append(rows, soakRow{Phase: "rest", ElapsedS: 620, Saves: 1000, Discards: 500,
			RSSBytes: 100 * mib, Goroutines: 14, FDs: 15})
	}
	for _, tc := range []struct {
		name   string
		change func(rows []soakRow)
		failed string // the check that fails; "" for none
	}{
		{"Steady", func([]soakRow) {}, ""},
		{"FailedTakes", func(rows []soakRow) { rows[len(rows)-1].Errors = 3 }, "errors"},
		{"FailedScrape", func(rows []soakRow) { rows[5] = soakRow{Phase: "run", ScrapeError: "refused"} }, "errors"},
		{"RSSGrows", func(rows []soakRow) {
			for i := 3; i < 11; i++ {
				rows[i].RSSBytes = float64(100+3*i) * mib
			}
		}, "rss"},
		{"HeapKept", func(rows []soakRow) {
			for i := 3; i < 11; i++ {
				rows[i].HeapLive = float64(40+i) * mib
			}
		}, "heap live"},
		{"GoroutinesLeakWhileRunning", func(rows []soakRow) {
			for i := 3; i < 11; i++ {
				rows[i].Goroutines += 30 * i
			}
		}, "goroutines"},
		{"FilesLeakWhileRunning", func(rows []soakRow) {
			for i := 3; i < 11; i++ {
				rows[i].FDs += 10 * i
			}
		}, "open files"},
		{"GoroutinesLeftAtRest", func(rows []soakRow) { rows[len(rows)-1].Goroutines = 40 }, "goroutines at rest"},
		{"FilesLeftAtRest", func(rows []soakRow) { rows[len(rows)-1].FDs = rows[0].FDs + restFDs + 5 }, "open files at rest"},
		{"NoFiguresAtRest", func(rows []soakRow) { rows[len(rows)-1].ScrapeError = "timeout" }, "goroutines at rest"},
		{"TooShort", func(rows []soakRow) {}, "flat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := steady()
			tc.change(rows)
			if tc.name == "TooShort" {
				rows = append(rows[:4], rows[len(rows)-1])
			}
			v := judge(rows, 2)
			var b strings.Builder
			writeVerdict(&b, v, 2)
			var failed []string
			for _, c := range v.Checks {
				if c.Judged && !c.Pass {
					failed = append(failed, c.Name)
				}
			}
			switch {
			case tc.failed == "" && !v.Pass:
				t.Errorf("a steady soak failed %v:\n%s", failed, b.String())
			case tc.failed != "" && (v.Pass || !slices.Contains(failed, tc.failed)):
				t.Errorf("want %q failed, got %v (pass %v):\n%s", tc.failed, failed, v.Pass, b.String())
			default:
				t.Logf("\n%s", b.String())
			}
		})
	}
}
