-- Accounts. Emails are stored normalized; uniqueness ignores soft-deleted rows
-- so an address can be registered again after its account is deleted.
create table users (
  id bigint generated always as identity primary key,
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
