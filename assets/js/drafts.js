// Takes this browser started and has not saved or discarded yet. Their
// ids live in localStorage, so a reload, a closed tab or a crash does not
// hide them: on load the page asks the server which of them are still
// unsaved drafts and lists those. A tab holds a Web Lock named after its
// take while it records, so another tab of the same browser does not
// offer a take that is still being made. A Record-mode take's chunks are
// kept apart (keep.js) until it is saved or discarded.

const KEY = 'recorder.takes';
const releases = new Map(); // id → releases this tab's lock

function load() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || '[]');
    return Array.isArray(list) ? list.filter((t) => t && typeof t.id === 'string' && ['webrtc', 'record'].includes(t.mode)) : [];
  } catch {
    return [];
  }
}

function store(list) {
  try {
    localStorage.setItem(KEY, JSON.stringify(list.slice(-20)));
  } catch {
    /* private mode or full: recovery after a reload is then not offered */
  }
}

// remember notes a take as started by this tab, and holds its lock.
export function remember(id, mode) {
  store([...load().filter((t) => t.id !== id), { id, mode, at: Date.now() }]);
  if (navigator.locks && !releases.has(id)) {
    navigator.locks.request(`take:${id}`, () => new Promise((resolve) => releases.set(id, resolve)));
  }
}

// forget drops a take once it is saved or discarded, with the chunks
// the tab kept of it.
export function forget(id) {
  store(load().filter((t) => t.id !== id));
  releases.get(id)?.();
  releases.delete(id);
  import('./keep.js').then((keep) => keep.drop(id));
}

// unsaved lists remembered takes that no other tab is still making.
export async function unsaved() {
  let held = new Set();
  try {
    const q = await navigator.locks?.query();
    held = new Set((q?.held || []).map((l) => l.name));
  } catch {
    /* no Web Locks: offer them all */
  }
  return load().filter((t) => !held.has(`take:${t.id}`) && !releases.has(t.id));
}

// fetchList asks the server which takes are still drafts and returns the
// fragment listing them; takes it leaves out are forgotten.
export async function fetchList(takes) {
  const ids = (mode) => takes.filter((t) => t.mode === mode).map((t) => encodeURIComponent(t.id)).join(',');
  const res = await fetch(`/ui/drafts?webrtc=${ids('webrtc')}&upload=${ids('record')}`);
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  const html = await res.text();
  const tpl = document.createElement('template');
  tpl.innerHTML = html.trim();
  const section = tpl.content.firstElementChild;
  const listed = new Set([...section.querySelectorAll('[data-testid=unsaved-take]')].map((li) => li.dataset.id));
  for (const t of takes) if (!listed.has(t.id)) forget(t.id);
  return section;
}
