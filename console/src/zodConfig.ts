/**
 * Imported first by main.ts, before any module that builds a zod schema: the CLI's client checks
 * answers with zod, which turns each object schema into code evaluated at run time unless
 * told not to, and the console's Content-Security-Policy (no 'unsafe-eval') refuses that.
 */
import { z } from 'zod';

z.config({ jitless: true });
