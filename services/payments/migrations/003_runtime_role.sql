-- Where the service runs as its own role (the chart: payments_app) and the
-- owner only migrates, the ledger is insert-only for the service: without
-- ownership it can neither change rows nor disable, drop or bypass the
-- append-only triggers. Called by the migration runner after its grants.
create function tessera_restrict_runtime(runtime name) returns void language plpgsql as $$
begin
  execute format('revoke update, delete, truncate on payment_ledger from %I', runtime);
end
$$;
