/** The promote gates that read beyond the config: `[verification]`, `[approval]`, and the quarantine override record. */
import {
  checkVerification,
  describeApprovalPolicy,
  newestVerdict,
  parseApprovalReference,
  parseVerificationMessage,
  UserError,
  type ApprovalEvidenceRecord,
  type ApprovalPolicy,
  type Refusal,
} from '@sd-actions/core';
import { getString, link, log, now } from '@sd-actions/action-kit';
import type { ScratchRepo } from '@sd-actions/git';
import { fetchLedgerBranch, readLedger } from '@sd-actions/gitops';
import type { EligibilityClients } from '@sd-actions/github';

/**
 * The `[verification]` gate: the newest verdict on this digest in the `from` environment's ledger
 * (its whole history is fetched), with the reason from the verification commit's body.
 */
export async function verificationGate(
  repo: ScratchRepo,
  service: string,
  from: string,
  fromBranch: string,
  to: string,
  version: string,
  digest: string,
): Promise<{ refusal?: Refusal; warning?: Refusal }> {
  const tip = await fetchLedgerBranch(repo, fromBranch);
  if (!tip) return {};
  const ledger = await readLedger(repo.git, tip, from, { service });
  const last = newestVerdict(ledger, digest);
  if (!last || last.result === 'healthy') return {};
  const message = await repo.git.run(['log', '-1', '--format=%B', '--end-of-options', last.sha]);
  const reason = parseVerificationMessage(message, from)?.reason;
  return checkVerification({ service, from, to, version, digest, ledger, reason });
}

/** What the approval inputs say, checked before anything is read or changed. */
export interface ApprovalGate {
  policy: ApprovalPolicy;
  /** The request's issue number (via: issue). */
  number?: number;
  membershipToken?: string;
  dryRun: boolean;
  repository: string;
  /** Set when the approval is required and missing (a real run refuses at once). */
  missing?: Refusal;
}

export interface ApprovalOutcome {
  /** The summary's Approval row. */
  line: string;
  evidence?: ApprovalEvidenceRecord;
  refusal?: Refusal;
}

export function approvalGateInputs(
  environment: string,
  policy: ApprovalPolicy,
  dryRun: boolean,
  repository: string,
): ApprovalGate {
  const text = getString('approval');
  const membershipToken = getString('membership-token');
  if (membershipToken) log.setSecret(membershipToken);
  const number = text === undefined ? undefined : parseApprovalReference(text, repository);
  const gate: ApprovalGate = { policy, dryRun, repository, membershipToken };
  if (policy.count === 0) {
    if (text !== undefined)
      log.warning(`Input "approval" is not used: ${environment} requires no approvals`, {
        title: 'Approval',
      });
    return gate;
  }
  const requires = `${environment} requires ${describeApprovalPolicy(policy)}`;
  if (policy.via === 'codepipeline')
    return {
      ...gate,
      missing: {
        rule: 'approval',
        message: `${requires}, decided in CodePipeline, which this version of promote cannot check; use via: issue or via: environment`,
      },
    };
  if (policy.teams.length > 0 && !membershipToken)
    throw new UserError(
      `Input "membership-token": required to check the approvals ${requires}: the workflow GITHUB_TOKEN cannot read organisation teams; pass a GitHub App or fine-grained token with "Members: read"`,
    );
  if (policy.via === 'environment') {
    if (text !== undefined)
      log.warning(
        `Input "approval" is not used: ${environment} is approved through the GitHub environment's reviewers (via: environment)`,
        { title: 'Approval' },
      );
    return gate;
  }
  if (number === undefined && !dryRun)
    return {
      ...gate,
      missing: {
        rule: 'approval',
        message: `${requires}; pass the approval request as input "approval" (await-approval's issue-number or issue-url output) once it is approved`,
      },
    };
  return { ...gate, number };
}

/**
 * Re-check the approval through the API by the config's rules. A dry run reports what it checked;
 * a missing or insufficient approval is a warning there (the approval usually follows the dry run).
 */
export async function checkApproval(
  gate: ApprovalGate,
  target: {
    service: string;
    environment: string;
    digest: string;
    token?: string;
    runId: number;
    runUrl?: string;
  },
): Promise<ApprovalOutcome> {
  const { policy } = gate;
  if (policy.count === 0) return { line: '— (not required)' };
  if (gate.missing) return { line: `refused: ${gate.missing.message}`, refusal: gate.missing };
  const requires = describeApprovalPolicy(policy);
  if (policy.via === 'issue' && gate.number === undefined) {
    const line = `would check an approval request: ${requires} (input "approval" not given)`;
    log.notice(`Dry run: ${line}`, { title: 'Approval' });
    return { line };
  }
  if (!target.token)
    throw new UserError(
      `Input "token": required to check the approvals ${target.environment} requires (${requires}); pass github.token`,
    );
  // The GitHub client (Octokit and its HTTP stack) loads only when a gate asks GitHub: most
  // promotions (every one into an environment without approvals) never start it.
  const { checkRequestApproval, checkRunApproval, createGitHubClient, parseRepository } =
    await import('@sd-actions/github');
  const clock = {
    now: () => now().getTime(),
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  };
  const onWait = (w: { waitMs: number }) =>
    log.info(`GitHub rate limit: waiting ${Math.ceil(w.waitMs / 1000)}s before trying again`);
  const clients: EligibilityClients = {
    repo: createGitHubClient({ token: target.token, clock, onWait }),
    ...(gate.membershipToken
      ? { membership: createGitHubClient({ token: gate.membershipToken, clock, onWait }) }
      : {}),
  };
  const repo = parseRepository(gate.repository);
  let result;
  if (policy.via === 'environment') {
    if (!(target.runId > 0))
      throw new UserError(
        'GITHUB_RUN_ID is not set: via: environment reads the environment reviews of this run',
      );
    result = await checkRunApproval(clients, repo, target.runId, {
      policy,
      environment: target.environment,
      ...(target.runUrl ? { runUrl: target.runUrl } : {}),
    });
  } else {
    result = await checkRequestApproval(clients, repo, gate.number!, {
      policy,
      target,
      nowMs: clock.now(),
    });
  }
  log.info(`Checked ${result.checked} against the config: ${requires}`);
  if ('evidence' in result) {
    const { approvedBy, approval } = result.evidence;
    return {
      line: `${approvedBy.join(', ')} (${approvedBy.length} of ${policy.count} needed) — ${link(approval, approval)}`,
      evidence: result.evidence,
    };
  }
  if (gate.dryRun) {
    log.warning(`Dry run: a real run would refuse: ${result.refusal.message} [approval]`, {
      title: 'Approval',
    });
    return { line: `a real run would refuse: ${result.refusal.message}` };
  }
  return { line: `refused: ${result.refusal.message}`, refusal: result.refusal };
}

/** `allow-quarantined` on the record: `Sd-Override: quarantine` beside any other override. */
export function withQuarantineOverride(
  record: { override?: string; overrideReason?: string },
  quarantined: Refusal | undefined,
): { override?: string; overrideReason?: string } {
  if (!quarantined) return record;
  return {
    override: [record.override, 'quarantine'].filter(Boolean).join(', '),
    overrideReason: record.overrideReason ?? `allow-quarantined: ${quarantined.message}`,
  };
}
