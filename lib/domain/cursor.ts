import { createHmac, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';

/** Characters of the MAC at the end of every cursor: 16 bytes of HMAC-SHA256, base64url. */
const MAC_LENGTH = 22;

function mac(body: string, key: string): string {
  return createHmac('sha256', key).update(body).digest().subarray(0, 16).toString('base64url');
}

/**
 * Seals a listing position into an opaque cursor: base64url JSON followed by its HMAC, so a
 * client can resume a listing but cannot aim a query at keys of its choosing.
 */
export function sealCursor(position: Record<string, unknown>, key: string): string {
  const body = Buffer.from(JSON.stringify(position)).toString('base64url');
  return `${body}${mac(body, key)}`;
}

/** The position a cursor holds, or undefined when this key did not seal it (forged, altered, truncated) or it is not a `schema` position. */
export function openCursor<T>(cursor: string, key: string, schema: z.ZodType<T>): T | undefined {
  if (cursor.length <= MAC_LENGTH) return undefined;
  const body = cursor.slice(0, -MAC_LENGTH);
  const given = Buffer.from(cursor.slice(-MAC_LENGTH));
  const expected = Buffer.from(mac(body, key));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const result = schema.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
