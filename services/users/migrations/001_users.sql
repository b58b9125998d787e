-- Accounts, sharded: a user lives on the logical shard of their normalized
-- email's hash, so registration checks uniqueness in one shard's transaction and
-- login finds the account from the email alone. Ids come from
-- tessera_next_id(shard) and carry that shard. Uniqueness ignores soft-deleted
-- rows so an address can be registered again after its account is deleted.
create table users (
  id bigint primary key,
  email text not null,
  display_name text not null,
  role text not null default 'user' check (role in ('user', 'admin')),
  password_hash text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);

create unique index users_email_live on users (email) where deleted_at is null;
create index users_created_at on users (created_at desc, id desc);
