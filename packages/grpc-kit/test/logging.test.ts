import { PassThrough } from 'node:stream';
import { users } from '@tessera/contracts';
import { createLogger } from '@tessera/logging';
import { createRegistry } from '@tessera/metrics';
import { createClient } from '@tessera/grpc-kit';
import { aUser, startUsersServer } from './fixtures/users-stub';
import { until } from '@tessera/testing';

describe('structured logs', () => {
  test('when a handler logs and a call fails, then the JSON lines carry service, request id and trace id', async () => {
    const stream = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    stream.on('data', (chunk: Buffer) => chunk.toString().split('\n').filter(Boolean).forEach((l) => lines.push(JSON.parse(l) as Record<string, unknown>)));
    const logger = createLogger({ service: 'users', level: 'info', destination: stream });
    const server = await startUsersServer(
      {
        getUser: async (req, ctx) => {
          ctx.logger.info({ password: 'hunter2' }, 'looking up user');
          if (req.id === 'usr_boom') throw new Error('boom');
          return { user: aUser(req.id) };
        },
      },
      { logger },
    );
    const client = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${server.port}`, { registry: createRegistry() });
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    await client.getUser({ id: 'usr_boom' }, { metadata: { 'x-request-id': 'req-42', traceparent: `00-${traceId}-b7ad6b7169203331-01` } }).catch(() => undefined);
    client.close();
    await server.stop();
    await until('the call\'s log lines to arrive', () => lines.some((l) => l.msg === 'rpc failed'));

    const handlerLine = lines.find((l) => l.msg === 'looking up user');
    expect(handlerLine).toMatchObject({ service: 'users', level: 'info', requestId: 'req-42', traceId, password: '[redacted]' });
    expect(typeof handlerLine!.time).toBe('string');
    expect(lines.find((l) => l.msg === 'unhandled error in handler')).toMatchObject({ level: 'error', requestId: 'req-42', traceId, err: { message: 'boom' } });
    expect(lines.find((l) => l.msg === 'rpc failed')).toMatchObject({ code: 'INTERNAL', requestId: 'req-42' });
  });
});
