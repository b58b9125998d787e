import type { PromiseClient } from '@tessera/grpc-kit';

/**
 * The client, with every call made as the user the request names (`userId`
 * or `id`), or as an admin when it names nobody: these suites test what the
 * service does, the policies have their own suite (test/rpc-policies).
 */
export function actingAsNamedUser<C>(client: PromiseClient<C>, mint: (sub: string, role?: 'user' | 'admin') => Promise<string>): PromiseClient<C> {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || property === 'close') return value;
      return async (request: { userId?: string; id?: string }, options: { bearer?: string } = {}) => {
        const named = request.userId ?? request.id;
        const bearer = options.bearer ?? (named?.startsWith('usr_') ? await mint(named) : await mint('usr_1', 'admin'));
        return (value as (r: unknown, o: unknown) => Promise<unknown>)(request, { ...options, bearer });
      };
    },
  });
}
