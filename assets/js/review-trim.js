// The selection under the review's waveform (selection.js): Save keeps
// what it selects, the whole take when untouched. It appears once the
// take's length is known.
import { clock, mountSelection, playSelection } from './selection.js';

let root = null;
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

// build puts the selection under the review's waveform, with its
// stylesheet (neither is part of the page's first load).
function build(audio) {
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = new URL('../trim.css', import.meta.url).href;
  document.head.append(link);
  root = document.createElement('div');
  root.className = 'review-trim';
  root.dataset.reviewTrim = '';
  root.hidden = true;
  root.innerHTML = `<div class="trim-track review-track" data-track>
  <div class="trim-shade trim-shade-start" data-shade="start"></div>
  <div class="trim-shade trim-shade-end" data-shade="end"></div>
  <div class="trim-handle" data-handle="start" role="slider" tabindex="0" aria-label="Start of the selection" aria-valuemin="0"></div>
  <div class="trim-handle" data-handle="end" role="slider" tabindex="0" aria-label="End of the selection" aria-valuemin="0"></div>
</div>
<span class="trim-length" data-length aria-live="polite"></span>
<button type="button" class="quiet small" data-play hidden>Play selection</button>`;
  // Below Save and Discard: it appears once the take's length is known,
  // and its stylesheet arrives after the page's, so above them it would
  // move Save under a pointer about to press it.
  const actions = document.querySelector('#review .review-actions');
  (actions || document.getElementById('review-wave') || audio).after(root);
}

// show offers the selection for the take audio plays.
export function show(audio) {
  if (!root) build(audio);
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
