import { describe, expect, test } from '@jest/globals';
import { balancedChunks, chunkedMatrix, MATRIX_JOB_LIMIT } from '../src/matrix.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => `svc-${String(i).padStart(4, '0')}`);

describe('balancedChunks', () => {
  test.each([
    [2000, 256],
    [257, 256],
    [10, 3],
    [5, 5],
    [3, 10],
    [1, 1],
  ])('%i services into at most %i chunks: balanced, ordered, each once', (n, max) => {
    const items = names(n);
    const chunks = balancedChunks(items, max);
    expect(chunks.length).toBe(Math.min(n, max));
    const sizes = chunks.map((c) => c.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(chunks.flat()).toEqual(items);
  });

  test('no services: no chunks', () => {
    expect(balancedChunks([], 4)).toEqual([]);
  });

  test.each([0, 257, 1.5, Number.NaN])('max-jobs %p is refused with the valid range', (max) => {
    expect(() => balancedChunks(names(3), max)).toThrow(/max-jobs: .*expected a whole number from 1 to 256/);
  });
});

describe('chunkedMatrix', () => {
  test('entries name their place and carry JSON array text', () => {
    expect(chunkedMatrix(['a', 'b', 'c', 'd', 'e'], 2)).toEqual({
      include: [
        { chunk: '1-of-2', services: '["a","b","c"]' },
        { chunk: '2-of-2', services: '["d","e"]' },
      ],
    });
  });

  test('2,000 services fit the GitHub limit', () => {
    const m = chunkedMatrix(names(2000), MATRIX_JOB_LIMIT);
    expect(m.include).toHaveLength(256);
    expect(m.include.flatMap((e) => JSON.parse(e.services) as string[])).toEqual(names(2000));
  });
});
