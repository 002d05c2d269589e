/** A Powertools JSON log line, parsed. */
export type LogLine = Record<string, unknown> & { message?: string };

/**
 * Captures the JSON lines written to stdout/stderr (the handlers' Powertools logs) into `into`;
 * other lines pass through. Returns the function that restores the streams.
 */
export function captureJsonLines(into: LogLine[]): () => void {
  const restores = [process.stdout, process.stderr].map((stream) => {
    const original = stream.write;
    stream.write = function (chunk: string | Uint8Array, ...rest: unknown[]) {
      const other: string[] = [];
      for (const line of chunk.toString().split('\n')) {
        if (line.startsWith('{')) {
          try {
            into.push(JSON.parse(line) as LogLine);
            continue;
          } catch {
            // Not a JSON line: pass it through.
          }
        }
        other.push(line);
      }
      const text = other.join('\n');
      return text === '' ? true : original.call(stream, text, ...(rest as []));
    } as typeof stream.write;
    return () => {
      stream.write = original;
    };
  });
  return () => restores.forEach((restore) => restore());
}
