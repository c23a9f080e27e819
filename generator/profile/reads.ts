// Which values a function reads: a proxy over a plain document (the repaired profile) that
// reports the path of every property read and written. Lets a rule run on a repaired profile
// say nothing when it looked at a value the repair put in place of the user's.
import type { PathSegment } from './findings.js';

export interface ReadLog {
  onRead(at: PathSegment[]): void;
  onWrite(at: PathSegment[]): void;
}

/**
 * `doc` behind a proxy reporting reads and writes to `log`, paths relative to `at`. A list's
 * length and an object's key list are not reported: a rule that walks a list judges each item
 * it reads, and a removed item is not there to be read.
 */
export function watched<T extends object>(doc: T, log: ReadLog, at: PathSegment[] = []): T {
  const proxies = new WeakMap<object, object>();
  const wrap = <U extends object>(node: U, path: PathSegment[]): U => {
    const known = proxies.get(node);
    if (known) return known as U;
    const proxy = new Proxy(node, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof key === 'symbol' || typeof value === 'function' || (Array.isArray(target) && key === 'length')) return value;
        const here = [...path, Array.isArray(target) && /^\d+$/.test(key) ? Number(key) : key];
        log.onRead(here);
        return typeof value === 'object' && value !== null ? wrap(value, here) : value;
      },
      set(target, key, value, receiver) {
        if (typeof key !== 'symbol') log.onWrite([...path, Array.isArray(target) && /^\d+$/.test(key) ? Number(key) : key]);
        return Reflect.set(target, key, value, receiver);
      },
    });
    proxies.set(node, proxy);
    return proxy;
  };
  return wrap(doc, at);
}
