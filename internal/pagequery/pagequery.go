// Package pagequery asks a page the questions every browser test asks —
// is an element there yet, what does it say, what is its attribute —
// through any driver that evaluates JavaScript in it (internal/firefox,
// internal/webkit).
package pagequery

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Evaluator runs a JavaScript expression in a page (a promise is awaited)
// and decodes its JSON value into out.
type Evaluator interface {
	Eval(ctx context.Context, expr string, out any) error
}

// WaitFor waits until sel selects an element, asking every 50 ms.
func WaitFor(ctx context.Context, e Evaluator, sel string) error {
	for {
		var ok bool
		if err := e.Eval(ctx, fmt.Sprintf("document.querySelector(%s) !== null", strconv.Quote(sel)), &ok); err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", sel, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Text is the text content of the element sel selects ("" if none).
func Text(ctx context.Context, e Evaluator, sel string) (string, error) {
	var s string
	err := e.Eval(ctx, fmt.Sprintf("document.querySelector(%s)?.textContent ?? ''", strconv.Quote(sel)), &s)
	return s, err
}

// Attr is an attribute of the element sel selects, and whether it is set.
func Attr(ctx context.Context, e Evaluator, sel, name string) (string, bool, error) {
	var v *string
	err := e.Eval(ctx, fmt.Sprintf("document.querySelector(%s)?.getAttribute(%s) ?? null", strconv.Quote(sel), strconv.Quote(name)), &v)
	if err != nil || v == nil {
		return "", false, err
	}
	return *v, true, nil
}

// KeyActions is WebDriver's key input source pressing keys in turn (its
// key codes: "\ue004" is Tab, "\ue017" Delete), for Perform Actions in
// either protocol.
func KeyActions(keys string) map[string]any {
	var acts []any
	for _, k := range keys {
		acts = append(acts, map[string]any{"type": "keyDown", "value": string(k)}, map[string]any{"type": "keyUp", "value": string(k)})
	}
	return map[string]any{"type": "key", "id": "keyboard", "actions": acts}
}
