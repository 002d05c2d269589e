/** A local stand-in for an AWS service, listening on 127.0.0.1. */
export interface LocalServer {
  name: string;
  /** Base URL for SDK clients, e.g. http://127.0.0.1:8000. */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
  /** Process ids of child processes behind this server (none when it runs in this process). */
  pids(): number[];
}

/** Dummy credentials: the local servers accept any, the SDK insists on some. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
