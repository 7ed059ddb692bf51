import {
  formatDuration,
  parseApprovalSetting,
  parseDuration,
  show,
  UserError,
  type ApprovalPolicy,
} from '@sd-actions/core';
import { getList, getString } from '@sd-actions/action-kit';
import { createGitHubClient, gateLogin, parseRepository, readTrustedRequest } from '@sd-actions/github';

export function durationInput(name: string, min = 1000): { text: string; ms: number } | undefined {
  const text = getString(name);
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms < min)
    throw new UserError(
      `Input "${name}": ${show(text)} is not valid; expected a duration of at least ${formatDuration(min)}, like 30s, 5m or 24h`,
    );
  return { text, ms };
}

/** The `issue` input: a number (`12`, `#12`) or an issue URL. */
export function issueInput(): number | undefined {
  const text = getString('issue');
  if (text === undefined) return undefined;
  const n = Number(/^#?(\d+)$/.exec(text)?.[1] ?? /\/issues\/(\d+)$/.exec(text)?.[1]);
  if (!(n > 0))
    throw new UserError(`Input "issue": ${show(text)} is not valid; expected an issue number or URL`);
  return n;
}

export function policyFrom(base: ApprovalPolicy): ApprovalPolicy {
  const approvers = getList('approvers');
  const countText = getString('minimum-approvals');
  const timeout = durationInput('timeout');
  if (countText !== undefined && !/^\d+$/.test(countText))
    throw new UserError(
      `Input "minimum-approvals": ${show(countText)} is not valid; expected a whole number`,
    );
  const overridden = parseApprovalSetting({
    count: countText === undefined ? base.count : Number(countText),
    ...(approvers.length > 0
      ? { approvers }
      : base.users.length + base.teams.length > 0
        ? { approvers: [...base.users, ...base.teams] }
        : {}),
    ...(timeout ? { timeout: timeout.text } : base.timeout ? { timeout: base.timeout } : {}),
    via: base.via,
  });
  if ('problem' in overridden) {
    const { path, value, expected } = overridden.problem;
    const input = path[0] === 'count' ? 'minimum-approvals' : path[0] === 'timeout' ? 'timeout' : 'approvers';
    throw new UserError(`Input "${input}": ${show(value)} ${expected}`);
  }
  return overridden.policy;
}

/**
 * The `service` and `environment` inputs. Resuming a request (`issue:`), either may be left out:
 * it comes from the request's binding (the record the issue's text cannot rewrite).
 */
export async function namesOf(
  token: string,
  repository: string,
  issue: number | undefined,
): Promise<{ serviceName: string; environmentName: string }> {
  let serviceName = getString('service');
  let environmentName = getString('environment');
  if (serviceName === undefined || environmentName === undefined) {
    if (issue === undefined)
      throw new UserError(
        `Input "${serviceName === undefined ? 'service' : 'environment'}": required (it may be left out only with issue:, when resuming a request)`,
      );
    const peek = createGitHubClient({ token });
    const bound = (await readTrustedRequest(peek, parseRepository(repository), issue, await gateLogin(peek)))
      .binding;
    serviceName ??= bound.service;
    environmentName ??= bound.environment;
  }
  return { serviceName, environmentName };
}
