/**
 * The runner's clock. Intervals, the rollout timeout and the overall timeout read it, so tests
 * run a verification of minutes in virtual time: `virtualClock()` jumps over every wait.
 * Per-request HTTP timeouts stay real (they bound real sockets).
 */
export interface VerifyClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Wait `ms`; returns early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A signal that aborts when the clock reaches `at`; dispose when no longer needed. */
  signalAt(at: number): { signal: AbortSignal; dispose(): void };
}

export const realClock: VerifyClock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    });
  },
  signalAt(at) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('deadline')), Math.max(0, at - Date.now()));
    return { signal: controller.signal, dispose: () => clearTimeout(timer) };
  },
};

/**
 * A clock for tests: starts at `start` and moves only when something sleeps. Parallel sleepers
 * share the time line (a sleep moves the clock to at least its own wake-up time), so checks
 * running side by side see one consistent clock. Real work (HTTP requests, commands) takes no
 * virtual time.
 */
export function virtualClock(start = Date.parse('2026-01-20T10:00:00Z')): VerifyClock & {
  advance(ms: number): void;
} {
  let now = start;
  const timers: { at: number; controller: AbortController }[] = [];
  const fire = () => {
    for (const t of timers)
      if (t.at <= now && !t.controller.signal.aborted) t.controller.abort(new Error('deadline'));
  };
  return {
    now: () => now,
    async sleep(ms, signal) {
      const target = now + Math.max(0, ms);
      // Let the other tasks run first, as real time would.
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) return;
      now = Math.max(now, target);
      fire();
    },
    signalAt(at) {
      const entry = { at, controller: new AbortController() };
      timers.push(entry);
      fire();
      return {
        signal: entry.controller.signal,
        dispose: () => {
          const i = timers.indexOf(entry);
          if (i >= 0) timers.splice(i, 1);
        },
      };
    },
    advance(ms) {
      now += ms;
      fire();
    },
  };
}
