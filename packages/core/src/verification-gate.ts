/**
 * The `[verification]` promotion rule (issue 14): a digest whose newest verification in the `from`
 * environment is `unhealthy` is not promoted further, naming the verification commit and its
 * reason; `inconclusive` only warns. Matching is by digest (a dev build tag becomes a release
 * version further on, the digest stays), so a newer build, or a later healthy verdict for the same
 * digest, promotes normally. Pure: promote
 * reads the ledger (gitops `readLedger`) and the reason (the commit body) and passes them in.
 */
import type { Ledger, VerificationEvent } from './ledger.js';
import type { Refusal } from './policy.js';

export interface VerificationGateFacts {
  service: string;
  /** The environment the digest comes from (its ledger is `ledger`). */
  from: string;
  to: string;
  version: string;
  digest: string;
  ledger: Ledger;
  /** The reason recorded on the newest verification of this digest (its message body), when known. */
  reason?: string;
}

/** The newest verdict recorded for this digest, whatever version it was recorded under. */
export function newestVerdict(ledger: Ledger, digest: string): VerificationEvent | undefined {
  for (const event of ledger.events)
    if (event.kind === 'verification' && event.digest === digest) return event;
  return undefined;
}

export function checkVerification(f: VerificationGateFacts): { refusal?: Refusal; warning?: Refusal } {
  const event = newestVerdict(f.ledger, f.digest);
  if (!event || event.result === 'healthy') return {};
  const reason = f.reason;
  const what = `${f.service} ${f.version} (${f.digest}) was verified ${event.result} in ${f.from} (as ${event.version}) by commit ${event.sha.slice(0, 12)} (${event.date})${reason ? `: ${reason}` : ''}`;
  if (event.result === 'unhealthy')
    return {
      refusal: {
        rule: 'verification',
        message: `${what}. Fix it and promote a newer version, or verify it again in ${f.from} before promoting it to ${f.to}`,
      },
    };
  return { warning: { rule: 'verification', message: `${what}; promoting it to ${f.to} anyway` } };
}
