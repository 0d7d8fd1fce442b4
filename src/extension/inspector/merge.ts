/**
 * Keeps what a deep (tier 2) snapshot found on screen while tier 1 refreshes: without it the
 * suspended async functions and pending promises would vanish two seconds after the user asked for
 * them. Only kinds the fresh tier 1 snapshot does not report are carried over, and the snapshot says
 * how old they are.
 */
import type { ItemKind, LoopSnapshot } from '../../inspector/model';

export function withDeepItems(fresh: LoopSnapshot, deep: LoopSnapshot | undefined): LoopSnapshot {
  if (!deep || fresh.tiers.includes(2) || deep.runtime !== fresh.runtime) return fresh;
  const carried = new Set<ItemKind>();
  for (const [kind, count] of Object.entries(deep.counts) as [ItemKind, number][]) {
    if (count > 0 && !(fresh.counts[kind] ?? 0)) carried.add(kind);
  }
  if (!carried.size) return fresh;
  const counts: Partial<Record<ItemKind, number>> = { ...fresh.counts };
  for (const kind of carried) counts[kind] = deep.counts[kind];
  const ageS = Math.max(0, Math.round((fresh.takenAt - deep.takenAt) / 1000));
  return {
    ...fresh,
    tiers: [1, 2],
    counts,
    items: [...fresh.items, ...deep.items.filter((i) => carried.has(i.kind))],
    costs: [...fresh.costs, ...deep.costs.filter((c) => c.tier === 2)],
    warnings: [...fresh.warnings, `${[...carried].join(' and ')} rows are from the deep snapshot of ${ageS} s ago; press Deep snapshot to refresh them.`],
  };
}
