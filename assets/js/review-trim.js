// The selection under the review's waveform (selection.js): Save keeps
// what it selects, the whole take when untouched. It appears once the
// take's length is known.
import { clock, mountSelection, playSelection } from './selection.js';

const root = document.querySelector('[data-review-trim]');
let selection = null;
let length = 0;
let player = null;

function ready() {
  const d = player?.duration;
  if (!root || !Number.isFinite(d) || d <= 0) return;
  length = d;
  const text = root.querySelector('[data-length]');
  if (!selection) {
    selection = mountSelection(root, d, 0, d, (s, e) => { text.textContent = `Keeps ${clock(e - s)} of ${clock(length)}`; });
    playSelection(root.querySelector('[data-play]'), player, selection, null, () => length);
  } else {
    selection.setLength(d);
  }
  root.hidden = false;
}

// show offers the selection for the take audio plays.
export function show(audio) {
  if (player !== audio) {
    player = audio;
    audio.addEventListener('loadedmetadata', ready);
    audio.addEventListener('durationchange', ready);
  }
  if (root) root.hidden = true;
  if (audio.readyState >= 1) ready();
}

export function hide() {
  if (root) root.hidden = true;
}

// kept is the selection to save, [start, end] in seconds, or null for
// the whole take.
export function kept() {
  if (!selection || !root || root.hidden) return null;
  const { start, end } = selection.get();
  if (start < 0.001 && end > length - 0.001) return null;
  return [Math.round(start * 1000) / 1000, Math.round(end * 1000) / 1000];
}
