/** status — the status matrix of every service in every environment, as a summary and JSON. */
import { renderStatusText, statusMatrix } from '@sd-actions/core';
import {
  log,
  getString,
  configInput,
  loadConfigFile,
  readContext,
  writeSummary,
} from '@sd-actions/action-kit';
import { ScratchRepo } from '@sd-actions/git';
import { readDeployed, resolveRemote, statusMarkdown } from '@sd-actions/gitops';

/** The action: read and validate the inputs, act, set the outputs, write the summary. */
export async function run(): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;
  const config = await loadConfigFile(workspace, configInput());
  const remote = await resolveRemote(workspace, 'origin', getString('token'), { mask: log.setSecret });
  const repo = await ScratchRepo.open({ url: remote.url, authHeader: remote.authHeader });
  try {
    const rows = statusMatrix(config, await readDeployed(repo, config));
    const behind = rows.flatMap((row) =>
      row.cells.filter((c) => c.behind).map((c) => `${row.service}/${c.environment}`),
    );
    log.setOutput('matrix', JSON.stringify(rows));
    log.setOutput('behind', JSON.stringify(behind));
    log.info(renderStatusText(config, rows));
    await writeSummary(
      `### What runs where\n\n${statusMarkdown(config, rows)}\n${behind.length ? `${behind.length} behind their \`from\` environment: ${behind.join(', ')}.` : 'Every environment runs what its `from` environment runs.'}\n`,
    );
  } finally {
    await repo.dispose();
  }
}
