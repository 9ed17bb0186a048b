export interface FusedItem {
  id: string;
  score: number;
}

/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher, 2009): each ranking gives an item 1 / (k + rank),
 * rank counted from 1, and the sums decide. It needs no score calibration between rankings (ts_rank_cd
 * and cosine distance share no scale); k = 60 damps the weight of the very top places, as in the paper.
 * An id repeated within one ranking counts at its best place only. Ties keep the order in which items
 * first appear, reading all rankings place by place (first places of every ranking, then second...),
 * so earlier rankings win ties.
 */
export function reciprocalRankFusion(rankings: string[][], k = 60): FusedItem[] {
  if (!(k >= 0) || !Number.isFinite(k)) throw new RangeError('k must be a finite number >= 0');
  const scores = new Map<string, number>();
  const seen = rankings.map(() => new Set<string>());
  const depth = Math.max(0, ...rankings.map((r) => r.length));
  for (let place = 0; place < depth; place++) {
    rankings.forEach((ranking, i) => {
      const id = ranking[place];
      if (id === undefined || seen[i]!.has(id)) return;
      seen[i]!.add(id);
      scores.set(id, (scores.get(id) ?? 0) + 1 / (k + place + 1));
    });
  }
  // Array.prototype.sort is stable: equal scores keep first-appearance order.
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}
