// The trim view: two handles over the waveform select what to keep. They
// are sliders: dragged with a mouse or a finger, or moved with the arrow
// keys (Shift for a second, Home and End for the ends), and they keep
// the form's Start and End fields in step, which is what the form sends.
// Play selection plays from the start handle and stops at the end one.
document.documentElement.classList.add('js');

const STEP = 0.1; // seconds an arrow key moves a handle
const BIG_STEP = 1; // with Shift, or Page Up/Down
const MIN_SPAN = 0.02; // one Opus packet: the server refuses less

// clock writes seconds as the handles say them: "0:03.2".
export function clock(s) {
  const m = Math.floor(s / 60);
  const rest = s - 60 * m;
  return `${m}:${rest < 10 ? '0' : ''}${rest.toFixed(1)}`;
}

// clamp keeps a selection valid: both ends within the recording, start
// before end by at least MIN_SPAN; moving one end never moves the other.
export function clamp(start, end, length, moving) {
  if (moving === 'start') {
    start = Math.min(Math.max(0, start), end - MIN_SPAN);
  } else {
    end = Math.max(Math.min(length, end), start + MIN_SPAN);
  }
  return [Math.max(0, start), Math.min(length, end)];
}

function setup(root) {
  const length = Number(root.dataset.seconds) || 0;
  const track = root.querySelector('[data-track]');
  const form = root.querySelector('form');
  const fields = { start: form.elements.start, end: form.elements.end };
  const handles = {
    start: root.querySelector('[data-handle="start"]'),
    end: root.querySelector('[data-handle="end"]'),
  };
  const shades = {
    start: root.querySelector('[data-shade="start"]'),
    end: root.querySelector('[data-shade="end"]'),
  };
  const audio = root.querySelector('audio');
  const play = root.querySelector('[data-play]');
  const playhead = root.querySelector('[data-playhead]');
  const lengthText = root.querySelector('[data-length]');
  if (!length || !track) return;

  let sel = { start: Number(fields.start.value) || 0, end: Number(fields.end.value) || length };

  const pct = (s) => `${(100 * s) / length}%`;
  function draw() {
    for (const which of ['start', 'end']) {
      const h = handles[which];
      h.style.left = pct(sel[which]);
      h.setAttribute('aria-valuenow', sel[which].toFixed(3));
      h.setAttribute('aria-valuetext', clock(sel[which]));
      fields[which].value = sel[which].toFixed(3);
    }
    shades.start.style.width = pct(sel.start);
    shades.end.style.left = pct(sel.end);
    lengthText.textContent = `Keeps ${clock(sel.end - sel.start)} of ${clock(length)}`;
  }

  function set(which, value) {
    const next = { ...sel, [which]: value };
    [sel.start, sel.end] = clamp(next.start, next.end, length, which);
    draw();
  }

  // Keyboard: the handles are sliders.
  for (const which of ['start', 'end']) {
    const h = handles[which];
    h.addEventListener('keydown', (e) => {
      const step = e.shiftKey ? BIG_STEP : STEP;
      const moves = {
        ArrowLeft: -step, ArrowDown: -step, ArrowRight: step, ArrowUp: step,
        PageDown: -BIG_STEP, PageUp: BIG_STEP,
      };
      if (e.key in moves) set(which, sel[which] + moves[e.key]);
      else if (e.key === 'Home') set(which, 0);
      else if (e.key === 'End') set(which, length);
      else return;
      e.preventDefault();
    });
  }

  // Pointer: drag a handle, or press on the waveform to move the nearer
  // handle there (mouse, pen and touch alike).
  let dragging = null;
  const at = (e) => {
    const r = track.getBoundingClientRect();
    return (Math.min(Math.max(e.clientX - r.left, 0), r.width) / r.width) * length;
  };
  track.addEventListener('pointerdown', (e) => {
    const t = at(e);
    dragging = e.target.dataset.handle
      || (Math.abs(t - sel.start) <= Math.abs(t - sel.end) ? 'start' : 'end');
    try {
      track.setPointerCapture(e.pointerId); // keep the drag past the track's edges
    } catch { /* a pointer the browser no longer tracks */ }
    handles[dragging].focus();
    set(dragging, t);
    e.preventDefault();
  });
  track.addEventListener('pointermove', (e) => {
    if (dragging) set(dragging, at(e));
  });
  const drop = () => { dragging = null; };
  track.addEventListener('pointerup', drop);
  track.addEventListener('pointercancel', drop);

  // The fields, for those who type a time.
  for (const which of ['start', 'end']) {
    fields[which].addEventListener('change', () => set(which, Number(fields[which].value)));
  }

  // Play selection: from the start handle to the end one.
  let stopAt = null;
  play.hidden = false;
  play.addEventListener('click', () => {
    if (stopAt !== null && !audio.paused) {
      audio.pause();
      return;
    }
    stopAt = sel.end;
    audio.currentTime = sel.start;
    audio.play().catch(() => {});
  });
  audio.addEventListener('play', () => { play.textContent = 'Stop'; playhead.hidden = false; });
  audio.addEventListener('pause', () => { play.textContent = 'Play selection'; stopAt = null; });
  audio.addEventListener('timeupdate', () => {
    playhead.style.left = pct(Math.min(audio.currentTime, length));
    if (stopAt !== null && audio.currentTime >= stopAt) audio.pause();
  });

  draw();
}

for (const root of document.querySelectorAll('[data-testid="trim"]')) setup(root);
