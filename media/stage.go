package media

import "context"

// runStage drives one pipeline stage in its own goroutine's loop: it calls
// step for each input value, flush once the input closes, and closes out when
// it returns. emit blocks until the next stage takes the value or ctx ends, so
// a slow stage applies back-pressure instead of growing a queue.
func runStage[In, Out any](
	ctx context.Context,
	in <-chan In,
	out chan<- Out,
	step func(In, func(Out) error) error,
	flush func(func(Out) error) error,
) error {
	defer close(out)
	emit := emitter(ctx, out)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case v, ok := <-in:
			if !ok {
				if flush == nil {
					return nil
				}
				return flush(emit)
			}
			if err := step(v, emit); err != nil {
				return err
			}
		}
	}
}

// emitter returns a send on out that gives up when ctx ends.
func emitter[T any](ctx context.Context, out chan<- T) func(T) error {
	return func(v T) error {
		select {
		case out <- v:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
