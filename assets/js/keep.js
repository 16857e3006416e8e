// The chunks of Record-mode takes, kept in IndexedDB until the take is
// saved or discarded: a closed tab, a crash of the browser or a server
// that is down does not lose what was recorded, and the next visit
// uploads what the server lacks. Every call resolves, never rejects:
// without IndexedDB (some private modes) the take is kept in the tab only.

const DB = 'recorder';
const CHUNKS = 'chunks'; // key [take id, index] → Blob
const TAKES = 'takes'; // key take id → {id, mime}

let opening = null;

function open() {
  opening ||= new Promise((resolve) => {
    try {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore(CHUNKS);
        req.result.createObjectStore(TAKES, { keyPath: 'id' });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => resolve(null);
      req.onblocked = () => resolve(null);
    } catch {
      resolve(null);
    }
  });
  return opening;
}

// run does one transaction on the stores and resolves with fn's request
// result once it has committed (undefined if IndexedDB failed).
async function run(mode, fn) {
  const db = await open();
  if (!db) return undefined;
  return new Promise((resolve) => {
    try {
      const tx = db.transaction([CHUNKS, TAKES], mode);
      const req = fn(tx.objectStore(CHUNKS), tx.objectStore(TAKES));
      tx.oncomplete = () => resolve(req?.result);
      tx.onerror = tx.onabort = () => resolve(undefined);
    } catch {
      resolve(undefined);
    }
  });
}

// put keeps chunk index of take id (recorded as mime).
export function put(id, mime, index, blob) {
  return run('readwrite', (chunks, takes) => {
    takes.put({ id, mime });
    return chunks.put(blob, [id, index]);
  });
}

// take returns what is kept of take id, {mime, chunks: [Blob…]} in
// order, or null.
export async function take(id) {
  const [meta, chunks] = await Promise.all([
    run('readonly', (_, takes) => takes.get(id)),
    run('readonly', (chunks) => chunks.getAll(IDBKeyRange.bound([id, 0], [id, Infinity]))),
  ]);
  return meta && chunks?.length ? { mime: meta.mime, chunks } : null;
}

// drop forgets take id.
export function drop(id) {
  return run('readwrite', (chunks, takes) => {
    takes.delete(id);
    return chunks.delete(IDBKeyRange.bound([id, 0], [id, Infinity]));
  });
}
