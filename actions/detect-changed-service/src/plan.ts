/** The comparison detect makes, planned from the event and the inputs. */
import { planComparison, type ComparePlan } from '@sd-actions/core';
import { getList, getString, readContext } from '@sd-actions/action-kit';
import type { Git } from '@sd-actions/git';
import { probeComparison, type Probe } from './resolve.js';

export const remote = 'origin';

export function plan(context: ReturnType<typeof readContext>, requested: string[]): ComparePlan {
  return planComparison({
    eventName: context.eventName,
    payload: context.payload,
    sha: context.sha,
    ref: context.ref,
    base: getString('base'),
    head: getString('head'),
    services: requested,
    defaultBranch: getString('default-branch'),
    remote,
  });
}

/** The read-only git probes of a diff plan, started before the config is parsed; none if unsure. */
export function probeEarly(git: Git, context: ReturnType<typeof readContext>): Probe | undefined {
  if (getString('compare-to-environment') !== undefined) return undefined;
  try {
    const early = plan(context, getList('services'));
    return early.kind === 'diff' ? probeComparison(git, early) : undefined;
  } catch {
    return undefined; // reported in order below
  }
}
