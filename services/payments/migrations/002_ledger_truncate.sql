-- The row trigger of 001 does not fire on TRUNCATE, which would empty the
-- ledger in one statement: refuse that too.
create trigger payment_ledger_no_truncate before truncate on payment_ledger
  for each statement execute function payment_ledger_append_only();
