import etag from 'etag';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fresh from 'fresh';

/**
 * Answers JSON. A 200 to a GET carries a weak ETag of its bytes, and a
 * conditional GET whose If-None-Match still matches gets 304 with no body
 * (the `fresh` rules, as Express applies them).
 */
export function sendJson(request: FastifyRequest, reply: FastifyReply, status: number, payload: string, knownEtag?: string): void {
  reply.code(status).type('application/json; charset=utf-8');
  if (request.method === 'GET' && status === 200) {
    const tag = knownEtag ?? weakEtag(payload);
    reply.header('etag', tag);
    if (fresh(request.headers, { etag: tag })) {
      reply.code(304).send();
      return;
    }
  }
  reply.send(payload);
}

export const weakEtag = (payload: string): string => etag(payload, { weak: true });
