// The recordings list: refreshed whenever a recording is saved, renamed
// or deleted anywhere (this tab, another, the API), times shown in the
// viewer's zone and clock, the recording just saved marked, and focus
// kept where the user acted when htmx swaps a row.

import { keepPlaying } from './player.js';

const $ = (id) => document.getElementById(id);

// The viewer's own way of writing a moment: one formatter for every time
// on the page, titles of recovered takes included.
const when = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
});

// The viewer's clock: 12 hours ("4:12 PM") or 24 ("16:12"), as this
// browser writes times.
const hours = new Intl.DateTimeFormat(undefined, { hour: 'numeric' }).resolvedOptions();
const hour12 = hours.hourCycle ? /^h1[12]$/.test(hours.hourCycle) : !!hours.hour12;

// A row under a day heading says the time alone, on the viewer's clock,
// as the names of untitled takes beside it do ("Recording 7 Dec, 4:12
// PM"): a 24-hour clock's hour in two digits ("07:18"; some locales
// write "7:18").
const clock = new Intl.DateTimeFormat(undefined, { hour: hour12 ? 'numeric' : '2-digit', minute: '2-digit' });

export function formatTime(d) {
  return when.format(d);
}

// localTimes shows <time data-local> in the viewer's own time zone, and
// the title of a take the server recovered ("Recovered <time> UTC") with
// its time written the same way.
export function localTimes(root) {
  for (const el of root.querySelectorAll('time[data-local]')) {
    const d = new Date(el.getAttribute('datetime'));
    if (!Number.isNaN(d.getTime())) el.textContent = (el.dataset.local === 'time' ? clock : when).format(d);
  }
  for (const input of root.querySelectorAll('input[data-recovered-at]')) {
    const d = new Date(input.dataset.recoveredAt);
    if (Number.isNaN(d.getTime()) || input.value !== input.defaultValue) continue;
    input.value = input.defaultValue = `Recovered ${when.format(d)}`;
  }
}

// listURL is the list's fragment as the search form asks for it now.
function listURL() {
  const form = $('find');
  const q = form ? new URLSearchParams(new FormData(form)).toString() : '';
  return q ? `/ui/recordings?${q}` : '/ui/recordings';
}

// The viewer's time zone and clock (12 or 24 hours, as this browser
// writes times) go with every request for the list (the form's tz, and
// cookies for the page itself): "yesterday" in a search, day headings,
// row times and the names of untitled takes ("Recording 7 Dec, 4:12 PM")
// are the viewer's own. A list the server wrote for another zone or clock
// (before these cookies: UTC, and a clock guessed from the browser's
// language) is fetched again.
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
const clockHours = hour12 ? '12' : '24';
if ($('find-tz')) $('find-tz').value = zone;
const cookie = (name) => decodeURIComponent(document.cookie.match(new RegExp(`(?:^|;\\s*)${name}=([^;]*)`))?.[1] || '');
if (cookie('tz') !== zone || cookie('clock') !== clockHours) {
  document.cookie = `tz=${encodeURIComponent(zone)}; path=/; max-age=31536000; SameSite=Lax`;
  document.cookie = `clock=${clockHours}; path=/; max-age=31536000; SameSite=Lax`;
}
const written = $('recordings')?.dataset;
if (written && (written.tz !== zone || written.clock !== clockHours)) queueMicrotask(() => changed());

let refreshing = null;
let again = false;
let fresh = { name: '', until: 0, scrolled: false };

// changed fetches the list afresh; changes that come while it does make
// it fetch once more when done (htmx would drop them).
export function changed() {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = (async () => {
    do {
      again = false;
      const res = await fetch(listURL());
      const old = $('recordings');
      if (!res.ok || !old) return;
      const tpl = document.createElement('template');
      tpl.innerHTML = (await res.text()).trim();
      const list = tpl.content.firstElementChild;
      const focused = focusedRow(old);
      const replay = keepPlaying(old);
      old.replaceWith(list);
      replay();
      window.htmx?.process(list);
      shown(list);
      refocus(focused);
    } while (again);
  })()
    .catch((err) => console.warn('refreshing the list:', err.message))
    .finally(() => (refreshing = null));
}

// markFresh marks the recording just saved for a few seconds (the list
// may be swapped more than once: this tab's save and /ws's word).
export function markFresh(name) {
  fresh = { name, until: performance.now() + 4000, scrolled: false };
}

// shown dresses a list just swapped in: local times, and the recording
// just saved marked (it is at the top) and scrolled into view.
export function shown(root) {
  localTimes(root);
  const row = fresh.name && performance.now() < fresh.until && document.querySelector(`[data-testid=recording][data-filename="${CSS.escape(fresh.name)}"]`);
  if (row) {
    row.classList.add('fresh');
    // Again on a later swap if it left the view: what that swap put
    // above it (a day heading, the storage line) may have pushed it down.
    const r = row.getBoundingClientRect();
    if (!fresh.scrolled || r.top < 0 || r.bottom > innerHeight) row.scrollIntoView({ block: 'nearest' });
    fresh.scrolled = true;
  }
}

