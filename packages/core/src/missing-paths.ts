/**
 * Service paths that do not exist: a typo in `path` or a literal `dependsOn` path would otherwise
 * silently match nothing ("0 of 15 services changed"). Pure: the caller says what exists (in a
 * working tree, or at a commit).
 */
import type { Config } from './config.js';
import { isGlob } from './paths.js';

export interface MissingPath {
  service: string;
  /** `path` or `dependsOn`. */
  key: 'path' | 'dependsOn';
  path: string;
  message: string;
}

/** Every literal (non-glob) service path and dependsOn path of the config. */
export function literalServicePaths(config: Config): string[] {
  return [...config.services.values()].flatMap((s) => [s.path, ...s.dependsOn.filter((p) => !isGlob(p))]);
}

export function missingServicePaths(config: Config, exists: (path: string) => boolean): MissingPath[] {
  const missing: MissingPath[] = [];
  for (const service of config.services.values()) {
    const literal = [
      ['path', service.path] as const,
      ...service.dependsOn.filter((p) => !isGlob(p)).map((p) => ['dependsOn', p] as const),
    ];
    for (const [key, path] of literal) {
      if (path === '' || path === '.' || exists(path)) continue;
      missing.push({
        service: service.name,
        key,
        path,
        message: `services.${service.name}.${key}: ${JSON.stringify(path)} does not exist, so no change can ever match it; fix the path in ${config.file}`,
      });
    }
  }
  return missing;
}
