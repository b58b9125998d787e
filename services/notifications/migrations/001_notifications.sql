-- Inbox and webhooks on the user's shard.
create table notifications (
  id bigint primary key,
  user_id bigint not null,
  type text not null,
  title text not null,
  body text not null,
  subject_id text not null,
  created_at timestamptz not null default now(),
  read_at timestamptz
);
create index notifications_user on notifications (user_id, created_at desc, id desc);

-- The signing secret is kept as is: it must be readable to sign each delivery
-- (like Stripe's endpoint secrets). Treat the database as secret material.
create table webhooks (
  id bigint primary key,
  user_id bigint not null,
  url text not null,
  event_types text[] not null,
  signing_secret text not null,
  created_at timestamptz not null default now(),
  deleted_at timestamptz
);
create index webhooks_user on webhooks (user_id) where deleted_at is null;

-- One row per (endpoint, event): written with the inbox entry, in the event's
-- transaction, so no delivery is lost; `next_attempt_at` doubles as the lease
-- of the dispatcher working on it.
create table webhook_deliveries (
  id bigint primary key,
  webhook_id bigint not null references webhooks (id),
  user_id bigint not null,
  event_id text not null,
  event_type text not null,
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  unique (webhook_id, event_id)
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';

create table webhook_attempts (
  id bigint primary key,
  delivery_id bigint not null references webhook_deliveries (id),
  webhook_id bigint not null,
  attempt integer not null,
  response_status integer not null default 0,
  error text not null default '',
  created_at timestamptz not null default now()
);
create index webhook_attempts_webhook on webhook_attempts (webhook_id, created_at desc, id desc);
