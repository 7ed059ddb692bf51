/**
 * The GitHub client every adapter uses: `@actions/github`'s Octokit with
 * - an ETag cache for GETs: a repeated GET sends `If-None-Match`, and a `304 Not Modified` (which
 *   GitHub does not count against the rate limit) is answered from the cache;
 * - waits on rate limits: a 403/429 with `Retry-After`, or with `x-ratelimit-remaining: 0`, waits
 *   (on an injectable clock) and tries again, a bounded number of times;
 * - request statistics, so callers and benchmarks can see what polling costs.
 * It writes nothing to the runner's log: waits are reported through `onWait`.
 */
import { getOctokit } from '@actions/github';

export type Octokit = ReturnType<typeof getOctokit>;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RequestStats {
  /** Requests sent. */
  sent: number;
  /** Answered `304 Not Modified` from the ETag cache (not counted by GitHub's rate limit). */
  notModified: number;
  /** Requests that counted against the rate limit (sent − notModified). */
  counted: number;
  /** Times a rate limit made the client wait, and for how long in all. */
  rateLimitWaits: number;
  waitedMs: number;
  /** The rate-limit headers of the last answer. */
  remaining?: number;
  limit?: number;
}

export interface RateLimitWait {
  status: number;
  waitMs: number;
  url: string;
  attempt: number;
}

export interface GitHubClientOptions {
  token: string;
  /** The API base URL; default GITHUB_API_URL, else https://api.github.com. */
  baseUrl?: string;
  clock?: Clock;
  /** Retries after a rate-limit answer before giving up (default 3). */
  maxRetries?: number;
  /** The longest single wait for a rate limit, in ms (default 15 minutes); longer fails at once. */
  maxWaitMs?: number;
  onWait?: (wait: RateLimitWait) => void;
}

export interface GitHubClient {
  octokit: Octokit;
  stats: RequestStats;
  clock: Clock;
}

interface CachedResponse {
  etag: string;
  response: { status: number; url: string; headers: Record<string, unknown>; data: unknown };
}

function header(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return value === undefined || value === null ? undefined : String(value);
}

/** How long a rate-limit answer asks us to wait, or undefined when it is not a rate limit. */
export function rateLimitDelay(
  status: number,
  headers: Record<string, unknown> | undefined,
  nowMs: number,
  message = '',
): number | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const retryAfter = header(headers, 'retry-after');
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
  }
  if (header(headers, 'x-ratelimit-remaining') === '0') {
    const reset = Number(header(headers, 'x-ratelimit-reset'));
    if (Number.isFinite(reset)) return Math.max(1000, reset * 1000 - nowMs + 1000);
  }
  if (status === 429 || /secondary rate limit/i.test(message)) return 60_000;
  return undefined;
}

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const clock = options.clock ?? realClock;
  const maxRetries = options.maxRetries ?? 3;
  const maxWaitMs = options.maxWaitMs ?? 15 * 60_000;
  const baseUrl = (options.baseUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com').replace(
    /\/+$/,
    '',
  );
  const octokit = getOctokit(options.token, { baseUrl });
  const stats: RequestStats = { sent: 0, notModified: 0, counted: 0, rateLimitWaits: 0, waitedMs: 0 };
  const cache = new Map<string, CachedResponse>();

  const note = (headers: Record<string, unknown> | undefined) => {
    const remaining = Number(header(headers, 'x-ratelimit-remaining'));
    const limit = Number(header(headers, 'x-ratelimit-limit'));
    if (Number.isFinite(remaining)) stats.remaining = remaining;
    if (Number.isFinite(limit)) stats.limit = limit;
  };

  octokit.hook.wrap('request', async (request, requestOptions) => {
    const endpoint = octokit.request.endpoint.parse(requestOptions);
    const isGet = endpoint.method === 'GET';
    const key = `${endpoint.method} ${endpoint.url}`;
    for (let attempt = 1; ; attempt++) {
      const cached = isGet ? cache.get(key) : undefined;
      // Octokit's hooks are bound to this options object: change it in place (options passed to
      // `request` would be ignored by the auth hook inside).
      const headers = requestOptions.headers as Record<string, string>;
      if (cached) headers['if-none-match'] = cached.etag;
      else delete headers['if-none-match'];
      stats.sent++;
      try {
        const response = await request(requestOptions);
        stats.counted++;
        note(response.headers as Record<string, unknown>);
        const etag = header(response.headers as Record<string, unknown>, 'etag');
        if (isGet && etag)
          cache.set(key, {
            etag,
            response: {
              status: response.status,
              url: response.url,
              headers: response.headers as Record<string, unknown>,
              data: structuredClone(response.data),
            },
          });
        return response;
      } catch (err) {
        const e = err as {
          status?: number;
          response?: { headers?: Record<string, unknown> };
          message?: string;
        };
        if (e.status === 304 && cached) {
          stats.notModified++;
          note(e.response?.headers);
          return { ...cached.response, data: structuredClone(cached.response.data) } as Awaited<
            ReturnType<typeof request>
          >;
        }
        if (typeof e.status === 'number') stats.counted++;
        const delay =
          typeof e.status === 'number'
            ? rateLimitDelay(e.status, e.response?.headers, clock.now(), e.message)
            : undefined;
        if (delay === undefined || attempt > maxRetries || delay > maxWaitMs) throw err;
        stats.rateLimitWaits++;
        stats.waitedMs += delay;
        options.onWait?.({ status: e.status!, waitMs: delay, url: endpoint.url, attempt });
        await clock.sleep(delay);
      }
    }
  });

  return { octokit, stats, clock };
}
