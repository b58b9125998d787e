import { hashSecret, mintSecret, parseSecret, sameHash } from '@tessera/auth';
import type { ShardedDb } from '@tessera/data';
import type { OAuthClient, OAuthClientRepository } from '../domain/oauth-clients';

const PREFIX = 'tcs';
// Machine clients are few and admin-made: they live together on logical shard 0's cluster.
const CLIENT_SHARD = 0;

interface ClientRow {
  id: string;
  name: string;
  scopes: string[];
  created_at: Date;
}

const toClient = (row: ClientRow): OAuthClient => ({ id: row.id, name: row.name, scopes: row.scopes, createdAt: row.created_at });

/** OAuth clients with SHA-256-hashed secrets (`tcs_<client id>_<secret><checksum>`). */
export function oauthClientRepository(db: ShardedDb): OAuthClientRepository {
  const cluster = () => db.forShard(CLIENT_SHARD);
  return {
    async create({ name, scopes }, deadline) {
      const { value } = await cluster().write(async (tx) => {
        const [row] = await tx<{ id: string }[]>`select tessera_next_id(${CLIENT_SHARD})::text as id`;
        const secret = mintSecret(PREFIX, row!.id);
        const rows = await tx<ClientRow[]>`
          insert into oauth_clients (id, name, scopes, secret_hash) values (${row!.id}, ${name}, ${tx.array(scopes)}, ${hashSecret(secret)})
          returning id::text, name, scopes, created_at`;
        return { client: toClient(rows[0]!), secret };
      }, { deadline });
      return value;
    },

    async list(deadline) {
      const rows = await cluster().read((sql) => sql<ClientRow[]>`select id::text, name, scopes, created_at from oauth_clients where deleted_at is null order by created_at desc`, { deadline });
      return rows.map(toClient);
    },

    async remove(id, deadline) {
      const { value } = await cluster().write((tx) => tx`update oauth_clients set deleted_at = now() where id = ${id} and deleted_at is null`, { deadline });
      return value.count > 0;
    },

    async authenticate(id, secret, deadline) {
      const parsed = parseSecret(PREFIX, secret);
      if (!parsed || parsed.id !== id) return undefined;
      const rows = await cluster().read(
        (sql) => sql<(ClientRow & { secret_hash: Buffer })[]>`select id::text, name, scopes, created_at, secret_hash from oauth_clients where id = ${id} and deleted_at is null`,
        { deadline, consistency: 'primary' },
      );
      const row = rows[0];
      return row && sameHash(row.secret_hash, hashSecret(secret)) ? toClient(row) : undefined;
    },
  };
}
