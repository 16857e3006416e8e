package views

import (
	"github.com/avatarweb/recorder/assets"

	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedCodeIsCurrent regenerates every component into a temp copy
// and compares it with the committed *_templ.go: a .templ edit without
// `go tool templ generate` fails here, not in production.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the templ generator")
	}
	sources, err := filepath.Glob("*.templ")
	if err != nil || len(sources) == 0 {
		t.Fatalf("no .templ files: %v", err)
	}
	root := t.TempDir()
	dir := filepath.Join(root, "views") // generated code names files relative to the -path
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, src := range sources {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, src), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "tool", "templ", "generate", "-path", root)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("templ generate: %v\n%s", err, out)
	}
	for _, src := range sources {
		gen := strings.TrimSuffix(src, ".templ") + "_templ.go"
		want, err := os.ReadFile(filepath.Join(dir, gen))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(gen)
		if err != nil {
			t.Fatalf("%s is not committed: %v", gen, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `go tool templ generate`", gen)
		}
	}
}

func TestRecordingsList(t *testing.T) {
	render := func(rows []RecordingRow) string {
		var b strings.Builder
		if err := RecordingsList(RecordingsView{Rows: rows, Total: len(rows)}).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if html := render(nil); !strings.Contains(html, "No recordings yet") || !strings.Contains(html, `hx-get="/ui/recordings"`) {
		t.Errorf("empty list: %s", html)
	}
	html := render([]RecordingRow{{
		Filename: "recording_20261126_130000.json", URL: "/recordings/recording_20261126_130000.json",
		AudioURL: "/recordings/recording_20261126_130000.json/audio", Duration: "3.0 s", Mode: "webrtc",
	}, {Filename: `<script>alert(1)</script>`, Name: `<script>alert(1)</script>`}})
	for _, want := range []string{
		`data-filename="recording_20261126_130000.json"`,
		`src="/recordings/recording_20261126_130000.json/audio"`,
		`hx-trigger="recordings-changed from:body"`,
		`&lt;script&gt;`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("list lacks %s:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<script>alert") {
		t.Error("a filename was rendered unescaped")
	}
	if n := strings.Count(html, `data-testid="recording"`); n != 2 {
		t.Errorf("%d rows rendered, want 2", n)
	}
}

func TestIndexEmbedsFragmentAndAssets(t *testing.T) {
	var b strings.Builder
	page := IndexPage{Form: ParamsFormView{
		Values:      ParamsView{FPS: 25, BatchSize: 32, SampleRate: 16000, Channels: 2},
		SampleRates: []int{16000, 44100},
	}}
	if err := Index(page).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{
		`src="` + assets.Path(HTMXFile) + `"`, `type="module" src="` + assets.Path("js/app.js") + `"`, `id="recordings"`,
		`data-testid="btn-start"`, `data-testid="btn-stop"`, `data-testid="btn-save"`, `data-testid="btn-discard"`,
		`name="fps" type="range" min="1" max="60" step="1" value="25"`, `value="32"`,
		`<option value="16000" selected>16 kHz</option>`, `<option value="44100">44.1 kHz</option>`,
		`<option value="2" selected>Stereo</option>`, `<canvas id="spectrum"`, `hx-post="/params"`, `action="/params"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}
