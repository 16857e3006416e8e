// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package taskloop

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// TestDerivedContextParksNoGoroutine tests patch 2 (PATCHES.md): a
// context derived from a loop learns of the loop's close without a
// goroutine waiting for it.
func TestDerivedContextParksNoGoroutine(t *testing.T) {
	loop := New(func() {})
	time.Sleep(10 * time.Millisecond) // the loop's own goroutine is up
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(loop)
	defer cancel()
	if n := runtime.NumGoroutine() - before; n != 0 {
		t.Errorf("deriving a context from the loop started %d goroutines, want 0", n)
	}

	loop.Close()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("closing the loop did not cancel the context derived from it")
	}
	if !errors.Is(ctx.Err(), ErrClosed) {
		t.Errorf("the derived context's error is %v, want the loop's (%v)", ctx.Err(), ErrClosed)
	}
}

// TestAfterFuncStops: a stopped AfterFunc is not called on close.
func TestAfterFuncStops(t *testing.T) {
	loop := New(func() {})
	called := make(chan struct{})
	stop := loop.AfterFunc(func() { close(called) })
	if !stop() {
		t.Fatal("stop before the close did not stop the call")
	}
	loop.Close()
	select {
	case <-called:
		t.Fatal("a stopped AfterFunc was called")
	case <-time.After(50 * time.Millisecond):
	}
}
