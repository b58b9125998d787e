import type { FastifyReply } from 'fastify';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { AppError, codeName, Reason } from '@tessera/errors';
import { isServiceError, MetadataKeys } from '@tessera/grpc-kit';
import type { Logger } from '@tessera/logging';

/** gRPC status → HTTP status, by the google.rpc table (anything not listed is a 500). */
export const HTTP_STATUS_BY_GRPC: Record<number, number> = {
  [GrpcStatus.OK]: 200,
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.OUT_OF_RANGE]: 400,
  [GrpcStatus.FAILED_PRECONDITION]: 400,
  [GrpcStatus.UNAUTHENTICATED]: 401,
  [GrpcStatus.PERMISSION_DENIED]: 403,
  [GrpcStatus.NOT_FOUND]: 404,
  [GrpcStatus.ALREADY_EXISTS]: 409,
  [GrpcStatus.ABORTED]: 409,
  [GrpcStatus.RESOURCE_EXHAUSTED]: 429,
  [GrpcStatus.CANCELLED]: 499,
  [GrpcStatus.UNIMPLEMENTED]: 501,
  [GrpcStatus.UNAVAILABLE]: 503,
  [GrpcStatus.DEADLINE_EXCEEDED]: 504,
};

/**
 * Error reasons whose HTTP status differs from their gRPC code's row: the
 * IETF idempotency draft answers a reused Idempotency-Key with 422.
 */
export const HTTP_STATUS_BY_REASON: Record<string, number> = {
  [Reason.IDEMPOTENCY_KEY_REUSED]: 422,
  // Shed by a service under load: the platform is busy, not the caller over a quota.
  [Reason.OVERLOADED]: 503,
};

export interface Violation {
  /** JSON pointer into the request (RFC 6901), e.g. "/items/0/quantity". */
  pointer: string;
  detail: string;
}

/** The one error type of the edge: becomes an RFC 9457 problem. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors: Violation[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
  408: 'Request Timeout', 413: 'Content Too Large', 414: 'URI Too Long', 431: 'Request Header Fields Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 428: 'Precondition Required', 429: 'Too Many Requests',
  499: 'Client Closed Request', 500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function problem(status: number, detail?: string, errors: Violation[] = [], headers: Record<string, string> = {}): HttpProblem {
  return new HttpProblem(status, TITLES[status] ?? 'Error', detail, errors, headers);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's service field names → where the REST client wrote them ("/lines" also renames "/lines/0/quantity"). */
    pointers?: Record<string, string>;
  }
}

/** A service's field name as a pointer into the REST request, by the longest matching prefix of `pointers`. */
function pointerInRequest(field: string, pointers: Record<string, string>): string {
  let best: string | undefined;
  for (const prefix of Object.keys(pointers)) if ((field === prefix || field.startsWith(`${prefix}/`)) && prefix.length > (best?.length ?? -1)) best = prefix;
  return best === undefined ? field : `${pointers[best]}${field.slice(best.length)}`;
}

/**
 * Any error → a problem. gRPC errors keep their message (services only put
 * caller-safe text there) and field violations; anything unknown is a 500 with
 * nothing internal in it, logged in full.
 */
export function toProblem(error: unknown, logger: Logger, pointers: Record<string, string> = {}): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (isServiceError(error)) {
    const reason = error.metadata?.get(MetadataKeys.errorReason)[0];
    const status = (typeof reason === 'string' ? HTTP_STATUS_BY_REASON[reason] : undefined) ?? HTTP_STATUS_BY_GRPC[error.code] ?? 500;
    if (status === 500) {
      logger.error({ err: error, grpcCode: codeName(error.code) }, 'upstream error');
      return problem(500, 'internal error');
    }
    const raw = error.metadata?.get(MetadataKeys.fieldViolations)[0];
    const violations = raw ? (JSON.parse(String(raw)) as { field: string; description: string }[]).map((v) => ({ pointer: pointerInRequest(v.field, pointers), detail: v.description })) : [];
    // Client errors keep the service's caller-safe message; server-side ones get a fixed text.
    const fixed: Record<number, string> = { 499: 'the request was cancelled', 501: 'not implemented', 503: 'a dependency is unavailable; retry shortly', 504: 'the request ran out of time' };
    const detail = fixed[status] ?? error.details;
    const retryAfterMs = Number(error.metadata?.get(MetadataKeys.retryAfterMs)[0]);
    const retryAfter = retryAfterMs > 0 ? String(Math.ceil(retryAfterMs / 1000)) : status === 503 ? '1' : undefined;
    return problem(status, detail, violations, retryAfter ? { 'Retry-After': retryAfter } : {});
  }
  if (error instanceof AppError) return problem(HTTP_STATUS_BY_GRPC[error.code] ?? 500, error.message, error.violations.map((v) => ({ pointer: v.field, detail: v.description })));
  // Fastify's own errors (body parsing, bad URLs) carry a 4xx statusCode and an FST_ code.
  const framework = error as { statusCode?: number; code?: string };
  if (framework?.statusCode === 413) return problem(413, 'request body too large');
  if (framework?.statusCode === 415) return problem(415, 'unsupported media type: send application/json');
  if (framework?.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) return problem(400, 'request body is not valid JSON');
  if (framework?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return problem(400, 'request body is empty; send a JSON object');
  if (typeof framework?.statusCode === 'number' && framework.statusCode >= 400 && framework.statusCode < 500) return problem(framework.statusCode, 'bad request');
  logger.error({ err: error }, 'unhandled error');
  return problem(500, 'internal error');
}

/** The RFC 9457 body of a problem; `extra` members are added after the standard ones. */
export function problemBody(p: HttpProblem, requestId: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: `https://tessera.dev/problems/${p.status}`,
    title: p.title,
    status: p.status,
    ...(p.detail ? { detail: p.detail } : {}),
    ...(p.errors.length ? { errors: p.errors } : {}),
    ...extra,
    request_id: requestId,
  });
}

/** Answers with a problem: its status, headers and body; `as` for a media type other than problem+json (with members beside it). */
export function sendProblem(reply: FastifyReply, p: HttpProblem, requestId: string, as: { mediaType: string; extra: Record<string, unknown> } = { mediaType: 'application/problem+json', extra: {} }): void {
  reply.headers(p.headers).code(p.status).type(as.mediaType).send(problemBody(p, requestId, as.extra));
}
