package db

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/find"
)

// benchRows is how many recordings the search benchmark indexes; set
// RECORDER_BENCH_ROWS for another size.
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("RECORDER_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// benchEnd is when the newest benchmark recording was made: the searches
// run as if it were now.
var benchEnd = time.Date(2026, 12, 9, 18, 0, 0, 0, time.UTC)

// Words of the benchmark's titles, from the most used to the least:
// titles draw them with Zipf's law, as people's words are, so some words
// are in a fifth of the titles and most in a handful.
var benchVocabulary = func() []string {
	common := strings.Fields(`notes standup meeting idea call interview voice memo
		guitar lecture podcast draft song practice review plan weekly daily team
		client demo chorus verse riff lesson french spanish piano sketch thoughts
		journal dream walk car kitchen birthday mom dad anna ben chris diane
		eric fiona george hana project alpha beta launch budget q1 q2 q3 q4`)
	// Then made-up words, each rare: what makes titles particular.
	rng := rand.New(rand.NewPCG(7, 7))
	const letters = "abcdefghijklmnopqrstuvwxyz"
	for len(common) < 5000 {
		w := make([]byte, 4+rng.IntN(6))
		for i := range w {
			w[i] = letters[rng.IntN(len(letters))]
		}
		common = append(common, string(w))
	}
	return common
}()

// fillBench indexes n recordings made one every 15 minutes up to
// benchEnd (100 000 span almost three years): three in five titled with
// two to five words, lengths from a second to two hours (most under two
// minutes), each with its waveform, as saved.
func fillBench(tb testing.TB, db *DB, n int) {
	tb.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 1))
	zipf := rand.NewZipf(rand.New(rand.NewPCG(2, 2)), 1.1, 1, uint64(len(benchVocabulary)-1))
	peaks := make([]byte, media.PeakBuckets)
	const batch = 1000
	for start := 0; start < n; start += batch {
		tx, err := db.db.BeginTx(ctx, nil)
		if err != nil {
			tb.Fatal(err)
		}
		for i := start; i < min(start+batch, n); i++ {
			var title []string
			if rng.IntN(5) < 3 {
				for range 2 + rng.IntN(4) {
					title = append(title, benchVocabulary[zipf.Uint64()])
				}
			}
			for k := range peaks {
				peaks[k] = byte(rng.IntN(256))
			}
			secs := math.Min(7200, math.Exp(rng.NormFloat64()*1.5+3.5))
			r := &media.Recording{
				Filename:  fmt.Sprintf("recording_%07d.json", i),
				CreatedAt: benchEnd.Add(-time.Duration(n-1-i) * 15 * time.Minute),
				Duration:  math.Round(secs*1000) / 1000, SampleRate: 48000, Channels: 1, FPS: 30, BatchSize: 64,
				Mode: "webrtc", MIME: "audio/wav", Bytes: int64(secs * 96000),
				Title: strings.Join(title, " "), Peaks: peaks, Waveform: media.WaveformPath(peaks),
			}
			if err := db.insertRecording(ctx, tx, r); err != nil {
				tb.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
}

// benchSearches are what people type, from the rarest to the broadest:
// each is read in every order, a page of 21 and the count of results, as
// the page asks.
var benchSearches = []string{
	"fiona",               // a name: about 1 % of the titles
	"notes",               // the commonest word: about 7 %
	"s",                   // the first letter typed: a third of them
	"st",                  // the second
	"notes standup",       // two words
	benchVocabulary[3000], // a rare word: a handful
	"zzzz",                // nothing
	"yesterday",           // a day: 96 recordings
	"December",            // a month
	"2025",                // a year: a third of the library
	"notes December",      // a word in a month
	"Tuesday " + "st",     // a day being narrowed as one types
}

// BenchmarkSearch times what the page does for a search at 100 000
// recordings: one page of 21 in an order, and the count of results, on
// each database. p99-ms is the 99th percentile of those per-search times.
func BenchmarkSearch(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			db := be.MustOpen(b)
			t0 := time.Now()
			fillBench(b, db, benchRows())
			if be.name == "postgres" {
				vacuum(b, db)
			}
			b.Logf("%s: %d recordings indexed in %v", be.name, benchRows(), time.Since(t0).Round(time.Millisecond))
			if be.name == "postgres" {
				logPlan(b, db, `SELECT COUNT(*) FROM (SELECT 1 FROM recordings
					WHERE deleted_at IS NULL AND search_vector @@ to_tsquery('simple', 'notes:*') LIMIT 1001) AS found`)
			}
			for _, text := range benchSearches {
				q := find.Parse(text, benchEnd, time.UTC)
				for _, o := range find.Orders {
					b.Run(strings.ReplaceAll(text, " ", "_")+"/"+string(o), func(b *testing.B) {
						benchSearch(b, db, q, o)
					})
				}
			}
		})
	}
}

func benchSearch(b *testing.B, db *DB, q find.Query, o find.Order) {
	ctx := context.Background()
	var times []time.Duration
	var found int
	for b.Loop() {
		began := time.Now()
		page, err := db.Find(ctx, find.Page{Query: q, Order: o, Limit: 21})
		if err != nil {
			b.Fatal(err)
		}
		n, err := db.CountFound(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(began))
		if len(page) > n {
			b.Fatalf("a page of %d, %d found", len(page), n)
		}
		found = n
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(found), "found")
}

// logPlan logs how PostgreSQL runs query: the planner's pick depends on
// statistics and on how much of the table VACUUM marked all-visible.
func logPlan(b *testing.B, db *DB, query string) {
	rows, err := db.db.Query(`EXPLAIN (ANALYZE, COSTS OFF) ` + query)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			b.Fatal(err)
		}
		plan = append(plan, line)
	}
	var visible, pages int
	if err := db.db.QueryRow(`SELECT relallvisible, relpages FROM pg_class WHERE oid = 'recordings'::regclass`).Scan(&visible, &pages); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d of %d pages all-visible; %s", visible, pages, strings.Join(plan, "\n"))
}

// vacuum does what autovacuum does soon after a load: planner statistics,
// and the visibility map index-only scans need. A VACUUM that runs while
// autovacuum's own ANALYZE holds a snapshot from before the last inserts
// cannot mark their pages all-visible (seen: 1201 of 20 001 pages left,
// and the broad searches 10× slower); autovacuum marks them on its next
// round, so the benchmark vacuums again until they are, as a library
// some minutes after its last save is.
func vacuum(b *testing.B, db *DB) {
	for try := 0; ; try++ {
		if _, err := db.db.Exec(`VACUUM ANALYZE recordings`); err != nil {
			b.Fatal(err)
		}
		var visible, pages int
		if err := db.db.QueryRow(`SELECT relallvisible, relpages FROM pg_class WHERE oid = 'recordings'::regclass`).Scan(&visible, &pages); err != nil {
			b.Fatal(err)
		}
		if visible == pages || try == 10 {
			b.Logf("postgres: %d of %d pages all-visible after %d VACUUMs", visible, pages, try+1)
			return
		}
		time.Sleep(time.Second)
	}
}
