/** ANSI colours, or none when the output is not a terminal (or NO_COLOR is set). */
export function palette(enabled: boolean) {
  const wrap = (code: string) => (text: string) => (enabled ? `\u001b[${code}m${text}\u001b[0m` : text);
  return {
    red: wrap('1;31'),
    yellow: wrap('33'),
    dim: wrap('2'),
    bold: wrap('1'),
    green: wrap('32'),
    byIndex: (i: number) => wrap(['36', '32', '35', '34', '33', '96', '92', '95'][i % 8]),
  };
}

export type Palette = ReturnType<typeof palette>;

/** The message and level of a Powertools JSON log line, if it is one. */
function logFields(text: string): { message?: string; level?: string; _aws?: unknown } | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    return JSON.parse(text) as { message?: string; level?: string; _aws?: unknown };
  } catch {
    return undefined;
  }
}

const FUNCTION_LINE = /^\[(\w+)\] (.*)$/;
/** serverless-offline's own line around each invocation: noise next to the functions' JSON lines. */
const INVOCATION_NOISE = [/^\(λ: \w+\) RequestId: .* Duration: /, /^[A-Z]+ \S+ \(λ: \w+\)$/];
/**
 * What serverless-offline says about its own HTTP server (its route table, "Server ready", the
 * x-api-key reminder): npm start keeps that server on an unannounced port and serves the API
 * with the local API Gateway, so these lines would point at the wrong server.
 */
const OFFLINE_HTTP_SERVER = [/^\s*[│┌└]/, /^Server ready: /, /^Remember to use 'x-api-key'/];

/**
 * Formats the output of `serverless offline` for the terminal: lines written by a function
 * (tagged `[functionKey]` by tagWorkerOutput.js) get the function's name as prefix; a
 * TASK_FAILED line stands out in red, warnings and errors in yellow, metric lines are dim. Returns undefined for
 * lines to drop (blank lines, offline's lines about its own HTTP server, and per-invocation noise unless verbose).
 */
export function offlineLineFormatter(options: { colors: Palette; verbose: boolean }) {
  const { colors, verbose } = options;
  const width = 12;
  const nameColors = new Map<string, (text: string) => string>();
  const nameColor = (key: string) => {
    if (!nameColors.has(key)) nameColors.set(key, colors.byIndex(nameColors.size));
    return nameColors.get(key)!;
  };
  return (line: string): string | undefined => {
    const trimmed = line.trimEnd();
    if (trimmed.trim() === '') return undefined;
    const tagged = FUNCTION_LINE.exec(trimmed);
    if (!tagged) {
      if (OFFLINE_HTTP_SERVER.some((pattern) => pattern.test(trimmed))) return undefined;
      if (!verbose && INVOCATION_NOISE.some((pattern) => pattern.test(trimmed))) return undefined;
      return `${colors.dim(`${'offline'.padEnd(width)} |`)} ${colors.dim(trimmed)}`;
    }
    const [, functionKey, text] = tagged;
    const prefix = nameColor(functionKey)(`${functionKey.padEnd(width)} |`);
    const fields = logFields(text);
    if (fields?.message === 'TASK_FAILED') return `${prefix} ${colors.red(text)}`;
    // CloudWatch embedded-metric lines: kept, but quieter than the log lines.
    if (fields?._aws !== undefined) return `${prefix} ${colors.dim(text)}`;
    if (fields?.level === 'ERROR' || fields?.level === 'WARN' || fields?.level === 'CRITICAL') return `${prefix} ${colors.yellow(text)}`;
    return `${prefix} ${text}`;
  };
}
