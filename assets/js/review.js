// The review of a take before it is saved: a player with the take's real
// length, seekable, and its waveform, which seeks too.

let job = 0;
let skipping = 0; // the timer of skipPauses

// show loads url into the player and draws its waveform on canvas.
// pauses ([start, end] s) are where the take was paused, recorded the
// seconds recorded outside them: see skipPauses.
export function show(audio, canvas, url, pauses = [], recorded = 0) {
  delete audio.dataset.skips;
  audio.src = url;
  skipPauses(audio, pauses, recorded);
  drawWaveform(canvas, url, audio);
}

// skipPauses makes the player jump over the paused parts of a take whose
// audio holds them (WebKit records on through Pause; the save cuts them
// out): audio as long as the time recorded and paused, by the server's
// rule (media.RecordedThroughPauses). It marks the player data-skips.
function skipPauses(audio, pauses, recorded) {
  const paused = pauses.reduce((sum, [a, b]) => sum + b - a, 0);
  const holds = () => {
    const excess = audio.duration - recorded;
    const off = Math.abs(excess - paused);
    return paused > 0 && recorded > 0 && off <= Math.max(0.3, audio.duration / 20) && off < Math.abs(excess);
  };
  const jump = () => {
    const p = pauses.find(([a, b]) => audio.currentTime >= a && audio.currentTime < b - 0.02);
    if (p) audio.currentTime = p[1];
  };
  audio.onloadedmetadata = () => {
    if (holds()) audio.dataset.skips = JSON.stringify(pauses);
  };
  audio.onplaying = () => {
    clearInterval(skipping);
    if (audio.dataset.skips) skipping = setInterval(jump, 20);
  };
  audio.onpause = () => clearInterval(skipping);
}

// hide empties the player and the drawing.
export function hide(audio, canvas) {
  delete audio.dataset.skips;
  clearInterval(skipping);
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
    const skips = JSON.parse(audio.dataset.skips || '[]'); // paused: not saved, grey
    peaks.forEach((p, i) => {
      const h = Math.max(2, (p / max) * (canvas.height - 4));
      const at = (i / peaks.length) * audio.duration;
      g.fillStyle = skips.some(([a, b]) => at >= a && at < b) ? '#9ca3af' : i / peaks.length < played ? '#fb7185' : '#818cf8';
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
