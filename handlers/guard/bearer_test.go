package guard_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/avatarweb/recorder/handlers/guard"
)

// TestBearerGuessesLimited: wrong "Authorization: Bearer" tokens count
// against the same per-client limit as the sign-in form, so the API is no
// way round it; the right token keeps working for everyone, the limited
// address included (issue 16: from one address, the right token got 429
// once others there had guessed wrong), and for a client using it a
// thousand times.
func TestBearerGuessesLimited(t *testing.T) {
	clk := newClock()
	app := authApp(guard.New(guard.Config{Token: token, Now: clk.Now}))
	get := func(ip, tok string) (int, string) {
		t.Helper()
		resp, body := do(t, app, request("GET", "/get_params", "", "Authorization", "Bearer "+tok, "X-Real-IP", ip))
		if resp.StatusCode == 429 {
			wantError(t, resp, body, 429, "too many wrong tokens; try again in a minute")
		}
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	const attacker, owner = "203.0.113.66", "203.0.113.10"

	for i := range 10 {
		if status, _ := get(attacker, "guess-"+strconv.Itoa(i)); status != 401 {
			t.Fatalf("guess %d: status %d, want 401", i+1, status)
		}
	}
	clk.Add(15 * time.Second)
	status, retry := get(attacker, "guess-10")
	if status != 429 {
		t.Fatalf("guess 11 within a minute: status %d, want 429", status)
	}
	if s, err := strconv.Atoi(retry); err != nil || s != 45 {
		t.Errorf("Retry-After = %q, want 45 (the window's rest)", retry)
	}
	// The right token from the same address passes: someone else there
	// may be the one guessing. (What keeps guessing hopeless is the
	// token's length, MinTokenLength, not this limit.)
	if status, _ := get(attacker, token); status != 200 {
		t.Errorf("the right token from the limited address: %d, want 200", status)
	}
	// The sign-in form shares the count.
	if resp, _ := login(t, app, "guess", "/", "X-Real-IP", attacker); resp.StatusCode != 429 {
		t.Errorf("a wrong sign-in from the limited address: %d, want 429", resp.StatusCode)
	}
	// GET /login is no oracle: a Bearer token there does not sign in.
	resp, _ := do(t, app, request("GET", "/login?next=/recordings", "", "Authorization", "Bearer "+token, "X-Real-IP", "203.0.113.77"))
	if resp.StatusCode != 200 {
		t.Errorf("GET /login with the Bearer token: %d, want the form (200)", resp.StatusCode)
	}

	// Another client with the right token is not affected, however often
	// it calls.
	for i := range 1000 {
		if status, _ := get(owner, token); status != 200 {
			t.Fatalf("the owner's call %d: status %d, want 200", i+1, status)
		}
	}
	// A client's right calls do not clear its wrong guesses either.
	for i := range 10 {
		if status, _ := get(owner, "typo"); status != 401 {
			t.Fatalf("the owner's typo %d: %d, want 401", i+1, status)
		}
		get(owner, token)
	}
	if status, _ := get(owner, "typo"); status != 429 {
		t.Errorf("the owner's 11th typo: %d, want 429", status)
	}

	clk.Add(46 * time.Second)
	if status, _ := get(attacker, "guess-11"); status != 401 {
		t.Errorf("a minute later, a wrong token: %d, want 401 again", status)
	}
}
