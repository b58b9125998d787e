import type { PendingQuery, Row, Sql, TransactionSql } from 'postgres';

export interface NewEvent {
  /** Dotted lower case: "order.created". */
  type: string;
  /** Prefixed id of the aggregate; events of one aggregate are delivered in order. */
  aggregateId: string;
  /** Prefixed id of the owning user. */
  userId: string;
  payload: Record<string, unknown>;
  /** Logical shard of the user: the event id carries it like any other id. */
  shard: number;
}

/** Writes an event in the caller's transaction: it exists exactly when the change it describes does. */
export async function enqueueEvent(tx: TransactionSql, event: NewEvent): Promise<string> {
  const [row] = await tx<{ id: string }[]>`
    insert into outbox (id, type, aggregate_id, user_id, payload)
    values (tessera_next_id(${event.shard}), ${event.type}, ${event.aggregateId}, ${event.userId}, ${tx.json(event.payload as never)})
    returning id::text`;
  return row!.id;
}

/**
 * The same write as a statement fragment, for a data-modifying CTE: one event
 * per row of the CTE named `source`, with `payload` a jsonb expression that may
 * use its columns. The change and its event then commit in one statement (one
 * round trip), and the event exists exactly when the change happened.
 */
export function outboxInsertFrom(sql: Sql, event: Omit<NewEvent, 'payload'>, payload: PendingQuery<Row[]>, source: string): PendingQuery<Row[]> {
  return sql`
    insert into outbox (id, type, aggregate_id, user_id, payload)
    select tessera_next_id(${event.shard}), ${event.type}, ${event.aggregateId}, ${event.userId}, ${payload} from ${sql(source)}`;
}
