package media

import (
	"context"
	"fmt"
	"time"
)

// Frame is one video-rate slice of audio: frame Index covers the samples a
// model needs for video frame Index.
type Frame struct {
	Index      int64     // 0-based since the session start, counting across fps changes
	Start      int64     // index (per channel) of the frame's first sample in the output stream
	Samples    []float32 // interleaved, Len()*Channels values; owned by the frame
	SampleRate int
	Channels   int
	FPS        int
	Features   Features
	Arrival    time.Time // Arrival of the PCM block that completed the frame
}

// Len returns the number of samples per channel.
func (f Frame) Len() int {
	if f.Channels == 0 {
		return 0
	}
	return len(f.Samples) / f.Channels
}

// Framer cuts a PCM stream into video-rate frames and computes each frame's
// Features with its own FeatureTracker.
//
// Frame k, counted from the last fps change at stream sample S, spans
// samples [S + floor(k*rate/fps), S + floor((k+1)*rate/fps)). When rate/fps
// is not an integer the lengths differ by one sample (16000/30 gives
// 533, 533, 534, …), so no sample is ever lost or duplicated and frame k
// starts exactly at k/fps seconds after S. Positions are integers, and S
// moves on by rate every fps frames so they stay small: there is no drift
// however long the session.
//
// A Framer is not safe for concurrent use; SetFPS belongs to the goroutine
// that pushes (RunWithChanges takes changes over a channel).
type Framer struct {
	rate, channels int
	fps            int
	pendingFPS     int // 0, or the fps that starts at the next frame boundary

	seg   int64 // S: stream sample at which frame k = 0 of the current fps began
	k     int64 // frame in progress, counted from seg; kept below fps
	index int64 // Index of the frame in progress

	buf      []float32 // the frame in progress; nil until its first sample
	arrival  time.Time // of the last block pushed
	features *FeatureTracker
}

// NewFramer returns a framer for PCM at sampleRate Hz with channels
// channels (1 or 2), cutting fps frames per second (MinFPS..MaxFPS). Bad
// values give an error wrapping ErrInvalid.
func NewFramer(sampleRate, channels, fps int) (*Framer, error) {
	if sampleRate <= 0 {
		return nil, fmt.Errorf("media: framer at %d Hz: rate must be positive: %w", sampleRate, ErrInvalid)
	}
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("media: framer with %d channels: must be 1 or 2: %w", channels, ErrInvalid)
	}
	if err := checkFPS(fps); err != nil {
		return nil, err
	}
	return &Framer{rate: sampleRate, channels: channels, fps: fps, features: NewFeatureTracker(sampleRate)}, nil
}

func checkFPS(fps int) error {
	if fps < MinFPS || fps > MaxFPS {
		return fmt.Errorf("media: framer at %d fps: must be between %d and %d: %w", fps, MinFPS, MaxFPS, ErrInvalid)
	}
	return nil
}

// FPS returns the frame rate of the frame in progress (a change made with
// SetFPS shows once that frame is complete).
func (f *Framer) FPS() int { return f.fps }

// SetFPS changes the frame rate from the next frame boundary on: the frame
// in progress keeps its old length and the new rate's frame 0 starts where it
// ends (at once when no frame is in progress). The later of two changes
// before a boundary wins; setting the current rate cancels a pending change.
// A rate outside MinFPS..MaxFPS gives an error wrapping ErrInvalid.
func (f *Framer) SetFPS(fps int) error {
	if err := checkFPS(fps); err != nil {
		return err
	}
	f.pendingFPS = fps
	if fps == f.fps {
		f.pendingFPS = 0
	} else if len(f.buf) == 0 {
		f.restart()
	}
	return nil
}

// Push adds a block of PCM and emits every frame it completes, in order,
// each with freshly allocated Samples. The block must have the framer's rate
// and channel count and whole sample frames; otherwise Push returns an error
// wrapping ErrInvalid and takes nothing. An error from emit is returned as
// is.
func (f *Framer) Push(p PCM, emit func(Frame) error) error {
	if p.SampleRate != f.rate || p.Channels != f.channels || len(p.Samples)%f.channels != 0 {
		return fmt.Errorf("media: framer: got a %d Hz %d-channel block of %d samples, want %d Hz %d-channel: %w",
			p.SampleRate, p.Channels, len(p.Samples), f.rate, f.channels, ErrInvalid)
	}
	f.arrival = p.Arrival
	in := p.Samples
	for len(in) > 0 {
		if f.buf == nil {
			f.buf = make([]float32, 0, f.frameLen()*f.channels)
		}
		n := min(cap(f.buf)-len(f.buf), len(in))
		f.buf = append(f.buf, in[:n]...)
		in = in[n:]
		if len(f.buf) == cap(f.buf) {
			if err := emit(f.complete()); err != nil {
				return err
			}
		}
	}
	return nil
}

