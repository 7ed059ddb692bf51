/** The pure parts of build-once-tag: the build tag, the requested tags and the OCI labels. */
import { render, SHA_PREFIX, show, UserError, type TemplateValues } from '@sd-actions/core';
import { checkTag, tagKind, type RetagRequest } from '@sd-actions/registry';

export function buildTag(sourceSha: string, input = 'source-sha'): string {
  if (!SHA_PREFIX.test(sourceSha))
    throw new UserError(
      `Input "${input}": ${show(sourceSha)} is not valid; expected a commit SHA (7 to 40 lowercase hex digits)`,
    );
  return `sha-${sourceSha.slice(0, 7)}`;
}

/** Render `{service}`/`{sha}` in each requested tag and classify it; every problem names the input. */
export function requestedTags(
  templates: readonly string[],
  values: TemplateValues,
  input = 'tags',
): RetagRequest[] {
  return templates.map((template) => {
    let tag: string;
    try {
      tag = render(template, values);
    } catch (err) {
      throw new UserError(
        `Input "${input}": ${show(template)} is not valid: ${(err as Error).message}; expected a tag using only {service} or {sha}`,
      );
    }
    try {
      checkTag(tag, `Input "${input}"`);
    } catch (err) {
      throw new UserError((err as Error).message);
    }
    return { tag, kind: tagKind(template, tag) };
  });
}

export interface LabelFacts {
  sourceSha: string;
  serverUrl: string;
  repository: string;
  version: string;
  /** When the image is said to be created: SOURCE_DATE_EPOCH if set, so builds can be reproducible. */
  created: Date;
}

export function ociLabels(facts: LabelFacts): string[] {
  const labels = [
    `org.opencontainers.image.revision=${facts.sourceSha}`,
    ...(facts.repository ? [`org.opencontainers.image.source=${facts.serverUrl}/${facts.repository}`] : []),
    `org.opencontainers.image.created=${facts.created.toISOString()}`,
    `org.opencontainers.image.version=${facts.version}`,
  ];
  return labels;
}

export function createdAt(sourceDateEpoch: string | undefined, now: Date = new Date()): Date {
  if (sourceDateEpoch && /^\d+$/.test(sourceDateEpoch)) return new Date(Number(sourceDateEpoch) * 1000);
  return now;
}
