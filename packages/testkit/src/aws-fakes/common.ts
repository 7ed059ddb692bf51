/**
 * What the loopback AWS fakes share: an HTTP server on 127.0.0.1, a record of every call, a check
 * that the request is SigV4-signed for the right service, and injected failures (throttling, 5xx,
 * or any named exception) for the next N calls of an operation. Each service's fake only decodes
 * its protocol and implements its operations.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A refusal the fake answers in the service's own error format. */
export class FakeAwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** `Sender` (client fault) or `Receiver` (server fault), as the query protocols report it. */
    readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
  }
}

export interface FakeAwsCall {
  service: string;
  operation: string;
  /** The decoded request: the JSON document, or the form fields of a query request. */
  body: Record<string, unknown>;
  status: number;
  /** The error code answered, if any. */
  error?: string;
  /** Whether the request carried a well-formed SigV4 Authorization header for this service. */
  signed: boolean;
  /** The credential scope of the signature: access key, region and signing service. */
  credential?: { accessKeyId: string; region: string; service: string };
}

/**
 * An injected failure: `throttling` (the service's throttling error), `5xx` (a 503 service
 * unavailable), or the name of any exception the operation can answer (e.g.
 * `ConflictException`), with an optional message and status.
 */
export type FakeFailureKind = 'throttling' | '5xx' | string;

export interface FakeFailure {
  kind: FakeFailureKind;
  message?: string;
  status?: number;
}

export interface FakeAwsControls {
  endpoint: string;
  calls: FakeAwsCall[];
  /** Answer the next `times` calls of `operation` (or `*` for any) with a failure instead. */
  fail(
    operation: string,
    kind: FakeFailureKind,
    times?: number,
    options?: { message?: string; status?: number },
  ): void;
  /** Forget recorded calls and pending injected failures. */
  reset(): void;
  /** The calls of one operation, in order. */
  callsOf(operation: string): FakeAwsCall[];
  stop(): Promise<void>;
}

