// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package netctx

import (
	"context"
	"time"
)

// interruptOnCancel makes a canceled ctx interrupt a blocked read or write
// by setting the connection's deadline (setDeadline) in the past. It
// returns finish, to call once the read or write has returned: after an
// interruption finish waits for the deadline to be cleared again, and it
// returns the error of setting a deadline, if any.
//
// Patch 2 (PATCHES.md): upstream started a goroutine per read and write to
// wait for the context, so a connection blocked in a read (a DTLS
// connection, for its life) kept a goroutine and its stack parked beside
// it. context.AfterFunc registers the callback with the context instead,
// and runs a goroutine only if the context is canceled.
func interruptOnCancel(ctx context.Context, setDeadline func(time.Time) error) (finish func() error) {
	done := make(chan struct{})
	interrupted := make(chan struct{})
	var errDeadline error
	stop := context.AfterFunc(ctx, func() {
		defer close(interrupted)
		if err := setDeadline(veryOld); err != nil {
			errDeadline = err

			return
		}
		<-done
		errDeadline = setDeadline(time.Time{})
	})

	return func() error {
		close(done)
		if !stop() { // the callback has started: let it clear the deadline
			<-interrupted
		}

		return errDeadline
	}
}
