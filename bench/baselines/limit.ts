/**
 * Baseline "the limit": raw node:http + ioredis + postgres, one process, no
 * framework, no features. What this machine can do for the same reads.
 */
import http from 'node:http';
import { baselineData } from './shared';

const data = baselineData(process.env, 'bench:limit');
const PRODUCT = /^\/api\/v2\/products\/([\w]+)$/;
const ORDER = /^\/api\/v2\/orders\/([\w]+)$/;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const product = PRODUCT.exec(req.url ?? '');
  const order = ORDER.exec(req.url ?? '');
  const work = product ? data.product(product[1]!) : order ? data.order(order[1]!) : Promise.resolve(undefined);
  work.then(
    (found) => (found ? send(res, 200, found) : send(res, 404, { title: 'Not Found' })),
    () => send(res, 500, { title: 'Internal Server Error' }),
  );
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => {
  server.close();
  void data.close().then(() => process.exit(0));
});
