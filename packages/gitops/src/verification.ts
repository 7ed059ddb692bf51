/**
 * Verification verdicts in the ledger (issue 12): one commit on the environment's branch per
 * verdict, changing no file, through the same fetch-edit-push retry as promotions. A re-run that
 * reaches the same verdict about the same artifact adds no second commit; a verdict about a
 * version that no longer runs is recorded as such and changes nothing else.
 */
import {
  parsePromotionMessage,
  parseManifest,
  parseVerificationMessage,
  sameVerification,
  verificationMessage,
  UserError,
  type Config,
  type EnvironmentConfig,
  type VerificationRecord,
} from '@sd-actions/core';
import { updateBranch, type ScratchRepo } from '@sd-actions/git';
import { manifestPathOf } from './manifest-update.js';

/** How far back the ledger is read for the last record of a service. */
const LEDGER_DEPTH = 200;

export interface LedgerEvent {
  sha: string;
  kind: 'promotion' | 'verification';
  version: string;
  digest?: string;
  verification?: VerificationRecord['verification'];
}

/** The newest promotion or verification of a service on an environment branch, from `tip` back. */
export async function latestLedgerEvent(
  repo: ScratchRepo,
  branch: string,
  tip: string,
  service: string,
  environment: string,
  filter: (event: LedgerEvent) => boolean = () => true,
): Promise<LedgerEvent | undefined> {
  for (const { sha, message } of await repo.commitMessages(branch, tip, LEDGER_DEPTH)) {
    const verification = parseVerificationMessage(message, environment);
    if (verification) {
      if (verification.service !== service || verification.environment !== environment) continue;
      const event: LedgerEvent = {
        sha,
        kind: 'verification',
        version: verification.version,
        digest: verification.digest,
        verification: verification.verification,
      };
      if (filter(event)) return event;
      continue;
    }
    const promotion = parsePromotionMessage(message);
    if (promotion && promotion.service === service && promotion.environment === environment) {
      const event: LedgerEvent = {
        sha,
        kind: 'promotion',
        version: promotion.version,
        digest: promotion.digest,
      };
      if (filter(event)) return event;
    }
  }
  return undefined;
}

export interface RecordVerificationOptions {
  repo: ScratchRepo;
  config: Config;
  environment: EnvironmentConfig;
  /** The verdict; `runningVersion` is filled in from the manifest. */
  record: VerificationRecord;
  attempts?: number;
  log?: (line: string) => void;
}

export interface RecordedVerification {
  changed: boolean;
  commit?: string;
  /** What the manifest runs when that is not the verified version. */
  runningVersion?: string;
}

export async function recordVerification(options: RecordVerificationOptions): Promise<RecordedVerification> {
  const { repo, config, environment } = options;
  const branch = environment.branch;
  const manifestPath = manifestPathOf(config, environment.name);
  const update = await updateBranch<{ runningVersion?: string }>({
    repo,
    branch,
    retry: { attempts: options.attempts ?? 10 },
    log: options.log,
    edit: async (state) => {
      if (!state.tip)
        throw new UserError(
          `Branch ${JSON.stringify(branch)} does not exist, so there is no deployment of ${options.record.service} in ${environment.name} to record a verification for`,
        );
      const text = await state.read(manifestPath);
      const entry = text
        ? parseManifest(text, `${branch}:${manifestPath}`).services.get(options.record.service)
        : undefined;
      const runs =
        entry?.version === options.record.version &&
        (options.record.digest === undefined || entry.digest === options.record.digest);
      const runningVersion = runs ? undefined : (entry?.version ?? 'nothing');
      const record: VerificationRecord = { ...options.record, runningVersion };
      const last = await latestLedgerEvent(repo, branch, state.tip, record.service, record.environment);
      if (
        last?.kind === 'verification' &&
        sameVerification(
          {
            service: record.service,
            environment: record.environment,
            version: last.version,
            digest: last.digest,
            verification: last.verification!,
          },
          record,
        )
      )
        return { value: { runningVersion } };
      return { files: {}, message: verificationMessage(record), value: { runningVersion }, allowEmpty: true };
    },
  });
  return { changed: update.changed, commit: update.commit, runningVersion: update.value.runningVersion };
}
