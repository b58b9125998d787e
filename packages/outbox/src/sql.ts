/**
 * Tables a producing service adds to its databases (passed to migrate as
 * platform SQL). Idempotent.
 */
export const OUTBOX_SQL = `
create table if not exists outbox (
  id bigint primary key,
  type text not null,
  aggregate_id text not null,
  user_id text not null,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text
);
create index if not exists outbox_pending on outbox (aggregate_id, id) where delivered_at is null;
`;

/** What a consuming service adds: the ids of events it has already applied. */
export const INBOX_SQL = `
create table if not exists processed_events (
  event_id text primary key,
  processed_at timestamptz not null default now()
);
`;
