/**
 * Failures that are missing permissions, explained as what to grant — and, for a promotion, what
 * already changed and that a re-run completes it. Pure: the caller passes the failure's text.
 */
import type { RegistryType } from './config.js';

const DENIED =
  /\b40[13]\b|unauthori[sz]ed|forbidden|denied|not permitted|AccessDenied|credentials were not accepted|needs credentials/i;
const PUSH_DENIED =
  /returned error: 403|Permission to \S+ denied|permission denied|Write access to repository not granted|denied to github-actions|protected branch|\b403\b/i;

export interface PromotionProgress {
  /** What the promotion was doing when it failed. */
  stage?: 'registry' | 'push';
  /** Changes already made (e.g. registry tags moved), to say what a re-run completes. */
  done: string[];
}

export function registryPermissionHint(text: string, type: RegistryType): string | undefined {
  if (!DENIED.test(text)) return undefined;
  if (type === 'ecr')
    return 'the AWS role needs ecr:GetAuthorizationToken, ecr:BatchGetImage, ecr:PutImage, ecr:DescribeImages and ecr:ListImages on the repository, and the job `permissions: id-token: write` for OIDC';
  if (type === 'oci')
    return 'the job needs `permissions: packages: write` (GHCR), and registry-username / registry-password must be given (GHCR: github.actor and secrets.GITHUB_TOKEN)';
  return undefined;
}

export function pushPermissionHint(text: string): string | undefined {
  if (!PUSH_DENIED.test(text)) return undefined;
  return 'the push was refused: the job token needs `permissions: contents: write` (in the job and in the caller that grants it to the reusable workflow), and branch protection must allow the GitOps and release branches and tags';
}

/** The message for a failed promotion, with the fix when it is a permission; undefined when it is not one. */
export function explainPromotionFailure(
  text: string,
  type: RegistryType,
  progress: PromotionProgress,
): string | undefined {
  const hint = progress.stage === 'push' ? pushPermissionHint(text) : registryPermissionHint(text, type);
  if (!hint) return undefined;
  const done = progress.done.length
    ? `Already changed: ${progress.done.join('; ')} (the same digest; safe to leave). Fix the permission and re-run: the re-run completes the promotion.`
    : 'Nothing was changed; fix the permission and re-run.';
  return `${text}\n${hint}. ${done}`;
}
