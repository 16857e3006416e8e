// The trim view: the selection's handles (selection.js) over the
// waveform keep the form's Start and End fields in step, which is what
// the form sends; Play selection plays from the start handle and stops at
// the end one.
import { clock, mountSelection, playSelection } from './selection.js';

document.documentElement.classList.add('js');

function setup(root) {
  const length = Number(root.dataset.seconds) || 0;
  const form = root.querySelector('form');
  const fields = { start: form.elements.start, end: form.elements.end };
  const lengthText = root.querySelector('[data-length]');
  if (!length || !root.querySelector('[data-track]')) return;

  const selection = mountSelection(root, length, Number(fields.start.value) || 0, Number(fields.end.value) || length, (start, end) => {
    fields.start.value = start.toFixed(3);
    fields.end.value = end.toFixed(3);
    lengthText.textContent = `Keeps ${clock(end - start)} of ${clock(length)}`;
  });
  for (const which of ['start', 'end']) {
    fields[which].addEventListener('change', () => selection.set(which, Number(fields[which].value)));
  }
  playSelection(root.querySelector('[data-play]'), root.querySelector('audio'), selection, root.querySelector('[data-playhead]'), () => length);
}

for (const root of document.querySelectorAll('[data-testid="trim"]')) setup(root);
