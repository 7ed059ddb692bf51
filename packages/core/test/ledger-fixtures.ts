/** Ledger commits for tests, written with the real message builders and read back like git does. */
import {
  parseTrailers,
  promotionMessage,
  rollbackMessage,
  type LedgerCommit,
  type PromotionRecord,
  type RollbackRecord,
} from '../src/index.js';

export const D = (c: string) => `sha256:${c.repeat(64).slice(0, 64)}`;
export const SRC = (c: string) => c.repeat(40).slice(0, 40);
export const ENV = 'production';

let counter = 0;
function sha(): string {
  counter++;
  return counter.toString(16).padStart(40, '0');
}

/** The trailer block as `git log --format=%(trailers:unfold)` prints it. */
function trailerBlock(message: string): string {
  return [...parseTrailers(message)].map(([k, v]) => `${k}: ${v}`).join('\n');
}

function fromMessage(message: string, date: string, author = 'Test Author'): LedgerCommit {
  return {
    sha: sha(),
    subject: message.split('\n')[0]!,
    authorName: author,
    date,
    trailers: trailerBlock(message),
  };
}

export function promotion(
  version: string,
  digest: string,
  date: string,
  extra: Partial<PromotionRecord> = {},
): LedgerCommit {
  return fromMessage(
    promotionMessage({
      service: 'blue',
      environment: ENV,
      version,
      digest,
      image: 'registry.example/blue',
      sourceCommit: SRC(digest.slice(7, 8)),
      fromEnvironment: 'staging',
      actor: 'alice',
      ...extra,
    }),
    date,
  );
}

export function verification(
  version: string,
  digest: string,
  result: string,
  date: string,
  service = 'blue',
): LedgerCommit {
  const message = `verify(${service}): ${version} ${result} in ${ENV}\n\nSd-Service: ${service}\nSd-Environment: ${ENV}\nSd-Version: ${version}\nSd-Digest: ${digest}\nSd-Verification: ${result}\nSd-Run-Url: https://github.com/acme/app/actions/runs/9\n`;
  return fromMessage(message, date);
}

export function rollback(
  record: Partial<RollbackRecord> & { version: string; previousVersion: string; digest: string },
  date: string,
): LedgerCommit {
  return fromMessage(
    rollbackMessage({
      service: 'blue',
      environment: ENV,
      reason: 'verify-deployment: unhealthy',
      actor: 'github-actions',
      ...record,
    }),
    date,
  );
}

/** A raw commit with exactly these trailers. */
export function raw(trailers: string, date = '2026-01-01T00:00:00Z', subject = 'hand-made'): LedgerCommit {
  return { sha: sha(), subject, authorName: 'Mallory', date, trailers };
}
