// The review of a take before it is saved: a player with the take's real
// length, seekable, and its waveform, which seeks too.

let job = 0;

// show loads url into the player and draws its waveform on canvas.
export function show(audio, canvas, url) {
  audio.src = url;
  drawWaveform(canvas, url, audio);
}

// hide empties the player and the drawing.
export function hide(audio, canvas) {
  audio.removeAttribute('src');
  audio.load();
  job++;
  canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
}

// drawWaveform decodes the take in the page (up to 20 minutes of it) and
// draws its peaks; the drawing seeks the player, and shows where it is.
async function drawWaveform(canvas, url, audio) {
  const mine = ++job;
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, canvas.width, canvas.height);
  let peaks = null;
  try {
    const res = await fetch(url);
    const buf = await res.arrayBuffer();
    const ctx = new OfflineAudioContext(1, 1, 48000);
    const audioBuf = await ctx.decodeAudioData(buf);
    if (audioBuf.duration > 20 * 60) return;
    const data = audioBuf.getChannelData(0);
    const n = 200;
    const step = Math.max(1, Math.floor(data.length / n));
    peaks = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let p = 0;
      for (let j = i * step; j < Math.min(data.length, (i + 1) * step); j++) p = Math.max(p, Math.abs(data[j]));
      peaks[i] = p;
    }
  } catch {
    return; // the player still works without the drawing
  }
  if (mine !== job) return;
  const max = Math.max(0.05, ...peaks);
  const paint = () => {
    const w = canvas.width / peaks.length;
    const played = audio.duration ? audio.currentTime / audio.duration : 0;
    g.clearRect(0, 0, canvas.width, canvas.height);
    peaks.forEach((p, i) => {
      const h = Math.max(2, (p / max) * (canvas.height - 4));
      g.fillStyle = i / peaks.length < played ? '#fb7185' : '#818cf8';
      g.fillRect(i * w, (canvas.height - h) / 2, Math.max(1, w - 1), h);
    });
  };
  paint();
  audio.ontimeupdate = paint;
  canvas.onclick = (ev) => {
    const r = canvas.getBoundingClientRect();
    if (audio.duration) audio.currentTime = ((ev.clientX - r.left) / r.width) * audio.duration;
  };
}
