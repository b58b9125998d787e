/**
 * The row a conditional write returned (`insert … on conflict do nothing returning …`, `update … where status = …
 * returning …`), or, when it wrote nothing, the row as it is now, read by a statement of its own; `undefined` when
 * there is no such row any more.
 *
 * Why not one statement (`… union all select … where not exists (select 1 from written)`): under READ COMMITTED a
 * write that waits for a concurrent transaction decides on the newest row, but the rest of its statement still reads
 * the snapshot taken before the wait. Such a fallback answers the row as it was before the other write (a cancelled
 * order as still paid), or nothing at all for a row the other transaction inserted.
 */
export async function writtenOrCurrent<R>(write: PromiseLike<readonly R[]>, current: () => PromiseLike<readonly R[]>): Promise<{ row: R; written: boolean } | undefined> {
  const [written] = await write;
  if (written) return { row: written, written: true };
  const [now] = await current();
  return now && { row: now, written: false };
}
