/**
 * A loopback Amazon SNS speaking the query protocol the installed `@aws-sdk/client-sns` sends
 * (form-encoded `Action=Publish&Version=2010-03-31&…`, XML answers and `<ErrorResponse>` errors),
 * reached through AWS_ENDPOINT_URL_SNS. Implements Publish with AWS's checks: the topic must
 * exist, the message must not be empty or over 256 KB, the subject must be under 100 characters,
 * with no line breaks or control characters.
 */
import { randomUUID } from 'node:crypto';
import { FakeAwsError, startFakeService, type FakeAwsControls } from './common.js';

export interface FakeSnsMessage {
  topicArn: string;
  subject?: string;
  message: string;
  messageId: string;
}

export interface FakeSns extends FakeAwsControls {
  topics: Set<string>;
  /** Messages accepted, in order. */
  published: FakeSnsMessage[];
  /** Create a topic; returns its ARN. */
  createTopic(name: string): string;
}

const VERSION = '2010-03-31';
const NS = `http://sns.amazonaws.com/doc/${VERSION}/`;

function xml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function startFakeSns(options: { region?: string } = {}): Promise<FakeSns> {
  const region = options.region ?? 'us-east-1';
  const topics = new Set<string>();
  const published: FakeSnsMessage[] = [];

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    Publish(input) {
      const topicArn = input.TopicArn;
      if (typeof topicArn !== 'string' || !topicArn)
        throw new FakeAwsError(
          'InvalidParameter',
          'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
        );
      if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(topicArn))
        throw new FakeAwsError('InvalidParameter', 'Invalid parameter: TopicArn');
      if (!topics.has(topicArn)) throw new FakeAwsError('NotFound', 'Topic does not exist', 404);
      const message = input.Message;
      if (typeof message !== 'string' || message === '')
        throw new FakeAwsError('InvalidParameter', 'Invalid parameter: Empty message');
      if (Buffer.byteLength(message, 'utf8') > 262144)
        throw new FakeAwsError('InvalidParameter', 'Invalid parameter: Message too long');
      const subject = input.Subject as string | undefined;
      if (subject !== undefined) {
        if (
          subject === '' ||
          [...subject].length >= 100 ||
          /[\u0000-\u001f\u007f]/.test(subject) ||
          !/^[\p{L}\p{N}\p{P}]/u.test(subject)
        )
          throw new FakeAwsError('InvalidParameter', 'Invalid parameter: Subject');
      }
      const messageId = randomUUID();
      published.push({ topicArn, ...(subject !== undefined ? { subject } : {}), message, messageId });
      return { MessageId: messageId };
    },
  };

  const controls = await startFakeService(
    {
      service: 'sns',
      signingName: 'sns',
      decode(req, body) {
        const contentType = String(req.headers['content-type'] ?? '');
        if (req.method !== 'POST' || !contentType.startsWith('application/x-www-form-urlencoded'))
          throw new FakeAwsError(
            'InvalidAction',
            `expected a form-encoded POST, got ${req.method} ${contentType}`,
          );
        const form = new URLSearchParams(body);
        if (form.get('Version') !== VERSION)
          throw new FakeAwsError(
            'InvalidParameterValue',
            `Version ${String(form.get('Version'))} is not ${VERSION}`,
          );
        const input: Record<string, unknown> = {};
        for (const [k, v] of form) if (k !== 'Action' && k !== 'Version') input[k] = v;
        const operation = form.get('Action') ?? '';
        if (!operation) throw new FakeAwsError('MissingAction', 'Missing Action');
        return { operation, input };
      },
      encodeResult(operation, result, requestId) {
        const fields = Object.entries(result as Record<string, string>)
          .map(([k, v]) => `<${k}>${xml(String(v))}</${k}>`)
          .join('');
        return {
          headers: { 'Content-Type': 'text/xml' },
          body:
            `<${operation}Response xmlns="${NS}"><${operation}Result>${fields}</${operation}Result>` +
            `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`,
        };
      },
      encodeError(_op, err, requestId) {
        return {
          headers: { 'Content-Type': 'text/xml' },
          body:
            `<ErrorResponse xmlns="${NS}"><Error><Type>${err.type}</Type><Code>${xml(err.code)}</Code>` +
            `<Message>${xml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        };
      },
      throttling: { code: 'Throttled', status: 429, message: 'Rate exceeded' },
    },
    operations,
  );

  return {
    ...controls,
    topics,
    published,
    createTopic(name) {
      const arn = `arn:aws:sns:${region}:123456789012:${name}`;
      topics.add(arn);
      return arn;
    },
  };
}
