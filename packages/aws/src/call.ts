/**
 * How every adapter calls AWS: the SDK module imported on first use only, the SDK's own retries
 * off (maxAttempts 1) so that ours — bounded, with an injectable sleep — decide, and every failure
 * turned into an AwsError naming the operation and what it was about.
 */
import { backoffDelay } from '@sd-actions/core';
import { AwsError } from './errors.js';

export interface AwsRetryOptions {
  /** Attempts in all, including the first (default 4). */
  attempts?: number;
  /** The first backoff ceiling, ms (default 500), doubled per retry up to maxMs (default 8000). */
  baseMs?: number;
  maxMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Told before each wait (adapters never log themselves). */
  onRetry?: (info: { operation: string; attempt: number; delayMs: number; reason: string }) => void;
}

export interface AwsClientOptions {
  /** The region; by default the SDK's own settings (AWS_REGION, config files). */
  region?: string;
  retry?: AwsRetryOptions;
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'Throttled',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'EC2ThrottledException',
]);

const NETWORK = /ECONNRESET|EPIPE|ETIMEDOUT|ECONNABORTED|EAI_AGAIN|socket hang up|UND_ERR/;

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** Whether a failed call is worth another attempt: throttling, a 5xx, a dropped connection. */
export function isTransient(err: unknown): boolean {
  const e = (err ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  if (e.name && THROTTLING.has(e.name)) return true;
  if (status === 429 || (status !== undefined && status >= 500 && status !== 501)) return true;
  if (e.$retryable) return true;
  if (e.name === 'TimeoutError') return true;
  return NETWORK.test(`${e.code ?? ''} ${e.message ?? ''}`);
}

/** A short description of an SDK error for a message: its name and AWS's own message. */
export function describeSdkError(err: unknown): string {
  const e = (err ?? {}) as SdkError;
  const name = e.name && e.name !== 'Error' ? e.name : 'Error';
  const status = e.$metadata?.httpStatusCode;
  return `${name}${status ? ` (HTTP ${status})` : ''}: ${e.message || 'no message'}`;
}

/** Advice for the failures any AWS call can meet. */
function adviceFor(err: unknown): string {
  const e = (err ?? {}) as SdkError;
  const text = `${e.name ?? ''} ${e.message ?? ''}`;
  if (/Region is missing/i.test(text))
    return " Set AWS_REGION (aws-actions/configure-aws-credentials does) or the action's region input.";
  if (e.name === 'CredentialsProviderError' || /Could not load credentials/i.test(text))
    return ' Configure AWS credentials first (aws-actions/configure-aws-credentials with role-to-assume).';
  if (
    /AccessDenied|UnrecognizedClient|InvalidClientTokenId|ExpiredToken|SignatureDoesNotMatch|AuthorizationError/.test(
      e.name ?? '',
    )
  )
    return " Check the credentials and that the role's IAM policy allows this call.";
  return '';
}

/** Loads an SDK module and builds its client once, on first use. */
export class LazyClient<Sdk, Client> {
  private loaded?: Promise<{ sdk: Sdk; client: Client }>;

  constructor(
    private readonly importSdk: () => Promise<Sdk>,
    private readonly build: (sdk: Sdk) => Client,
  ) {}

  get(): Promise<{ sdk: Sdk; client: Client }> {
    this.loaded ??= this.importSdk().then((sdk) => ({ sdk, client: this.build(sdk) }));
    return this.loaded;
  }

  /** Whether the SDK has been asked for (for tests of laziness). */
  get isLoaded(): boolean {
    return this.loaded !== undefined;
  }
}

/**
 * Run one AWS call with bounded retries on transient failures. `what` names the call for messages
 * ("CodePipeline GetPipelineState for pipeline \"blue-prod\""); `explain` may turn a named AWS
 * error into a clearer message (return undefined to keep the generic one).
 */
export async function callAws<T>(
  operation: string,
  what: string,
  retry: AwsRetryOptions,
  run: () => Promise<T>,
  explain?: (awsName: string, err: unknown) => string | undefined,
): Promise<T> {
  const attempts = Math.max(1, retry.attempts ?? 4);
  const schedule = { baseMs: retry.baseMs ?? 500, maxMs: retry.maxMs ?? 8000 };
  const sleep = retry.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      const transient = isTransient(err);
      if (transient && attempt < attempts) {
        const delayMs = backoffDelay(attempt, schedule, retry.random);
        retry.onRetry?.({ operation, attempt, delayMs, reason: describeSdkError(err) });
        await sleep(delayMs);
        continue;
      }
      const e = (err ?? {}) as SdkError;
      const awsName = e.name && e.name !== 'Error' ? e.name : 'Error';
      const specific = explain?.(awsName, err);
      const message = specific
        ? `${what}: ${specific}`
        : `${what} failed${transient ? ` after ${attempt} attempt${attempt === 1 ? '' : 's'}` : ''}: ${describeSdkError(err)}.${adviceFor(err)}`;
      throw new AwsError(message, {
        awsName,
        operation,
        httpStatus: e.$metadata?.httpStatusCode,
        transient,
        cause: err,
      });
    }
  }
}
