import Fastify from 'fastify';
import { Metadata, status } from '@grpc/grpc-js';
import { createLogger } from '@tessera/logging';
import { HTTP_STATUS_BY_GRPC, sendProblem, toProblem } from '../src/errors/problem';

const logger = createLogger({ service: 'test', level: 'silent' });

describe('gRPC status → HTTP problem', () => {
  let base = '';
  let close: () => void;

  beforeAll(async () => {
    const app = Fastify();
    app.get<{ Params: { code: string } }>('/grpc/:code', (req, reply) => {
      const metadata = new Metadata();
      if (req.params.code === String(status.INVALID_ARGUMENT)) metadata.set('x-field-violations-bin', Buffer.from(JSON.stringify([{ field: '/email', description: 'must be a valid email address' }])));
      const error = Object.assign(new Error('boom'), { code: Number(req.params.code), details: 'upstream said no /srv/app/secret.ts:12', metadata });
      sendProblem(reply, toProblem(error, logger), 'req-1');
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    close = () => void app.close();
  });

  afterAll(() => close());

  const table: [string, number, number][] = [
    ['CANCELLED', status.CANCELLED, 499],
    ['UNKNOWN', status.UNKNOWN, 500],
    ['INVALID_ARGUMENT', status.INVALID_ARGUMENT, 400],
    ['DEADLINE_EXCEEDED', status.DEADLINE_EXCEEDED, 504],
    ['NOT_FOUND', status.NOT_FOUND, 404],
    ['ALREADY_EXISTS', status.ALREADY_EXISTS, 409],
    ['PERMISSION_DENIED', status.PERMISSION_DENIED, 403],
    ['RESOURCE_EXHAUSTED', status.RESOURCE_EXHAUSTED, 429],
    ['FAILED_PRECONDITION', status.FAILED_PRECONDITION, 400],
    ['ABORTED', status.ABORTED, 409],
    ['OUT_OF_RANGE', status.OUT_OF_RANGE, 400],
    ['UNIMPLEMENTED', status.UNIMPLEMENTED, 501],
    ['INTERNAL', status.INTERNAL, 500],
    ['UNAVAILABLE', status.UNAVAILABLE, 503],
    ['DATA_LOSS', status.DATA_LOSS, 500],
    ['UNAUTHENTICATED', status.UNAUTHENTICATED, 401],
  ];

  test('when the table is compared with the codes, then every code is covered', () => {
    expect(table.map(([, code]) => code).sort((a, b) => a - b)).toEqual(Object.values(status).filter((v): v is number => typeof v === 'number' && v !== 0).sort((a, b) => a - b));
  });

  test.each(table)('when a service answers %s, then the edge answers %i problem+json', async (_name, code, httpStatus) => {
    const res = await fetch(`${base}/grpc/${code}`);
    expect(res.status).toBe(httpStatus);
    expect(HTTP_STATUS_BY_GRPC[code] ?? 500).toBe(httpStatus);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: httpStatus, title: expect.any(String), type: expect.stringContaining(String(httpStatus)), request_id: 'req-1' });
    if (httpStatus >= 500) expect(JSON.stringify(body)).not.toMatch(/secret|\.ts:|boom/);
    if (code === status.INVALID_ARGUMENT) expect(body.errors).toEqual([{ pointer: '/email', detail: 'must be a valid email address' }]);
    if (code === status.UNAVAILABLE) expect(res.headers.get('retry-after')).toBe('1');
  });

  test('when a service names its own fields, then the problem points at the REST request by the longest prefix, whole segments only', () => {
    const fields = ['/query', '/query_x', '/min_price_minor', '/price/amount_minor', '/lines/2/quantity', '/email'];
    const metadata = new Metadata();
    metadata.set('x-field-violations-bin', Buffer.from(JSON.stringify(fields.map((field) => ({ field, description: 'bad' })))));
    const error = Object.assign(new Error('bad'), { code: status.INVALID_ARGUMENT, details: 'bad', metadata });
    const pointers = { '/query': '/query/q', '/min_price_minor': '/query/min_price', '/price': '/cost', '/price/amount_minor': '/price/amount', '/lines': '/items' };
    expect(toProblem(error, logger, pointers).errors.map((e) => e.pointer)).toEqual(['/query/q', '/query_x', '/query/min_price', '/price/amount', '/items/2/quantity', '/email']);
  });
});
