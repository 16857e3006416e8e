// Level meter and spectrum: an AnalyserNode (fftSize 256, as in the seed)
// drawn on a canvas every animation frame while a stream is open.

export class Visualizer {
  constructor(canvas, meter) {
    this.canvas = canvas;
    this.meter = meter;
    this.ctx2d = canvas.getContext('2d');
    this.audio = null;
    this.raf = 0;
  }

  start(stream) {
    this.stop();
    this.audio = new AudioContext();
    const source = this.audio.createMediaStreamSource(stream);
    this.analyser = this.audio.createAnalyser();
    this.analyser.fftSize = 256;
    source.connect(this.analyser);
    this.freq = new Uint8Array(this.analyser.frequencyBinCount);
    this.wave = new Float32Array(this.analyser.fftSize);
    const draw = () => {
      this.raf = requestAnimationFrame(draw);
      this.draw();
    };
    draw();
  }

  draw() {
    const { ctx2d: g, canvas, analyser } = this;
    analyser.getByteFrequencyData(this.freq);
    analyser.getFloatTimeDomainData(this.wave);
    let peak = 0;
    for (const v of this.wave) peak = Math.max(peak, Math.abs(v));
    this.meter.value = peak;
    g.fillStyle = '#0f172a';
    g.fillRect(0, 0, canvas.width, canvas.height);
    const w = canvas.width / this.freq.length;
    for (let i = 0; i < this.freq.length; i++) {
      const h = (this.freq[i] / 255) * canvas.height;
      g.fillStyle = `hsl(${200 + (i / this.freq.length) * 120}, 80%, 60%)`;
      g.fillRect(i * w, canvas.height - h, Math.max(1, w - 1), h);
    }
  }

  stop() {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.audio?.close();
    this.audio = null;
    if (this.meter) this.meter.value = 0;
  }
}
