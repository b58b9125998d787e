-- Email directory: one row per live email on the shard of the email's hash, so
-- login and uniqueness checks find an account from the email alone, even after
-- the user changed their email (their row stays on its original shard).
create table user_emails (
  email text primary key,
  user_id bigint not null
);
insert into user_emails (email, user_id) select email, id from users where deleted_at is null on conflict do nothing;

-- Refresh tokens: only a SHA-256 of the secret is stored. Each use rotates the
-- token inside its family; presenting a rotated token again revokes the family.
create table refresh_tokens (
  id bigint primary key,
  user_id bigint not null,
  family_id bigint not null,
  token_hash bytea not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  rotated_at timestamptz,
  revoked_at timestamptz
);
create index refresh_tokens_family on refresh_tokens (family_id);
create index refresh_tokens_user on refresh_tokens (user_id);

-- API keys: SHA-256 of the key only; the prefix is for people to recognise a key in a list.
create table api_keys (
  id bigint primary key,
  user_id bigint not null,
  name text not null,
  scopes text[] not null,
  prefix text not null,
  key_hash bytea not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  revoked_at timestamptz
);
create index api_keys_user on api_keys (user_id, created_at desc);

-- OAuth 2.0 machine clients (client credentials), on logical shard 0's cluster.
create table oauth_clients (
  id bigint primary key,
  name text not null,
  scopes text[] not null,
  secret_hash bytea not null,
  created_at timestamptz not null default now(),
  deleted_at timestamptz
);
