/**
 * What runs where: every environment's manifest, read from its branch in one scratch repository,
 * and the status matrix rendered for job summaries.
 */
import {
  describeCell,
  escapeCell,
  parseManifest,
  statusMatrix,
  type Config,
  type DeployedEntry,
  type EnvironmentConfig,
  type ManifestEntry,
  type StatusRow,
} from '@sd-actions/core';
import type { ScratchRepo } from '@sd-actions/git';
import { manifestPathOf } from './manifest-update.js';

export type Deployed = Map<string, Map<string, DeployedEntry>>;

/** The manifest entries of one environment (empty when its branch or file does not exist yet). */
export async function readEnvironment(
  repo: ScratchRepo,
  config: Config,
  env: EnvironmentConfig,
): Promise<Map<string, ManifestEntry>> {
  const tip = await branchTip(repo, env.branch);
  if (!tip) return new Map();
  const path = manifestPathOf(config, env.name);
  const text = await repo.readFile(tip, path);
  if (text === undefined) return new Map();
  return parseManifest(text, `${env.branch}:${path}`).services;
}

/**
 * A branch's tip: the one the repository already knows when the caller fetched it with
 * `fetchBranches` (and kept up to date by its own pushes), else a fetch of it now.
 */
export async function branchTip(repo: ScratchRepo, branch: string): Promise<string | undefined> {
  const known = repo.knownTip(branch);
  return known ? known.tip : repo.fetchBranch(branch);
}

/**
 * Every environment branch's tip and manifest text: the branches fetched in one process (`heads`,
 * the remote's branch list, says which exist; without it one fetch each), the manifests read in
 * one more. Tracked in `repo` (knownTip, readFile) for the reads that follow.
 */
export async function prefetchEnvironments(
  repo: ScratchRepo,
  config: Config,
  heads?: ReadonlyMap<string, string>,
): Promise<void> {
  const envs = [...config.environments.values()];
  const tips = await repo.fetchBranches(
    envs.map((e) => e.branch),
    heads,
  );
  const wanted = envs.flatMap((e) => {
    const tip = tips.get(e.branch);
    return tip ? [{ commit: tip, path: manifestPathOf(config, e.name) }] : [];
  });
  // Not a file where a manifest should be: left for the reader to report as before.
  await repo.readFiles(wanted, { notAFile: 'absent' });
}

function toDeployed(entry: ManifestEntry): DeployedEntry | undefined {
  if (!entry.version || !entry.digest) return undefined;
  return { ...entry, version: entry.version, digest: entry.digest };
}

export async function readDeployed(repo: ScratchRepo, config: Config): Promise<Deployed> {
  const deployed: Deployed = new Map();
  // Environments often share nothing but the remote: fetch them one after another on one repo
  // (none where the caller fetched them already, see prefetchEnvironments).
  for (const env of config.environments.values()) {
    const entries = await readEnvironment(repo, config, env);
    const map = new Map<string, DeployedEntry>();
    for (const [service, entry] of entries) {
      const d = toDeployed(entry);
      if (d) map.set(service, d);
    }
    deployed.set(env.name, map);
  }
  return deployed;
}

/** The matrix as a markdown table for job summaries. */
export function statusMarkdown(
  config: Config,
  rows: StatusRow[],
  highlight?: { service: string; environment: string },
): string {
  const envs = [...config.environments.values()];
  const header = `| Service | ${envs.map((e) => escapeCell(e.from ? `${e.name} (from ${e.from})` : e.name)).join(' | ')} |`;
  const rule = `| --- | ${envs.map(() => '---').join(' | ')} |`;
  const body = rows.map((row) => {
    const cells = row.cells.map((cell, i) => {
      const text = escapeCell(describeCell(cell, envs[i]?.from));
      return highlight && highlight.service === row.service && highlight.environment === cell.environment
        ? `**${text}**`
        : text;
    });
    return `| ${escapeCell(row.service)} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...body].join('\n') + '\n';
}

/**
 * The status matrix for a summary, best effort: the promotion has already happened, so a broken
 * manifest elsewhere becomes a warning (through `onWarning`; adapters write no runner commands)
 * and a note, never a failed run.
 */
export async function statusSection(
  repo: ScratchRepo,
  config: Config,
  highlight?: { service: string; environment: string },
  onWarning: (message: string) => void = () => {},
): Promise<string> {
  try {
    return statusMarkdown(config, statusMatrix(config, await readDeployed(repo, config)), highlight);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    onWarning(`The status matrix could not be read: ${message}`);
    return `_The status matrix could not be read: ${escapeCell(message)}_\n`;
  }
}
