/**
 * Build once under concurrency (issue 8 item 8): a registry tag has no compare-and-set, so the
 * build is guarded by a claim ref on origin (`@sd-actions/git` build-claim/build-turn): one run
 * builds, every other run for the same commit waits and reports the winner's digest. When no
 * claim can be written (no token, a read-only token, no origin), the build runs unguarded, as
 * before, and the after-write check in main still reports what the tag holds.
 */
import { randomBytes } from 'node:crypto';
import { parseDuration, show, UserError } from '@sd-actions/core';
import { getString, log, now, recordChange, readContext } from '@sd-actions/action-kit';
import { claimRef, ClaimStore, finishTurn, Git, takeTurn, type Claim } from '@sd-actions/git';
import { resolveRemote } from '@sd-actions/gitops';
import type { Manifest, Registry } from '@sd-actions/registry';

export const DEFAULT_WAIT = '30m';

export interface BuildOnceTarget {
  registry: Registry;
  repository: string;
  image: string;
  shaTag: string;
  service: string;
  workspace: string;
}

/** Build `image:shaTag` once (the caller saw it missing); returns the manifest the tag holds. */
export async function buildOnce(
  target: BuildOnceTarget,
  runBuild: () => Promise<void>,
): Promise<{ manifest: Manifest; built: boolean }> {
  const { registry, repository, image, shaTag } = target;
  const waitText = getString('build-wait-timeout') ?? DEFAULT_WAIT;
  const timeoutMs = parseDuration(waitText);
  if (!timeoutMs)
    throw new UserError(
      `Input "build-wait-timeout": ${show(waitText)} is not valid; expected a duration like 30m, 1h or 90s`,
    );
  const published = async () => (await registry.getManifest(repository, shaTag))?.digest;

  const guard = await openGuard(target);
  if (!guard.store) {
    if (guard.warning)
      log.warning(guard.warning, { title: `sd-actions: ${target.service} build not guarded` });
    else if (guard.info) log.info(guard.info);
    return { manifest: await buildAndCheck(target, runBuild), built: true };
  }
  const { store, ref } = guard;
  try {
    const turn = await takeTurn(store, {
      ref,
      holder: holderName(),
      timeoutMs,
      published,
      now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      onWait: (claim) =>
        log.info(
          `${image}:${shaTag} is being built by ${claim.holder} (claimed ${claim.at.toISOString()}): waiting up to ${waitText} for its image instead of building it again`,
        ),
    });
    switch (turn.kind) {
      case 'published': {
        const manifest = await registry.getManifest(repository, shaTag);
        if (!manifest) throw new UserError(`${image}:${shaTag} disappeared while this run read it; re-run`);
        const by = turn.holder ? ` by ${turn.holder}` : ' by another run';
        log.info(`${image}:${shaTag} was built${by} (${manifest.digest}): reusing it, nothing is built`);
        log.appendSummary(
          `_Another run built ${shaTag} at the same time${turn.holder ? ` (\`${turn.holder}\`)` : ''}; this run waited for it and reused its image ${manifest.digest}, it never built._\n`,
        );
        return { manifest, built: false };
      }
      case 'unguarded':
        log.warning(refusedHint(turn.detail), { title: `sd-actions: ${target.service} build not guarded` });
        return { manifest: await buildAndCheck(target, runBuild), built: true };
      case 'timeout':
        throw new UserError(
          `Waited ${waitText} for ${describe(turn.claim)} to build ${image}:${shaTag}, and the tag still does not exist; nothing was changed. Re-run once that build has finished (or failed), or raise "build-wait-timeout"; a claim older than the timeout is taken over.`,
        );
      case 'claimed': {
        if (turn.takenOver)
          log.warning(
            `Took over the build of ${image}:${shaTag} from ${describe(turn.takenOver)}: its claim is older than build-wait-timeout (${waitText}) and recorded no image`,
            { title: `sd-actions: ${target.service} stale build claim` },
          );
        let manifest: Manifest;
        try {
          manifest = await buildAndCheck(target, runBuild);
        } catch (err) {
          // A failed build gives the turn back, so another run need not wait for the timeout.
          await store.release(ref, turn.claim.commit).catch(() => false);
          throw err;
        }
        const end = await finishTurn(store, turn.claim, manifest.digest, now).catch(() => 'kept' as const);
        if (end === 'lost')
          log.warning(
            `This build of ${image}:${shaTag} outlived build-wait-timeout (${waitText}) and another run took over its claim; raise "build-wait-timeout" above your longest build`,
            { title: `sd-actions: ${target.service} build claim lost` },
          );
        else if (end === 'kept')
          log.info(`The build claim ${ref} could not be released; it is harmless now that the tag exists`);
        return { manifest, built: true };
      }
    }
  } finally {
    await store.dispose();
  }
}

async function buildAndCheck(target: BuildOnceTarget, runBuild: () => Promise<void>): Promise<Manifest> {
  const { registry, repository, image, shaTag } = target;
  await runBuild();
  const manifest = await registry.getManifest(repository, shaTag);
  if (!manifest)
    throw new UserError(
      `Input "build-command" ran successfully but ${image}:${shaTag} still does not exist; the build must push the image to "$IMAGE:$TAG"`,
    );
  recordChange(`built and pushed ${image}:${shaTag} (${manifest.digest})`);
  log.info(`built ${image}:${shaTag} (${manifest.digest})`);
  return manifest;
}

type Guard =
  | { store: ClaimStore; ref: string; warning?: undefined; info?: undefined }
  | { store?: undefined; warning?: string; info?: string };

/** The claim store on origin, or why the build runs without one. */
async function openGuard(target: BuildOnceTarget): Promise<Guard> {
  const git = new Git(target.workspace);
  const ref = await claimRef(git, target.service, target.shaTag);
  if (!ref)
    return {
      warning: `Service ${show(target.service)} cannot name a git ref, so its build is not guarded by a claim`,
    };
  let remote;
  try {
    remote = await resolveRemote(target.workspace, 'origin', getString('token'), { mask: log.setSecret });
  } catch {
    return {
      info: `${target.workspace} has no origin remote: the build is not guarded by a claim (two runs at once could both build)`,
    };
  }
  if (/^https?:\/\//i.test(remote.url) && !remote.authHeader)
    return { warning: refusedHint('input "token" is empty') };
  return { store: await ClaimStore.open({ url: remote.url, authHeader: remote.authHeader }), ref };
}

function refusedHint(detail: string): string {
  return `Could not claim the build on origin (${detail}), so two runs for one commit could both build; building anyway and reporting the digest the tag holds afterwards. Give the job "permissions: contents: write" and pass "token" (default: the job token) to build exactly once.`;
}

function describe(claim: Claim | undefined): string {
  return claim ? `${claim.holder} (claimed ${claim.at.toISOString()})` : 'another run';
}

/** Who we are, as a claim records it: this run's URL and attempt, unique per run. */
function holderName(): string {
  const context = readContext();
  const attempt = /^\d+$/.test(process.env.GITHUB_RUN_ATTEMPT ?? '') ? process.env.GITHUB_RUN_ATTEMPT : '1';
  const base =
    context.runUrl && /^https?:\/\/[A-Za-z0-9._~:/@%+=-]+$/.test(context.runUrl)
      ? `${context.runUrl}/attempts/${attempt}`
      : 'local-run';
  return `${base}#${randomBytes(4).toString('hex')}`;
}
