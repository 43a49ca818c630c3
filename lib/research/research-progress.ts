/** Units of work a research node costs: search, read, learn. */
const NODE_UNITS = 3;

/** Share of the progress bar the research takes; the report takes the rest. */
export const RESEARCH_SHARE = 90;

/** Breadth of the level below a node (halved, like dzhng/deep-research). */
export function childBreadth(breadth: number): number {
  return Math.ceil(breadth / 2);
}

/**
 * Work units of one node researched with `breadth` at `depth` levels left,
 * including its subtree: its own search, read and learn steps, plus (when it
 * has children) the plan of the next level and the children themselves.
 */
export function nodeUnits(breadth: number, depth: number): number {
  if (depth <= 1) return NODE_UNITS;
  const next = childBreadth(breadth);
  return NODE_UNITS + 1 + next * nodeUnits(next, depth - 1);
}

/**
 * Progress computed from the real plan: the total starts as what the request
 * asks for (a plan step plus `breadth` trees of `depth` levels) and shrinks
 * when a plan comes back smaller or the research is cut short, so the
 * percentage only moves when a step finishes.
 */
export class ResearchProgress {
  #total: number;
  #done = 0;

  constructor(breadth: number, depth: number) {
    this.#total = 1 + breadth * nodeUnits(breadth, depth);
  }

  /** A step finished. */
  complete(units = 1): void {
    this.#done += units;
  }

  /** Part of the planned work will not happen (a smaller plan, a skipped subtree). */
  drop(units: number): void {
    this.#total = Math.max(this.#done, this.#total - units);
  }

  /** 0–RESEARCH_SHARE. */
  get percentage(): number {
    if (this.#total <= 0) return RESEARCH_SHARE;
    return Math.min(RESEARCH_SHARE, Math.floor((this.#done / this.#total) * RESEARCH_SHARE));
  }
}
