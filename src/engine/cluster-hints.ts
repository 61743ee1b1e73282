/**
 * Cluster wake-ups (DESIGN.md §3 "Wake-ups") and following other servers' requests.
 *
 * Hints: what this server committed since the last flush is announced in ONE notification (NOTIFY
 * serialises commits, so never one per row), a JSON object: `w` when unowned work was inserted, `e`
 * the ids of requests that got events and that another server follows (or `"*"` when the list would
 * not fit a payload), `s` the ids of requests this server follows and does not run, `f` the ids
 * of requests this server finished without running them (a cancel), so that their owner winds them
 * down, `c` the ids of requests whose owner is asked to cancel them, `j` the id of a server that
 * just started, `h` a server and the ids of requests whose attempts run on executors that moved to
 * it (their owner is asked to hand them over: cluster.ts). A hint is never the truth: followers
 * and claimers also poll, so a lost hint costs latency only. A flush whose lists do not fit one
 * payload goes out in several (`packHints`): every id named is published.
 *
 * Alone: while the last lease renewal saw no other live server, hints that only wake others (`e`,
 * `w`) are not published (NOTIFY takes a database-wide lock at commit). A server that joins says
 * so at once (`j`), so the others publish again within a notification's latency rather than at
 * their next renewal; what they skipped meanwhile the newcomer's first claim pass and poll read
 * anyway (a skipped hint is a lost hint: latency, bounded by the poll). `c`, `f` and `h` are always
 * published: they name another server's work, and no poll replaces them (`h` is asked again on
 * every poll while it is wanted).
 *
 * Following: a subscriber of a request this server does not run reads the request's events from
 * the store, after each hint naming it and on the poll, from the last seq it delivered, so every
 * server shows the same events in seq order with the same ids. A follow ends with the request
 * (`request:finished`) or when its last listener leaves.
 *
 * Watching: a server names a request in `e` only once some server said it follows it (`s`), so a
 * cluster whose requests are followed where they run publishes no `e` at all (with two servers it
 * was one NOTIFY per commit group, each taking the database-wide lock). A follower says `s` when it
 * starts following and again on the poll while no `e` has named the request (a lost `s` costs
 * latency only); the server that runs the request answers a new `s` with an `e`, so events it
 * committed before it heard the `s` are read at once too. Once an `e` named it, the follow is
 * answered: its `s` is said again only every REANNOUNCE_EVERY-th poll, for a server that claims
 * the request later without having heard the first `s` (a restarted or new server, or one whose
 * watched list forgot it). So a server following 10,000 requests does not name all of them on
 * every poll; the poll's read of each follow's events keeps delivery correct in every case.
 */
import type { RequestEvent } from "../core/request.js";
import type { HintChannel, Store } from "../store/types.js";
import type { Follower } from "./resources.js";

const PAGE = 500;
/** NOTIFY payloads must stay below 8,000 bytes. */
const MAX_PAYLOAD = 7_000;

/** One notification's payload (JSON). */
interface Hint {
  j?: string;
  w?: 1;
  e?: string[] | "*";
  f?: string[];
  c?: string[];
  /** [the asking server, request ids]. */
  h?: [string, string[]];
  s?: string[];
}

/** The hint lists that name requests (`h` as `[this server, ids]`). */
type ListKey = "f" | "c" | "h" | "s";

/**
 * One flush's hint as NOTIFY payloads, each below MAX_PAYLOAD bytes: `head` (`e`, `w`) and as many
 * ids of the lists as fit go in the first; the rest follow in as many more as needed, so no id is
 * dropped however many a flush names (a follower's `s` on its poll names every request it follows;
 * a receiver handles each payload alone). Ids are ASCII (request ids), so a character is a byte.
 */
