/**
 * The status view's git side: for every environment, ONE fetch of its branch with history, then
 * its manifest (what runs, what is quarantined) read at the tip and its ledger read with one
 * `git log`. Source-commit ancestry ("is staging behind dev?") is asked of a local checkout, when
 * there is one that has the commits; otherwise it stays unknown. Open approval requests come from
 * the caller (the GitHub side), so this stays an adapter of git alone.
 */
import {
  ancestryQuestions,
  buildStatusView,
  parseManifest,
  parseQuarantine,
  type AncestryLookup,
  type Config,
  type DeployedEntry,
  type Ledger,
  type PendingApproval,
  type QuarantineEntry,
  type StatusView,
} from '@sd-actions/core';
import type { Git, ScratchRepo } from '@sd-actions/git';
import { fetchLedgerBranch, readLedger } from './ledger.js';
import { manifestPathOf } from './manifest-update.js';
import type { Deployed } from './deployed.js';

export interface StatusFacts {
  deployed: Deployed;
  ledgers: Map<string, Ledger>;
  quarantine: Map<string, QuarantineEntry[]>;
}

/** Every environment's manifest, quarantine and ledger (empty when its branch or file does not exist). */
export async function readStatusFacts(repo: ScratchRepo, config: Config): Promise<StatusFacts> {
  const facts: StatusFacts = { deployed: new Map(), ledgers: new Map(), quarantine: new Map() };
  for (const env of config.environments.values()) {
    const services = new Map<string, DeployedEntry>();
    facts.deployed.set(env.name, services);
    const tip = await fetchLedgerBranch(repo, env.branch);
    if (!tip) {
      facts.ledgers.set(env.name, { environment: env.name, events: [], malformed: [] });
      facts.quarantine.set(env.name, []);
      continue;
    }
    const path = manifestPathOf(config, env.name);
    const text = await repo.readFile(tip, path);
    if (text !== undefined) {
      const file = `${env.branch}:${path}`;
      for (const [service, entry] of parseManifest(text, file).services)
        if (entry.version && entry.digest)
          services.set(service, { ...entry, version: entry.version, digest: entry.digest });
      facts.quarantine.set(env.name, parseQuarantine(text, file));
    } else facts.quarantine.set(env.name, []);
    facts.ledgers.set(env.name, await readLedger(repo.git, tip, env.name));
  }
  return facts;
}

const SHA = /^[0-9a-f]{40}$/;

/**
 * Answers "is a an ancestor of b" for the source commits the matrix compares, from `git`'s
 * repository (a checkout of the monorepo). A commit it does not have is unknown, never "no".
 */
export async function resolveAncestry(
  git: Git | undefined,
  config: Config,
  deployed: Deployed,
): Promise<AncestryLookup> {
  const answers = new Map<string, boolean>();
  if (git) {
    const present = new Map<string, boolean>();
    const has = async (sha: string) => {
      if (!present.has(sha))
        present.set(
          sha,
          SHA.test(sha) && (await git.ok(['cat-file', '-e', '--end-of-options', `${sha}^{commit}`])),
        );
      return present.get(sha)!;
    };
    for (const [a, b] of ancestryQuestions(config, deployed)) {
      if (answers.has(`${a} ${b}`) || !(await has(a)) || !(await has(b))) continue;
      const result = await git.exec(['merge-base', '--is-ancestor', '--end-of-options', a, b]);
      if (result.code === 0 || result.code === 1) answers.set(`${a} ${b}`, result.code === 0);
    }
  }
  return (a, b) => answers.get(`${a} ${b}`);
}

export interface ReadStatusViewOptions {
  /** A checkout of the monorepo, for source-commit ancestry. */
  source?: Git;
  /** Open approval requests; leave undefined when they cannot be read. */
  pending?: readonly PendingApproval[];
  /** Why `pending` is missing (shown as a note). */
  approvalsNote?: string;
}

/** The whole status view from the GitOps branches (and the optional extras). */
export async function readStatusView(
  repo: ScratchRepo,
  config: Config,
  options: ReadStatusViewOptions = {},
): Promise<StatusView> {
  const facts = await readStatusFacts(repo, config);
  const isAncestor = await resolveAncestry(options.source, config, facts.deployed);
  return buildStatusView(config, {
    ...facts,
    isAncestor,
    ...(options.pending ? { pending: options.pending } : {}),
    ...(options.approvalsNote ? { approvalsNote: options.approvalsNote } : {}),
  });
}
