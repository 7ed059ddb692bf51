/**
 * Overrides people need in an emergency, on the record. `override-soak` lets a promotion past the
 * environment's minSoak (and nothing else); it requires a `reason`, and the manifest commit carries
 * `Sd-Override: min-soak` and `Sd-Override-Reason: <reason>`. Pure.
 */
import { UserError } from './errors.js';
import type { Refusal, Verdict } from './policy.js';
import { sanitizeTrailerValue } from './trailers.js';

/** The policy rules an override may pass, by the input that requests it. */
export const OVERRIDABLE = { 'override-soak': 'min-soak' } as const;

export interface OverrideRequest {
  soak: boolean;
  /** One line, already cleaned (see validateOverride). */
  reason?: string;
}

/** Check the override inputs together; returns the request with the reason cleaned to one line. */
export function validateOverride(input: { soak: boolean; reason?: string }): OverrideRequest {
  const reason = input.reason === undefined ? undefined : sanitizeTrailerValue(input.reason);
  if (input.soak && !reason)
    throw new UserError(
      'Input "reason" is required with "override-soak": say why the soak is skipped (it is recorded in the ledger as Sd-Override-Reason)',
    );
  if (!input.soak && reason)
    throw new UserError(
      'Input "reason" is only used with "override-soak: true"; set override-soak to skip the soak, or leave reason empty',
    );
  return { soak: input.soak, reason };
}

export interface OverriddenVerdict extends Verdict {
  /** Rules this promotion passes only because of an override (empty when none was needed). */
  overridden: Refusal[];
}

/**
 * Apply an override to a policy verdict: min-soak refusals and warnings move to `overridden`.
 * Without the override, a min-soak refusal says which setting and input change the rule.
 */
export function applyOverrides(
  verdict: Verdict,
  request: OverrideRequest,
  environment: string,
): OverriddenVerdict {
  const soak = (r: Refusal) => r.rule === OVERRIDABLE['override-soak'];
  if (request.soak) {
    return {
      ...verdict,
      refusals: verdict.refusals.filter((r) => !soak(r)),
      warnings: verdict.warnings.filter((r) => !soak(r)),
      overridden: [...verdict.refusals, ...verdict.warnings].filter(soak),
    };
  }
  return {
    ...verdict,
    refusals: verdict.refusals.map((r) =>
      soak(r)
        ? {
            ...r,
            message: `${r.message}; in an emergency re-run with override-soak: true and a reason (recorded in the ledger), or set soakPolicy: warn on environments.${environment}`,
          }
        : r,
    ),
    overridden: [],
  };
}

/** The ledger trailers for what was overridden (none when nothing was). */
export function overrideRecord(
  overridden: Refusal[],
  request: OverrideRequest,
): { override?: string; overrideReason?: string } {
  if (overridden.length === 0) return {};
  return { override: [...new Set(overridden.map((r) => r.rule))].join(', '), overrideReason: request.reason };
}