export function packHints(head: Hint, lists: readonly [ListKey, readonly string[]][], serverId: string): string[] {
  const out: string[] = [];
  let hint: Hint = head;
  let size = JSON.stringify(head).length; // 2 for a continuation that carries nothing yet
  for (const [key, ids] of lists) {
    let list: string[] | null = null;
    // The key, brackets and commas that starting this list in a payload adds.
    const opening = key === "h" ? JSON.stringify(serverId).length + 12 : key.length + 6;
    for (const id of ids) {
      const cost = JSON.stringify(id).length + 1;
      if (size + (list ? 0 : opening) + cost > MAX_PAYLOAD && size > 2) {
        out.push(JSON.stringify(hint));
        hint = {};
        size = 2;
        list = null;
      }
      if (!list) {
        list = [];
        if (key === "h") hint.h = [serverId, list];
        else hint[key] = list;
        size += opening;
      }
      list.push(id);
      size += cost;
    }
  }
  if (size > 2) out.push(JSON.stringify(hint));
  return out;
}

/** Most requests remembered as followed elsewhere (the oldest are forgotten first). */
const MAX_WATCHED = 10_000;
/** Every how many polls an answered follow is announced again (see Watching). */
export const REANNOUNCE_EVERY = 10;

interface Follow {
  last: number;
  listeners: Set<(ev: RequestEvent) => void>;
  reading: boolean;
  again: boolean;
  finished: boolean;
  /** An `e` has named the request: its runner watches it (see Watching). */
  answered: boolean;
  /** Polls since the follow was last announced. */
  polls: number;
}

export class ClusterHints implements Follower {
  private readonly follows = new Map<string, Follow>();
  private readonly changed = new Set<string>();
  private readonly finished = new Set<string>();
  private readonly cancels = new Set<string>();
  private readonly handOvers = new Set<string>();
  /** Requests some other server follows, oldest announcement first. */
  private readonly watched = new Set<string>();
  /** Requests this server follows, to announce (`s`) with the next flush. */
  private readonly following = new Set<string>();
  private workDue = false;
  private flushDue = false;
  /** No other live server (as of the last renewal, or until a `j` hint says otherwise). */
  private alone = false;
  private stopListening: (() => Promise<void>) | null = null;

  constructor(
    private readonly store: Store,
    private readonly channel: HintChannel,
    /** This server's id (its own `j` hint is not news). */
    private readonly serverId: string,
    /** Called when some server announced unowned work. */
    private readonly onWork: () => void,
    /** Called for each request some server finished without running it. */
    private readonly onFinished: (requestId: string) => void,
    /** Called for each request some server asks its owner to cancel. */
    private readonly onCancel: (requestId: string) => void,
    /** Called when server `to` asks the owners of `requestIds` to hand them over. */
    private readonly onHandOver: (to: string, requestIds: string[]) => void = () => {},
    /** Whether this server runs a request (it answers a follower's `s` with an `e`). */
    private readonly runsHere: (requestId: string) => boolean = () => false,
  ) {}

  async start(): Promise<void> {
    this.stopListening = await this.channel.listen((payload) => this.onHint(payload));
    // Listening first: from here on this server misses nothing the others publish.
    this.channel.publish(JSON.stringify({ j: this.serverId } satisfies Hint)).catch(() => {});
  }

  /** Whether another live server exists (the lease renewal tells). */
  setAlone(alone: boolean): void {
    this.alone = alone;
  }

  async stop(): Promise<void> {
    this.follows.clear();
    await this.stopListening?.().catch(() => {});
  }

  /** Announces unowned work with the next flush. */
  work(): void {
    this.workDue = true;
    this.scheduleFlush();
  }

  /** Announces that this server finished a request it does not run (its owner winds it down). */
  finishedHere(requestId: string): void {
    this.finished.add(requestId);
    this.scheduleFlush();
  }

  /** Asks the server that runs a request to cancel it. */
  cancel(requestId: string): void {
    this.cancels.add(requestId);
    this.scheduleFlush();
  }

  /** Asks the servers that own these requests to hand them over to this one. */
  askHandOver(requestIds: readonly string[]): void {
    for (const id of requestIds) this.handOvers.add(id);
    this.scheduleFlush();
  }

  committed(requestId: string): void {
    if (!this.watched.has(requestId)) return; // nobody else follows it: nobody to wake
    this.changed.add(requestId);
    this.scheduleFlush();
  }

