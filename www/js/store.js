// A small key-value store in IndexedDB (database "multispike", object store "kv"): the Train
// page's autosave, the model handed to the Draw page, the τ page's results. Values are
// structured-cloned (Uint8Array, plain objects).

const DB = 'multispike';
const STORE = 'kv';
let db = null;

function open() {
  if (db) return db;
  db = new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB is not available'));
    r.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  });
  return db;
}

async function tx(mode, f) {
  const d = await open();
  return new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    const req = f(t.objectStore(STORE));
    t.oncomplete = () => resolve(req?.result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
  });
}

export const get = (key) => tx('readonly', (s) => s.get(key));
export const put = (key, value) => tx('readwrite', (s) => s.put(value, key));
export const del = (key) => tx('readwrite', (s) => s.delete(key));

// Keys.
export const OWN_MODEL = 'own-model'; // { bytes, info, savedAt, source }
export const AUTOSAVE = 'train-autosave'; // see train.js
export const TAU_RESULTS = 'tau-results'; // see tau.js
