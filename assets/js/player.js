// The list's players: a play button, the waveform as a seek bar and the
// time, over an <audio preload="none"> that loads nothing until played.
// The length shown before that is the index's (a MediaRecorder WebM often
// says Infinity itself). One plays at a time. Space plays or pauses the
// row that has the focus; the arrow keys, a click or a drag on the
// waveform seek. "Skip silence" jumps the voice-free stretches the server
// found in the take's peaks (data-silences), and is kept like the speed.

const players = '#recordings [data-player]';
const audioOf = (p) => p.querySelector('audio');
const lengthOf = (p) => Number(p.dataset.seconds) || audioOf(p).duration || 0;
const playerOf = (el) => el.closest?.('[data-player]') || el.closest?.('li')?.querySelector('[data-player]');

function clock(s) {
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = String(Math.floor(t / 60) % 60);
  const ss = String(t % 60).padStart(2, '0');
  return h ? `${h}:${m.padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

// Where a player is: the audio's time, or where it was asked to seek
// while its audio loads.
const pending = new WeakMap();
const timeOf = (p) => pending.get(p) ?? audioOf(p).currentTime;

// paint shows a player's time on its waveform, its clock and its slider.
function paint(p) {
  const t = timeOf(p);
  const len = lengthOf(p);
  const seek = p.querySelector('.seek');
  if (!seek) return;
  if (!seek.querySelector('.played')) {
    // The played part is the waveform again, clipped, in the accent.
    const wave = seek.querySelector('.waveform');
    const played = wave?.cloneNode(true);
    played?.classList.add('played');
    if (played) seek.append(played);
  }
  seek.style.setProperty('--p', `${len ? Math.min(100, (t / len) * 100) : 0}%`);
  seek.setAttribute('aria-valuenow', String(Math.round(t * 10) / 10));
  seek.setAttribute('aria-valuetext', `${clock(t)} of ${clock(len)}`);
  const at = p.querySelector('[data-at]');
  if (at) at.textContent = clock(t);
}

// seek moves a player to t seconds, loading its audio first if need be.
function seek(p, t) {
  const audio = audioOf(p);
  t = Math.max(0, Math.min(t, lengthOf(p)));
  if (audio.readyState >= 1) {
    audio.currentTime = t;
  } else {
    if (!pending.has(p)) {
      audio.addEventListener('loadedmetadata', () => {
        audio.currentTime = pending.get(p) ?? 0;
        pending.delete(p);
        paint(p);
      }, { once: true });
      audio.preload = 'metadata';
      audio.load();
    }
    pending.set(p, t);
  }
  paint(p);
}

export function toggle(p) {
  const audio = audioOf(p);
  if (!audio.paused) return audio.pause();
  for (const other of document.querySelectorAll('audio')) if (other !== audio && !other.paused) other.pause();
  audio.play().catch((err) => console.warn('playing:', err.message));
}

// Skip silence: the stretches as [start, end] seconds, read once a row.
const skipChoice = document.getElementById('skip-silence');
if (skipChoice) skipChoice.checked = localStorage.getItem('skipSilence') === '1';
skipChoice?.addEventListener('change', () => localStorage.setItem('skipSilence', skipChoice.checked ? '1' : '0'));
const silences = new WeakMap();
function silencesOf(p) {
  if (!silences.has(p)) {
    silences.set(p, (p.dataset.silences || '').split(' ').filter(Boolean).map((s) => s.split('-').map(Number)));
  }
  return silences.get(p);
}

// skipped jumps a playing player over the silence it is in, if asked to.
function skipped(p) {
  if (!skipChoice?.checked) return;
  const audio = audioOf(p);
  const t = audio.currentTime;
  const gap = silencesOf(p).find(([start, end]) => t >= start && t < end - 0.05);
  if (gap) audio.currentTime = gap[1];
}

// While one plays, every animation frame paints it and skips silences.
let running = null;
function tick() {
  if (!running?.isConnected || audioOf(running).paused) return (running = null);
  skipped(running);
  paint(running);
  requestAnimationFrame(tick);
}

function playing(p, on) {
  const button = p.querySelector('.play');
  const name = button?.getAttribute('aria-label').replace(/^(Play|Pause) /, '');
  button?.classList.toggle('playing', on);
  button?.setAttribute('aria-label', `${on ? 'Pause' : 'Play'} ${name}`);
  paint(p);
  if (on && running !== p) {
    running = p;
    requestAnimationFrame(tick);
  }
}

document.addEventListener('play', (ev) => {
  const p = ev.target.closest?.(players);
  if (p) playing(p, true);
}, true);
document.addEventListener('pause', (ev) => {
  const p = ev.target.closest?.(players);
  if (p) playing(p, false);
}, true);
// A take played to its end goes back to its start, ready to play again.
document.addEventListener('ended', (ev) => {
  const p = ev.target.closest?.(players);
  if (p) seek(p, 0);
}, true);

document.addEventListener('click', (ev) => {
  const button = ev.target.closest?.('[data-player] .play');
  if (button) toggle(button.closest('[data-player]'));
});

// The waveform: press or drag to seek.
document.addEventListener('pointerdown', (ev) => {
  const bar = ev.target.closest?.('[data-player] .seek');
  if (!bar || ev.button !== 0) return;
  const p = bar.closest('[data-player]');
  const to = (e) => {
    const r = bar.getBoundingClientRect();
    seek(p, ((e.clientX - r.left) / r.width) * lengthOf(p));
  };
  ev.preventDefault();
  bar.focus({ preventScroll: true });
  bar.setPointerCapture?.(ev.pointerId);
  to(ev);
  const up = () => {
    bar.removeEventListener('pointermove', to);
    bar.removeEventListener('pointerup', up);
    bar.removeEventListener('pointercancel', up);
  };
  bar.addEventListener('pointermove', to);
  bar.addEventListener('pointerup', up);
  bar.addEventListener('pointercancel', up);
});

// The keyboard: the arrows seek 5 s on the waveform (Page Up/Down a
// tenth, Home and End the ends); Space plays or pauses the focused row
// from anywhere in it but where Space types or presses a button itself.
document.addEventListener('keydown', (ev) => {
  if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const bar = ev.target.closest?.('[data-player] .seek');
  if (bar) {
    const p = bar.closest('[data-player]');
    const len = lengthOf(p);
    const step = { ArrowLeft: -5, ArrowDown: -5, ArrowRight: 5, ArrowUp: 5, PageDown: -len / 10, PageUp: len / 10 }[ev.key];
    const to = step !== undefined ? timeOf(p) + step : { Home: 0, End: len }[ev.key];
    if (to !== undefined) {
      ev.preventDefault();
      return seek(p, to);
    }
  }
  if (ev.key !== ' ' || ev.target.matches?.('input, textarea, select, button, summary, [contenteditable]')) return;
  const p = ev.target.closest?.('#recordings li') && playerOf(ev.target);
  if (!p) return;
  ev.preventDefault();
  toggle(p);
});
