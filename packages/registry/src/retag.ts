/**
 * Retag a manifest: every requested tag is checked first, and only when none is refused is
 * anything written — the exact manifest bytes, under each missing or moving tag.
 */
import type { Manifest, Registry } from './types.js';
import { planTags, refusalError, type TagAction, type TagKind } from './tag-policy.js';

export interface RetagRequest {
  tag: string;
  kind: TagKind;
}

const CONCURRENCY = 8;

/**
 * What a retag would do, tag by tag, without writing anything; throws (naming every conflicting
 * tag) when an immutable tag would move. Dry runs show this plan; retag() carries it out.
 */
export async function planRetag(
  registry: Registry,
  repository: string,
  digest: string,
  requests: readonly RetagRequest[],
): Promise<TagAction[]> {
  const unique = [...new Map(requests.map((r) => [r.tag, r])).values()];
  const current = await mapLimit(unique, CONCURRENCY, (r) => registry.resolve(repository, r.tag));
  const plan = planTags(
    digest,
    unique.map((r, i) => ({ ...r, current: current[i]?.digest })),
  );
  const refusal = refusalError(registry.imageName(repository), digest, plan);
  if (refusal) throw refusal;
  return plan;
}

export async function retag(
  registry: Registry,
  repository: string,
  manifest: Manifest,
  requests: readonly RetagRequest[],
): Promise<TagAction[]> {
  const plan = await planRetag(registry, repository, manifest.digest, requests);
  // One at a time, in the order given: a failure part-way leaves a prefix a re-run completes.
  for (const step of plan) {
    if (step.action === 'add' || step.action === 'move')
      await registry.putManifest(repository, step.tag, manifest);
  }
  return plan;
}

export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
