// The client of an engine Worker (worker.js, playground-worker.js; see worker-core.js): numbered
// requests, each answered by { id, ok, result | error }, and events { event, … } handed to their
// subscribers. main.js (every app page) and engine.js (the engine check page) use it. Request and
// event names are checked against js/protocol.js: a misspelt one fails here, before any message.
import { COMMON, EVENTS, protocolOf } from './protocol.js';

/**
 * Starts the module Worker at `url`; returns { worker, rpc, on }. `onError(message)` hears the
 * worker itself failing (a script that does not load, an uncaught error).
 */
export function connect(url, onError) {
  const p = protocolOf(new URL(url, location.href).pathname);
  const known = new Set([...COMMON, ...p.requests, ...p.test]);
  const events = new Set(EVENTS);
  const worker = new Worker(url, { type: 'module' });
  let nextId = 1;
  const pending = new Map();
  const listeners = new Map();
  worker.onmessage = (ev) => {
    const d = ev.data;
    if (d.event) {
      for (const f of listeners.get(d.event) ?? []) f(d);
      for (const f of listeners.get('*') ?? []) f(d);
      return;
    }
    const p = pending.get(d.id);
    pending.delete(d.id);
    if (!p) return;
    if (d.ok) p.resolve(d.result);
    else p.reject(Object.assign(new Error(d.error), { kind: d.kind ?? null }));
  };
  worker.onerror = (e) => onError?.(e.message ?? 'unknown error');

  /**
   * One request to the worker; resolves with its result, rejects with an Error whose `message` is
   * the engine's and whose `kind` is its stable error kind (`model-file/bad-dtype`, `config`, …;
   * null for an error that did not come from the engine).
   */
  function rpc(type, args = {}, transfer = []) {
    if (!known.has(type)) return Promise.reject(new Error(`unknown request ${type} (not in js/protocol.js for ${p.name})`));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, type, ...args }, transfer);
    });
  }

  /** Subscribes to worker events (`progress`, `epoch`, `done`, …; '*' for all). */
  function on(name, f) {
    if (name !== '*' && !events.has(name)) throw new Error(`unknown event ${name} (not in js/protocol.js)`);
    if (!listeners.has(name)) listeners.set(name, []);
    listeners.get(name).push(f);
  }

  return { worker, rpc, on };
}
