/** Where the console keeps the API key: the tab's sessionStorage, never a URL, a cookie or storage that outlives the tab. */

/** The part of the Web Storage API used here (sessionStorage in the page, a Map in tests). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const API_KEY = 'task-pipeline.console.apiKey';
const BASE_URL = 'task-pipeline.console.baseUrl';

/**
 * The API the page was served by: its URL without the last segment (`/console`), so
 * `http://127.0.0.1:3000/console` gives `http://127.0.0.1:3000` and a stage's
 * `https://id.execute-api.region.amazonaws.com/dev/console` gives `.../dev`.
 */
export function defaultBaseUrl(pageUrl: string): string {
  const url = new URL('.', pageUrl);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** The API key and base URL of this tab. */
export class Session {
  constructor(
    private readonly store: KeyValueStore,
    private readonly fallbackBaseUrl: string,
  ) {}

  get apiKey(): string | undefined {
    return this.store.getItem(API_KEY) || undefined;
  }

  get baseUrl(): string {
    return this.store.getItem(BASE_URL) || this.fallbackBaseUrl;
  }

  /** Keeps the key (and the base URL, unless it is the default) for this tab. */
  connect(apiKey: string, baseUrl: string): void {
    this.store.setItem(API_KEY, apiKey);
    const trimmed = baseUrl.trim().replace(/\/+$/, '');
    if (trimmed === '' || trimmed === this.fallbackBaseUrl) this.store.removeItem(BASE_URL);
    else this.store.setItem(BASE_URL, trimmed);
  }

  /** Forgets the key. */
  forget(): void {
    this.store.removeItem(API_KEY);
  }
}
