/**
 * Promotion policy: every rule a promotion must pass before anything changes, checked in one
 * place against plain facts gathered beforehand (pure). Each refusal names the rule and the facts.
 */
import semver from 'semver';
import type { EnvironmentConfig } from './config.js';
import { gitRefNameProblem } from './refnames.js';
import { classifyVersion } from './versions.js';

export interface ArtifactFacts {
  digest: string;
  image: string;
  /** Source commit the image was built from. */
  commit: string;
  /** The version it carries in the environment it comes from (a build tag in the first one). */
  version?: string;
  /** When it reached the environment it comes from (ISO 8601). */
  promotedAt?: string;
}

export interface PromotionFacts {
  service: string;
  /** Undefined when promoting into an entry environment straight from a build. */
  from?: string;
  to: EnvironmentConfig;
  version: string;
  /** The artifact in `from` (or the build); undefined when `from` has no entry for the service. */
  artifact?: ArtifactFacts;
  /** What `to` runs now. */
  current?: { version: string; digest: string };
  /** The commit the release tag for this version points at, if the tag exists. */
  existingTagCommit?: string;
  tagName?: string;
  /** The release branch this version would create (checked against git's ref-name rules). */
  releaseBranch?: string;
  /**
   * Promoting a build (from undefined) into an environment that has a `from`: whether the source
   * commit is on the version's release branch in origin (a hotfix build).
   */
  buildOnReleaseBranch?: boolean;
  allowDowngrade: boolean;
  now: Date;
}

export interface Refusal {
  rule: string;
  message: string;
}

export interface Verdict {
  refusals: Refusal[];
  warnings: Refusal[];
  /** Nothing to do: `to` already runs this digest under this version. */
  alreadyDone: boolean;
}

const isBuildTag = (version: string) => classifyVersion(version) === 'build';
const isReleaseVersion = (version: string) => classifyVersion(version) === 'release';

