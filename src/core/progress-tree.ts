/**
 * A request's progress aggregated over its call tree (docs/semantics.md, Progress), shared by the
 * engine and `runLocal`.
 *
 * A call's fraction (0–1) is its own `current / total` once it has reported one; before that, the
 * mean of its children's fractions (a finished child counts 1, a child that has not reported 0); a
 * call with neither counts 0 until it finishes. The request's fraction is its root call's, never
 * lower than any value it showed before, and 1 once the root call succeeds.
 *
 * Invariants:
 * - every operation costs O(depth of the call), never O(calls): each call keeps the sum of its
 *   children's fractions, and a change travels up the parent chain only. A `map` over 10,000 items
 *   costs one step per update, not 10,000;
 * - children's sums are kept in integer units (`UNIT` per whole), so they never drift: four
 *   children at 1 make exactly 1; a call's own figure stays its exact `current / total`.
 */

const UNIT = 1_000_000_000;

interface Node {
  parent: Node | null;
  /** Own `current / total`, once reported. */
  own: number | null;
  finished: boolean;
  children: number;
  childSum: number;
  /** The units the parent's `childSum` currently holds for this call. */
  value: number;
}

export class ProgressTree {
  private readonly nodes = new Map<string, Node>();
  private shown = 0;

  /** A call was created (`parentId` null for the root). Unknown parents are treated as roots. */
  add(callId: string, parentId: string | null): void {
    if (this.nodes.has(callId)) return;
    const parent = parentId === null ? null : (this.nodes.get(parentId) ?? null);
    this.nodes.set(callId, { parent, own: null, finished: false, children: 0, childSum: 0, value: 0 });
    if (parent) {
      parent.children++;
      this.update(parent);
    }
  }

  /** A progress update of `callId`; returns the request's fraction after it. */
  report(callId: string, current: number, total: number): number {
    const node = this.nodes.get(callId);
    if (node && !node.finished && total > 0) {
      node.own = Math.min(1, Math.max(0, current / total));
      this.update(node);
    }
    return this.fraction();
  }

  /**
   * `callId` finished. A success counts 1; a failure or cancellation keeps what it had reached
   * (the parent may retry or catch it, and the request's figure must not jump backwards).
   */
  finish(callId: string, succeeded: boolean): void {
    const node = this.nodes.get(callId);
    if (!node || node.finished) return;
    node.finished = true;
    if (succeeded) node.own = 1;
    this.update(node);
  }

  /** A failed call runs again (a replayed parent asked for it anew): it can report and finish again. */
  reopen(callId: string): void {
    const node = this.nodes.get(callId);
    if (node) node.finished = false;
  }

  /** The request's fraction: monotone while it runs. */
  fraction(): number {
    return this.shown;
  }

  private own(node: Node): number {
    if (node.own !== null) return node.own;
    return node.children > 0 ? node.childSum / node.children / UNIT : 0;
  }

  /** Recomputes `node`'s fraction and carries the change up to the root. */
  private update(node: Node): void {
    let n: Node | null = node;
    while (n) {
      const next = this.own(n);
      if (n.parent === null) {
        this.shown = Math.max(this.shown, next);
        return;
      }
      const units = Math.round(next * UNIT);
      if (units === n.value) return;
      n.parent.childSum += units - n.value;
      n.value = units;
      n = n.parent;
    }
  }
}
