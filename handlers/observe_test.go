package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/avatarweb/recorder/handlers"
	"github.com/avatarweb/recorder/handlers/guard"
)

// observed is an Observer that keeps what it is told.
type observed struct {
	mu       sync.Mutex
	requests map[string]int // "METHOD route status" → count
	kept     []string       // the method and route strings as given, kept as a Prometheus vector keeps its labels
	saves    map[string]int // "mode outcome" → count
	took     []time.Duration
}

func (o *observed) Request(method, route string, status int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests[fmt.Sprintf("%s %s %d", method, route, status)]++
	o.kept = append(o.kept, method, route)
}

func (o *observed) Save(mode, outcome string, took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.saves[mode+" "+outcome]++
	o.took = append(o.took, took)
}

// TestObserver: every request is reported with the route pattern it
// matched (never the path asked for, so the routes stay few), also when a
// guard refused it before the route ran or a handler failed, with the
// status the client got; a path no route matches is "unmatched"; and
// every save attempt is reported with its mode and outcome.
func TestObserver(t *testing.T) {
	const token = "observer-test-token"
	ta, f := newFakeApp(t)
	obs := &observed{requests: map[string]int{}, saves: map[string]int{}}
	log := testLogger(t)
	ta.app = handlers.NewApp(ta.handler, handlers.AppConfig{
		Guard: guard.New(guard.Config{Token: token, Log: log}), Log: log, MaxBody: 4 << 20, Observer: obs,
	})
	auth := []string{"Authorization", "Bearer " + token}
	f.addTake(t, "s1", toneParams, tone(toneParams.SampleRate, toneParams.Channels, 0.2))

	var wg sync.WaitGroup
	for i := range 8 { // at once: the middleware is shared by every request
		wg.Go(func() {
			ta.do(t, http.MethodGet, fmt.Sprintf("/recordings/recording_19990101_00000%d.json", i), "", auth...).wantStatus(t, http.StatusNotFound)
		})
	}
	wg.Wait()
	ta.do(t, http.MethodGet, "/healthz", "").wantStatus(t, http.StatusOK)
	ta.do(t, http.MethodGet, "/", "", auth...).wantStatus(t, http.StatusOK)
	ta.do(t, http.MethodGet, "/recordings/secret.wav", "", "Accept", "application/json").wantStatus(t, http.StatusUnauthorized)
	ta.do(t, http.MethodGet, "/no/such/page", "", auth...).wantStatus(t, http.StatusNotFound)
	ta.do(t, http.MethodPost, "/save_recording", `{"session_id":"s1","recording_type":"webrtc"}`, auth...).wantStatus(t, http.StatusOK)
	ta.do(t, http.MethodPost, "/save_recording", `{"session_id":"gone","recording_type":"webrtc"}`, auth...).wantStatus(t, http.StatusNotFound)
	ta.do(t, http.MethodPost, "/save_recording", `{"upload_id":"nope","recording_type":"mediarecorder"}`, auth...).wantStatus(t, http.StatusNotFound)
	ta.do(t, http.MethodPost, "/save_recording", `{"recording_type":"tape"}`, auth...).wantStatus(t, http.StatusBadRequest)

	// Each request as counted at once, to compare with the strings kept.
	var seen []string
	obs.mu.Lock()
	for key, n := range obs.requests {
		method, route, _ := strings.Cut(key, " ")
		route = route[:strings.LastIndexByte(route, ' ')]
		for range n {
			seen = append(seen, method, route)
		}
	}
	kept := slices.Clone(obs.kept)
	obs.mu.Unlock()
	slices.Sort(seen)
	slices.Sort(kept)
	if !slices.Equal(seen, kept) {
		t.Errorf("the label strings given changed after the request (a buffer reused?):\n%q\nwere\n%q", kept, seen)
	}

	want := map[string]int{
		"GET /recordings/:filename 404": 8,
		"GET /healthz 200":              1,
		"GET / 200":                     1,
		"GET /recordings/:filename 401": 1, // refused by the token guard, before the route
		"GET unmatched 404":             1,
		"POST /save_recording 200":      1,
		"POST /save_recording 404":      2,
		"POST /save_recording 400":      1,
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	for key, n := range want {
		if obs.requests[key] != n {
			t.Errorf("%q counted %d times, want %d", key, obs.requests[key], n)
		}
	}
	for key := range obs.requests {
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected request %q", key)
		}
		if strings.Contains(key, "1999") || strings.Contains(key, "secret") || strings.Contains(key, "such") {
			t.Errorf("a path, not a route: %q", key)
		}
	}
	wantSaves := map[string]int{"webrtc saved": 1, "webrtc not_found": 1, "upload not_found": 1}
	for key, n := range wantSaves {
		if obs.saves[key] != n {
			t.Errorf("save %q counted %d times, want %d (all: %v)", key, obs.saves[key], n, obs.saves)
		}
	}
	if len(obs.saves) != len(wantSaves) || len(obs.took) != 3 || obs.took[0] <= 0 {
		t.Errorf("saves %v, durations %v; want the three attempts that reached the library, timed", obs.saves, obs.took)
	}
}
