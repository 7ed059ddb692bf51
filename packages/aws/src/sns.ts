/**
 * Notifications through Amazon SNS. The subject is made to fit SNS's rules (under 100
 * characters, no line breaks or control characters) rather than refused: a notification should
 * arrive even when a version string is long. The message must not be empty or over 256 KB.
 */
import type * as SnsSdk from '@aws-sdk/client-sns';
import { show, UserError } from '@sd-actions/core';
import { callAws, LazyClient, type AwsClientOptions } from './call.js';
import { AwsError } from './errors.js';
import { checkTopicArn } from './validate.js';

type Sdk = typeof SnsSdk;
type Client = SnsSdk.SNSClient;

const MAX_MESSAGE_BYTES = 256 * 1024;

/** A subject SNS accepts: one line, printable, at most 99 characters (ellipsis when cut). */
export function snsSubject(subject: string): string {
  let s = subject
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  // SNS wants the first character to be a letter, a digit or punctuation.
  s = s.replace(/^[^\p{L}\p{N}\p{P}]+/u, '');
  const chars = [...s];
  if (chars.length > 99) s = `${chars.slice(0, 96).join('').trimEnd()}...`;
  return s;
}

export class SnsPublisher {
  private readonly lazy: LazyClient<Sdk, Client>;

  constructor(private readonly options: AwsClientOptions = {}) {
    this.lazy = new LazyClient(
      () => import('@aws-sdk/client-sns'),
      (sdk) => new sdk.SNSClient({ ...(options.region ? { region: options.region } : {}), maxAttempts: 1 }),
    );
  }

  get sdkLoaded(): boolean {
    return this.lazy.isLoaded;
  }

  /** Publish one message; returns SNS's message id. */
  async publish(topicArn: string, subject: string, message: string): Promise<{ messageId?: string }> {
    checkTopicArn(topicArn, 'sns topicArn');
    if (typeof message !== 'string' || message.trim() === '')
      throw new UserError(`SNS message for ${show(topicArn)} is empty; there is nothing to send`);
    if (Buffer.byteLength(message, 'utf8') > MAX_MESSAGE_BYTES)
      throw new UserError(
        `SNS message for ${show(topicArn)} is ${Buffer.byteLength(message, 'utf8')} bytes; SNS takes at most ${MAX_MESSAGE_BYTES}`,
      );
    const fitted = snsSubject(subject ?? '');
    const { sdk, client } = await this.lazy.get().catch((err: unknown) => {
      throw new AwsError(`SNS Publish: cannot load the AWS SDK: ${String(err)}`, {
        awsName: 'SdkLoadError',
        operation: 'Publish',
        cause: err,
      });
    });
    const out = await callAws(
      'Publish',
      `SNS Publish to ${show(topicArn)}`,
      this.options.retry ?? {},
      () =>
        client.send(
          new sdk.PublishCommand({
            TopicArn: topicArn,
            Message: message,
            ...(fitted ? { Subject: fitted } : {}),
          }),
        ),
      (name) => {
        if (name === 'NotFoundException')
          return `the topic does not exist in this account and region; check notify.sns.topicArn`;
        if (name === 'AuthorizationErrorException')
          return `not allowed to publish to the topic; the role needs sns:Publish on it`;
        return undefined;
      },
    );
    return { messageId: out.MessageId };
  }
}
