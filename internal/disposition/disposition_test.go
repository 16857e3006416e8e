package disposition

import (
	"mime"
	"testing"
)

func TestAttachment(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"Standup notes 2026-12-07.webm", `attachment; filename="Standup notes 2026-12-07.webm"; filename*=UTF-8''Standup%20notes%202026-12-07.webm`},
		{"Café crème 2026-12-07.webm", `attachment; filename="Cafe creme 2026-12-07.webm"; filename*=UTF-8''Caf%C3%A9%20cr%C3%A8me%202026-12-07.webm`},
		{"会議 2026-12-07.wav", `attachment; filename="__ 2026-12-07.wav"; filename*=UTF-8''%E4%BC%9A%E8%AD%B0%202026-12-07.wav`},
		{`say "hi"\.wav`, `attachment; filename="say _hi__.wav"; filename*=UTF-8''say%20%22hi%22%5C.wav`},
		{"50% done;x=1.wav", `attachment; filename="50_ done;x=1.wav"; filename*=UTF-8''50%25%20done%3Bx%3D1.wav`},
	} {
		if got := Attachment(tc.name); got != tc.want {
			t.Errorf("Attachment(%q) =\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

// Go's own MIME parser, like browsers, prefers filename* and reads back
// the name exactly.
func TestRoundTrip(t *testing.T) {
	for _, name := range []string{
		"Standup notes 2026-12-07.webm", "Café crème.webm", "会議.wav", `say "hi"\.wav`,
		"50% done;x=1.wav", "emoji 🎙️.m4a", "tab\tname.wav",
	} {
		for _, v := range []string{Attachment(name), Inline(name)} {
			_, params, err := mime.ParseMediaType(v)
			if err != nil {
				t.Fatalf("%s: %v", v, err)
			}
			if params["filename"] != name {
				t.Errorf("%s: read back %q, want %q", v, params["filename"], name)
			}
		}
	}
}