// focusedRow notes which row's title or button has focus, and its
// neighbours, to find it again in a list swapped in.
function focusedRow(root) {
  const el = document.activeElement;
  const li = el && root.contains(el) ? el.closest('li[data-filename]') : null;
  return li ? { ...rowPlace(li), testid: el.dataset.testid, field: el.name } : null;
}

// rowPlace names a row and the rows beside it.
function rowPlace(li) {
  const rows = [...document.querySelectorAll('li[data-filename]')];
  const i = rows.indexOf(li);
  return { name: li.dataset.filename, after: rows[i + 1]?.dataset.filename, before: rows[i - 1]?.dataset.filename };
}

// refocus puts the focus back on the row it was on, or, that row gone
// (deleted), on the next one, the one before, or the list's heading.
function refocus(was) {
  if (!was) return;
  const row = (name) => name && document.querySelector(`li[data-filename="${CSS.escape(name)}"]`);
  const same = row(was.name);
  const el = same && (same.querySelector(`[data-testid="${was.testid}"]`) || same.querySelector(`[name="${was.field}"]`));
  const near = row(was.after) || row(was.before);
  (el || near?.querySelector('input[name=title]') || $('list-title'))?.focus({ preventScroll: true });
}

// Focus stays where the user acted when htmx swaps a row: on the renamed
// row's title, and after a delete on the next row (or the one before, or
// the list's heading). Without this it fell to the top of the page. The
// row acted on is watched until it leaves the page (htmx's own events
// fire on it, detached, and never reach the document).
document.body.addEventListener('htmx:beforeRequest', (ev) => {
  const li = ev.detail.elt.closest?.('li[data-filename]');
  if (!li) return;
  const was = { ...rowPlace(li), field: 'title' };
  const deleting = ev.detail.requestConfig?.path?.endsWith('/delete');
  const until = performance.now() + 5000;
  const watch = () => {
    if (li.isConnected) return performance.now() < until && setTimeout(watch, 30);
    // A deleted row may still be in a list fetched just before: it is
    // gone all the same.
    refocus(deleting ? { ...was, name: '' } : was);
  };
  setTimeout(watch, 30);
});
// A list htmx swaps whole (a save, rename or delete asks it to) keeps
// the focus where it was, as changed() does.
let kept = null;
let stillPlaying = () => {};
document.body.addEventListener('htmx:beforeSwap', (ev) => {
  if (ev.detail.target?.id !== 'recordings') return;
  kept = focusedRow(ev.detail.target);
  stillPlaying = keepPlaying(ev.detail.target);
});
document.body.addEventListener('htmx:afterSwap', (ev) => {
  stillPlaying();
  stillPlaying = () => {};
  shown(ev.target);
  if (kept) refocus(kept);
  kept = null;
});

// A toast (a delete, with its Undo) stays 10 s, and longer while the
// pointer or the focus is on it, so Undo is never pulled away mid-reach.
let toastTimer = 0;
function armToast() {
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    const toast = $('toast');
    if (!toast) return;
    if (toast.contains(document.activeElement) || toast.matches(':hover')) armToast();
    else toast.replaceChildren();
  }, 10000);
}
document.body.addEventListener('htmx:oobAfterSwap', (ev) => {
  if (ev.detail.target?.id === 'toast') armToast();
});

// The Delete key deletes the row that has the focus (its title aside,
// where it edits text), as its Delete button does: Undo is in the toast.
document.addEventListener('keydown', (ev) => {
  if (ev.key !== 'Delete' || ev.target.matches?.('input, textarea, select')) return;
  const button = ev.target.closest?.('li[data-filename]')?.querySelector('[data-testid=delete]');
  if (!button) return;
  ev.preventDefault();
  button.click();
});

// Playback speed: one for every player, kept from one visit to the next,
// applied as each starts (players swapped in later included).
const speedChoice = $('speed');
const savedSpeed = Number(localStorage.getItem('playbackSpeed'));
if (speedChoice && savedSpeed >= 0.75 && savedSpeed <= 2) speedChoice.value = String(savedSpeed);
const speed = () => Number(speedChoice?.value) || 1;
speedChoice?.addEventListener('change', () => {
  localStorage.setItem('playbackSpeed', String(speed()));
  for (const audio of document.querySelectorAll('#recordings audio')) audio.playbackRate = speed();
});
document.addEventListener('play', (ev) => {
  if (ev.target.closest?.('#recordings')) ev.target.playbackRate = speed();
}, true);

// A row's Download menu closes as a menu does: on a click elsewhere, on
// Escape (the focus back on its summary), and once a format is chosen.
document.addEventListener('click', (ev) => {
  for (const menu of document.querySelectorAll('details.rec-download[open]')) {
    if (!menu.contains(ev.target) || ev.target.closest('.download-menu a')) menu.open = false;
  }
});
document.addEventListener('keydown', (ev) => {
  const menu = ev.key === 'Escape' && ev.target.closest?.('details.rec-download[open]');
  if (!menu) return;
  menu.open = false;
  menu.querySelector('summary').focus();
});
