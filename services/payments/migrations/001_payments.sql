-- Payments on the payer's shard. One payment per (user, idempotency key): a
-- retry with the same key finds the same payment and asks the processor again
-- with the same processor key, so it can never charge twice.
create table payments (
  id bigint primary key,
  user_id bigint not null,
  order_id bigint not null,
  idempotency_key text not null,
  request_hash text not null,
  status text not null check (status in ('pending', 'authorized', 'captured', 'declined', 'refunded')),
  amount_minor bigint not null check (amount_minor > 0),
  currency char(3) not null,
  payment_method text not null,
  decline_reason text not null default '',
  processor_reference text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, idempotency_key)
);
create index payments_order on payments (user_id, order_id, created_at);

-- Every state change, never rewritten.
create table payment_ledger (
  id bigserial primary key,
  payment_id bigint not null references payments (id),
  status text not null,
  amount_minor bigint not null,
  currency char(3) not null,
  processor_reference text not null default '',
  created_at timestamptz not null default now()
);
create index payment_ledger_payment on payment_ledger (payment_id, id);

create function payment_ledger_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'payment_ledger is append-only';
end
$$;
create trigger payment_ledger_append_only before update or delete on payment_ledger
  for each row execute function payment_ledger_append_only();

-- The sandbox processor's own books (what a real processor keeps on its side):
-- one operation per processor idempotency key.
create schema sandbox_processor;
create table sandbox_processor.operations (
  idempotency_key text primary key,
  kind text not null check (kind in ('authorize', 'capture', 'refund')),
  payment_method text not null,
  amount_minor bigint not null,
  currency char(3) not null,
  approved boolean not null,
  decline_reason text not null default '',
  reference text not null,
  created_at timestamptz not null default now()
);
