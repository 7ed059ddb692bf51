/** Open the registry a config names. */
import type { RegistryConfig } from '@sd-actions/core';
import type { RetryPolicy } from './backoff.js';
import { EcrRegistry } from './ecr.js';
import { OciLayoutRegistry } from './layout.js';
import { OciRegistry } from './oci.js';
import type { Credentials, Registry } from './types.js';

export interface OpenOptions {
  /** Base directory for a relative oci-layout url. */
  workspace: string;
  credentials?: Credentials;
  retry?: Partial<RetryPolicy>;
}

export function openRegistry(config: RegistryConfig, options: OpenOptions): Registry {
  switch (config.type) {
    case 'oci-layout':
      return new OciLayoutRegistry(config.url, { baseDir: options.workspace });
    case 'oci':
      return new OciRegistry(config.url, config.insecure, {
        credentials: options.credentials,
        retry: options.retry,
      });
    case 'ecr':
      return new EcrRegistry(config.url);
  }
}