// Flush emits the frame in progress, if it holds any samples, as a short
// frame: it has fewer samples than its slot, so it ends before the time a
// full frame would. It is meant for the end of the stream; if more PCM
// follows, the framer starts a new frame grid where the short frame ended
// (as an fps change would), so Index and Start carry on and no sample is
// lost. Arrival of the short frame is that of the last block pushed.
func (f *Framer) Flush(emit func(Frame) error) error {
	if len(f.buf) == 0 {
		return nil
	}
	fr := f.frame()
	f.seg, f.k = fr.Start+int64(fr.Len()), 0
	f.next()
	return emit(fr)
}

// Run is the pipeline stage: PCM blocks in, frames out; it flushes when in
// closes, closes out and ends on ctx.Done() or a block that Push refuses.
func (f *Framer) Run(ctx context.Context, in <-chan PCM, out chan<- Frame) error {
	return runStage(ctx, in, out, f.Push, f.Flush)
}

// RunWithChanges is Run that also takes frame rate changes from fps, in the
// stage's goroutine, applying each as SetFPS before the next block is
// pushed (a change that is waiting when the stage turns to its next block
// goes first). Closing fps just stops changes; an invalid rate ends Run with
// an error wrapping ErrInvalid.
func (f *Framer) RunWithChanges(ctx context.Context, in <-chan PCM, fps <-chan int, out chan<- Frame) error {
	return runStageWithChanges(ctx, in, fps, out, f.SetFPS, f.Push, f.Flush)
}

// frameStart returns the stream position of the frame in progress.
func (f *Framer) frameStart() int64 { return f.seg + f.k*int64(f.rate)/int64(f.fps) }

// frameLen returns the samples per channel of the frame in progress.
func (f *Framer) frameLen() int {
	return int(f.seg + (f.k+1)*int64(f.rate)/int64(f.fps) - f.frameStart())
}

// complete turns the full buffer into a Frame and moves to the next slot.
func (f *Framer) complete() Frame {
	fr := f.frame()
	if f.k++; f.k == int64(f.fps) { // fps frames are exactly rate samples
		f.seg, f.k = f.seg+int64(f.rate), 0
	}
	f.next()
	return fr
}

// frame returns the frame in progress, with its features.
func (f *Framer) frame() Frame {
	return Frame{
		Index:      f.index,
		Start:      f.frameStart(),
		Samples:    f.buf,
		SampleRate: f.rate,
		Channels:   f.channels,
		FPS:        f.fps,
		Features:   f.features.Analyze(f.buf, f.channels),
		Arrival:    f.arrival,
	}
}

// next hands the buffer over and applies a pending fps change at the
// boundary just reached.
func (f *Framer) next() {
	f.buf = nil
	f.index++
	if f.pendingFPS != 0 {
		f.restart()
	}
}

// restart begins the pending fps's frame grid at the current boundary.
func (f *Framer) restart() {
	f.seg, f.k = f.frameStart(), 0
	f.fps, f.pendingFPS = f.pendingFPS, 0
}

// Batch is a group of consecutive frames, the unit a model consumes.
type Batch struct {
	Index      int64 // 0-based
	FirstFrame int64 // Index of Frames[0]
	Frames     []Frame
	BatchSize  int // the batch_size in force when the batch was cut
}

// Batcher groups frames into batches of batch_size frames. Every batch holds
// exactly BatchSize frames except the one Flush emits at the end, which may
// hold fewer, so a model with a fixed input shape never sees an oversized
// batch. A Batcher is not safe for concurrent use.
type Batcher struct {
	size    int
	index   int64
	pending []Frame
}

// NewBatcher returns a batcher cutting batches of batchSize frames, 1 to
// MaxBatchSize (Params.Validate is stricter: it also wants multiples of
// BatchStep). A bad size gives an error wrapping ErrInvalid.
func NewBatcher(batchSize int) (*Batcher, error) {
	if err := checkBatchSize(batchSize); err != nil {
		return nil, err
	}
	return &Batcher{size: batchSize}, nil
}

