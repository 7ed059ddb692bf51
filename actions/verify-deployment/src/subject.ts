/**
 * What runs now in the environment: the default version and digest (from the environment
 * branch's manifest, unless pinned by the inputs), and the commit that put them in place.
 */
import { lastPlacement, parseManifest, UserError } from '@sd-actions/core';
import type { ScratchRepo } from '@sd-actions/git';
import { fetchLedgerBranch, manifestPathOf, readLedger } from '@sd-actions/gitops';
import type { Inputs } from './inputs.js';

export interface Subject {
  service: string;
  environment: string;
  version: string;
  digest: string | undefined;
}

/** The subject to verify and, when the plan has a pipeline check, the environment commit that placed it. */
export async function resolveSubject(
  repo: ScratchRepo,
  inputs: Pick<Inputs, 'config' | 'service' | 'environment' | 'versionInput' | 'digestInput' | 'plan'>,
): Promise<{ subject: Subject; environmentCommit: string | undefined }> {
  const { config, service, environment, versionInput, digestInput, plan } = inputs;
  const branch = environment.branch;
  const manifestPath = manifestPathOf(config, environment.name);
  const tip = await repo.fetchBranch(branch);
  const text = tip ? await repo.readFile(tip, manifestPath) : undefined;
  const entry = text
    ? parseManifest(text, `${branch}:${manifestPath}`).services.get(service.name)
    : undefined;
  const version = versionInput ?? entry?.version;
  if (!version)
    throw new UserError(
      `${service.name} is not deployed in ${environment.name} (${branch}:${manifestPath} has no version for it); pass the version input`,
    );
  const digest = digestInput ?? (entry?.version === version ? entry.digest : undefined);
  // The pipeline's source revision: the environment commit that put this version in place.
  const environmentCommit =
    plan.codepipeline && tip
      ? await placingCommit(repo, branch, environment.name, service.name, manifestPath, version, digest)
      : undefined;
  return {
    subject: { service: service.name, environment: environment.name, version, digest },
    environmentCommit,
  };
}

/**
 * The environment-branch commit that put `version` (and `digest`, when known) in place: the
 * newest promotion or rollback of it in the ledger (whole history of the branch, filtered by git).
 */
export async function placingCommit(
  repo: ScratchRepo,
  branch: string,
  environment: string,
  service: string,
  manifestPath: string,
  version: string,
  digest: string | undefined,
): Promise<string | undefined> {
  const tip = await fetchLedgerBranch(repo, branch);
  if (!tip) return undefined;
  const ledger = await readLedger(repo.git, tip, environment, { service });
  const placed = lastPlacement(ledger, version, digest) ?? lastPlacement(ledger, version);
  if (placed) return placed.sha;
  // No ledger record (a manifest edited by hand): the manifest's history says when the entry became this version.
  const log = await repo.git.exec([
    'log',
    '--format=%H',
    '--max-count=200',
    '--end-of-options',
    tip,
    '--',
    manifestPath,
  ]);
  if (log.code !== 0) return undefined;
  let found: string | undefined;
  for (const sha of log.stdout.toString('utf8').split('\n').filter(Boolean)) {
    const text = await repo.readFile(sha, manifestPath);
    let entry;
    try {
      entry = text ? parseManifest(text, `${sha}:${manifestPath}`).services.get(service) : undefined;
    } catch {
      entry = undefined;
    }
    if (entry?.version !== version || (digest !== undefined && entry.digest !== digest)) break;
    found = sha;
  }
  return found;
}