export interface ServiceProtocol {
  /** The SigV4 signing name the SDK uses for this service (`codepipeline`, `monitoring`, `sns`). */
  signingName: string;
  service: string;
  /** Decode the request: the operation and its input; throw FakeAwsError for a malformed one. */
  decode(req: IncomingMessage, body: string): { operation: string; input: Record<string, unknown> };
  /** Encode a result or an error; returns status, headers and body. */
  encodeResult(
    operation: string,
    result: unknown,
    requestId: string,
  ): { headers: Record<string, string>; body: string };
  encodeError(
    operation: string,
    error: FakeAwsError,
    requestId: string,
  ): { headers: Record<string, string>; body: string };
  /** How this service spells throttling. */
  throttling: { code: string; status: number; message: string };
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([A-Za-z0-9]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=[0-9a-f]{64}$/;

export async function startFakeService(
  protocol: ServiceProtocol,
  operations: Record<string, (input: Record<string, unknown>) => unknown>,
): Promise<FakeAwsControls> {
  const calls: FakeAwsCall[] = [];
  const failures = new Map<string, FakeFailure[]>();

  const takeFailure = (operation: string): FakeFailure | undefined => {
    for (const key of [operation, '*']) {
      const queue = failures.get(key);
      if (queue?.length) return queue.shift();
    }
    return undefined;
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const requestId = `fake-${protocol.service}-${calls.length + 1}`;
      const text = Buffer.concat(chunks).toString('utf8');
      const auth = AUTHORIZATION.exec(String(req.headers.authorization ?? ''));
      const credential = auth ? { accessKeyId: auth[1]!, region: auth[3]!, service: auth[4]! } : undefined;
      const signed =
        !!auth &&
        auth[4] === protocol.signingName &&
        typeof req.headers['x-amz-date'] === 'string' &&
        auth[5]!.split(';').includes('host');
      let operation = '';
      let input: Record<string, unknown> = {};
      const answer = (
        status: number,
        out: { headers: Record<string, string>; body: string },
        error?: string,
      ) => {
        calls.push({ service: protocol.service, operation, body: input, status, error, signed, credential });
        res.writeHead(status, { 'x-amzn-RequestId': requestId, ...out.headers });
        res.end(out.body);
      };
      const refuse = (err: FakeAwsError) =>
        answer(err.status, protocol.encodeError(operation, err, requestId), err.code);
      try {
        ({ operation, input } = protocol.decode(req, text));
      } catch (err) {
        if (err instanceof FakeAwsError) return refuse(err);
        throw err;
      }
      if (!signed)
        return refuse(
          new FakeAwsError(
            auth ? 'IncompleteSignature' : 'MissingAuthenticationToken',
            auth
              ? `Credential should be scoped to correct service: '${protocol.signingName}'.`
              : 'Request is missing Authentication Token',
            auth ? 400 : 403,
          ),
        );
      const handler = operations[operation];
      if (!handler)
        return refuse(
          new FakeAwsError('UnknownOperationException', `unknown operation ${JSON.stringify(operation)}`),
        );
      const failure = takeFailure(operation);
      if (failure) {
        const t = protocol.throttling;
        if (failure.kind === 'throttling')
          return refuse(new FakeAwsError(t.code, failure.message ?? t.message, failure.status ?? t.status));
        if (failure.kind === '5xx')
          return refuse(
            new FakeAwsError(
              'ServiceUnavailable',
              failure.message ?? 'Service is unavailable, try again later.',
              failure.status ?? 503,
            ),
          );
        return refuse(
          new FakeAwsError(
            failure.kind,
            failure.message ?? `injected ${failure.kind}`,
            failure.status ?? 400,
          ),
        );
      }
      try {
        answer(200, protocol.encodeResult(operation, handler(input), requestId));
      } catch (err) {
        if (err instanceof FakeAwsError) refuse(err);
        else refuse(new FakeAwsError('InternalFailure', String(err), 500));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    fail(operation, kind, times = 1, options = {}) {
      const queue = failures.get(operation) ?? [];
      for (let i = 0; i < times; i++) queue.push({ kind, ...options });
      failures.set(operation, queue);
    },
    reset() {
      calls.length = 0;
      failures.clear();
    },
    callsOf: (operation) => calls.filter((c) => c.operation === operation),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An opaque page token: the offset, in a form a client cannot mistake for anything else. */
export function pageToken(offset: number): string {
  return Buffer.from(`page:${offset}`).toString('base64');
}

/** The offset in a page token, or undefined when the token is not one of ours. */
export function pageOffset(token: unknown): number | undefined {
  if (token === undefined || token === null) return 0;
  const m = /^page:(\d+)$/.exec(Buffer.from(String(token), 'base64').toString('utf8'));
  return m ? Number(m[1]) : undefined;
}

/** Epoch seconds, as the JSON protocols carry timestamps. */
export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

/** JSON-protocol decoding shared by CodePipeline (1.1) and CloudWatch (1.0). */
export function decodeJson(
  req: IncomingMessage,
  body: string,
  version: '1.0' | '1.1',
  targetPrefix: string,
): { operation: string; input: Record<string, unknown> } {
  const contentType = String(req.headers['content-type'] ?? '');
  const target = String(req.headers['x-amz-target'] ?? '');
  if (
    req.method !== 'POST' ||
    contentType !== `application/x-amz-json-${version}` ||
    !target.startsWith(targetPrefix)
  )
    throw new FakeAwsError(
      'UnknownOperationException',
      `expected POST application/x-amz-json-${version} with X-Amz-Target ${targetPrefix}<Operation>, got ${req.method} ${contentType} ${target}`,
    );
  let input: unknown;
  try {
    input = JSON.parse(body || '{}');
  } catch {
    throw new FakeAwsError('SerializationException', 'the request body is not JSON');
  }
  if (!input || typeof input !== 'object' || Array.isArray(input))
    throw new FakeAwsError('SerializationException', 'the request body is not a JSON object');
  return { operation: target.slice(targetPrefix.length), input: input as Record<string, unknown> };
}

/** A required string member, or the ValidationException AWS answers for a missing one. */
export function requireString(
  input: Record<string, unknown>,
  member: string,
  code = 'ValidationException',
): string {
  const value = input[member];
  if (typeof value !== 'string' || value === '')
    throw new FakeAwsError(
      code,
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  return value;
}
