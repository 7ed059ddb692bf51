/** Content digests and reference syntax (OCI distribution spec grammar). Pure. */
import { createHash } from 'node:crypto';
import { UserError } from '@sd-actions/core';

export const DIGEST = /^sha256:[a-f0-9]{64}$/;
/** OCI tag grammar. */
export const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export const REPOSITORY =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function isDigest(reference: string): boolean {
  return DIGEST.test(reference);
}

/** Manifest bytes must hash to the digest they were asked for or announced with; anything else is corruption. */
export function verifyDigest(bytes: Uint8Array, expected: string, where: string): string {
  const actual = sha256Digest(bytes);
  if (expected && actual !== expected)
    throw new UserError(
      `${where}: the manifest bytes hash to ${actual}, not ${expected}; refusing a manifest whose digest does not match`,
    );
  return actual;
}

export function checkReference(reference: string, what: string): void {
  if (!TAG.test(reference) && !DIGEST.test(reference))
    throw new UserError(
      `${what}: ${JSON.stringify(reference)} is not a tag or digest; expected [A-Za-z0-9_][A-Za-z0-9._-]{0,127} or sha256:<64 hex>`,
    );
}

export function checkTag(tag: string, what: string): void {
  if (!TAG.test(tag))
    throw new UserError(
      `${what}: ${JSON.stringify(tag)} is not a valid tag; expected [A-Za-z0-9_][A-Za-z0-9._-]{0,127}`,
    );
}

export function checkRepository(name: string, what: string): void {
  if (!REPOSITORY.test(name))
    throw new UserError(
      `${what}: ${JSON.stringify(name)} is not a valid repository name; expected lowercase letters, digits and separators`,
    );
}