export function formatDuration(ms: number): string {
  if (ms < 60e3) return `${Math.floor(ms / 1e3)}s`;
  const minutes = Math.floor(ms / 60e3);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h${minutes % 60 ? `${minutes % 60}m` : ''}`;
  return `${Math.floor(hours / 24)}d${hours % 24 ? `${hours % 24}h` : ''}`;
}

export function checkPromotion(f: PromotionFacts): Verdict {
  const refusals: Refusal[] = [];
  const warnings: Refusal[] = [];
  const where = `${f.service} in ${f.to.name}`;
  const entry = f.from === undefined;

  // The chain: an environment takes artifacts only from its configured `from` (or, for an entry
  // environment, from builds). A build skips the chain only where the config allows it.
  if (f.from !== undefined && f.from !== f.to.from) {
    refusals.push({
      rule: 'chain-order',
      message: f.to.from
        ? `${f.to.name} takes artifacts from ${f.to.from} (environments.${f.to.name}.from); promoting from ${f.from} would skip the chain — promote to ${f.to.from} first, then from ${f.to.from}`
        : `${f.to.name} has no "from": it takes builds (pass digest and source-commit), not artifacts from ${f.from}`,
    });
  }
  if (entry && f.to.from !== undefined) {
    const accept = f.to.acceptBuilds;
    const hotfixOk = accept === 'hotfix' && f.buildOnReleaseBranch === true && isReleaseVersion(f.version);
    if (accept !== true && !hotfixOk)
      refusals.push({
        rule: 'chain-from-build',
        message:
          accept === 'hotfix'
            ? `${f.to.name} takes builds only as hotfixes (environments.${f.to.name}.acceptBuilds: hotfix): a release version whose source commit is on its release branch${f.releaseBranch ? ` (${f.releaseBranch})` : ''}; otherwise promote through ${f.to.from}`
            : `${f.to.name} takes artifacts from ${f.to.from}, not builds (environments.${f.to.name}.acceptBuilds is false); promote the build into ${f.to.from} first, or set acceptBuilds: true for ${f.to.name}`,
      });
  }

  for (const [kind, name] of [
    ['release tag', f.tagName],
    ['release branch', f.releaseBranch],
  ] as const) {
    const problem = name === undefined ? undefined : gitRefNameProblem(name);
    if (problem)
      refusals.push({
        rule: 'ref-name',
        message: `the ${kind} ${JSON.stringify(name)} is not a valid git ref name (${problem}); rename the service or change the git templates`,
      });
  }

  if (!f.artifact) {
    refusals.push({
      rule: 'artifact-in-from',
      message: `${f.service} has no artifact in ${f.from ?? 'the build'}: promote it to ${f.from ?? 'the first environment'} first`,
    });
  }

  if (entry) {
    if (!isBuildTag(f.version) && !isReleaseVersion(f.version))
      refusals.push({
        rule: 'version-valid',
        message: `version ${JSON.stringify(f.version)} is neither a build tag (sha-<7>) nor semver like 1.2.3`,
      });
  } else if (!isReleaseVersion(f.version)) {
    const hint = semver.valid(semver.clean(f.version) ?? '')
      ? ` (did you mean ${semver.clean(f.version)}?)`
      : '';
    refusals.push({
      rule: 'version-valid',
      message: `version ${JSON.stringify(f.version)} is not semver like 1.2.3${hint}`,
    });
  }

  if (
    f.artifact?.version &&
    isReleaseVersion(f.artifact.version) &&
    isReleaseVersion(f.version) &&
    f.artifact.version !== f.version
  ) {
    refusals.push({
      rule: 'version-matches-from',
      message: `${f.service} runs in ${f.from} as ${f.artifact.version}; a released artifact keeps its version, so promote it as ${f.artifact.version}`,
    });
  }

  const current = f.current;
  let alreadyDone = false;
  if (current && f.artifact) {
    if (current.digest === f.artifact.digest && current.version === f.version) alreadyDone = true;
    else if (isReleaseVersion(current.version) && isReleaseVersion(f.version)) {
      if (current.version === f.version && current.digest !== f.artifact.digest) {
        refusals.push({
          rule: 'version-immutable',
          message: `${where} already runs ${current.version} as ${current.digest}; ${f.version} cannot now name ${f.artifact.digest} — cut a new version`,
        });
      } else if (semver.lt(f.version, current.version) && !(f.allowDowngrade || f.to.allowDowngrade)) {
        refusals.push({
          rule: 'no-downgrade',
          message: `${where} runs ${current.version}; ${f.version} is lower (set allow-downgrade: true to roll back on purpose)`,
        });
      }
    }
  }

  if (f.existingTagCommit && f.artifact && f.existingTagCommit !== f.artifact.commit) {
    refusals.push({
      rule: 'tag-matches-commit',
      message: `git tag ${f.tagName ?? f.version} already points at ${f.existingTagCommit.slice(0, 12)}, but the artifact was built from ${f.artifact.commit.slice(0, 12)}; a version names one commit`,
    });
  }

  if (!alreadyDone && f.to.minSoakMs !== undefined && f.artifact && f.from !== undefined) {
    const since = f.artifact.promotedAt ? Date.parse(f.artifact.promotedAt) : NaN;
    const required = f.to.minSoak ?? formatDuration(f.to.minSoakMs);
    const problem = Number.isNaN(since)
      ? `${f.service} has no promotedAt in ${f.from}, so its soak time (${required} required) is unknown`
      : f.now.getTime() - since < f.to.minSoakMs
        ? `${f.service} reached ${f.from} ${formatDuration(f.now.getTime() - since)} ago; ${f.to.name} requires ${required} (minSoak)`
        : undefined;
    if (problem)
      (f.to.soakPolicy === 'warn' ? warnings : refusals).push({ rule: 'min-soak', message: problem });
  }

  return { refusals, warnings, alreadyDone };
}
