-- The catalog: one cluster with replicas (small and read-heavy), so products
-- use logical shard 0 for their ids.
create extension if not exists pg_trgm;

create table products (
  id bigint primary key,
  name text not null,
  description text not null default '',
  price_minor bigint not null check (price_minor > 0),
  currency char(3) not null,
  stock integer not null check (stock >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);

-- Text search over name and description, case-insensitive substring (ILIKE) served by trigrams.
create index products_search on products using gin ((lower(name || ' ' || description)) gin_trgm_ops) where deleted_at is null;
create index products_price on products (price_minor) where deleted_at is null;

-- A reservation per order: the order id is the idempotency key, so reserving
-- twice reserves once; `released_at` makes releasing idempotent too.
create table reservations (
  order_id bigint primary key,
  created_at timestamptz not null default now(),
  released_at timestamptz
);

create table reservation_lines (
  order_id bigint not null references reservations (order_id),
  product_id bigint not null references products (id),
  quantity integer not null check (quantity > 0),
  unit_price_minor bigint not null,
  currency char(3) not null,
  primary key (order_id, product_id)
);