func checkBatchSize(n int) error {
	if n < 1 || n > MaxBatchSize {
		return fmt.Errorf("media: batch size %d: must be between 1 and %d: %w", n, MaxBatchSize, ErrInvalid)
	}
	return nil
}

// BatchSize returns the batch size in force.
func (b *Batcher) BatchSize() int { return b.size }

// SetBatchSize changes the batch size, starting with the batch in progress:
// a larger size lets it grow further; if it already holds n frames or more,
// its first n frames go out as a batch at the next Push, and so on in
// batches of n, the rest staying in progress. A size outside
// 1..MaxBatchSize gives an error wrapping ErrInvalid.
func (b *Batcher) SetBatchSize(n int) error {
	if err := checkBatchSize(n); err != nil {
		return err
	}
	b.size = n
	return nil
}

// Push adds a frame and emits every batch that is complete. The batch owns
// its Frames slice. An error from emit is returned as is.
func (b *Batcher) Push(f Frame, emit func(Batch) error) error {
	if b.pending == nil {
		b.pending = make([]Frame, 0, b.size)
	}
	b.pending = append(b.pending, f)
	for len(b.pending) >= b.size {
		frames := b.pending[:b.size:b.size]
		rest := b.pending[b.size:]
		b.pending = nil
		if len(rest) > 0 { // only after the size shrank below the fill
			b.pending = append(make([]Frame, 0, max(b.size, len(rest))), rest...)
		}
		if err := emit(b.batch(frames)); err != nil {
			return err
		}
	}
	return nil
}

// Flush emits the batch in progress, if any, even though it is short.
func (b *Batcher) Flush(emit func(Batch) error) error {
	if len(b.pending) == 0 {
		return nil
	}
	frames := b.pending
	b.pending = nil
	return emit(b.batch(frames))
}

func (b *Batcher) batch(frames []Frame) Batch {
	bt := Batch{Index: b.index, FirstFrame: frames[0].Index, Frames: frames, BatchSize: b.size}
	b.index++
	return bt
}

// Run is the pipeline stage: frames in, batches out; it flushes when in
// closes, closes out and ends on ctx.Done().
func (b *Batcher) Run(ctx context.Context, in <-chan Frame, out chan<- Batch) error {
	return runStage(ctx, in, out, b.Push, b.Flush)
}

// RunWithChanges is Run that also takes batch size changes from sizes, in
// the stage's goroutine, applying each as SetBatchSize before the next frame
// is pushed (a change that is waiting when the stage turns to its next frame
// goes first). Closing sizes just stops changes; an invalid size ends Run
// with an error wrapping ErrInvalid.
func (b *Batcher) RunWithChanges(ctx context.Context, in <-chan Frame, sizes <-chan int, out chan<- Batch) error {
	return runStageWithChanges(ctx, in, sizes, out, b.SetBatchSize, b.Push, b.Flush)
}

// runStageWithChanges is runStage for a stage whose parameters change while
// it runs: it also receives from changes and calls apply with each value, in
// the stage's own goroutine, so the stage needs no locking. Changes come
// first: one that is waiting when the stage turns to its next input is
// applied before step sees that input. Values sent one after the other from
// a single goroutine, on unbuffered channels, are handled in that order.
func runStageWithChanges[In, Out, C any](
	ctx context.Context,
	in <-chan In,
	changes <-chan C,
	out chan<- Out,
	apply func(C) error,
	step func(In, func(Out) error) error,
	flush func(func(Out) error) error,
) error {
	defer close(out)
	emit := func(v Out) error {
		select {
		case out <- v:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	change := func(c C, ok bool) error {
		if !ok {
			changes = nil // closed: a nil channel is never ready
			return nil
		}
		return apply(c)
	}
	for {
		select { // a waiting change goes before a waiting input
		case <-ctx.Done():
			return ctx.Err()
		case c, ok := <-changes:
			if err := change(c, ok); err != nil {
				return err
			}
			continue
		default:
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case c, ok := <-changes:
			if err := change(c, ok); err != nil {
				return err
			}
		case v, ok := <-in:
			if !ok {
				return flush(emit)
			}
			if err := step(v, emit); err != nil {
				return err
			}
		}
	}
}
