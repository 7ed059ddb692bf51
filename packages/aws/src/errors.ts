/**
 * The one error the AWS adapters throw: what failed (service, operation, the resource), the AWS
 * error name when AWS answered one, and a sentence on what to do. It is a UserError, so an action
 * reports it as one clear annotation: almost every AWS failure here (a missing pipeline, an expired
 * token, missing permissions) is fixed by a person, not by a code change.
 */
import { UserError } from '@sd-actions/core';

export class AwsError extends UserError {
  /** The AWS error name (`InvalidApprovalTokenException`, `Throttling`, ...), or a name of ours for failures found before calling AWS (`NoPendingApproval`). */
  readonly awsName: string;
  /** The AWS API operation, e.g. `PutApprovalResult`. */
  readonly operation: string;
  /** The HTTP status AWS answered, when it answered. */
  readonly httpStatus?: number;
  /** Whether it was a transient failure (throttling, 5xx, network) that outlasted the retries. */
  readonly transient: boolean;

  constructor(
    message: string,
    details: {
      awsName: string;
      operation: string;
      httpStatus?: number;
      transient?: boolean;
      cause?: unknown;
    },
  ) {
    super(message);
    this.awsName = details.awsName;
    this.operation = details.operation;
    this.httpStatus = details.httpStatus;
    this.transient = details.transient ?? false;
    if (details.cause !== undefined) (this as { cause?: unknown }).cause = details.cause;
  }
}

export function isAwsError(err: unknown): err is AwsError {
  return err instanceof AwsError;
}
