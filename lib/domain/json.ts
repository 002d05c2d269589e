/** True for a JSON object: not an array, not null (the shape every payload and message body must have). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
