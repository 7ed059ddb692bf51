/** status — the status matrix of every service in every environment, as a summary and JSON. */
import { renderStatusViewMarkdown, renderStatusViewText } from '@sd-actions/core';
import {
  log,
  getString,
  configInput,
  loadConfigFile,
  readContext,
  writeSummary,
} from '@sd-actions/action-kit';
import { Git, ScratchRepo } from '@sd-actions/git';
import { readStatusView, resolveRemote } from '@sd-actions/gitops';
import { createGitHubClient, parseRepository, readPendingForStatus } from '@sd-actions/github';

/** The action: read and validate the inputs, act, set the outputs, write the summary. */
export async function run(): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;
  const config = await loadConfigFile(workspace, configInput());
  const token = getString('token');
  const remote = await resolveRemote(workspace, 'origin', token, { mask: log.setSecret });
  const approvals =
    token && context.repository
      ? await readPendingForStatus(createGitHubClient({ token }), parseRepository(context.repository))
      : undefined;
  const repo = await ScratchRepo.open({ url: remote.url, authHeader: remote.authHeader });
  try {
    const view = await readStatusView(repo, config, {
      source: new Git(workspace),
      ...(approvals && 'pending' in approvals ? { pending: approvals.pending } : {}),
      ...(approvals && 'note' in approvals ? { approvalsNote: approvals.note } : {}),
    });
    const behind = view.rows.flatMap((row) =>
      row.cells.filter((c) => c.behind).map((c) => `${row.service}/${c.environment}`),
    );
    log.setOutput('matrix', JSON.stringify(view.rows));
    log.setOutput('behind', JSON.stringify(behind));
    log.info(renderStatusViewText(view));
    await writeSummary(
      `### What runs where\n\n${renderStatusViewMarkdown(view)}\n${behind.length ? `${behind.length} behind their \`from\` environment: ${behind.join(', ')}.` : 'No environment is behind its `from` environment.'}\n`,
    );
  } finally {
    await repo.dispose();
  }
}
