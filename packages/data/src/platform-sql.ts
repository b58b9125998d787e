import { ID_EPOCH_MS, SEQUENCE_BITS, SHARD_BITS } from './ids';

/**
 * Objects every Tessera database gets before its service's own migrations:
 * the id generator. One sequence per physical database; its value modulo 4,096
 * is the per-millisecond sequence. A logical shard lives on exactly one
 * physical database at a time, so (ms, shard, sequence) cannot repeat.
 */
export const PLATFORM_SQL = `
create sequence if not exists tessera_id_seq;

create or replace function tessera_next_id(logical_shard int) returns bigint
language plpgsql volatile as $$
declare
  now_ms bigint := floor(extract(epoch from clock_timestamp()) * 1000);
  seq bigint := nextval('tessera_id_seq') % ${1 << SEQUENCE_BITS};
begin
  if logical_shard < 0 or logical_shard >= ${1 << SHARD_BITS} then
    raise exception 'logical shard % out of range', logical_shard using errcode = '22003';
  end if;
  return ((now_ms - ${ID_EPOCH_MS}) << ${SHARD_BITS + SEQUENCE_BITS}) | (logical_shard::bigint << ${SEQUENCE_BITS}) | seq;
end
$$;
`;
