// Values computed on first use and kept. Properties: renderings (YAML, diffs) that only a reader of a plan or
// a result needs, so that planning and writing never wait on them and nothing is rendered twice. Per object
// (memoized): what is derived from constant data once, such as a schema's compiled checks.
export function lazyProperties<T extends object, K extends keyof T>(
  object: Omit<T, K>,
  renders: { [P in K]: () => T[P] },
): T {
  for (const key of Object.keys(renders) as K[]) {
    const settle = (value: T[K]) => {
      Object.defineProperty(object, key, { value, enumerable: true, configurable: true, writable: true });
      return value;
    };
    Object.defineProperty(object, key, {
      enumerable: true, // spread, JSON and structuredClone see it (and compute it)
      configurable: true,
      get: () => settle(renders[key]()),
      set: settle,
    });
  }
  return object as T;
}

/** `make` of an object, made on the first call for it and kept while the object lives (schemas, say). */
export function memoized<K extends object, V>(make: (key: K) => V): (key: K) => V {
  const made = new WeakMap<K, V>();
  return (key) => {
    let value = made.get(key);
    if (value === undefined) made.set(key, (value = make(key)));
    return value;
  };
}
