/**
 * The job matrix detect emits, within GitHub's cap of 256 jobs per matrix. At or below the limit
 * one entry per service; above it, the services split into at most `maxJobs` balanced chunks
 * (sizes differ by at most one), in the order given, each service in exactly one chunk.
 */
import { UserError } from './errors.js';

/** GitHub's limit on the jobs one matrix may generate. */
export const MATRIX_JOB_LIMIT = 256;

export interface MatrixChunk {
  /** `1-of-N`: this chunk's place, for job names and concurrency groups. */
  chunk: string;
  /** The chunk's services as JSON array text, ready to pass to a `services` input. */
  services: string;
}

/** Split `items` into `min(maxJobs, items.length)` contiguous chunks whose sizes differ by ≤ 1. */
export function balancedChunks<T>(items: readonly T[], maxJobs: number): T[][] {
  if (!Number.isInteger(maxJobs) || maxJobs < 1 || maxJobs > MATRIX_JOB_LIMIT)
    throw new UserError(
      `max-jobs: ${JSON.stringify(maxJobs)} is not valid; expected a whole number from 1 to ${MATRIX_JOB_LIMIT}`,
    );
  const count = Math.min(maxJobs, items.length);
  const chunks: T[][] = [];
  const small = Math.floor(items.length / Math.max(1, count));
  const larger = items.length - small * count; // the first `larger` chunks take one more
  let at = 0;
  for (let i = 0; i < count; i++) {
    const size = small + (i < larger ? 1 : 0);
    chunks.push(items.slice(at, at + size));
    at += size;
  }
  return chunks;
}

/** The chunked matrix entries for `services` (call only above the limit; any size works). */
export function chunkedMatrix(services: readonly string[], maxJobs: number): { include: MatrixChunk[] } {
  const chunks = balancedChunks(services, maxJobs);
  return {
    include: chunks.map((names, i) => ({
      chunk: `${i + 1}-of-${chunks.length}`,
      services: JSON.stringify(names),
    })),
  };
}
