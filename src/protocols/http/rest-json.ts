/**
 * TorchServe's "REST JSON": Gson pretty printing as the Java frontend does it: 2-space
 * indentation, fields in insertion (declaration) order, `null`/`undefined` fields omitted,
 * no HTML escaping, and one `\n` appended after the JSON text. Pure.
 */
export function restJson(value: unknown): string {
  return `${JSON.stringify(value, omitNulls, 2)}\n`;
}

function omitNulls(this: unknown, _key: string, value: unknown): unknown {
  // Inside arrays Gson keeps nulls; inside objects it drops them.
  if (value === null && !Array.isArray(this)) return undefined;
  return value;
}
