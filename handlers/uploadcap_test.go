package handlers_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// clientFrom is an HTTP client whose connections come from the loopback
// address ip (any of 127.0.0.0/8), so a test can speak as many clients.
func clientFrom(t *testing.T, ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections) // before serve's shutdown
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// beginFrom posts {upload_id: id} from hc and returns the status and the
// message of an error.
func beginFrom(hc *http.Client, addr, id string) (int, string, error) {
	res, err := hc.Post("http://"+addr+"/uploads", "application/json",
		strings.NewReader(fmt.Sprintf(`{"upload_id":%q,"mime":"audio/webm;codecs=opus"}`, id)))
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, "", err
	}
	var body struct{ Message string }
	_ = json.Unmarshal(b, &body)
	return res.StatusCode, body.Message, nil
}

// TestUploadsCapped: uploads were unbounded in number. 8 clients each
// beginning 10 uploads at once, against caps of 4 per client and 16 in
// all, get exactly 16 uploads open, no client more than 4; the others are
// told why (429 for the client's own cap, 503 for the server's). Saving or
// discarding one frees its place, and resuming an open one is not a new
// upload.
func TestUploadsCapped(t *testing.T) {
	const clients, each, perClient, total = 8, 10, 4, 16
	ta, _ := newFakeApp(t)
	ta.uploads.MaxOpen, ta.uploads.MaxPerClient = total, perClient
	addr := ta.serve(t)

	type result struct {
		client, id string
		status     int
		msg        string
	}
	results := make(chan result, clients*each)
	var wg sync.WaitGroup
	hcs := map[string]*http.Client{}
	for c := range clients {
		ip := fmt.Sprintf("127.0.0.%d", c+2)
		hc := clientFrom(t, ip)
		hcs[ip] = hc
		for i := range each {
			wg.Go(func() {
				id := fmt.Sprintf("c%d-u%d", c, i)
				status, msg, err := beginFrom(hc, addr, id)
				if err != nil {
					t.Error(err)
				}
				results <- result{ip, id, status, msg}
			})
		}
	}
	wg.Wait()
	close(results)

	open := map[string][]string{} // client → its open uploads
	n := 0
	for r := range results {
		switch r.status {
		case http.StatusOK:
			open[r.client] = append(open[r.client], r.id)
			n++
		case http.StatusTooManyRequests:
			if !strings.Contains(r.msg, "uploads in progress from your address") {
				t.Errorf("%s: 429 %q", r.id, r.msg)
			}
		case http.StatusServiceUnavailable:
			if !strings.Contains(r.msg, "too many uploads in progress") {
				t.Errorf("%s: 503 %q", r.id, r.msg)
			}
		default:
			t.Errorf("%s: status %d %q", r.id, r.status, r.msg)
		}
	}
	if n != total {
		t.Errorf("%d uploads begun, want %d", n, total)
	}
	for ip, ids := range open {
		if len(ids) > perClient {
			t.Errorf("%s has %d uploads open, want at most %d", ip, len(ids), perClient)
		}
	}
	entries, err := os.ReadDir(ta.uploadDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != n {
		t.Errorf("%d entries in the upload dir, want %d", len(entries), n)
	}

	// A client with uploads open, and a new one.
	var some string
	for ip := range open {
		some = ip
	}
	none := "127.0.0.50"
	hcs[none] = clientFrom(t, none)
	id := open[some][0]
	if status, msg, err := beginFrom(hcs[some], addr, id); err != nil || status != http.StatusOK {
		t.Errorf("resuming %s at the cap: %d %q %v, want 200", id, status, msg, err)
	}
	if status, msg, _ := beginFrom(hcs[none], addr, "late"); status != http.StatusServiceUnavailable {
		t.Errorf("a new upload with the server full: %d %q, want 503", status, msg)
	}
	res, err := hcs[some].Post("http://"+addr+"/uploads/"+id+"/discard", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("discard %s: %d", id, res.StatusCode)
	}
	if status, msg, _ := beginFrom(hcs[none], addr, "late"); status != http.StatusOK {
		t.Errorf("after one was discarded: %d %q, want 200", status, msg)
	}
}
