import { describe, expect, test } from '@jest/globals';
import {
  parsePromotionMessage,
  parseTrailers,
  promotionMessage,
  sanitizeTrailerValue,
} from '../src/index.js';

const RECORD = {
  service: 'blue',
  environment: 'production',
  version: '1.6.1',
  previousVersion: '1.6.0',
  digest: `sha256:${'a'.repeat(64)}`,
  image: 'registry.example/blue',
  sourceCommit: 'b'.repeat(40),
  fromEnvironment: 'staging',
  actor: 'alice',
  runUrl: 'https://github.com/acme/monorepo/actions/runs/1234',
};

describe('promotion messages', () => {
  test('subject, body and trailers', () => {
    expect(promotionMessage(RECORD)).toBe(`promote(blue): 1.6.1 to production

Promote blue 1.6.1 from staging to production (was 1.6.0).

Sd-Service: blue
Sd-Environment: production
Sd-Version: 1.6.1
Sd-Previous-Version: 1.6.0
Sd-Digest: sha256:${'a'.repeat(64)}
Sd-Image: registry.example/blue
Sd-Source-Commit: ${'b'.repeat(40)}
Sd-From-Environment: staging
Sd-Actor: alice
Sd-Run-Url: https://github.com/acme/monorepo/actions/runs/1234
`);
  });

  test('round trip, with optional trailers left out', () => {
    expect(parsePromotionMessage(promotionMessage(RECORD))).toEqual(RECORD);
    const minimal = { service: 'red', environment: 'dev', version: 'sha-abc1234' };
    const text = promotionMessage(minimal);
    expect(text).toContain('Promote red sha-abc1234 to dev (first deployment).');
    expect(parsePromotionMessage(text)).toEqual(minimal);
    expect(parsePromotionMessage('fix: something\n\nSigned-off-by: x <x@y>')).toBeUndefined();
  });

  test('a value cannot forge a trailer or a subject line', () => {
    const text = promotionMessage({ ...RECORD, actor: 'mallory\nSd-Version: 6.6.6\r\n\u0000x' });
    expect(text.split('\n').filter((l) => l.startsWith('Sd-Version:'))).toEqual(['Sd-Version: 1.6.1']);
    expect(parsePromotionMessage(text)?.actor).toBe('mallory Sd-Version: 6.6.6 x');
    expect(sanitizeTrailerValue('a'.repeat(500))).toHaveLength(200);
  });

  test('only the last paragraph, and only when it is all trailers', () => {
    expect(parseTrailers('subject\n\nKey: in body\nnot a trailer\n')).toEqual(new Map());
    expect(parseTrailers('subject\n\nbody\n\nA-B: 1\nC: 2\n')).toEqual(
      new Map([
        ['a-b', '1'],
        ['c', '2'],
      ]),
    );
  });
});
