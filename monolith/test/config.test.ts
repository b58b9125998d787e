import { ConfigError } from '@tessera/config';
import { IN_PROCESS_TARGET } from '@tessera/grpc-kit';
import { startWaves } from '@tessera/local-infra';
import { loadMonolithConfig, partEnv } from '../src/config';
import { WAVES } from '../src/monolith';

describe('monolith configuration', () => {
  test('when a variable is under a part\'s prefix, then that part alone sees it, over the shared one, and no other part\'s prefixed variables', () => {
    const source = { LOG_LEVEL: 'warn', DATABASE_POOL_MAX: '5', ORDERS__DATABASE_POOL_MAX: '9', USERS__ADMIN_EMAIL: 'root@example.test' };
    expect(partEnv('orders', source)).toMatchObject({ LOG_LEVEL: 'warn', DATABASE_POOL_MAX: '9' });
    expect(partEnv('payments', source)).toMatchObject({ DATABASE_POOL_MAX: '5' });
    expect(partEnv('orders', source)).not.toHaveProperty('ADMIN_EMAIL');
    expect(Object.keys(partEnv('orders', source)).filter((k) => k.includes('__'))).toEqual([]);
  });

  test('when parts name their peers, then every peer is in-process and events keep their types', () => {
    const env = partEnv('orders', { ORDERS__CATALOG_TARGET: 'catalog:50052', ORDERS__EVENT_SUBSCRIBERS: 'notifications:50055=order.|payment.;audit:1' });
    expect(env).toMatchObject({ USERS_TARGET: IN_PROCESS_TARGET, CATALOG_TARGET: IN_PROCESS_TARGET, PAYMENTS_TARGET: IN_PROCESS_TARGET, MIGRATE_ON_START: 'false' });
    expect(env.EVENT_SUBSCRIBERS).toBe(`${IN_PROCESS_TARGET}=order.|payment.;${IN_PROCESS_TARGET}`);
  });

  test('when variables are wrong in several parts, then one error names each, with its part', () => {
    const error = (() => {
      try {
        loadMonolithConfig({ METRICS_PORT: 'x', ORDERS__DATABASE_CLUSTERS: 'not json', PAYMENTS__DATABASE_CLUSTERS: '[]', EDGE__PORT: '70000' });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const text = error.problems.join('\n');
    for (const expected of [/^METRICS_PORT:/m, /^orders: DATABASE_CLUSTERS/m, /^payments: DATABASE_CLUSTERS/m, /^edge: PORT/m, /^users: DATABASE_CLUSTERS/m]) expect(text).toMatch(expected);
  });

  test('when the parts start, then each starts after everything it calls or pushes events to (the topology file\'s order)', () => {
    expect(WAVES).toEqual(startWaves());
  });
});
