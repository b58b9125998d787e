-- Orders on the buyer's shard. Lines are stored as requested first and priced
-- from the catalog's reservation (`priced`), never from the client.
create table orders (
  id bigint primary key,
  user_id bigint not null,
  status text not null check (status in ('pending', 'paid', 'payment_failed', 'cancelled')),
  items jsonb not null,
  priced boolean not null default false,
  total_minor bigint not null default 0,
  currency char(3) not null default 'USD',
  payment_method text not null,
  payment_id text not null default '',
  failure_reason text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index orders_user on orders (user_id, created_at desc, id desc);
-- The recovery worker's queue: orders a crash or timeout left pending.
create index orders_pending on orders (updated_at) where status = 'pending';

-- Idempotency-Key records (IETF httpapi-idempotency-key-header): claimed
-- atomically with INSERT ... ON CONFLICT; `locked_until` is the lease of the
-- request working on it, so a crashed request's key can be taken over.
create table idempotency_keys (
  user_id bigint not null,
  key text not null,
  request_hash text not null,
  order_id bigint not null,
  state text not null check (state in ('in_progress', 'done')),
  locked_until timestamptz not null,
  response jsonb,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  primary key (user_id, key)
);
create index idempotency_keys_expiry on idempotency_keys (expires_at);
