import fs from 'node:fs';
import path from 'node:path';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { AppError } from '../domain/errors';
import { jsonResponse } from './http';

/**
 * What every static answer carries: scripts, styles, images and requests from this origin
 * only (no inline script or style, no plugin, no framing, no form posting anywhere), the
 * Content-Type taken as sent, no referrer leaving the page.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** A built file the function may serve, with the Content-Type it is served as. */
export interface StaticFile {
  file: string;
  contentType: string;
}

/** A listed file is missing from the package: a build or packaging fault, answered as a 500. */
export class StaticFileMissingError extends AppError {}

/**
 * Serves files of one directory, but only those on its allow-list: a name is looked up in
 * the list, never joined to the directory as given, so no request can read another path.
 * Each file is read once, on first use, and kept.
 */
export class StaticFiles {
  private readonly cache = new Map<string, string>();

  constructor(
    private readonly dir: string,
    private readonly files: Readonly<Record<string, StaticFile>>,
  ) {}

  /** The allow-listed names. */
  get names(): string[] {
    return Object.keys(this.files);
  }

  /** The answer for `name`: the file with SECURITY_HEADERS, or undefined when `name` is not on the list. */
  respond(name: string): APIGatewayProxyResult | undefined {
    if (!Object.hasOwn(this.files, name)) return undefined;
    const { file, contentType } = this.files[name];
    let body = this.cache.get(file);
    if (body === undefined) {
      try {
        body = fs.readFileSync(path.join(this.dir, file), 'utf8');
      } catch (error) {
        throw new StaticFileMissingError(`static file ${file} is missing from ${this.dir}`, { cause: error, context: { file } });
      }
      this.cache.set(file, body);
    }
    return { statusCode: 200, headers: { 'Content-Type': contentType, 'Cache-Control': 'no-cache', ...SECURITY_HEADERS }, body };
  }
}

/** A JSON 404 for a name that is not on the list, with the same security headers. */
export function notFoundResponse(code: string, message: string): APIGatewayProxyResult {
  return jsonResponse(404, { error: { code, message, details: {} } }, { ...SECURITY_HEADERS });
}
