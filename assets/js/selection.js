// A selection on a recording's timeline: two handles over a track that
// select what to keep. They are sliders: dragged with a mouse, a pen or
// a finger (a press on the track moves the nearer one there), or moved
// with the arrow keys (Shift, or Page Up/Down, for a second; Home and End
// go to the ends). The trim view and the review of a take use it.

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

// mountSelection makes the handles in root ([data-track] holding
// [data-handle=start|end] and the [data-shade]s) select within length
// seconds, from start to end; onChange hears every move. It returns the
// selection's controls: get, set and setLength.
export function mountSelection(root, length, start, end, onChange = () => {}) {
  const track = root.querySelector('[data-track]');
  const handles = {
    start: root.querySelector('[data-handle="start"]'),
    end: root.querySelector('[data-handle="end"]'),
  };
  const shades = {
    start: root.querySelector('[data-shade="start"]'),
    end: root.querySelector('[data-shade="end"]'),
  };
  const sel = { start, end };

  const pct = (s) => `${length ? (100 * s) / length : 0}%`;
  function draw() {
    for (const which of ['start', 'end']) {
      const h = handles[which];
      h.style.left = pct(sel[which]);
      h.setAttribute('aria-valuemax', length.toFixed(3));
      h.setAttribute('aria-valuenow', sel[which].toFixed(3));
      h.setAttribute('aria-valuetext', clock(sel[which]));
    }
    shades.start.style.width = pct(sel.start);
    shades.end.style.left = pct(sel.end);
    onChange(sel.start, sel.end);
  }

  function set(which, value) {
    const next = { ...sel, [which]: value };
    [sel.start, sel.end] = clamp(next.start, next.end, length, which);
    draw();
  }

  for (const which of ['start', 'end']) {
    handles[which].addEventListener('keydown', (e) => {
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

  draw();
  return {
    get: () => ({ ...sel }),
    set,
    setLength(seconds) {
      length = seconds;
      sel.start = 0;
      sel.end = seconds;
      draw();
    },
  };
}

// playSelection makes button play audio from the selection's start and
// stop at its end (a second press stops it), and moves playhead, if any.
export function playSelection(button, audio, selection, playhead, length) {
  let stopAt = null;
  button.hidden = false;
  button.addEventListener('click', () => {
    if (stopAt !== null && !audio.paused) {
      audio.pause();
      return;
    }
    const { start, end } = selection.get();
    stopAt = end;
    audio.currentTime = start;
    audio.play().catch(() => {});
  });
  audio.addEventListener('play', () => {
    if (stopAt === null) return;
    button.textContent = 'Stop';
    if (playhead) playhead.hidden = false;
  });
  audio.addEventListener('pause', () => { button.textContent = 'Play selection'; stopAt = null; });
  audio.addEventListener('timeupdate', () => {
    if (playhead && length()) playhead.style.left = `${(100 * Math.min(audio.currentTime, length())) / length()}%`;
    if (stopAt !== null && audio.currentTime >= stopAt) audio.pause();
  });
}
