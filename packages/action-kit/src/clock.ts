/**
 * The actions' one clock. Time-based rules (minSoak, cooldowns, timeouts, promotedAt) read it
 * instead of `new Date()`, so tests can put the clock where a rule's boundary is instead of
 * sleeping past it: a test sets SD_ACTIONS_TEST_NOW to an ISO 8601 instant, and the clock starts
 * there and runs on at real speed. Outside tests the variable is unset and this is `new Date()`.
 */
const started = Date.now();

function testEpoch(): number | undefined {
  const value = process.env.SD_ACTIONS_TEST_NOW;
  if (!value) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new Error(`SD_ACTIONS_TEST_NOW: ${JSON.stringify(value)} is not an ISO 8601 time`);
  return ms;
}

export function now(): Date {
  const epoch = testEpoch();
  return epoch === undefined ? new Date() : new Date(epoch + (Date.now() - started));
}

/** `now()` as the ledger writes it: ISO 8601, whole seconds, UTC. */
export function timestamp(at: Date = now()): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
