/**
 * The one encoder of every SQS message body the project sends (task, retry, DLQ, reconciler, redrive).
 *
 * SQS accepts only #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF in a body,
 * and emulators differ on the astral planes (fauxqs 1.9 rejects every surrogate pair). JSON with
 * every character outside printable ASCII written as a `\u` escape is the same JSON value and
 * uses only #x20-#x7E, so any payload the API accepts (any JSON string, U+FFFE, emoji, controls)
 * travels unchanged and JSON.parse gives it back equal.
 */

/**
 * Largest message SQS takes (1 MiB since 2025); the queues set MaximumMessageSize to it. The
 * largest body the API accepts (240 KiB) is at most 3x that once escaped, plus a small envelope.
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/g;

function unicodeEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * JSON.stringify escapes C0 controls, quotes and backslashes; what remains outside printable
 * ASCII can only occur inside strings (keys or values), where a `\u` escape means the same.
 */
export function encodeMessageBody(value: unknown): string {
  return JSON.stringify(value).replace(NOT_PRINTABLE_ASCII, unicodeEscape);
}
