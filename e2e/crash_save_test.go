package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
)

// TestKillNineDuringSaves kills the real server while eight live takes are
// being saved, at several moments, and checks that after each restart
// every take is a recording exactly once: saved, or recovered from its
// spool, never both. Before take ids, a take whose recording was written
// but whose spool was not yet removed came back twice. Each save gives a
// title: a recording has it, or, if the kill came before the save reached
// the server, "Recovered …" (a save the kill cut short once lost it).
func TestKillNineDuringSaves(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the server binary")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	addr := freeAddr(t)
	base := "http://" + addr
	capture, api := toneSender(t)
	const takes = 8
	var all []string
	for round, killAfter := range []time.Duration{0, 3 * time.Millisecond, 10 * time.Millisecond, 30 * time.Millisecond} {
		srv := startBinary(t, bin, addr, data)
		ctx, cancel := context.WithCancel(context.Background())
		var streams sync.WaitGroup
		for i := range takes {
			id := fmt.Sprintf("session_r%d_%d", round, i)
			all = append(all, id)
			peer := connectPeer(t, ctx, api, base, id)
			defer peer.Close()
			streams.Add(1)
			go func() {
				defer streams.Done()
				var st rtcsend.SendStats
				_ = peer.Stream(ctx, capture, &st)
			}()
		}
		time.Sleep(1200 * time.Millisecond)
		for i := range takes {
			id := fmt.Sprintf("session_r%d_%d", round, i)
			go func() { // answered or cut by the kill: either is fine
				body := []byte(`{"session_id":"` + id + `","recording_type":"webrtc","title":"kill ` + id + `"}`)
				if res, err := http.Post(base+"/save_recording", "application/json", bytes.NewReader(body)); err == nil {
					res.Body.Close()
				}
			}()
		}
		time.Sleep(killAfter)
		if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = srv.Wait()
		cancel()
		streams.Wait()
	}

	startBinary(t, bin, addr, data)
	var list struct {
		Recordings []struct {
			SessionID string `json:"webrtc_session_id"`
		} `json:"recordings"`
	}
	getJSON(t, base+"/recordings?limit=500", &list)
	count := map[string]int{}
	for _, r := range list.Recordings {
		count[r.SessionID]++
	}
	for _, id := range all {
		if count[id] != 1 {
			t.Errorf("%s: %d recordings after the kills, want exactly 1", id, count[id])
		}
	}
	if len(list.Recordings) != len(all) {
		t.Errorf("%d recordings for %d takes", len(list.Recordings), len(all))
	}
	if spools, _ := filepath.Glob(filepath.Join(data, "spool", "*")); len(spools) != 0 {
		t.Errorf("spools left after recovery: %v", spools)
	}
	index, err := sql.Open("sqlite", filepath.Join(data, "recorder.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer index.Close()
	rows, err := index.Query(`SELECT session_id, title FROM recordings`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	titled := 0
	for rows.Next() {
		var id, title string
		if err := rows.Scan(&id, &title); err != nil {
			t.Fatal(err)
		}
		switch {
		case title == "kill "+id:
			titled++
		case !strings.HasPrefix(title, "Recovered "):
			t.Errorf("%s is titled %q, want %q or \"Recovered …\"", id, title, "kill "+id)
		}
	}
	t.Logf("%d of %d recordings kept the title their save gave", titled, len(all))
}
