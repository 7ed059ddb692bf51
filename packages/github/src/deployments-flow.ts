/**
 * GitHub Deployments for the promotion loop (issue 14), best effort: a promotion creates a
 * deployment (`ref` = the source commit, `payload` = service, version, digest) with status
 * `in_progress`; a verification marks the newest deployment of that digest `success` or `failure`.
 * Nothing here throws: an API failure is handed to `warn`, and the caller's step carries on.
 */
import { createDeployment, parseRepository, setDeploymentStatus, type RepoRef } from './adapters.js';
import { createGitHubClient, type GitHubClient } from './client.js';

export interface DeploymentsTarget {
  /** A token that may write deployments (`deployments: write`); empty or missing: skipped. */
  token?: string;
  /** owner/name (GITHUB_REPOSITORY); empty or missing: skipped. */
  repository?: string;
  /** The API base URL (GITHUB_API_URL, which the runner always sets); missing: skipped. */
  apiUrl?: string;
  /** Called with one line per API failure. */
  warn: (message: string) => void;
}

export interface DeploymentSubject {
  service: string;
  environment: string;
  version: string;
  digest: string;
}

function open(t: DeploymentsTarget): { client: GitHubClient; repo: RepoRef } | undefined {
  if (!t.token || !t.repository || !t.apiUrl) return undefined;
  try {
    const repo = parseRepository(t.repository);
    // One try, no rate-limit waits: a deployment record never holds up a promotion.
    const client = createGitHubClient({ token: t.token, baseUrl: t.apiUrl, maxRetries: 0, maxWaitMs: 0 });
    return { client, repo };
  } catch (err) {
    t.warn(`GitHub Deployments skipped: ${(err as Error).message}`);
    return undefined;
  }
}

const reason = (err: unknown) => ((err as Error)?.message ?? String(err)).split('\n')[0]!;

/** Create the promotion's deployment with status `in_progress`; its id, or undefined when skipped or failed. */
export async function startPromotionDeployment(
  t: DeploymentsTarget,
  s: DeploymentSubject & { commit: string; logUrl?: string; environmentUrl?: string; production?: boolean },
): Promise<number | undefined> {
  const gh = open(t);
  if (!gh) return undefined;
  try {
    const d = await createDeployment(gh.client, gh.repo, {
      ref: s.commit,
      environment: s.environment,
      payload: { service: s.service, version: s.version, digest: s.digest },
      description: `${s.service} ${s.version}`,
      ...(s.production !== undefined ? { productionEnvironment: s.production } : {}),
    });
    await setDeploymentStatus(gh.client, gh.repo, d.id, {
      state: 'in_progress',
      environmentUrl: s.environmentUrl,
      logUrl: s.logUrl,
      description: `promoting ${s.service} ${s.version}`,
    });
    return d.id;
  } catch (err) {
    t.warn(
      `GitHub Deployments: could not record the deployment of ${s.service} ${s.version} to ${s.environment} (the promotion is not affected): ${reason(err)}`,
    );
    return undefined;
  }
}

interface ListedDeployment {
  id: number;
  payload: unknown;
}

function payloadOf(d: ListedDeployment): Record<string, unknown> {
  if (typeof d.payload === 'string') {
    try {
      const parsed = JSON.parse(d.payload) as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return d.payload && typeof d.payload === 'object' ? (d.payload as Record<string, unknown>) : {};
}

/** The newest deployment of this service and digest in the environment (the API lists newest first). */
async function findDeployment(
  gh: { client: GitHubClient; repo: RepoRef },
  s: { service: string; environment: string; digest: string },
): Promise<number | undefined> {
  const { data } = await gh.client.octokit.rest.repos.listDeployments({
    ...gh.repo,
    environment: s.environment,
    per_page: 100,
  });
  const found = (data as ListedDeployment[]).find((d) => {
    const p = payloadOf(d);
    return p.service === s.service && p.digest === s.digest;
  });
  return found?.id;
}

/** Mark the newest deployment of this digest `success` or `failure` after a verification. */
export async function finishVerificationDeployment(
  t: DeploymentsTarget,
  s: {
    service: string;
    environment: string;
    digest: string;
    healthy: boolean;
    environmentUrl?: string;
    logUrl?: string;
  },
): Promise<number | undefined> {
  const gh = open(t);
  if (!gh) return undefined;
  try {
    const id = await findDeployment(gh, s);
    if (id === undefined) return undefined;
    await setDeploymentStatus(gh.client, gh.repo, id, {
      state: s.healthy ? 'success' : 'failure',
      environmentUrl: s.environmentUrl,
      logUrl: s.logUrl,
      description: s.healthy ? 'verified healthy' : 'verification failed',
    });
    return id;
  } catch (err) {
    t.warn(
      `GitHub Deployments: could not mark the deployment of ${s.service} in ${s.environment} (the verification is not affected): ${reason(err)}`,
    );
    return undefined;
  }
}

/**
 * After a rollback: the replaced version's deployment `inactive`, and the restored version marked
 * `success` (its newest deployment, or a new one on its source commit when it has none).
 */
export async function rollbackDeployments(
  t: DeploymentsTarget,
  s: {
    service: string;
    environment: string;
    fromDigest: string;
    to: { version: string; digest: string; commit?: string };
    logUrl?: string;
    /** The restored version's address (`environments.<env>.url` rendered), shown on its `success` status. */
    environmentUrl?: string;
  },
): Promise<void> {
  const gh = open(t);
  if (!gh) return;
  try {
    const replaced = await findDeployment(gh, { ...s, digest: s.fromDigest });
    if (replaced !== undefined)
      await setDeploymentStatus(gh.client, gh.repo, replaced, {
        state: 'inactive',
        logUrl: s.logUrl,
        description: `rolled back to ${s.to.version}`,
      });
    let restored = await findDeployment(gh, { ...s, digest: s.to.digest });
    if (restored === undefined && s.to.commit)
      restored = (
        await createDeployment(gh.client, gh.repo, {
          ref: s.to.commit,
          environment: s.environment,
          payload: { service: s.service, version: s.to.version, digest: s.to.digest },
          description: `${s.service} ${s.to.version} (rollback)`,
        })
      ).id;
    if (restored !== undefined)
      await setDeploymentStatus(gh.client, gh.repo, restored, {
        state: 'success',
        environmentUrl: s.environmentUrl,
        logUrl: s.logUrl,
        description: `restored by a rollback`,
      });
  } catch (err) {
    t.warn(
      `GitHub Deployments: could not update the deployments of ${s.service} in ${s.environment} after the rollback (the rollback is not affected): ${reason(err)}`,
    );
  }
}
