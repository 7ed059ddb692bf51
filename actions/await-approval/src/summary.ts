import { UserError, type ApprovalPolicy, type ApprovalStatus } from '@sd-actions/core';
import { code, link, log, markdownTable, writeSummary } from '@sd-actions/action-kit';
import type { GitHubClient, ReadRequestResult } from '@sd-actions/github';

export function report(result: ReadRequestResult, policy: ApprovalPolicy, client: GitHubClient): void {
  const { decision, issue, binding } = result;
  const status: ApprovalStatus = decision.status;
  log.setOutput('status', status);
  log.setOutput('approved', String(status === 'approved'));
  log.setOutput('approvers', decision.approvers.join(','));
  log.setOutput('issue-number', String(issue.number));
  log.setOutput('issue-url', issue.url);
  log.setOutput('service', binding.service);
  log.setOutput('environment', binding.environment);
  log.setOutput('version', binding.version);
  log.setOutput('digest', binding.digest);
  const ignored = decision.ignored.filter((i) => i.reason !== 'replaced');
  log.info(
    `Request #${issue.number}: ${status}; approvals ${decision.approvers.length} of ${policy.count}` +
      (decision.approvers.length ? ` (${decision.approvers.join(', ')})` : '') +
      (decision.deniers.length ? `; denied by ${decision.deniers.join(', ')}` : '') +
      (ignored.length ? `; ignored ${ignored.map((i) => `${i.login} (${i.reason})`).join(', ')}` : '') +
      `; ${client.stats.counted} rate-limited requests, ${client.stats.notModified} answered 304`,
  );
  void writeSummary(
    `### Approval: ${binding.service} ${binding.version} for ${binding.environment}\n\n` +
      markdownTable(
        ['request', 'status', 'digest', 'approved by', 'denied by', 'ignored'],
        [
          [
            link(`#${issue.number}`, issue.url),
            status,
            code(binding.digest),
            decision.approvers.join(', '),
            decision.deniers.join(', '),
            ignored.map((i) => `${i.login} (${i.reason})`).join(', '),
          ],
        ],
      ),
  );
  if (status === 'denied')
    throw new UserError(`Approval request #${issue.number} was denied by ${decision.deniers.join(', ')}`);
  if (status === 'timed-out')
    throw new UserError(
      `Approval request #${issue.number} timed out after ${policy.timeout ?? ''} with ${decision.approvers.length} of ${policy.count} approvals`,
    );
}
