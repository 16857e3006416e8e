package media

import (
	"fmt"
	"slices"
	"time"
)

// Frame is one video-rate slice of audio: frame Index covers the samples a
// model needs for video frame Index.
type Frame struct {
	Index      int64     // 0-based since the session start, counting across fps changes
	Start      int64     // index (per channel) of the frame's first sample in the output stream
	Samples    []float32 // interleaved, Len()*Channels values; see Framer on how long they stay valid
	SampleRate int
	Channels   int
	FPS        int
	Features   Features
	Arrival    time.Time // Arrival of the PCM block that completed the frame
}

// Clone returns the frame with its own copy of Samples, for a receiver
// that keeps a frame past the call that handed it over.
func (f Frame) Clone() Frame {
	f.Samples = slices.Clone(f.Samples)
	return f
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
// The Framer allocates nothing per frame: an emitted frame's Samples alias
// the pushed block (a frame that lies whole inside it) or the framer's own
// buffer, and are valid until emit returns; Frame.Clone keeps one.
//
// A Framer is not safe for concurrent use; SetFPS belongs to the goroutine
// that pushes.
type Framer struct {
	rate, channels int
	fps            int
	pendingFPS     int // 0, or the fps that starts at the next frame boundary

	seg   int64 // S: stream sample at which frame k = 0 of the current fps began
	k     int64 // frame in progress, counted from seg; kept below fps
	index int64 // Index of the frame in progress

	buf      []float32 // the frame in progress, reused from frame to frame
	need     int       // values (samples × channels) of the frame in progress
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
	f := &Framer{rate: sampleRate, channels: channels, fps: fps, features: NewFeatureTracker(sampleRate)}
	f.need = f.frameLen() * channels
	return f, nil
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

// Push adds a block of PCM and emits every frame it completes, in order.
// The block must have the framer's rate and channel count and whole sample
// frames; otherwise Push returns an error wrapping ErrInvalid and takes
// nothing. An error from emit is returned as is.
func (f *Framer) Push(p PCM, emit func(Frame) error) error {
	if p.SampleRate != f.rate || p.Channels != f.channels || len(p.Samples)%f.channels != 0 {
		return fmt.Errorf("media: framer: got a %d Hz %d-channel block of %d samples, want %d Hz %d-channel: %w",
			p.SampleRate, p.Channels, len(p.Samples), f.rate, f.channels, ErrInvalid)
	}
	f.arrival = p.Arrival
	in := p.Samples
	for len(in) > 0 {
		if len(f.buf) == 0 && len(in) >= f.need { // a whole frame: no copy
			fr := f.complete(in[:f.need])
			in = in[fr.Len()*f.channels:]
			if err := emit(fr); err != nil {
				return err
			}
			continue
		}
		n := min(f.need-len(f.buf), len(in))
		f.buf = append(f.buf, in[:n]...)
		in = in[n:]
		if len(f.buf) == f.need {
			fr := f.complete(f.buf)
			f.buf = f.buf[:0]
			if err := emit(fr); err != nil {
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
	fr := f.frame(f.buf)
	f.buf = f.buf[:0]
	f.seg, f.k = fr.Start+int64(fr.Len()), 0
	f.next()
	return emit(fr)
}

// frameStart returns the stream position of the frame in progress.
func (f *Framer) frameStart() int64 { return f.seg + f.k*int64(f.rate)/int64(f.fps) }

// frameLen returns the samples per channel of the frame in progress.
func (f *Framer) frameLen() int {
	return int(f.seg + (f.k+1)*int64(f.rate)/int64(f.fps) - f.frameStart())
}

// complete turns a full frame's samples into a Frame and moves to the next
// slot.
func (f *Framer) complete(samples []float32) Frame {
	fr := f.frame(samples)
	if f.k++; f.k == int64(f.fps) { // fps frames are exactly rate samples
		f.seg, f.k = f.seg+int64(f.rate), 0
	}
	f.next()
	return fr
}

// frame returns the frame in progress holding samples, with its features.
func (f *Framer) frame(samples []float32) Frame {
	return Frame{
		Index:      f.index,
		Start:      f.frameStart(),
		Samples:    samples,
		SampleRate: f.rate,
		Channels:   f.channels,
		FPS:        f.fps,
		Features:   f.features.Analyze(samples, f.channels),
		Arrival:    f.arrival,
	}
}

// next moves to the next slot and applies a pending fps change at the
// boundary just reached.
func (f *Framer) next() {
	f.index++
	if f.pendingFPS != 0 {
		f.restart()
	}
	f.need = f.frameLen() * f.channels
}

// restart begins the pending fps's frame grid at the current boundary.
func (f *Framer) restart() {
	f.seg, f.k = f.frameStart(), 0
	f.fps, f.pendingFPS = f.pendingFPS, 0
	f.need = f.frameLen() * f.channels
}

// Batch is a group of consecutive frames, the unit a model consumes.
type Batch struct {
	Index      int64 // 0-based
	FirstFrame int64 // Index of Frames[0]
	Frames     []Frame
	BatchSize  int // the batch_size in force when the batch was cut
	// Bare is true when no one was listening as the batch began (see
	// Batcher.Listening): its Frames have their features and positions
	// but no Samples.
	Bare bool
}

// Clone returns the batch with its own copies of Frames and their Samples,
// for a receiver that keeps a batch past the call that handed it over.
func (b Batch) Clone() Batch {
	frames := make([]Frame, len(b.Frames))
	for i, f := range b.Frames {
		frames[i] = f.Clone()
	}
	b.Frames = frames
	return b
}

// Batcher groups frames into batches of batch_size frames. Every batch holds
// exactly BatchSize frames except a short one: the one Flush emits at the
// end, and the one in progress when the frame rate changes, which goes out
// before the first frame at the new rate, so a batch never mixes frame
// rates and a model with a fixed input shape never sees an oversized batch.
//
// The Batcher copies each frame's samples into one buffer it reuses from
// batch to batch, so it allocates nothing per frame or batch once that
// buffer has grown to a batch's size. An emitted batch's Frames and Samples
// are valid until emit returns; Batch.Clone keeps one. A Batcher is not
// safe for concurrent use.
type Batcher struct {
	// Listening, when set, is asked as each batch begins whether anyone
	// wants its samples; if not, the batch is cut Bare: a live session
	// nobody consumes holds no batch of audio (64 frames at 48 kHz are
	// 400 KB) and copies nothing. Nil means always.
	Listening func() bool

	size    int
	index   int64
	bare    bool      // the batch in progress is cut without samples
	pending []Frame   // Samples of pending frames are set at emit time
	ends    []int     // end of each pending frame's samples in arena
	arena   []float32 // the pending frames' samples, back to back
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

// Push adds a frame and emits every batch that is complete; a frame at
// another frame rate than the batch in progress first sends that batch out
// short. An error from emit is returned as is.
func (b *Batcher) Push(f Frame, emit func(Batch) error) error {
	if n := len(b.pending); n > 0 && b.pending[n-1].FPS != f.FPS {
		if err := b.Flush(emit); err != nil {
			return err
		}
	}
	if len(b.pending) == 0 {
		b.bare = b.Listening != nil && !b.Listening()
	}
	if !b.bare {
		if need := len(b.arena) + len(f.Samples); need > cap(b.arena) {
			// Grow once to a whole batch, not step by step.
			b.arena = slices.Grow(b.arena, max(b.size*len(f.Samples), need)-len(b.arena))
		}
		b.arena = append(b.arena, f.Samples...)
	}
	f.Samples = nil
	b.pending = append(b.pending, f)
	b.ends = append(b.ends, len(b.arena))
	for len(b.pending) >= b.size {
		if err := b.emit(b.size, emit); err != nil {
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
	return b.emit(len(b.pending), emit)
}

// emit sends the first n pending frames as a batch and keeps the rest
// (more than n are pending only after the size shrank below the fill).
func (b *Batcher) emit(n int, emit func(Batch) error) error {
	start := 0
	for i := range n {
		if !b.bare {
			b.pending[i].Samples = b.arena[start:b.ends[i]:b.ends[i]]
		}
		start = b.ends[i]
	}
	bt := Batch{Index: b.index, FirstFrame: b.pending[0].Index, Frames: b.pending[:n:n], BatchSize: b.size, Bare: b.bare}
	b.index++
	err := emit(bt)
	// Keep the rest at the front of the reused buffers.
	rest := copy(b.pending, b.pending[n:])
	clear(b.pending[rest:])
	b.pending = b.pending[:rest]
	for i := range rest {
		b.ends[i] = b.ends[n+i] - start
	}
	b.ends = b.ends[:rest]
	b.arena = b.arena[:copy(b.arena, b.arena[start:])]
	return err
}
