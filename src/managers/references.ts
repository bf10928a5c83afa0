// Who refers to each object a manager holds (Python's Server.id_to_refcount, incref and decref).
// An object lives while something counts for it, and is freed when nothing does any more:
//   - a client (a socket connection, or a shared-memory client of the tree) counts one per
//     proxy it holds: one at create, one per proxy in a reply, one per proxy it adopted; it
//     drops them one by one (decref: a proxy disposed or collected), or all at once when it
//     goes away (its process exited, its socket closed);
//   - a proxy record on its way to another process counts one from the moment its sender
//     encodes it (transfer) until the receiver adopts it; a record never received is dropped
//     with its sender's other references, when that client goes away;
//   - a proxy stored inside a managed object (a list in a dict) counts one while it is stored
//     (object-table.ts counts the stored marker and drops it when the marker is collected).
// A client can only drop what it holds itself: no peer can free another's objects.

/** Early adoptions remembered (a receiver can be faster than its sender's transfer). */
const MAX_EARLY_ADOPTIONS = 4096;

/** The references one client holds. */
export class Holder {
  /** Set once its client went away: nothing more is counted for it. */
  isReleased = false;
  /** Object id → how many proxies of this client refer to it. */
  readonly counts = new Map<number, number>();
  /** Transfer token → object id, for records this client sent that nobody adopted yet. */
  readonly transfers = new Map<string, number>();
}

export class References {
  readonly #totals = new Map<number, number>();
  readonly #transfers = new Map<string, { readonly holder: Holder; readonly id: number }>();
  readonly #earlyAdoptions = new Set<string>();
  readonly #free: (id: number) => void;

  /** `free(id)` is called once nothing refers to object `id` any more. */
  constructor(free: (id: number) => void) {
    this.#free = free;
  }

  /** One more reference to `id`, by `holder` (null: a stored marker, which has no client). */
  add(id: number, holder: Holder | null): void {
    if (holder?.isReleased) {
      // Its client left during the call (a create whose factory took a while): nobody will
      // hold this reference, so an object that has no other is freed now.
      if (!this.#totals.has(id)) this.#free(id);
      return;
    }
    this.#totals.set(id, (this.#totals.get(id) ?? 0) + 1);
    if (holder) holder.counts.set(id, (holder.counts.get(id) ?? 0) + 1);
  }

  /** One reference fewer, if `holder` has one (a stray decref changes nothing). */
  drop(id: number, holder: Holder | null): void {
    if (holder) {
      const count = holder.counts.get(id);
      if (count === undefined) return;
      if (count > 1) holder.counts.set(id, count - 1);
      else holder.counts.delete(id);
    }
    this.#lower(id, 1);
  }

  /** A record of `id` sent by `holder`'s process: counts until adopted (or until the sender goes away). */
  transfer(id: number, token: string, holder: Holder): void {
    if (holder.isReleased || this.#earlyAdoptions.delete(token)) return; // its receiver already took its reference
    if (this.#transfers.has(token)) return;
    this.#transfers.set(token, { holder, id });
    holder.transfers.set(token, id);
    this.#totals.set(id, (this.#totals.get(id) ?? 0) + 1);
  }

  /** The receiver of a record takes over its reference; false when the transfer is unknown and the object gone. */
  adopt(id: number, token: string, holder: Holder, exists: boolean): boolean {
    const transfer = this.#transfers.get(token);
    if (holder.isReleased) return exists;
    if (transfer && transfer.id === id) {
      this.#transfers.delete(token);
      transfer.holder.transfers.delete(token);
      holder.counts.set(id, (holder.counts.get(id) ?? 0) + 1);
      return true;
    }
    if (!exists) return false;
    // The sender's transfer has not arrived yet (another link): count now, skip it when it comes.
    this.add(id, holder);
    this.#earlyAdoptions.add(token);
    if (this.#earlyAdoptions.size > MAX_EARLY_ADOPTIONS) this.#earlyAdoptions.delete(this.#earlyAdoptions.values().next().value!);
    return true;
  }

  /** A client went away: everything it held, records in flight included, is dropped. */
  release(holder: Holder): void {
    holder.isReleased = true;
    for (const [token, id] of holder.transfers) {
      this.#transfers.delete(token);
      this.#lower(id, 1);
    }
    holder.transfers.clear();
    for (const [id, count] of holder.counts) this.#lower(id, count);
    holder.counts.clear();
  }

  /** Lowers `id`'s count by `by`; at zero the object is freed. */
  #lower(id: number, by: number): void {
    const total = (this.#totals.get(id) ?? 0) - by;
    if (total > 0) {
      this.#totals.set(id, total);
      return;
    }
    this.#totals.delete(id);
    this.#free(id);
  }
}
