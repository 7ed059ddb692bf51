import { describe, expect, test } from '@jest/globals';
import { checkVerification, newestVerdict, type Ledger, type VerificationEvent } from '../src/index.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;

function verdict(
  sha: string,
  version: string,
  digest: string,
  result: VerificationEvent['result'],
): VerificationEvent {
  return {
    kind: 'verification',
    sha: sha.repeat(40),
    subject: `verify(blue): ${version} ${result} in staging`,
    date: '2026-11-27T03:00:00Z',
    service: 'blue',
    environment: 'staging',
    version,
    digest,
    result,
  };
}

/** Newest first, as git log lists them. */
const ledger = (...events: VerificationEvent[]): Ledger => ({
  environment: 'staging',
  events,
  malformed: [],
});
const facts = { service: 'blue', from: 'staging', to: 'production', version: '1.7.0', digest: D('a') };

describe('[verification]', () => {
  test('no verdict, or healthy: nothing to say', () => {
    expect(checkVerification({ ...facts, ledger: ledger() })).toEqual({});
    expect(checkVerification({ ...facts, ledger: ledger(verdict('1', '1.7.0', D('a'), 'healthy')) })).toEqual(
      {},
    );
  });

  test('unhealthy refuses, naming the commit and the reason', () => {
    const result = checkVerification({
      ...facts,
      ledger: ledger(verdict('1', '1.7.0', D('a'), 'unhealthy')),
      reason: '3 of 6 checks failed',
    });
    expect(result.warning).toBeUndefined();
    expect(result.refusal).toEqual({
      rule: 'verification',
      message: expect.stringMatching(
        /^blue 1\.7\.0 \(sha256:a+\) was verified unhealthy in staging \(as 1\.7\.0\) by commit 1{12} .*: 3 of 6 checks failed\. /,
      ),
    });
  });

  test('inconclusive warns', () => {
    const result = checkVerification({
      ...facts,
      ledger: ledger(verdict('1', '1.7.0', D('a'), 'inconclusive')),
    });
    expect(result.refusal).toBeUndefined();
    expect(result.warning?.message).toMatch(
      /verified inconclusive in staging .*promoting it to production anyway$/,
    );
  });

  test('the newest verdict of the digest counts, whatever version it was recorded under', () => {
    const l = ledger(
      verdict('3', 'sha-abc1234', D('b'), 'unhealthy'),
      verdict('2', 'sha-0aa1234', D('a'), 'healthy'),
      verdict('1', 'sha-0aa1234', D('a'), 'unhealthy'),
    );
    expect(newestVerdict(l, D('a'))?.sha).toBe('2'.repeat(40));
    expect(checkVerification({ ...facts, ledger: l })).toEqual({});
    expect(checkVerification({ ...facts, digest: D('b'), ledger: l }).refusal?.message).toMatch(
      /\(as sha-abc1234\)/,
    );
  });
});
