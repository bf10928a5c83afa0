// What counts as a plain object, and how a property's place is named in error messages: shared
// by the codec, the error codec and the manager's wire values, so they agree on both.

/** An object literal or a null-prototype object: data, with no class behind it. */
export function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** `key` appended to a path: `.name` for an identifier, `["odd key"]` otherwise. */
export function propertyPath(where: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${where}.${key}` : `${where}[${JSON.stringify(key)}]`;
}