  follow(requestId: string, listener: (ev: RequestEvent) => void): () => void {
    let f = this.follows.get(requestId);
    if (!f) {
      f = { last: 0, listeners: new Set(), reading: false, again: false, finished: false, answered: false, polls: 0 };
      this.follows.set(requestId, f);
      this.announce(requestId);
    }
    f.listeners.add(listener);
    this.read(requestId, f);
    const follow = f;
    return () => {
      follow.listeners.delete(listener);
      if (follow.listeners.size === 0 && this.follows.get(requestId) === follow) this.follows.delete(requestId);
    };
  }

  /** The poll fallback: every followed request is read again. */
  poll(): void {
    for (const [id, f] of this.follows) {
      this.read(id, f);
      if (f.finished) continue;
      if (!f.answered || ++f.polls >= REANNOUNCE_EVERY) {
        f.polls = 0;
        this.announce(id);
      }
    }
  }

  /** Says with the next flush that this server follows `requestId` (see Watching). */
  private announce(requestId: string): void {
    this.following.add(requestId);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushDue) return;
    this.flushDue = true;
    // One macrotask: every commit that settles in this turn of the event loop joins one NOTIFY.
    setImmediate(() => {
      this.flushDue = false;
      const changed = [...this.changed];
      const head: Hint = { e: changed.join(",").length > MAX_PAYLOAD ? "*" : changed };
      if (this.workDue) head.w = 1;
      const lists: [ListKey, string[]][] = [
        ["f", [...this.finished]],
        ["c", [...this.cancels]],
        ["h", [...this.handOvers]],
        ["s", [...this.following]],
      ];
      const named = lists.some(([, ids]) => ids.length > 0);
      this.changed.clear();
      this.finished.clear();
      this.cancels.clear();
      this.handOvers.clear();
      this.following.clear();
      this.workDue = false;
      if (this.alone && !named) return; // nobody else to wake
      if (changed.length === 0 && !head.w && !named) return;
      for (const payload of packHints(head, lists, this.serverId))
        this.channel.publish(payload).catch(() => {
          /* a hint: the poll covers a lost one */
        });
    });
  }

  private onHint(payload: string): void {
    let hint: Hint;
    try {
      hint = JSON.parse(payload) as Hint;
    } catch {
      return; // not ours
    }
    if (hint.j !== undefined && hint.j !== this.serverId) this.alone = false;
    if (hint.w) this.onWork();
    for (const id of hint.f ?? []) this.onFinished(id);
    for (const id of hint.c ?? []) this.onCancel(id);
    if (Array.isArray(hint.h) && hint.h[0] !== this.serverId && Array.isArray(hint.h[1]))
      this.onHandOver(hint.h[0], hint.h[1]);
    if (Array.isArray(hint.s)) for (const id of hint.s) this.watch(id);
    if (hint.e === "*") {
      // Too many to name: read every follow (its runner is not known, so none counts as answered).
      for (const [id, f] of this.follows) this.read(id, f);
      return;
    }
    if (!Array.isArray(hint.e) || this.follows.size === 0) return;
    for (const id of hint.e) {
      const f = this.follows.get(id);
      if (!f) continue;
      f.answered = true;
      this.read(id, f);
    }
  }

  /** Another server follows `requestId` (its own `s` comes back too: then it does not run it). */
  private watch(requestId: string): void {
    const known = this.watched.delete(requestId);
    this.watched.add(requestId);
    if (this.watched.size > MAX_WATCHED) this.watched.delete(this.watched.values().next().value!);
    if (!known && this.runsHere(requestId)) this.committed(requestId);
  }

  private read(requestId: string, f: Follow): void {
    if (f.finished) return;
    if (f.reading) {
      f.again = true;
      return;
    }
    f.reading = true;
    void (async () => {
      try {
        do {
          f.again = false;
          for (;;) {
            const page = await this.store.listEvents(requestId, f.last, PAGE);
            for (const ev of page) {
              f.last = ev.seq;
              if (ev.kind === "request:finished") f.finished = true;
              for (const l of [...f.listeners]) l(ev);
            }
            if (page.length < PAGE) break;
          }
        } while (f.again && !f.finished);
      } catch {
        /* the store is away: the next hint or poll reads again */
      } finally {
        f.reading = false;
      }
    })();
  }
}
