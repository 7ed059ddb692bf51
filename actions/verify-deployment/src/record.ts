/** Recording the verdict in the environment branch's ledger (the `record` input). */
import type { ScratchRepo } from '@sd-actions/git';
import { recordVerification } from '@sd-actions/gitops';
import type { Inputs } from './inputs.js';
import { say } from './say.js';
import type { Subject } from './subject.js';

/** Records the verdict; returns the summary line and the commit made ('' when none). */
export async function recordVerdict(options: {
  repo: ScratchRepo;
  inputs: Pick<Inputs, 'config' | 'environment' | 'attempts'>;
  subject: Subject;
  verification: Parameters<typeof recordVerification>[0]['record']['verification'];
  reason: string;
  runUrl: string | undefined;
}): Promise<{ recorded: string; commit: string }> {
  const { repo, inputs, subject, verification, reason, runUrl } = options;
  const { environment } = inputs;
  const branch = environment.branch;
  const result = await recordVerification({
    repo,
    config: inputs.config,
    environment,
    record: { ...subject, verification, runUrl, reason },
    attempts: inputs.attempts,
    log: say,
  });
  if (result.runningVersion !== undefined)
    say(
      `${subject.version} no longer runs in ${environment.name} (now ${result.runningVersion}); the verdict is recorded only`,
    );
  const recorded = result.changed
    ? `Recorded as ${result.commit!.slice(0, 12)} on ${branch}.`
    : `Already recorded on ${branch}: the same verdict for the same version; no commit made.`;
  say(recorded);
  return { recorded, commit: result.changed ? result.commit! : '' };
}
