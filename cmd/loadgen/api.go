package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/pion/webrtc/v4"
)

// requestTimeout bounds one API call; an offer waits for the server's ICE
// gathering, which it bounds at 10 s itself.
const requestTimeout = 15 * time.Second

// serverClient calls the recorder's HTTP API.
type serverClient struct {
	base  string
	token string // the server's access token, if it has one
	http  *http.Client
}

// newServerClient returns a client of the API at base whose connections
// can only go to loopback addresses.
func newServerClient(base string) *serverClient {
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: dialLoopback}
	return &serverClient{
		base: base,
		http: &http.Client{
			Timeout: requestTimeout,
			Transport: &http.Transport{
				Proxy:               nil, // never through a proxy, wherever the environment points
				DialContext:         dialer.DialContext,
				MaxIdleConnsPerHost: maxSessions,
				IdleConnTimeout:     30 * time.Second,
			},
		},
	}
}

// offer posts the client's offer and returns the server's answer.
func (c *serverClient) offer(ctx context.Context, id string, offer webrtc.SessionDescription) (webrtc.SessionDescription, error) {
	req := struct {
		Offer     webrtc.SessionDescription `json:"offer"`
		SessionID string                    `json:"session_id"`
	}{offer, id}
	var resp struct {
		Answer    webrtc.SessionDescription `json:"answer"`
		SessionID string                    `json:"session_id"`
	}
	if err := c.do(ctx, http.MethodPost, "/webrtc/offer", req, &resp); err != nil {
		return webrtc.SessionDescription{}, err
	}
	if resp.SessionID != id || resp.Answer.Type != webrtc.SDPTypeAnswer {
		return webrtc.SessionDescription{}, fmt.Errorf("offer %s: the server answered session %q with a %q", id, resp.SessionID, resp.Answer.Type)
	}
	return resp.Answer, nil
}

// info reads a session's state and counters.
func (c *serverClient) info(ctx context.Context, id string) (media.SessionInfo, error) {
	var in media.SessionInfo
	err := c.do(ctx, http.MethodGet, "/webrtc/sessions/"+url.PathEscape(id), nil, &in)
	return in, err
}

// stop ends a session; its take stays a draft.
func (c *serverClient) stop(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodPost, "/webrtc/stop", map[string]string{"session_id": id}, nil)
}

// save turns a session's draft into a recording and returns its file name.
func (c *serverClient) save(ctx context.Context, id string, seconds float64) (string, error) {
	req := struct {
		SessionID     string  `json:"session_id"`
		RecordingType string  `json:"recording_type"`
		Duration      float64 `json:"duration"`
	}{id, "webrtc", seconds}
	var resp struct {
		Filename string `json:"filename"`
	}
	err := c.do(ctx, http.MethodPost, "/save_recording", req, &resp)
	return resp.Filename, err
}

// deleteRecording deletes a saved recording, file and row.
func (c *serverClient) deleteRecording(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/recordings/"+url.PathEscape(name), nil, nil)
}

// discard deletes a session's draft.
func (c *serverClient) discard(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodPost, "/webrtc/discard", map[string]string{"session_id": id}, nil)
}

// do sends body (if not nil) as JSON and decodes a 200 answer into out
// (if not nil). Any other status is an error with the server's message.
func (c *serverClient) do(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &e) != nil || e.Message == "" {
			e.Message = string(bytes.TrimSpace(data))
		}
		return &statusError{what: method + " " + path, status: resp.StatusCode, text: resp.Status, message: e.Message}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// statusError is an answer other than 200.
type statusError struct {
	what    string // method and path
	status  int
	text    string // such as "503 Service Unavailable"
	message string // the server's
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.what, e.text, e.message)
}

// isRefused says whether err is the server turning an offer away at
// capacity (503), as admission control does.
func isRefused(err error) bool {
	var se *statusError
	return errors.As(err, &se) && se.status == http.StatusServiceUnavailable
}
