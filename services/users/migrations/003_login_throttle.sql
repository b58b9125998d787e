-- Per-account login backoff: failed password checks counted by the SHA-256 of
-- the normalized email (on that email's shard), so it holds whichever address
-- the attempts come from, and unknown emails are throttled exactly like known
-- ones (a lockout reveals nothing about which accounts exist).
create table login_throttle (
  email_hash bytea primary key,
  failures integer not null,
  locked_until timestamptz not null,
  updated_at timestamptz not null default now()
);
create index login_throttle_updated on login_throttle (updated_at);
