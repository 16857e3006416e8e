// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package netctx

import (
	"bytes"
	"context"
	"errors"
	"net"
	"runtime"
	"testing"
	"time"
)

// These test patch 2 (PATCHES.md): a read blocked on a context parks no
// goroutine beside it, and canceling the context still interrupts it.

func TestBlockedReadParksNoGoroutine(t *testing.T) {
	a, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pc := NewPacketConn(a)
	defer pc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	before := runtime.NumGoroutine()
	read := make(chan error, 1)
	go func() {
		_, _, err := pc.ReadFromContext(ctx, make([]byte, 100))
		read <- err
	}()
	// Wait until the reader is blocked in the socket read, then count.
	deadline := time.Now().Add(5 * time.Second)
	var during int
	for time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		if during = runtime.NumGoroutine(); during >= before+1 && blockedInRead() {
			break
		}
	}
	if during != before+1 {
		t.Errorf("a read blocked on a cancelable context runs %d goroutines beside the reader, want 0", during-before-1)
	}

	cancel()
	select {
	case err := <-read:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the canceled read returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("canceling the context did not interrupt the read")
	}

	// The deadline set to interrupt it is cleared: the next read waits for
	// a packet and gets it.
	b, err := net.Dial("udp4", a.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	n, _, err := pc.ReadFromContext(context.Background(), buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("the read after a canceled one: %q, %v", buf[:n], err)
	}
}

// blockedInRead says whether a goroutine is parked in ReadFromContext.
func blockedInRead() bool {
	buf := make([]byte, 1<<16)
	n := runtime.Stack(buf, true)

	return bytes.Contains(buf[:n], []byte("ReadFromContext"))
}
