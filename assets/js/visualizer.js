// Level meter and spectrum: an AnalyserNode drawn every animation frame
// while a stream is open. The level is the RMS of each frame in dBFS,
// rising at once and falling back slowly (decay), with a peak marker that
// holds for a second; the spectrum is cleared when the stream stops, and
// both lie still while the take is paused.
//
// Browsers start an AudioContext suspended unless a user's gesture is
// under way (headless Firefox always did: the meters stayed flat), so
// prime() makes or resumes it in the click that starts a take, before
// anything is awaited; running says whether that worked.

const FLOOR_DB = -60; // the meter's left end
const DECAY_DB_PER_S = 24;
const HOLD_MS = 1000;

export class Visualizer {
  constructor(canvas, meter, bar, peak) {
    this.canvas = canvas;
    this.meter = meter;
    this.bar = bar;
    this.peak = peak;
    this.ctx2d = canvas.getContext('2d');
    this.audio = null;
    this.raf = 0;
    this.clear();
  }

  // prime makes the AudioContext, or resumes it, during a user's gesture.
  prime() {
    try {
      this.audio ||= new AudioContext();
      if (this.audio.state === 'suspended') this.audio.resume().catch(() => {});
    } catch {
      this.audio = null; // no Web Audio: no meters, recording still works
    }
  }

  // running resolves whether the meters move: the context runs, or starts
  // to within a moment of asking.
  async running() {
    if (!this.audio) return false;
    if (this.audio.state !== 'running') {
      await Promise.race([this.audio.resume().catch(() => {}), new Promise((r) => setTimeout(r, 1000))]);
    }
    return this.audio.state === 'running';
  }

  start(stream) {
    this.stopDrawing();
    this.prime();
    if (!this.audio) return;
    const source = this.audio.createMediaStreamSource(stream);
    this.source = source;
    this.analyser = this.audio.createAnalyser();
    this.analyser.fftSize = 1024;
    this.analyser.smoothingTimeConstant = 0.7;
    source.connect(this.analyser);
    this.freq = new Uint8Array(this.analyser.frequencyBinCount);
    this.wave = new Float32Array(this.analyser.fftSize);
    this.level = FLOOR_DB;
    this.peakDb = FLOOR_DB;
    this.peakAt = 0;
    this.last = performance.now();
    this.resume();
  }

  // freeze holds the meters still and empty (a paused take); resume
  // draws again.
  freeze() {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.clear();
  }

  resume() {
    if (!this.analyser || this.raf) return;
    this.last = performance.now();
    const draw = () => {
      this.raf = requestAnimationFrame(draw);
      this.draw();
    };
    draw();
  }

  draw() {
    const { ctx2d: g, canvas, analyser } = this;
    const now = performance.now();
    const dt = (now - this.last) / 1000;
    this.last = now;
    analyser.getFloatTimeDomainData(this.wave);
    let sum = 0;
    for (const v of this.wave) sum += v * v;
    const rms = Math.sqrt(sum / this.wave.length);
    const db = Math.max(FLOOR_DB, 20 * Math.log10(rms || 1e-9));
    this.level = db > this.level ? db : Math.max(db, this.level - DECAY_DB_PER_S * dt);
    if (db >= this.peakDb || now - this.peakAt > HOLD_MS) {
      this.peakDb = db;
      this.peakAt = now;
    }
    this.showLevel(this.level, this.peakDb);

    analyser.getByteFrequencyData(this.freq);
    g.clearRect(0, 0, canvas.width, canvas.height);
    const bins = 64; // speech lives in the low bins: group them
    const per = Math.floor(this.freq.length / 2 / bins);
    const w = canvas.width / bins;
    for (let i = 0; i < bins; i++) {
      let v = 0;
      for (let j = 0; j < per; j++) v = Math.max(v, this.freq[i * per + j]);
      const h = Math.max(1, (v / 255) * canvas.height);
      g.fillStyle = `hsl(${230 + (i / bins) * 110}, 85%, 68%)`;
      g.fillRect(i * w + 1, canvas.height - h, Math.max(1, w - 2), h);
    }
  }

  showLevel(db, peakDb) {
    const frac = (d) => Math.min(1, Math.max(0, (d - FLOOR_DB) / -FLOOR_DB));
    if (this.bar) this.bar.style.transform = `scaleX(${frac(db)})`;
    if (this.peak) this.peak.style.left = `calc(${(frac(peakDb) * 100).toFixed(1)}% - 2px)`;
    if (this.meter) this.meter.value = frac(db);
  }

  clear() {
    this.ctx2d.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.showLevel(FLOOR_DB, FLOOR_DB);
  }

  // stopDrawing stops and clears the meters.
  stopDrawing() {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.source?.disconnect();
    this.source = null;
    this.analyser = null;
    this.clear();
  }

  // stop ends the meters and closes the AudioContext (the next take's
  // click makes another).
  stop() {
    this.stopDrawing();
    this.audio?.close().catch(() => {});
    this.audio = null;
  }
}
