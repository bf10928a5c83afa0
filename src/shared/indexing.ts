// `object[i]` for the array-like shared objects (SharedArray, ShareableList): a Proxy sends
// integer keys to the object's at()/setAt() and everything else to the object itself, with
// methods bound to it (private fields cannot be reached through a proxy).

const INDEX = /^(0|[1-9]\d*)$/;

export interface Indexed<T> {
  readonly length: number;
  at(index: number): T;
  setAt(index: number, value: T): void;
}

/** The object, with its elements readable and writable as `object[i]`. */
export function withIndexes<O extends Indexed<unknown>>(object: O): O {
  return new Proxy(object, {
    get(target, property) {
      if (typeof property === 'string' && INDEX.test(property)) return target.at(Number(property));
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set(target, property, value) {
      if (typeof property === 'string' && INDEX.test(property)) {
        target.setAt(Number(property), value);
        return true;
      }
      return Reflect.set(target, property, value, target);
    },
    has(target, property) {
      if (typeof property === 'string' && INDEX.test(property)) return Number(property) < target.length;
      return Reflect.has(target, property);
    },
  });
}
